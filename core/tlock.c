/* The token lock: see tlock.h.
 *
 * Order matters for recognising a dead holder: a holder sets owner (CAS), then
 * owner_token; it clears owner_token before it clears owner. A waiter that reads owner o
 * and then owner_token t knows: t == 0, o is coming or going (alive); t != 0 and dead, o's
 * process is gone for good (so o cannot be re-taken by it), and o may be taken over with a
 * CAS from o. */
#include "tlock.h"

#define SPIN_ROUNDS       200
#define LIVENESS_SLICE_NS 10000000ull

int mc__tlock_bind(mc__tlock *l, mc__region *r, mc__tlock_shared *s, uint64_t offset) {
  l->s = s;
  do {
    int rc = mc__plat_random(&l->id, sizeof l->id);
    if (rc != MC_OK) return rc;
  } while (l->id == 0);
  mc__plat_futex_bind(&l->wake, &s->wake, &r->name, offset + offsetof(mc__tlock_shared, wake));
  return MC_OK;
}

void mc__tlock_unbind(mc__tlock *l) {
  mc__plat_futex_unbind(&l->wake);
  l->s = NULL;
}

static int try_take(mc__tlock *l) {
  uint64_t z = 0;
  if (!atomic_compare_exchange_strong_explicit(&l->s->owner, &z, l->id, memory_order_acquire,
                                               memory_order_relaxed))
    return 0;
  atomic_store_explicit(&l->s->owner_token, mc__plat_self_token(), memory_order_relaxed);
  return 1;
}

/* Takes the lock from holder o if its process died; 1 if we have it now. */
static int take_from_dead(mc__tlock *l, uint64_t o) {
  mc__tlock_shared *s = l->s;
  uint64_t t = atomic_load_explicit(&s->owner_token, memory_order_acquire);
  if (t == 0 || mc__plat_token_alive(t)) return 0;
  if (!atomic_compare_exchange_strong(&s->owner, &o, l->id)) return 0;
  atomic_store_explicit(&s->owner_token, mc__plat_self_token(), memory_order_relaxed);
  atomic_fetch_add(&s->takeovers, 1);
  return 1;
}

int mc__tlock_acquire(mc__tlock *l, mc__timeout *to) {
  mc__tlock_shared *s = l->s;
  if (try_take(l)) return MC_OK;
  uint64_t deadline = mc__timeout_deadline(to);
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
    if (o == l->id) return MC_ESTATE; /* not recursive: this would never end */
    if (check_owner && o && take_from_dead(l, o)) return MC_EOWNERDEAD;
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&l->wake, seq, mc__deadline_slice(deadline, LIVENESS_SLICE_NS));
    if (rc == MC_ETIMEDOUT)
      check_owner = 1; /* nobody released for a whole slice: is the holder still there? */
    else if (rc != MC_OK)
      return rc;
  }
}

int mc__tlock_release(mc__tlock *l) {
  mc__tlock_shared *s = l->s;
  if (atomic_load_explicit(&s->owner, memory_order_relaxed) != l->id) return MC_ESTATE;
  atomic_store_explicit(&s->owner_token, 0, memory_order_relaxed);
  uint64_t me = l->id;
  if (!atomic_compare_exchange_strong_explicit(&s->owner, &me, 0, memory_order_release,
                                               memory_order_relaxed))
    return MC_ESTATE;
  /* Always bump: a waiter may be between its snapshot and its sleep. */
  atomic_fetch_add_explicit(&s->wake.value, 1, memory_order_seq_cst);
  int w = mc__plat_futex_wake(&l->wake, 1);
  return w < 0 ? w : MC_OK;
}
