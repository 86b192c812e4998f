/* Linux: futex words (FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline,
 * FUTEX_WAKE; shared, not PRIVATE). See core/platform.h for the rules. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/posix/posix.h"

void mc__plat_futex_bind(mc__plat_futex *f, mc__futex_word *w, const mc__objname *n,
                         uint64_t offset) {
  MC__UNUSED(offset); /* the word itself is the futex */
  f->w = w;
  f->n = n;
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
        rc = mc__posix_fail("futex(WAIT)", f->n ? f->n->base : "");
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
    return mc__posix_fail("futex(WAKE)", f->n ? f->n->base : "");
  return 1;
}

void mc__plat_futex_unbind(mc__plat_futex *f) {
  f->w = NULL;
}
