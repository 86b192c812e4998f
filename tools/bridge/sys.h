/* What the bridge and its test peer need of the system beyond memchan and nng: a monotonic
 * clock, a sleep, the process id, a new folder, and the death at a crash point - one that nothing in the
 * process can soften (no handlers, no flushing), with the exit status a SIGKILL gives on
 * POSIX (137), so that the test reads it the same on both systems. */
#ifndef MEMCHAN_BRIDGE_SYS_H
#define MEMCHAN_BRIDGE_SYS_H

#include <stdint.h>

#if defined(_WIN32)
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
static inline void mb_mkdir(const char *path) { CreateDirectoryA(path, NULL); }

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
#endif

#endif
