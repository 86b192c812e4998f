/* What the bridge and its test peer need of the system beyond memchan and nng: a monotonic
 * clock, a sleep, the process id, files and folders by UTF-8 path, and the death at a crash point - one that nothing in the
 * process can soften (no handlers, no flushing), with the exit status a SIGKILL gives on
 * POSIX (137), so that the test reads it the same on both systems. */
#ifndef MEMCHAN_BRIDGE_SYS_H
#define MEMCHAN_BRIDGE_SYS_H

#include <stdint.h>

#if defined(_WIN32)
#include <stdlib.h>
#include <windows.h>

static inline uint64_t mb_now_ns(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  uint64_t hz = (uint64_t)f.QuadPart, t = (uint64_t)c.QuadPart;
  return t / hz * 1000000000u + t % hz * 1000000000u / hz;
}
static inline void mb_sleep_ms(unsigned ms) { Sleep(ms); }
static inline uint64_t mb_pid(void) { return GetCurrentProcessId(); }
static inline void mb_die_now(void) { TerminateProcess(GetCurrentProcess(), 137); }
/* Paths are UTF-8 here, as memchan takes them (mc_args_utf8 makes argv so): Windows' wide
   calls, not the ANSI code page's. */
static inline int mb_wide(const char *utf8, wchar_t *w, int cap) {
  return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, cap) > 0;
}
static inline void mb_mkdir(const char *path) {
  wchar_t w[MAX_PATH];
  if (mb_wide(path, w, MAX_PATH)) CreateDirectoryW(w, NULL);
}
static inline void mb_remove(const char *path) {
  wchar_t w[MAX_PATH];
  if (mb_wide(path, w, MAX_PATH)) DeleteFileW(w);
}
/* The variable's value in UTF-8: 0, or -1 when unset, empty or too long. */
static inline int mb_getenv(const char *name, char *buf, int cap) {
  wchar_t wn[64], *v;
  if (!mb_wide(name, wn, 64) || !(v = _wgetenv(wn)) || !*v) return -1;
  return WideCharToMultiByte(CP_UTF8, 0, v, -1, buf, cap, NULL, NULL) > 0 ? 0 : -1;
}

#else
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t mb_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static inline void mb_sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}
static inline uint64_t mb_pid(void) { return (uint64_t)getpid(); }
static inline void mb_die_now(void) { raise(SIGKILL); }
static inline void mb_mkdir(const char *path) { mkdir(path, 0700); }
static inline void mb_remove(const char *path) { unlink(path); }
#endif

#endif
