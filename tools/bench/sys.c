/* The tool's small OS layer (see sys.h). */
#include "sys.h"

#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#endif

static volatile sig_atomic_t interrupted; /* set by a signal or console handler only */

int mb_interrupted(void) {
  return interrupted;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
void mb_cpu_relax(void) {
  _mm_pause();
}
#elif defined(__aarch64__)
void mb_cpu_relax(void) {
  __asm__ __volatile__("yield");
}
#else
void mb_cpu_relax(void) {}
#endif

#ifdef _WIN32
uint64_t mb_now_ns(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  /* Split to keep c * 1e9 from overflowing. */
  uint64_t f = (uint64_t)freq.QuadPart, v = (uint64_t)c.QuadPart;
  return v / f * 1000000000u + v % f * 1000000000u / f;
}

uint64_t mb_cpu_ns(void) {
  FILETIME created, ended, kernel, user; /* 100 ns units */
  if (!GetProcessTimes(GetCurrentProcess(), &created, &ended, &kernel, &user)) return 0;
  uint64_t k = ((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
  uint64_t u = ((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime;
  return (k + u) * 100u;
}

void mb_yield(void) {
  SwitchToThread();
}

static DWORD_PTR start_mask;

int mb_cpus_allowed(int *cpus, int max) {
  DWORD_PTR proc, sys;
  if (!GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys)) return 0;
  if (start_mask == 0) start_mask = proc;
  int n = 0;
  for (int i = 0; i < (int)(8 * sizeof proc) && n < max; i++)
    if (start_mask & ((DWORD_PTR)1 << i)) cpus[n++] = i;
  return n;
}

int mb_pin(int cpu) {
  int dummy[1];
  if (start_mask == 0) mb_cpus_allowed(dummy, 1);
  DWORD_PTR mask = cpu < 0 ? start_mask : (DWORD_PTR)1 << cpu;
  return SetProcessAffinityMask(GetCurrentProcess(), mask) ? 0 : -1;
}

void mb_sleep_us(int us) {
  /* Sleep() has millisecond granularity: shorter gaps are busy-waited. */
  if (us >= 2000) {
    Sleep((DWORD)(us / 1000));
    return;
  }
  uint64_t end = mb_now_ns() + (uint64_t)us * 1000u;
  while (mb_now_ns() < end) mb_cpu_relax();
}

int mb_stderr_is_tty(void) {
  return _isatty(2);
}

long mb_pid(void) {
  return (long)GetCurrentProcessId();
}

const char *mb_platform(void) {
  return "win32";
}

int mb_under_wine(void) {
  HMODULE nt = GetModuleHandleA("ntdll.dll");
  return nt && GetProcAddress(nt, "wine_get_version") != NULL;
}

void mb_watchdog(unsigned seconds) {
  (void)seconds; /* memchan reports a dead peer itself; nothing else runs here */
}

int mb_watchdog_fired(void) {
  return 0;
}

int mb_shm_names(const char *prefix, const char *const *names, int n, uint64_t *hash, char *first,
                 size_t cap) {
  int left = 0;
  (void)prefix;
  *hash = 0;
  if (cap) first[0] = '\0';
  for (int i = 0; i < n; i++) {
    char full[300];
    snprintf(full, sizeof full, "Local\\%s", names[i]);
    HANDLE h = OpenFileMappingA(FILE_MAP_READ, FALSE, full); /* memchan names are ASCII */
    if (!h) continue;
    CloseHandle(h);
    if (left++ == 0 && cap) snprintf(first, cap, "%s", names[i]);
  }
  return left;
}

int mb_poll_readable(intptr_t h) {
  (void)h;
  return mb_fail("poll mode: POSIX only");
}

static BOOL WINAPI on_break(DWORD type) {
  (void)type;
  interrupted = 1;
  return TRUE; /* handled: the process goes on to finish its report */
}

void mb_catch_interrupt(void) {
  SetConsoleCtrlHandler(on_break, TRUE);
}

void mb_ignore_interrupt(void) {
  SetConsoleCtrlHandler(NULL, TRUE);
}

#else /* POSIX */

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0; /* only for an unknown clock: not these */
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mb_now_ns(void) {
  return clock_ns(CLOCK_MONOTONIC);
}

uint64_t mb_cpu_ns(void) {
  return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

void mb_yield(void) {
  sched_yield();
}

static cpu_set_t start_set;
static int start_known;

int mb_cpus_allowed(int *cpus, int max) {
  if (!start_known) {
    if (sched_getaffinity(0, sizeof start_set, &start_set) != 0) return 0;
    start_known = 1;
  }
  int n = 0;
  for (int i = 0; i < CPU_SETSIZE && n < max; i++)
    if (CPU_ISSET(i, &start_set)) cpus[n++] = i;
  return n;
}

int mb_pin(int cpu) {
  int dummy[1];
  if (!start_known) mb_cpus_allowed(dummy, 1);
  cpu_set_t set;
  if (cpu < 0) {
    set = start_set;
  } else {
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
  }
  return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -1;
}

void mb_sleep_us(int us) {
  struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && !mb_watchdog_fired()) {
  }
}

int mb_poll_readable(intptr_t h) {
  struct pollfd p = {.fd = (int)h, .events = POLLIN};
  for (;;) {
    /* No deadline of its own, like a call with MC_INFINITE: the watchdog ends a stuck case. */
    int n = poll(&p, 1, -1);
    if (n > 0) return 0;
    if (n < 0 && (errno != EINTR || mb_watchdog_fired()))
      return mb_fail("poll on the channel's handle: %s", strerror(errno));
  }
}

int mb_stderr_is_tty(void) {
  return isatty(2);
}

long mb_pid(void) {
  return (long)getpid();
}

const char *mb_platform(void) {
  return "linux";
}

int mb_under_wine(void) {
  return 0;
}

static volatile sig_atomic_t fired;

static void on_alarm(int sig) {
  (void)sig;
  fired = 1;
}

void mb_watchdog(unsigned seconds) {
  fired = 0;
  if (seconds) {
    /* No SA_RESTART: a blocked read, futex or mq call returns EINTR and the case fails. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
  }
  alarm(seconds);
}

int mb_watchdog_fired(void) {
  return fired;
}
int mb_shm_names(const char *prefix, const char *const *names, int n, uint64_t *hash, char *first,
                 size_t cap) {
  (void)names, (void)n;
  DIR *d = opendir("/dev/shm"); /* where glibc's shm_open keeps its names */
  if (!d) return -1;
  size_t len = strlen(prefix);
  int left = 0;
  *hash = 0;
  if (cap) first[0] = '\0';
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, prefix, len) != 0) continue;
    uint64_t h = 1469598103934665603u; /* FNV-1a of the name; summed, so order does not matter */
    for (const char *c = e->d_name; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211u;
    *hash += h;
    if (left++ == 0 && cap) snprintf(first, cap, "%s", e->d_name);
  }
  closedir(d);
  return left;
}

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
}

void mb_catch_interrupt(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void mb_ignore_interrupt(void) {
  signal(SIGINT, SIG_IGN); /* SIGTERM stays: whoever sends it means this process */
}
#endif
