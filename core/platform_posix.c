/* POSIX backend (Linux first): time, identity, randomness and named regions.
 * See core/platform.h for the rules each function follows. */
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
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform_posix.h"

/* ---- errors -------------------------------------------------------------------------- */

int mc__posix_err(int e) {
  switch (e) {
  case 0:
    return MC_OK;
  case ENOENT:
    return MC_ENOENT;
  case EEXIST:
    return MC_EEXIST;
  case EACCES:
  case EPERM:
    return MC_EACCES;
  case ENOMEM:
  case ENOSPC:
  case EFBIG:
    return MC_ENOMEM;
  case EINVAL:
  case ENAMETOOLONG:
    return MC_EINVAL;
  case ETIMEDOUT:
    return MC_ETIMEDOUT;
  case ENOSYS:
  case EOPNOTSUPP:
    return MC_ENOTSUP;
  default:
    return MC_ESYS;
  }
}

int mc__posix_fail(const char *call, const char *object) {
  int e = errno;
  mc__os_fail(e, call, object);
  return mc__posix_err(e);
}

/* ---- system call seam ----------------------------------------------------------------- */

static struct {
  int (*shm_open)(const char *, int, mode_t);
  int (*ftruncate)(int, off_t);
  void *(*mmap)(void *, size_t, int, int, int, off_t);
  uid_t (*geteuid)(void);
} sys = {shm_open, ftruncate, mmap, geteuid};

int mc__plat_syscall_override(const char *call, void (*fn)(void)) {
  /* Casting between function pointer types and back is well-defined; the seam stores the
     caller's pointer as the real type and only tests use it. */
  if (strcmp(call, "shm_open") == 0)
    sys.shm_open = fn ? (int (*)(const char *, int, mode_t))fn : shm_open;
  else if (strcmp(call, "ftruncate") == 0)
    sys.ftruncate = fn ? (int (*)(int, off_t))fn : ftruncate;
  else if (strcmp(call, "mmap") == 0)
    sys.mmap = fn ? (void *(*)(void *, size_t, int, int, int, off_t))fn : mmap;
  else if (strcmp(call, "geteuid") == 0)
    sys.geteuid = fn ? (uid_t(*)(void))fn : geteuid;
  else
    return MC_ENOENT;
  return MC_OK;
}

/* ---- time, scheduling, randomness ----------------------------------------------------- */

uint64_t mc__plat_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mc__posix_timespec(uint64_t deadline, struct timespec *ts) {
  ts->tv_sec = (time_t)(deadline / 1000000000ull);
  ts->tv_nsec = (long)(deadline % 1000000000ull);
}

void mc__plat_yield(void) {
  sched_yield();
}

int mc__plat_current_cpu(void) {
  return sched_getcpu(); /* a vDSO call on Linux: no system call */
}

int mc__plat_random(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return mc__posix_fail("getrandom", "");
    }
    p += got;
    n -= (size_t)got;
  }
  return MC_OK;
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

/* ---- named regions -------------------------------------------------------------------- */

static int map_fail(mc__plat_map *m, int rc) {
  mc__plat_map_close(m);
  return rc;
}

/* Grows the object to at least `bytes` without ever shrinking it (posix_fallocate), so
   that several processes may do it at once. */
static int grow_to(int fd, uint64_t bytes, const char *path) {
  int e = posix_fallocate(fd, 0, (off_t)bytes);
  if (e == EOPNOTSUPP || e == EINVAL) {
    /* A file system without fallocate: grow with ftruncate, only if still smaller (a narrow
       race with another grower remains there, where tmpfs has none). */
    struct stat st;
    if (fstat(fd, &st) != 0) return mc__posix_fail("fstat", path);
    e = (uint64_t)st.st_size < bytes && sys.ftruncate(fd, (off_t)bytes) != 0 ? errno : 0;
  }
  if (e == 0) return MC_OK;
  errno = e;
  return mc__posix_fail("posix_fallocate", path);
}

static int create_new(int fd, const char *path, const mc__map_req *rq, mc__plat_map *m) {
  int rc = MC_OK;
  m->fd = fd;
  /* shm_open applied the umask; the caller asked for exactly rq->mode. */
  if (fchmod(fd, (mode_t)rq->mode) != 0) rc = mc__posix_fail("fchmod", path);
  /* Only the header now: the caller claims the object first and then commits the rest, so
     that a creator that stalls here and loses its object to a take-over never resizes it. */
  if (rc == MC_OK) rc = grow_to(fd, rq->probe, path);
  if (rc == MC_OK) {
    void *p = sys.mmap(NULL, rq->reserve, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
      rc = mc__posix_fail("mmap", path);
    else {
      m->base = p;
      m->reserve = rq->reserve;
      m->committed = rq->probe;
    }
  }
  if (rc != MC_OK) {
    /* Nobody can have used an object that was never initialised: remove it again. */
    shm_unlink(path);
    return map_fail(m, rc);
  }
  return MC_OK;
}

static int open_existing(int fd, const char *path, const mc__map_req *rq, mc__plat_map *m) {
  struct stat st;
  m->fd = fd;
  if (fstat(fd, &st) != 0) return map_fail(m, mc__posix_fail("fstat", path));
  if (!rq->any_user && st.st_uid != sys.geteuid()) {
    mc__os_fail(EACCES, "owner check", path);
    return map_fail(m, MC_EACCES);
  }
  if (st.st_size > 0 && (uint64_t)st.st_size < rq->probe) {
    /* Our creators size a new object to at least a header in one step: this is not ours. */
    mc__os_fail(EINVAL, "size check", path);
    return map_fail(m, MC_ECORRUPT);
  }
  if (st.st_size == 0) {
    /* Its creator has not sized it yet. Growing it to the header size lets us map the
       header and wait for READY there; it never shrinks what the creator did. */
    int rc = grow_to(fd, rq->probe, path);
    if (rc != MC_OK) return map_fail(m, rc);
  }
  void *p = sys.mmap(NULL, rq->probe, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return map_fail(m, mc__posix_fail("mmap", path));
  m->base = p;
  m->reserve = m->committed = rq->probe;
  return MC_OK;
}

int mc__plat_map_open(const mc__objname *n, const mc__map_req *rq, mc__plat_map *m, int *created,
                      int *abandoned) {
  char path[256];
  memset(m, 0, sizeof *m);
  m->fd = -1;
  *created = *abandoned = 0;
  int rc = mc__name_os(n, "", path, sizeof path);
  if (rc != MC_OK) return rc;
  for (;;) {
    if (rq->how != MC__MAP_OPEN_ONLY) {
      int fd = sys.shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)rq->mode);
      if (fd >= 0) {
        rc = create_new(fd, path, rq, m);
        if (rc == MC_OK) *created = 1;
        return rc;
      }
      if (errno != EEXIST) return mc__posix_fail("shm_open", path);
      if (rq->how == MC__MAP_CREATE_ONLY) return MC_EEXIST;
    }
    int fd = sys.shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd >= 0) return open_existing(fd, path, rq, m);
    /* Removed between our two calls: create it after all, while time remains. */
    if (errno == ENOENT && rq->how == MC__MAP_EITHER && !mc__deadline_passed(rq->deadline))
      continue;
    if (errno == ENOENT) return MC_ENOENT;
    return mc__posix_fail("shm_open", path);
  }
}

int mc__plat_map_linked(mc__plat_map *m) {
  struct stat st;
  if (fstat(m->fd, &st) != 0) return 1; /* cannot tell; assume it still stands */
  return st.st_nlink > 0;
}

static int object_size(mc__plat_map *m, uint64_t *bytes) {
  struct stat st;
  if (fstat(m->fd, &st) != 0) return mc__posix_fail("fstat", "region");
  *bytes = (uint64_t)st.st_size;
  return MC_OK;
}

int mc__plat_map_reserve(mc__plat_map *m, uint64_t reserve, uint64_t committed) {
  uint64_t have;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  if (have < committed || committed > reserve) return MC_ECORRUPT;
  if (reserve != m->reserve) {
    void *p = sys.mmap(NULL, reserve, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (p == MAP_FAILED) return mc__posix_fail("mmap", "region");
    munmap(m->base, m->reserve);
    m->base = p;
    m->reserve = reserve;
  }
  m->committed = committed;
  return MC_OK;
}

int mc__plat_map_commit(mc__plat_map *m, uint64_t bytes) {
  if (bytes > m->reserve) return MC_ENOSPC;
  uint64_t have;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  /* Callers serialise growth (region lock), so a larger size is never cut back here. */
  if (have < bytes && sys.ftruncate(m->fd, (off_t)bytes) != 0)
    return mc__posix_fail("ftruncate", "region");
  if (bytes > m->committed) m->committed = bytes;
  return MC_OK;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22 /* Linux 5.14; older headers lack the names */
#define MADV_POPULATE_WRITE 23
#endif

void mc__plat_map_prefault(mc__plat_map *m, uint64_t offset, uint64_t len, int write) {
  if (offset >= m->committed) return;
  len = MC__MIN(len, m->committed - offset);
  unsigned char *p = m->base + offset;
  if (madvise(p, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0) return;
  /* An older kernel: touch each page (a read maps it; a write, by its only user, allocates). */
  for (uint64_t i = 0; i < len; i += 4096) {
    volatile unsigned char *b = p + i;
    unsigned char v = *b;
    if (write) *b = v;
  }
}

int mc__plat_map_intact(mc__plat_map *m) {
  uint64_t have;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  if (have >= m->committed) return MC_OK;
  mc__debug("mapping cut short: %llu bytes of %llu", (unsigned long long)have,
            (unsigned long long)m->committed);
  return MC_ECORRUPT;
}

void mc__plat_map_init_done(mc__plat_map *m) {
  MC__UNUSED(m); /* POSIX openers wait on the header's READY state instead */
}

void mc__plat_map_close(mc__plat_map *m) {
  if (m->base) munmap(m->base, m->reserve);
  if (m->fd >= 0) close(m->fd);
  m->base = NULL;
  m->fd = -1;
  m->reserve = m->committed = 0;
}

int mc__plat_map_unlink(const mc__objname *n) {
  char path[256];
  int rc = mc__name_os(n, "", path, sizeof path);
  if (rc != MC_OK) return rc;
  if (shm_unlink(path) == 0) return MC_OK;
  if (errno == ENOENT) return MC_ENOENT;
  return mc__posix_fail("shm_unlink", path);
}

int mc__plat_names_outlive_handles(void) {
  return 1;
}
