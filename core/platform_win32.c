/* Win32 backend: errors, time, identity, randomness and named regions (file mappings).
 * See core/platform.h for the rules each function follows. */
#include "internal.h"

#include <windows.h>
#include <bcrypt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "platform_win32.h"

/* ---- errors and strings --------------------------------------------------------------- */

int mc__win_err(DWORD e) {
  switch (e) {
  case ERROR_SUCCESS:
    return MC_OK;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return MC_ENOENT;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return MC_EEXIST;
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
    return MC_EACCES;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_DISK_FULL:
    return MC_ENOMEM;
  case ERROR_INVALID_PARAMETER:
  case ERROR_INVALID_NAME:
  case ERROR_FILENAME_EXCED_RANGE:
    return MC_EINVAL;
  case ERROR_TIMEOUT:
  case WAIT_TIMEOUT:
    return MC_ETIMEDOUT;
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED:
    return MC_ENOTSUP;
  default:
    return MC_ESYS;
  }
}

int mc__win_fail(const char *call, const char *object) {
  DWORD e = GetLastError();
  mc__os_fail((long)e, call, object);
  return mc__win_err(e);
}

int mc__win_wide(const char *s, wchar_t *buf, int cap) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, buf, cap);
  return n > 0 ? MC_OK : MC_EINVAL;
}

int mc__win_utf8(const wchar_t *s, char *buf, size_t cap) {
  int n =
      WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, cap > INT_MAX ? INT_MAX : (int)cap, NULL, NULL);
  return n > 0 ? MC_OK : MC_ENOSPC;
}

int mc__win_objname(const mc__objname *n, const char *suffix, wchar_t *buf, int cap) {
  char name[300];
  int rc = mc__name_os(n, suffix, name, sizeof name);
  return rc == MC_OK ? mc__win_wide(name, buf, cap) : rc;
}

DWORD mc__win_wait_ms(uint64_t deadline) {
  if (deadline == MC__NO_DEADLINE) return INFINITE;
  uint64_t now = mc__plat_now_ns();
  if (now >= deadline) return 0;
  uint64_t ms = (deadline - now + 999999) / 1000000;
  return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

DWORD mc__win_wait(HANDLE h, uint64_t deadline) {
  for (;;) {
    DWORD r = WaitForSingleObject(h, mc__win_wait_ms(deadline));
    /* The system timer may end a wait slightly before the requested time: never report a
       timeout before the deadline. */
    if (r != WAIT_TIMEOUT || mc__deadline_passed(deadline)) return r;
  }
}

int mc__win_wait_rc(HANDLE h, uint64_t deadline, const char *what) {
  switch (mc__win_wait(h, deadline)) {
  case WAIT_OBJECT_0:
    return MC_OK;
  case WAIT_ABANDONED:
    return MC_EOWNERDEAD;
  case WAIT_TIMEOUT:
    return MC_ETIMEDOUT;
  default:
    return mc__win_fail(what, "");
  }
}

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
  else
    return MC_ENOENT;
  return MC_OK;
}

/* ---- time, scheduling, randomness ----------------------------------------------------- */

uint64_t mc__plat_now_ns(void) {
  static LARGE_INTEGER freq; /* constant for the life of the system */
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  uint64_t f = (uint64_t)freq.QuadPart, v = (uint64_t)c.QuadPart;
  return (v / f) * 1000000000ull + (v % f) * 1000000000ull / f;
}

void mc__plat_yield(void) {
  SwitchToThread();
}

int mc__plat_current_cpu(void) {
  return (int)GetCurrentProcessorNumber();
}

int mc__plat_random(void *buf, size_t n) {
  if (n > ULONG_MAX) return MC_EINVAL;
  NTSTATUS st = BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (st != 0) {
    mc__os_fail((long)st, "BCryptGenRandom", "");
    return MC_ESYS;
  }
  return MC_OK;
}

/* ---- process identity ----------------------------------------------------------------- */

static uint32_t creation_ms_low(HANDLE h, int *ok) {
  FILETIME c, e, k, u;
  *ok = GetProcessTimes(h, &c, &e, &k, &u) != 0;
  uint64_t t = ((uint64_t)c.dwHighDateTime << 32) | c.dwLowDateTime;
  return (uint32_t)(t / 10000);
}

uint64_t mc__plat_self_token(void) {
  static _Atomic uint64_t self; /* no fork on Win32: computed once per process */
  uint64_t t = atomic_load_explicit(&self, memory_order_relaxed);
  if (!t) {
    int ok;
    uint32_t start = creation_ms_low(GetCurrentProcess(), &ok);
    t = ((uint64_t)(ok ? start : 0) << 32) | GetCurrentProcessId();
    atomic_store_explicit(&self, t, memory_order_relaxed);
  }
  return t;
}

int mc__plat_token_alive(uint64_t token) {
  DWORD pid = (DWORD)(uint32_t)token;
  if (pid == 0) return 0;
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid);
  if (!h) return GetLastError() == ERROR_ACCESS_DENIED; /* exists, not ours to inspect */
  int alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  int ok;
  uint32_t start = creation_ms_low(h, &ok);
  if (alive && ok && (token >> 32) != 0 && start != (uint32_t)(token >> 32)) alive = 0;
  CloseHandle(h);
  return alive;
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
    return mc__win_fail("VirtualAlloc(MEM_COMMIT)", "region");
  return MC_OK;
}

static int map_fail(mc__plat_map *m, int rc) {
  mc__plat_map_close(m);
  return rc;
}

int mc__plat_map_open(const mc__objname *n, const mc__map_req *rq, mc__plat_map *m, int *created,
                      int *abandoned) {
  wchar_t wname[300], winit[310];
  memset(m, 0, sizeof *m);
  m->fd = -1;
  *created = *abandoned = 0;
  int rc = mc__win_objname(n, "", wname, 300);
  if (rc == MC_OK) rc = mc__win_objname(n, "$init", winit, 310);
  if (rc != MC_OK) return rc;

  /* Serialise creation and initialisation, as the seed's "N$MTX": the mutex is taken before
     the section exists, so whoever holds it next sees a finished header or an abandoned one. */
  m->init_lock = CreateMutexW(NULL, FALSE, winit);
  if (!m->init_lock) return mc__win_fail("CreateMutexW", n->base);
  DWORD w = mc__win_wait(m->init_lock, rq->deadline);
  if (w == WAIT_ABANDONED) {
    *abandoned = 1;
  } else if (w == WAIT_TIMEOUT) {
    CloseHandle(m->init_lock);
    m->init_lock = NULL;
    return MC_ETIMEDOUT;
  } else if (w != WAIT_OBJECT_0) {
    rc = mc__win_fail("WaitForSingleObject(init)", n->base);
    CloseHandle(m->init_lock);
    m->init_lock = NULL;
    return rc;
  }

  if (rq->how == MC__MAP_OPEN_ONLY) {
    m->h = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wname);
    if (!m->h) {
      DWORD e = GetLastError();
      if (e == ERROR_FILE_NOT_FOUND) return map_fail(m, MC_ENOENT);
      /* The name belongs to another kind of kernel object (an event, say). */
      if (e == ERROR_INVALID_HANDLE) return map_fail(m, MC_EMISMATCH);
      return map_fail(m, mc__win_fail("OpenFileMappingW", n->base));
    }
  } else {
    m->h = sys.CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE,
                                  (DWORD)(rq->reserve >> 32), (DWORD)rq->reserve, wname);
    if (!m->h) {
      if (GetLastError() == ERROR_INVALID_HANDLE) return map_fail(m, MC_EMISMATCH);
      return map_fail(m, mc__win_fail("CreateFileMappingW", n->base));
    }
    *created = GetLastError() != ERROR_ALREADY_EXISTS;
    if (!*created && rq->how == MC__MAP_CREATE_ONLY) return map_fail(m, MC_EEXIST);
  }
  m->base = sys.MapViewOfFile(m->h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (!m->base) {
    *created = 0;
    return map_fail(m, mc__win_fail("MapViewOfFile", n->base));
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
  if (m->h) CloseHandle(m->h);
  m->base = NULL;
  m->h = NULL;
  m->reserve = m->committed = 0;
}

int mc__plat_map_unlink(const mc__objname *n) {
  MC__UNUSED(n);
  return MC_OK;
}

int mc__plat_names_outlive_handles(void) {
  return 0;
}

/* ---- stdio -------------------------------------------------------------------------------- */

FILE *mc__plat_fopen_cookie(void *cookie, const char *mode, const mc__plat_cookie_io *io) {
  MC__UNUSED(cookie);
  MC__UNUSED(mode);
  MC__UNUSED(io);
  return NULL; /* msvcrt has no custom FILE streams */
}
