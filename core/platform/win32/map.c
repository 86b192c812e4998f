/* Win32 backend: named regions (CreateFileMapping with SEC_RESERVE, one view of the whole
 * section, VirtualAlloc MEM_COMMIT), the OS spelling of names, and the system call seam.
 * See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "platform/win32/win32.h"

#define MC__HEADER_PAGE 4096u /* every region's header page (core/region.h) */

/* ---- system call seam ----------------------------------------------------------------- */

typedef HANDLE(WINAPI *create_mapping_fn)(HANDLE, LPSECURITY_ATTRIBUTES, DWORD, DWORD, DWORD,
                                          LPCWSTR);
typedef LPVOID(WINAPI *map_view_fn)(HANDLE, DWORD, DWORD, DWORD, SIZE_T);
typedef LPVOID(WINAPI *virtual_alloc_fn)(LPVOID, SIZE_T, DWORD, DWORD);

static struct {
  create_mapping_fn CreateFileMappingW;
  map_view_fn MapViewOfFile;
  virtual_alloc_fn VirtualAlloc;
} sys = {CreateFileMappingW, MapViewOfFile, VirtualAlloc};

int mc__plat_syscall_override(const char *call, void (*fn)(void)) {
  if (strcmp(call, "CreateFileMappingW") == 0)
    sys.CreateFileMappingW = fn ? (create_mapping_fn)(void *)fn : CreateFileMappingW;
  else if (strcmp(call, "MapViewOfFile") == 0)
    sys.MapViewOfFile = fn ? (map_view_fn)(void *)fn : MapViewOfFile;
  else if (strcmp(call, "VirtualAlloc") == 0)
    sys.VirtualAlloc = fn ? (virtual_alloc_fn)(void *)fn : VirtualAlloc;
  else if (strcmp(call, "OpenProcess") == 0)
    mc__win_open_process = fn ? (mc__win_open_process_fn)(void *)fn : OpenProcess;
  else
    return MC_ENOENT;
  return MC_OK;
}

/* ---- named regions -------------------------------------------------------------------- */

/* Bytes of the section behind a view: the view spans the whole section, reserved and
   committed parts alike, as consecutive regions with the view's allocation base. */
static uint64_t view_bytes(void *base) {
  uint64_t total = 0;
  MEMORY_BASIC_INFORMATION mi;
  unsigned char *p = base;
  while (VirtualQuery(p, &mi, sizeof mi) == sizeof mi && mi.AllocationBase == base &&
         mi.State != MEM_FREE) {
    total += mi.RegionSize;
    p += mi.RegionSize;
  }
  return total;
}

/* Commits [0, bytes) of the view; pages already committed stay as they are. */
static int commit_view(mc__plat_map *m, uint64_t bytes) {
  if (bytes == 0) return MC_OK;
  if (bytes > SIZE_MAX) return MC_ENOMEM;
  if (!sys.VirtualAlloc(m->base, (SIZE_T)bytes, MEM_COMMIT, PAGE_READWRITE))
    return mc__win_fail("VirtualAlloc(MEM_COMMIT)", m->name);
  return MC_OK;
}

static int map_fail(mc__plat_map *m, int rc) {
  mc__plat_map_close(m);
  return rc;
}

int mc__plat_map_open(const mc__objname *n, const mc__map_req *rq, mc__plat_map *m, int *created,
                      int *abandoned) {
  wchar_t wname[MC__OS_NAME_MAX], winit[MC__OS_NAME_MAX];
  memset(m, 0, sizeof *m);
  *created = *abandoned = 0;
  int rc = mc__plat_os_name(n, "", m->name, sizeof m->name);
  if (rc == MC_OK) rc = mc__win_objname(n, "", wname, MC__OS_NAME_MAX);
  if (rc == MC_OK) rc = mc__win_objname(n, "$init", winit, MC__OS_NAME_MAX);
  if (rc != MC_OK) return rc;

  /* Serialise creation and initialisation, as the classic Win32 recipe's "N$MTX" does: the
     mutex is taken before the section exists, so whoever holds it next sees a finished
     header or an abandoned one. */
  m->init_lock = CreateMutexW(NULL, FALSE, winit);
  if (!m->init_lock) return mc__win_fail("CreateMutexW", m->name);
  DWORD w = mc__win_wait(m->init_lock, rq->deadline);
  if (w == WAIT_ABANDONED) {
    *abandoned = 1;
  } else if (w == WAIT_TIMEOUT) {
    CloseHandle(m->init_lock);
    m->init_lock = NULL;
    return MC_ETIMEDOUT;
  } else if (w != WAIT_OBJECT_0) {
    rc = mc__win_fail("WaitForSingleObject(init)", m->name);
    CloseHandle(m->init_lock);
    m->init_lock = NULL;
    return rc;
  }

  if (rq->how == MC__MAP_OPEN_ONLY) {
    m->section = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname);
    if (!m->section) {
      if (GetLastError() == ERROR_FILE_NOT_FOUND) return map_fail(m, MC_ENOENT); /* not a fault */
      return map_fail(m, mc__win_fail("OpenFileMappingW", m->name));
    }
  } else {
    m->section = sys.CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE,
                                        (DWORD)(rq->reserve >> 32), (DWORD)rq->reserve, wname);
    if (!m->section) return map_fail(m, mc__win_fail("CreateFileMappingW", m->name));
    *created = GetLastError() != ERROR_ALREADY_EXISTS;
    if (!*created && rq->how == MC__MAP_CREATE_ONLY) return map_fail(m, MC_EEXIST);
  }
  m->base = sys.MapViewOfFile(m->section, FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (!m->base) {
    *created = 0;
    return map_fail(m, mc__win_fail("MapViewOfFile", m->name));
  }
  m->reserve = view_bytes(m->base);
  uint64_t usable = rq->probe;
  if (m->reserve < usable) {
    *created = 0;
    return map_fail(m, MC_ECORRUPT); /* not a section of ours */
  }
  rc = commit_view(m, usable);
  if (rc != MC_OK) {
    *created = 0;
    return map_fail(m, rc);
  }
  m->committed = usable;
  return MC_OK;
}

int mc__plat_map_peek(const mc__objname *n, mc__plat_map *m) {
  wchar_t wname[MC__OS_NAME_MAX];
  memset(m, 0, sizeof *m);
  int rc = mc__plat_os_name(n, "", m->name, sizeof m->name);
  if (rc == MC_OK) rc = mc__win_objname(n, "", wname, MC__OS_NAME_MAX);
  if (rc != MC_OK) return rc;
  m->section = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
  if (!m->section) {
    if (GetLastError() == ERROR_FILE_NOT_FOUND) return MC_ENOENT;
    return map_fail(m, mc__win_fail("OpenFileMappingW", m->name));
  }
  m->base = MapViewOfFile(m->section, FILE_MAP_READ, 0, 0, 0);
  if (!m->base) return map_fail(m, mc__win_fail("MapViewOfFile", m->name));
  m->reserve = view_bytes(m->base);
  if (m->reserve < MC__HEADER_PAGE) return MC_OK; /* too small to be ours: nothing readable */
  return mc__plat_map_peek_more(m, MC__HEADER_PAGE);
}

int mc__plat_map_peek_more(mc__plat_map *m, uint64_t bytes) {
  if (bytes > m->reserve) return MC_ECORRUPT;
  if (bytes <= m->committed) return MC_OK;
  /* Committed by the object's users already (a validated header says so): committing them
     in this view only makes them readable here. */
  if (!VirtualAlloc(m->base, (SIZE_T)bytes, MEM_COMMIT, PAGE_READONLY))
    return mc__win_fail("VirtualAlloc(MEM_COMMIT, read-only)", m->name);
  m->committed = bytes;
  return MC_OK;
}

int mc__plat_map_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  MC__UNUSED(fn);
  MC__UNUSED(ctx);
  return MC_ENOTSUP; /* no documented call lists named sections: see core/registry.c */
}

int mc__plat_map_linked(mc__plat_map *m) {
  MC__UNUSED(m);
  return 1; /* a Win32 name lives exactly as long as its handles */
}

int mc__plat_map_reserve(mc__plat_map *m, uint64_t reserve, uint64_t committed) {
  /* The view already spans the whole section; check the header's claim against it. */
  if (reserve > m->reserve || committed > reserve) return MC_ECORRUPT;
  int rc = commit_view(m, committed);
  if (rc == MC_OK) m->committed = committed;
  return rc;
}

int mc__plat_map_commit(mc__plat_map *m, uint64_t bytes) {
  if (bytes > m->reserve) return MC_ENOSPC;
  int rc = commit_view(m, bytes);
  if (rc == MC_OK && bytes > m->committed) m->committed = bytes;
  return rc;
}

void mc__plat_map_zero(mc__plat_map *m, uint64_t offset, uint64_t len) {
  if (offset >= m->committed) return;
  memset(m->base + offset, 0, (size_t)MC__MIN(len, m->committed - offset));
}

void mc__plat_map_prefault(mc__plat_map *m, uint64_t offset, uint64_t len, int write) {
  if (offset >= m->committed) return;
  len = MC__MIN(len, m->committed - offset);
  for (uint64_t i = 0; i < len; i += 4096) { /* committed: touching maps it in */
    volatile unsigned char *b = m->base + offset + i;
    unsigned char v = *b;
    if (write) *b = v;
  }
}

int mc__plat_map_intact(mc__plat_map *m) {
  MC__UNUSED(m); /* a section's size is fixed at creation, and committed pages stay */
  return MC_OK;
}

void mc__plat_map_init_done(mc__plat_map *m) {
  if (!m->init_lock) return;
  ReleaseMutex(m->init_lock);
  CloseHandle(m->init_lock);
  m->init_lock = NULL;
}

void mc__plat_map_close(mc__plat_map *m) {
  mc__plat_map_init_done(m);
  if (m->base) UnmapViewOfFile(m->base);
  if (m->section) CloseHandle(m->section);
  m->base = NULL;
  m->section = NULL;
  m->reserve = m->committed = 0;
}

int mc__plat_map_unlink(const mc__objname *n) {
  MC__UNUSED(n);
  return MC_OK;
}

int mc__plat_os_name(const mc__objname *n, const char *suffix, char *buf, size_t cap) {
  int len = snprintf(buf, cap, "%s%s%s", n->ns, n->base, suffix ? suffix : "");
  return len < 0 || (size_t)len >= cap ? MC_EINVAL : MC_OK;
}

int mc__plat_names_outlive_handles(void) {
  return 0;
}
