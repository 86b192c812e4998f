/* Win32 backend: named regions (CreateFileMapping with SEC_RESERVE, one view of the whole
 * section, VirtualAlloc MEM_COMMIT), the OS spelling of names, and the system call seam.
 * See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <aclapi.h>
#include <winioctl.h>
#include <stdio.h>
#include <string.h>

#include "platform/win32/win32.h"

#define MC__HEADER_PAGE 4096u /* every region's header page (core/region.h) */

/* ---- system call seam ----------------------------------------------------------------- */

typedef HANDLE(WINAPI *create_mapping_fn)(HANDLE, LPSECURITY_ATTRIBUTES, DWORD, DWORD, DWORD,
                                          LPCWSTR);
typedef LPVOID(WINAPI *map_view_fn)(HANDLE, DWORD, DWORD, DWORD, SIZE_T);
typedef LPVOID(WINAPI *virtual_alloc_fn)(LPVOID, SIZE_T, DWORD, DWORD);
typedef BOOL(WINAPI *flush_view_fn)(LPCVOID, SIZE_T);

static struct {
  create_mapping_fn CreateFileMappingW;
  map_view_fn MapViewOfFile;
  virtual_alloc_fn VirtualAlloc;
  flush_view_fn FlushViewOfFile;
} sys = {CreateFileMappingW, MapViewOfFile, VirtualAlloc, FlushViewOfFile};

int mc__plat_syscall_override(const char *call, void (*fn)(void)) {
  if (strcmp(call, "CreateFileMappingW") == 0)
    sys.CreateFileMappingW = fn ? (create_mapping_fn)(void *)fn : CreateFileMappingW;
  else if (strcmp(call, "MapViewOfFile") == 0)
    sys.MapViewOfFile = fn ? (map_view_fn)(void *)fn : MapViewOfFile;
  else if (strcmp(call, "VirtualAlloc") == 0)
    sys.VirtualAlloc = fn ? (virtual_alloc_fn)(void *)fn : VirtualAlloc;
  else if (strcmp(call, "FlushViewOfFile") == 0)
    sys.FlushViewOfFile = fn ? (flush_view_fn)(void *)fn : FlushViewOfFile;
  else if (strcmp(call, "OpenProcess") == 0)
    mc__win_open_process = fn ? (mc__win_open_process_fn)(void *)fn : OpenProcess;
  else if (strcmp(call, "GetSecurityInfo") == 0)
    mc__win_get_security = fn ? (mc__win_get_security_fn)(void *)fn : GetSecurityInfo;
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

/* Maps the whole section (access as MapViewOfFile). A section larger than this process's
   address space - a 64-bit process's 8 GiB reserve, seen from a 32-bit one - cannot be:
   Windows says ERROR_NOT_ENOUGH_MEMORY, Wine ERROR_INVALID_PARAMETER. When its first page
   still maps, the section is sound and only too large here: MC_ENOMEM, as POSIX's mmap. */
static int map_whole(mc__plat_map *m, DWORD access) {
  m->base = sys.MapViewOfFile(m->section, access, 0, 0, 0);
  if (m->base) {
    m->reserve = view_bytes(m->base);
    return MC_OK;
  }
  DWORD e = GetLastError();
  if (e == ERROR_NOT_ENOUGH_MEMORY || e == ERROR_INVALID_PARAMETER) {
    void *first = sys.MapViewOfFile(m->section, access, 0, 0, MC__HEADER_PAGE);
    if (first) {
      UnmapViewOfFile(first);
      mc__os_fail(ERROR_NOT_ENOUGH_MEMORY, "MapViewOfFile (larger than this address space)",
                  m->name);
      return MC_ENOMEM;
    }
  }
  SetLastError(e);
  return mc__win_fail("MapViewOfFile", m->name);
}

/* Commits [0, bytes) of the view; pages already committed stay as they are. (A file's
   view is usable whole: its pages are the file's.) */
static int commit_view(mc__plat_map *m, uint64_t bytes) {
  if (bytes == 0 || m->file) return MC_OK;
  if (bytes > SIZE_MAX) return MC_ENOMEM;
  if (!sys.VirtualAlloc(m->base, (SIZE_T)bytes, MEM_COMMIT, PAGE_READWRITE))
    return mc__win_fail("VirtualAlloc(MEM_COMMIT)", m->name);
  return MC_OK;
}

static int map_fail(mc__plat_map *m, int rc) {
  mc__plat_map_close(m);
  return rc;
}

/* ---- file-backed regions ---------------------------------------------------------------- */

/* Maps the whole section of m->file (reserve bytes, or the file's size when 0) under the
   region's name. Only a process alone with the file makes the section (under "N$init"). */
static int map_file_section(mc__plat_map *m, const wchar_t *wname, uint64_t reserve) {
  mc__win_sa sa;
  int rc = mc__win_security(&sa, m->everyone, m->name);
  if (rc != MC_OK) return rc;
  m->section = sys.CreateFileMappingW(m->file, &sa.sa, PAGE_READWRITE, (DWORD)(reserve >> 32),
                                      (DWORD)reserve, wname);
  if (!m->section) return mc__win_fail("CreateFileMappingW(file)", m->name);
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    mc__os_fail(ERROR_ALREADY_EXISTS, "section made by another opener", m->name);
    return MC_ECORRUPT; /* we hold "N$init": nobody may have made it meanwhile */
  }
  return map_whole(m, FILE_MAP_ALL_ACCESS);
}

/* The section of that name is made from this file: the file's own header bytes (read
   beside the mapping) say the same generation as the view. Another file's block of the same
   name, or a memory block, is not this file. */
static int same_file(mc__plat_map *m) {
  uint64_t gen[2];
  LARGE_INTEGER at = {.QuadPart = 0};
  DWORD got = 0;
  unsigned char head[MC__HEADER_PAGE];
  if (!SetFilePointerEx(m->file, at, NULL, FILE_BEGIN) ||
      !ReadFile(m->file, head, sizeof head, &got, NULL))
    return mc__win_fail("ReadFile", m->name);
  if (got < sizeof head || m->reserve < sizeof head) return 0;
  memcpy(&gen[0], head + 136, 8);     /* mc__region_hdr.generation */
  memcpy(&gen[1], m->base + 136, 8);
  return gen[0] == gen[1] && memcmp(head, m->base, 8) == 0;
}

static int open_file(const wchar_t *wname, const mc__map_req *rq, mc__plat_map *m,
                     int *created) {
  wchar_t wpath[MAX_PATH * 4];
  mc__win_sa sa;
  int rc = mc__win_wide(rq->file, wpath, (int)(sizeof wpath / sizeof wpath[0]));
  if (rc == MC_OK) rc = mc__win_security(&sa, m->everyone, m->name); /* a new file's, as mode */
  if (rc != MC_OK) return map_fail(m, rc);
  /* Sharing delete too: holders must not stop the user from removing the file. */
  m->file = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa.sa,
                        rq->how == MC__MAP_OPEN_ONLY ? OPEN_EXISTING : OPEN_ALWAYS,
                        FILE_ATTRIBUTE_NORMAL, NULL);
  if (m->file == INVALID_HANDLE_VALUE) {
    m->file = NULL;
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return map_fail(m, MC_ENOENT);
    return map_fail(m, mc__win_fail("CreateFileW", m->name));
  }
  /* Another user's file (POSIX: st_uid) only when the caller accepts it. */
  int existed = rq->how == MC__MAP_OPEN_ONLY || GetLastError() == ERROR_ALREADY_EXISTS;
  if (existed && !rq->any_user &&
      (rc = mc__win_check_owner(m->file, SE_FILE_OBJECT, m->name)) != MC_OK)
    return map_fail(m, rc);
  LARGE_INTEGER size;
  if (!GetFileSizeEx(m->file, &size)) return map_fail(m, mc__win_fail("GetFileSizeEx", m->name));
  m->section = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname);
  if (m->section) {
    if (!rq->any_user && (rc = mc__win_check_owner(m->section, SE_KERNEL_OBJECT, m->name)) != MC_OK)
      return map_fail(m, rc);
    if ((rc = map_whole(m, FILE_MAP_ALL_ACCESS)) != MC_OK) return map_fail(m, rc);
    rc = same_file(m);
    if (rc < 0) return map_fail(m, rc);
    if (!rc) return map_fail(m, MC_EMISMATCH);
  } else {
    if (GetLastError() != ERROR_FILE_NOT_FOUND)
      return map_fail(m, mc__win_fail("OpenFileMappingW", m->name));
    m->alone = 1;
    if (size.QuadPart == 0) {
      if (rq->how == MC__MAP_OPEN_ONLY) return map_fail(m, MC_ENOENT); /* no block in it yet */
      /* The section spans the block's whole reserve, which the file grows to at once:
         sparse where the file system can, so that its unused part takes no disk. */
      DWORD ret;
      DeviceIoControl(m->file, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &ret, NULL);
      rc = map_file_section(m, wname, rq->reserve);
      if (rc != MC_OK) return map_fail(m, rc);
      *created = 1;
    } else if ((uint64_t)size.QuadPart < rq->probe) {
      mc__os_fail(ERROR_INVALID_DATA, "size check", m->name);
      return map_fail(m, MC_ECORRUPT); /* not ours: left exactly as it is */
    } else {
      rc = map_file_section(m, wname, 0); /* as large as the file: nothing written yet */
      if (rc != MC_OK) return map_fail(m, rc);
    }
  }
  if (m->reserve < rq->probe) return map_fail(m, MC_ECORRUPT);
  m->committed = rq->probe;
  return MC_OK;
}

int mc__plat_map_flush(mc__plat_map *m) {
  if (!m->file || !m->base) return MC_OK;
  /* The view's dirty pages to the file, then the file (and its size) to the device. */
  if (!sys.FlushViewOfFile(m->base, 0)) return mc__win_fail("FlushViewOfFile", m->name);
  if (!FlushFileBuffers(m->file)) return mc__win_fail("FlushFileBuffers", m->name);
  return MC_OK;
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
  /* It guards no data, only the order of openers, and whoever makes it cannot know yet who
     else may open the block: any user may take it (and nothing more). */
  mc__win_sa init_sa;
  m->everyone = MC__WIN_ALL_USERS(n);
  if ((rc = mc__win_security(&init_sa, SYNCHRONIZE | MUTEX_MODIFY_STATE, m->name)) != MC_OK)
    return rc;
  m->init_lock = CreateMutexExW(&init_sa.sa, winit, 0, SYNCHRONIZE | MUTEX_MODIFY_STATE);
  if (!m->init_lock) return mc__win_fail("CreateMutexExW", m->name);
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

  if (rq->file) return open_file(wname, rq, m, created);
  if (rq->how == MC__MAP_OPEN_ONLY) {
    m->section = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname);
    if (!m->section) {
      if (GetLastError() == ERROR_FILE_NOT_FOUND) return map_fail(m, MC_ENOENT); /* not a fault */
      return map_fail(m, mc__win_fail("OpenFileMappingW", m->name));
    }
  } else {
    /* Without SeCreateGlobalPrivilege, a Global\ section is ERROR_ACCESS_DENIED: MC_EACCES. */
    mc__win_sa sa;
    if ((rc = mc__win_security(&sa, m->everyone, m->name)) != MC_OK) return map_fail(m, rc);
    m->section = sys.CreateFileMappingW(INVALID_HANDLE_VALUE, &sa.sa, PAGE_READWRITE | SEC_RESERVE,
                                        (DWORD)(rq->reserve >> 32), (DWORD)rq->reserve, wname);
    if (!m->section) return map_fail(m, mc__win_fail("CreateFileMappingW", m->name));
    *created = GetLastError() != ERROR_ALREADY_EXISTS;
    if (!*created && rq->how == MC__MAP_CREATE_ONLY) return map_fail(m, MC_EEXIST);
  }
  /* Another user's section (POSIX: another owner's file) only when the caller accepts it. */
  if (!*created && !rq->any_user &&
      (rc = mc__win_check_owner(m->section, SE_KERNEL_OBJECT, m->name)) != MC_OK)
    return map_fail(m, rc);
  if ((rc = map_whole(m, FILE_MAP_ALL_ACCESS)) != MC_OK) {
    *created = 0;
    return map_fail(m, rc);
  }
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
  if ((rc = map_whole(m, FILE_MAP_READ)) != MC_OK) return map_fail(m, rc);
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
  if (m->file && m->alone && m->init_lock && reserve > m->reserve && committed <= reserve) {
    /* A file section made as large as the file, whose header asks for more: the block's
       reserve (its file grows to it, as when it was made). Nobody else has it yet. */
    wchar_t wname[MC__OS_NAME_MAX];
    UnmapViewOfFile(m->base);
    CloseHandle(m->section);
    m->base = NULL;
    m->section = NULL;
    int rc = mc__win_wide(m->name, wname, MC__OS_NAME_MAX);
    if (rc == MC_OK) rc = map_file_section(m, wname, reserve);
    if (rc != MC_OK) return rc;
  }
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
  if (m->file) CloseHandle(m->file);
  m->base = NULL;
  m->section = NULL;
  m->file = NULL;
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
