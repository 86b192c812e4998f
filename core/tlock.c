/* The token lock: see tlock.h. */
#include "tlock.h"

#define SPIN_ROUNDS 200
#define LIVENESS_SLICE_NS 10000000ull

void mc__tlock_bind(mc__tlock *l, mc__region *r, mc__tlock_shared *s, uint64_t offset) {
  l->s = s;
  l->me = mc__plat_self_token();
  mc__plat_futex_bind(&l->wake, &s->wake, &r->name, offset + offsetof(mc__tlock_shared, wake));
}

void mc__tlock_unbind(mc__tlock *l) {
  mc__plat_futex_unbind(&l->wake);
  l->s = NULL;
}

static int try_take(mc__tlock *l) {
  uint64_t z = 0;
  return atomic_compare_exchange_strong_explicit(&l->s->owner, &z, l->me, memory_order_acquire,
                                                 memory_order_relaxed);
}

int mc__tlock_acquire(mc__tlock *l, uint64_t deadline) {
  mc__tlock_shared *s = l->s;
  l->me = mc__plat_self_token(); /* cached; re-read in case this process was forked */
  if (try_take(l)) return MC_OK;
  for (int i = 0; i < SPIN_ROUNDS; i++) {
    mc__cpu_relax();
    if (atomic_load_explicit(&s->owner, memory_order_relaxed) == 0 && try_take(l)) return MC_OK;
  }
  int check_owner = 0;
  for (;;) {
    /* Snapshot the wake word before looking, so a release in between is not slept through. */
    uint32_t seq = atomic_load_explicit(&s->wake.value, memory_order_seq_cst);
    if (try_take(l)) return MC_OK;
    uint64_t owner = atomic_load_explicit(&s->owner, memory_order_acquire);
    if (owner == l->me) return MC_ESTATE; /* not recursive: this would never end */
    if (check_owner && owner && !mc__plat_token_alive(owner) &&
        atomic_compare_exchange_strong(&s->owner, &owner, l->me)) {
      atomic_fetch_add(&s->takeovers, 1);
      return MC_EOWNERDEAD;
    }
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&l->wake, seq, mc__deadline_slice(deadline, LIVENESS_SLICE_NS));
    if (rc == MC_ETIMEDOUT)
      check_owner = 1; /* nobody released for a whole slice: is the owner still there? */
    else if (rc != MC_OK)
      return rc;
  }
}

int mc__tlock_release(mc__tlock *l) {
  uint64_t me = l->me;
  if (!atomic_compare_exchange_strong_explicit(&l->s->owner, &me, 0, memory_order_release,
                                               memory_order_relaxed))
    return MC_ESTATE;
  /* Always bump: a waiter may be between its snapshot and its sleep. */
  atomic_fetch_add_explicit(&l->s->wake.value, 1, memory_order_seq_cst);
  int w = mc__plat_futex_wake(&l->wake, 1);
  return w < 0 ? w : MC_OK;
}
