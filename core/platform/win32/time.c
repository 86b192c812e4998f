/* Win32 backend: the clock, yielding, the CPU we run on, randomness, and process identity
 * (pid + creation time). See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <bcrypt.h>
#include <limits.h>

#include "platform/win32/win32.h"

uint64_t mc__plat_now_ns(void) {
  static LARGE_INTEGER freq; /* constant for the life of the system */
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  uint64_t f = (uint64_t)freq.QuadPart, v = (uint64_t)c.QuadPart;
  return (v / f) * 1000000000ull + (v % f) * 1000000000ull / f;
}

uint64_t mc__plat_wall_ms(void) {
  FILETIME ft; /* 100 ns units since 1601-01-01 */
  GetSystemTimeAsFileTime(&ft);
  uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
  return t / 10000 - 11644473600000ull; /* 1601 -> 1970 */
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

mc__win_open_process_fn mc__win_open_process = OpenProcess;

int mc__plat_token_alive(uint64_t token) {
  DWORD pid = (DWORD)(uint32_t)token;
  if (pid == 0) return 0;
  HANDLE h = mc__win_open_process(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid);
  if (!h) {
    /* No such process is ERROR_INVALID_PARAMETER; ERROR_ACCESS_DENIED means one exists that
       is not ours to inspect. Anything else says nothing about the process (Wine, loaded,
       fails process calls with internal errors now and then): alive, and asked again at the
       next liveness check - a death noticed a slice late costs little, a live peer taken for
       dead ends its stream. */
    DWORD e = GetLastError();
    if (e != ERROR_INVALID_PARAMETER && e != ERROR_ACCESS_DENIED)
      mc__debug("OpenProcess(%lu): error %lu: taken as alive", (unsigned long)pid,
                (unsigned long)e);
    return e != ERROR_INVALID_PARAMETER;
  }
  int alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  int ok;
  uint32_t start = creation_ms_low(h, &ok);
  if (alive && ok && (token >> 32) != 0 && start != (uint32_t)(token >> 32)) alive = 0;
  CloseHandle(h);
  return alive;
}
