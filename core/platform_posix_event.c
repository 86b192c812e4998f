/* POSIX backend: named events and semaphores as futex words in shared memory.
 * See core/platform.h for the rules; docs/layout.md for the shared bytes. */
#include "internal.h"

#include <string.h>

/* ---- events ----------------------------------------------------------------------------
 * Auto-reset: `tokens` counts releases not yet taken; a waiter takes one. A set adds a token
 * only while tokens <= sleepers: with k sleepers the first k sets each release one of them
 * and one more set leaves the event set; with none, a set on a set event changes nothing -
 * exactly Win32's SetEvent. Sleepers register their identity (not a bare count), so one
 * killed while waiting is recognised and not counted.
 * Manual-reset: `tokens` is (generation << 1) | signalled. Every set that signals bumps the
 * generation, so a waiter asleep at the time of a set is released by it even if a reset
 * follows before the waiter runs - as Win32 releases every thread waiting at SetEvent. */
#define EVENT_SLEEPERS 62

typedef struct posix_event {
  mc__futex_word tokens;                      /*  0 */
  uint32_t manual;                            /*  8 */
  uint32_t reserved;                          /* 12 */
  _Atomic uint64_t sleepers[EVENT_SLEEPERS]; /* 16 tokens of waiting processes, 0 = free */
} posix_event;
_Static_assert(sizeof(posix_event) == MC__EVENT_SHARED_BYTES, "event layout");

int mc__plat_event_bind(mc__plat_event *e, void *shared, const mc__objname *n, uint64_t offset,
                        int manual, int initially_set, int init) {
  posix_event *ev = shared;
  e->shared = shared;
  e->h = NULL;
  e->manual = manual;
  if (init) {
    memset(ev, 0, sizeof *ev);
    ev->manual = (uint32_t)manual;
    atomic_store_explicit(&ev->tokens.value, initially_set ? 1u : 0u, memory_order_relaxed);
  }
  mc__plat_futex_bind(&e->f, &ev->tokens, n, offset + offsetof(posix_event, tokens));
  return MC_OK;
}

/* Sleepers still alive; dead ones' slots are freed on the way (only when it matters: the
   caller asks only when a token is already pending). */
static uint32_t live_sleepers(posix_event *ev, int check_alive) {
  uint32_t n = 0;
  for (int i = 0; i < EVENT_SLEEPERS; i++) {
    uint64_t t = atomic_load_explicit(&ev->sleepers[i], memory_order_seq_cst);
    if (!t) continue;
    if (check_alive && !mc__plat_token_alive(t)) {
      atomic_compare_exchange_strong(&ev->sleepers[i], &t, 0);
      continue;
    }
    n++;
  }
  return n;
}

int mc__plat_event_set(mc__plat_event *e) {
  posix_event *ev = e->shared;
  if (e->manual) {
    uint32_t v = atomic_load_explicit(&ev->tokens.value, memory_order_relaxed);
    do {
      if (v & 1) return MC_OK; /* already set: waiters were released when it was set */
    } while (!atomic_compare_exchange_weak(&ev->tokens.value, &v, (v + 2) | 1));
    int w = mc__plat_futex_wake(&e->f, MC__WAKE_ALL);
    return w < 0 ? w : MC_OK;
  }
  uint32_t t = atomic_load_explicit(&ev->tokens.value, memory_order_seq_cst);
  for (;;) {
    if (t > 0 && t > live_sleepers(ev, 1)) return MC_OK; /* already set: nothing changes */
    if (atomic_compare_exchange_weak(&ev->tokens.value, &t, t + 1)) break;
  }
  int w = mc__plat_futex_wake(&e->f, 1);
  return w < 0 ? w : MC_OK;
}

int mc__plat_event_reset(mc__plat_event *e) {
  posix_event *ev = e->shared;
  if (e->manual)
    atomic_fetch_and_explicit(&ev->tokens.value, ~1u, memory_order_seq_cst);
  else
    atomic_store_explicit(&ev->tokens.value, 0, memory_order_seq_cst);
  return MC_OK;
}

/* Takes (auto) or observes (manual) a release. `seen` is the manual word when the wait
   began: a new generation since then releases us even if the event is reset again. */
static int take(mc__plat_event *e, posix_event *ev, uint32_t seen) {
  uint32_t t = atomic_load_explicit(&ev->tokens.value, memory_order_acquire);
  if (e->manual) return (t & 1) || (t >> 1) != (seen >> 1);
  while (t > 0)
    if (atomic_compare_exchange_weak_explicit(&ev->tokens.value, &t, t - 1,
                                              memory_order_acquire, memory_order_acquire))
      return 1;
  return 0;
}

int mc__plat_event_wait(mc__plat_event *e, uint64_t deadline) {
  posix_event *ev = e->shared;
  uint64_t me = 0;
  int slot = -1, rc = MC_OK;
  uint32_t seen = atomic_load_explicit(&ev->tokens.value, memory_order_acquire);
  for (;;) {
    if (take(e, ev, seen)) break;
    if (mc__deadline_passed(deadline)) {
      rc = MC_ETIMEDOUT;
      break;
    }
    if (slot < 0 && !me) {
      /* Register before sleeping, so that sets count us; a full table only costs the
         several-sets-at-once case its precision. */
      me = mc__plat_self_token();
      for (int i = 0; i < EVENT_SLEEPERS && slot < 0; i++) {
        uint64_t z = 0;
        if (atomic_compare_exchange_strong(&ev->sleepers[i], &z, me)) slot = i;
      }
      continue; /* re-check tokens now that we are counted */
    }
    /* Sleep while the word is what made us wait: 0 (auto) or unchanged (manual). */
    rc = mc__plat_futex_wait(&e->f, e->manual ? seen : 0, deadline);
    if (rc != MC_OK && rc != MC_ETIMEDOUT) break;
    rc = MC_OK;
  }
  if (slot >= 0) atomic_compare_exchange_strong(&ev->sleepers[slot], &me, 0);
  return rc;
}

void mc__plat_event_unbind(mc__plat_event *e) {
  mc__plat_futex_unbind(&e->f);
  e->shared = NULL;
}

/* ---- semaphores -------------------------------------------------------------------------- */

typedef struct posix_sem {
  mc__futex_word count; /* 0 */
  uint32_t max;         /* 8 */
  uint8_t reserved[MC__SEM_SHARED_BYTES - 12];
} posix_sem;
_Static_assert(sizeof(posix_sem) == MC__SEM_SHARED_BYTES, "semaphore layout");

int mc__plat_sem_bind(mc__plat_sem *s, void *shared, const mc__objname *n, uint64_t offset,
                      uint32_t initial, uint32_t max, int init) {
  posix_sem *ps = shared;
  s->shared = shared;
  s->h = NULL;
  s->max = max;
  if (init) {
    memset(ps, 0, sizeof *ps);
    ps->max = max;
    atomic_store_explicit(&ps->count.value, initial, memory_order_relaxed);
  }
  mc__plat_futex_bind(&s->f, &ps->count, n, offset + offsetof(posix_sem, count));
  return MC_OK;
}

int mc__plat_sem_post(mc__plat_sem *s, uint32_t count) {
  posix_sem *ps = s->shared;
  uint32_t c = atomic_load_explicit(&ps->count.value, memory_order_relaxed);
  do {
    /* The count is shared: a value past max (corruption) refuses posts instead of wrapping. */
    if (count > s->max || c > s->max - count) return MC_ERANGE;
  } while (!atomic_compare_exchange_weak_explicit(&ps->count.value, &c, c + count,
                                                  memory_order_release, memory_order_relaxed));
  int w = mc__plat_futex_wake(&s->f, count);
  return w < 0 ? w : MC_OK;
}

int mc__plat_sem_wait(mc__plat_sem *s, uint64_t deadline) {
  posix_sem *ps = s->shared;
  for (;;) {
    uint32_t c = atomic_load_explicit(&ps->count.value, memory_order_acquire);
    while (c > 0)
      if (atomic_compare_exchange_weak_explicit(&ps->count.value, &c, c - 1,
                                                memory_order_acquire, memory_order_acquire))
        return MC_OK;
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&s->f, 0, deadline);
    if (rc != MC_OK && rc != MC_ETIMEDOUT) return rc;
  }
}

void mc__plat_sem_unbind(mc__plat_sem *s) {
  mc__plat_futex_unbind(&s->f);
  s->shared = NULL;
}
