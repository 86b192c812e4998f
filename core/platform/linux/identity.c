/* Linux: process identity and liveness from /proc (pid + start time), the CPU we run on,
 * and this executable's path. See core/platform.h for the rules. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/posix/posix.h"

int mc__plat_current_cpu(void) {
  return sched_getcpu(); /* a vDSO call on Linux: no system call */
}

/* ---- process identity ----------------------------------------------------------------- */

/* Reads /proc/PID/stat: its state letter and start time (field 22). 0, or an errno. The
   command name (field 2) may hold spaces and parentheses, so fields are counted from the
   last ')'. */
static int proc_stat(long pid, char *state, unsigned long long *start) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (len <= 0) return len < 0 ? e : ESRCH; /* an exiting task can read empty */
  buf[len] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return EINVAL;
  /* After ')': " S ppid pgrp ..." - state is field 3, start time field 22. */
  unsigned long long v = 0;
  if (sscanf(p + 1,
             " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
             "%*d %llu",
             state, &v) != 2)
    return EINVAL;
  *start = v;
  return 0;
}

static _Atomic uint64_t self_token;

static void reset_self_token(void) {
  atomic_store_explicit(&self_token, 0, memory_order_relaxed);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) {
  /* A forked child (Check runs every test in one) is another process: forget the token. */
  pthread_atfork(NULL, NULL, reset_self_token);
}

uint64_t mc__plat_self_token(void) {
  uint64_t t = atomic_load_explicit(&self_token, memory_order_relaxed);
  if (t) return t;
  pthread_once(&atfork_once, install_atfork);
  long pid = (long)getpid();
  char st;
  unsigned long long start = 0;
  if (proc_stat(pid, &st, &start) != 0) start = 0; /* no /proc: liveness falls back to kill */
  t = ((uint64_t)(uint32_t)start << 32) | (uint32_t)pid;
  atomic_store_explicit(&self_token, t, memory_order_relaxed);
  return t;
}

int mc__plat_token_alive(uint64_t token) {
  long pid = (long)(uint32_t)token;
  /* The token may come from shared memory: a pid no process can have (kill() would read a
     negative one as a process group) names nobody. */
  if (pid <= 0 || pid > INT_MAX) return 0;
  char st;
  unsigned long long start;
  if (proc_stat(pid, &st, &start) == 0) {
    if (st == 'Z' || st == 'X') return 0; /* ended, not yet reaped */
    if ((token >> 32) != 0 && (uint32_t)start != (uint32_t)(token >> 32)) return 0; /* reused */
    return 1;
  }
  /* No /proc entry does not mean no process: /proc may be mounted with hidepid (another
     user's processes are invisible) or absent. The pid's existence is then all we can learn
     (EPERM: it exists, it is not ours). Processes in another pid namespace are not
     supported (docs/design.md). */
  if (kill((pid_t)pid, 0) == 0) return 1;
  return errno == EPERM;
}

int mc__plat_self_path(char *buf, size_t cap) {
  if (cap == 0) return MC_ENOSPC;
  ssize_t len = readlink("/proc/self/exe", buf, cap);
  if (len < 0) return mc__posix_fail("readlink", "/proc/self/exe");
  if ((size_t)len >= cap) return MC_ENOSPC;
  buf[len] = '\0';
  return MC_OK;
}
