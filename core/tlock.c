/* The token lock: see tlock.h. Every transition of `owner` is one CAS:
 *   free -> us (take), us -> free (give), dead holder -> us (take over).
 * A waiter snapshots `wake` before it looks at `owner`, and sleeps only while `wake` is
 * unchanged, so a release between its look and its sleep is never slept through. Between
 * sleeps (at most a liveness slice each) it asks whether the owner's process still lives. */
#include "tlock.h"

#define SPIN_ROUNDS 200

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

void mc__tlock_init_shared(mc__tlock_shared *s) {
  atomic_store_explicit(&s->owner, 0, memory_order_relaxed);
  atomic_store_explicit(&s->holder, 0, memory_order_relaxed);
  atomic_store_explicit(&s->wake.value, 0, memory_order_relaxed);
  atomic_store_explicit(&s->wake.waiters, 0, memory_order_relaxed);
  atomic_store_explicit(&s->takeovers, 0, memory_order_relaxed);
}

int mc__tlock_bind(mc__tlock *l, const mc__objname *n, mc__tlock_shared *s, uint64_t offset) {
  l->s = s;
  l->held = 0;
  l->next_owner_check = 0;
  l->own = 0;
  do {
    int rc = mc__plat_random(&l->id, sizeof l->id);
    if (rc != MC_OK) return rc;
  } while (l->id == 0);
  mc__plat_futex_bind(&l->wake, &s->wake, n, offset + offsetof(mc__tlock_shared, wake));
  return MC_OK;
}

void mc__tlock_unbind(mc__tlock *l) {
  mc__plat_futex_unbind(&l->wake);
  l->s = NULL;
  l->held = 0;
}

/* We own it now (owner == l->own): record which handle, for inspection only. */
static void got_it(mc__tlock *l) {
  l->held = 1;
  MC__CRASH(LOCK_TAKEN);
  atomic_store_explicit(&l->s->holder, l->id, memory_order_relaxed);
  MC__CRASH(LOCK_HELD);
}

static int try_take(mc__tlock *l) {
  uint64_t z = 0;
  /* Acquire: pairs with the release CAS of the previous holder, so we see what it wrote. */
  if (!atomic_compare_exchange_strong_explicit(&l->s->owner, &z, l->own, memory_order_acquire,
                                               memory_order_relaxed))
    return 0;
  got_it(l);
  return 1;
}

/* Takes the lock from owner o if o names no live process; 1 if we have it now. */
static int take_from_dead(mc__tlock *l, uint64_t o) {
  if (o == l->own || mc__plat_token_alive(o)) return 0; /* our process is alive, by definition */
  if (!atomic_compare_exchange_strong(&l->s->owner, &o, l->own)) return 0;
  l->held = 1;
  MC__CRASH(LOCK_TAKEOVER);
  atomic_fetch_add(&l->s->takeovers, 1);
  got_it(l);
  mc__debug("lock taken over from dead process %u", (unsigned)(uint32_t)o);
  return 1;
}

static int acquire(mc__tlock *l, mc__timeout *to, uint64_t deadline, int have_deadline) {
  mc__tlock_shared *s = l->s;
  if (l->held) return MC_ESTATE; /* not recursive: this would never end */
  l->own = mc__plat_self_token();
  if (try_take(l)) return MC_OK;
  if (!have_deadline) deadline = mc__timeout_deadline(to);
  for (int i = 0; i < SPIN_ROUNDS; i++) {
    mc__cpu_relax();
    if (atomic_load_explicit(&s->owner, memory_order_relaxed) == 0 && try_take(l)) return MC_OK;
  }
  int check_owner = 0;
  for (;;) {
    /* Snapshot the wake word before looking, so a release in between is not slept through. */
    uint32_t seq = atomic_load_explicit(&s->wake.value, memory_order_seq_cst);
    if (try_take(l)) return MC_OK;
    uint64_t o = atomic_load_explicit(&s->owner, memory_order_acquire);
    if (check_owner && o && take_from_dead(l, o)) return MC_EOWNERDEAD;
    if (mc__deadline_passed(deadline)) {
      /* A caller that never sleeps (timeout 0: a poll loop) must still get a dead holder's
         lock in the end: it looks at the owner itself, once a liveness slice per handle. */
      uint64_t now = mc__plat_now_ns();
      if (!check_owner && o && now >= l->next_owner_check) {
        l->next_owner_check = now + mc__liveness_slice();
        if (take_from_dead(l, o)) return MC_EOWNERDEAD;
      }
      return MC_ETIMEDOUT;
    }
    MC__CRASH(LOCK_SLEEP);
    int rc = mc__plat_futex_wait(&l->wake, seq, mc__deadline_liveness(deadline));
    if (rc == MC_ETIMEDOUT)
      check_owner = 1; /* nobody released for a whole slice: is the holder still there? */
    else if (rc != MC_OK)
      return rc;
  }
}

int mc__tlock_acquire(mc__tlock *l, mc__timeout *to) {
  return acquire(l, to, 0, 0);
}

int mc__tlock_acquire_by(mc__tlock *l, uint64_t deadline) {
  return acquire(l, NULL, deadline, 1);
}

int mc__tlock_release(mc__tlock *l) {
  mc__tlock_shared *s = l->s;
  if (!l->held) return MC_ESTATE;
  l->held = 0;
  uint64_t me = l->own;
  /* Release: what we wrote under the lock is seen by the next taker's acquire CAS. */
  if (!atomic_compare_exchange_strong_explicit(&s->owner, &me, 0, memory_order_release,
                                               memory_order_relaxed)) {
    mc__debug("lock owner overwritten while held (now %llx)", (unsigned long long)me);
    return MC_ECORRUPT;
  }
  MC__CRASH(LOCK_RELEASED);
  /* Always bump: a waiter may be between its snapshot and its sleep. */
  atomic_fetch_add_explicit(&s->wake.value, 1, memory_order_seq_cst);
  int w = mc__plat_futex_wake(&l->wake, 1);
  return w < 0 ? w : MC_OK;
}
