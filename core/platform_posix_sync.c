/* POSIX backend: futex words and robust locks. See core/platform.h for the rules. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform_posix.h"

/* ---- futex words ---------------------------------------------------------------------- */

void mc__plat_futex_bind(mc__plat_futex *f, mc__futex_word *w, const mc__objname *n,
                         uint64_t offset) {
  MC__UNUSED(n);
  MC__UNUSED(offset);
  f->w = w;
  f->h = NULL;
  f->name[0] = '\0';
}

int mc__plat_futex_wait(mc__plat_futex *f, uint32_t expected, uint64_t deadline) {
  mc__futex_word *w = f->w;
  int rc = MC_OK;
  /* Announce the sleeper before the kernel re-checks the word: a waker that changed the word
     and then read waiters == 0 (seq_cst, pairs with the fence in wake) did so before this
     increment, so the kernel's check below sees the new value and we do not sleep. */
  atomic_fetch_add_explicit(&w->waiters, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&w->value, memory_order_seq_cst) == expected) {
    struct timespec ts, *tsp = NULL;
    if (deadline != MC__NO_DEADLINE) {
      mc__posix_timespec(deadline, &ts);
      tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time: the same clock as our
       deadlines, so a long wait cannot drift. Not FUTEX_PRIVATE: other processes wake us. */
    long r = syscall(SYS_futex, (uint32_t *)&w->value, FUTEX_WAIT_BITSET, expected, tsp, NULL,
                     FUTEX_BITSET_MATCH_ANY);
    if (r != 0) {
      if (errno == ETIMEDOUT) {
        rc = mc__deadline_passed(deadline) ? MC_ETIMEDOUT : MC_OK;
      } else if (errno != EAGAIN && errno != EINTR) {
        rc = mc__posix_fail("futex(WAIT)", "");
      }
    }
  }
  atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
  return rc;
}

int mc__plat_futex_wake(mc__plat_futex *f, uint32_t count) {
  mc__futex_word *w = f->w;
  /* Pairs with the increment in wait: the caller's change of the word is ordered before
     this read of waiters. */
  atomic_thread_fence(memory_order_seq_cst);
  if (count == 0 || atomic_load_explicit(&w->waiters, memory_order_relaxed) == 0) return 0;
  int n = count > INT_MAX ? INT_MAX : (int)count;
  if (syscall(SYS_futex, (uint32_t *)&w->value, FUTEX_WAKE, n, NULL, NULL, 0) < 0)
    return mc__posix_fail("futex(WAKE)", "");
  return 1;
}

void mc__plat_futex_unbind(mc__plat_futex *f) {
  f->w = NULL;
}

/* ---- robust locks --------------------------------------------------------------------- */

_Static_assert(sizeof(pthread_mutex_t) <= MC__LOCK_SHARED_BYTES, "lock area too small");

int mc__plat_lock_bind(mc__plat_lock *l, void *shared, const mc__objname *n, const char *suffix,
                       int init) {
  MC__UNUSED(n);
  MC__UNUSED(suffix);
  l->shared = shared;
  l->h = NULL;
  if (!init) return MC_OK;
  pthread_mutexattr_t a;
  int e = pthread_mutexattr_init(&a);
  if (!e) e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (!e) e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (!e) e = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  if (!e) e = pthread_mutex_init((pthread_mutex_t *)shared, &a);
  pthread_mutexattr_destroy(&a);
  if (e) {
    errno = e;
    return mc__posix_fail("pthread_mutex_init", n ? n->base : "");
  }
  return MC_OK;
}

int mc__plat_lock_acquire(mc__plat_lock *l, uint64_t deadline) {
  pthread_mutex_t *mx = l->shared;
  int e;
  if (deadline == MC__NO_DEADLINE) {
    e = pthread_mutex_lock(mx);
  } else {
    struct timespec ts;
#if defined(__SANITIZE_THREAD__)
    /* ThreadSanitizer does not intercept pthread_mutex_clocklock, and would then take every
       unlock for an unlock of an unlocked mutex; in that build only, wait on the realtime
       clock instead (a clock step could stretch or shorten such a wait). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t rel = mc__deadline_passed(deadline) ? 0 : deadline - mc__plat_now_ns();
    uint64_t abs_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec + rel;
    mc__posix_timespec(abs_ns, &ts);
    e = pthread_mutex_timedlock(mx, &ts);
#else
    mc__posix_timespec(deadline, &ts);
    e = pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &ts);
#endif
  }
  switch (e) {
  case 0:
    return MC_OK;
  case EOWNERDEAD:
    /* We hold it now. Callers keep their shared state consistent at every store, so the
       lock itself can be declared consistent at once; MC_EOWNERDEAD tells them what
       happened. */
    pthread_mutex_consistent(mx);
    return MC_EOWNERDEAD;
  case ETIMEDOUT:
    return MC_ETIMEDOUT;
  case ENOTRECOVERABLE:
  case EINVAL: /* the shared bytes are not a mutex any more */
    mc__os_fail(e, "pthread_mutex_lock", "");
    return MC_ECORRUPT;
  default:
    errno = e;
    return mc__posix_fail("pthread_mutex_lock", "");
  }
}

int mc__plat_lock_release(mc__plat_lock *l) {
  int e = pthread_mutex_unlock((pthread_mutex_t *)l->shared);
  if (e == 0) return MC_OK;
  if (e == EPERM) return MC_ESTATE;
  errno = e;
  return mc__posix_fail("pthread_mutex_unlock", "");
}

void mc__plat_lock_unbind(mc__plat_lock *l) {
  l->shared = NULL;
}
