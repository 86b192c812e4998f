/* The robust single-writer/multi-reader guard.
 *
 * Holders are recorded by identity - the writer's token, one slot per reader - so a holder
 * that dies is recognised (its process is gone) and released by the next waiter: a waiter
 * sleeps at most LIVENESS_SLICE before it looks at the holders again. A dead writer sets
 * owner_died; every acquirer gets MC_EOWNERDEAD until a writer takes the guard (that writer
 * is told too, and is expected to repair the data).
 *
 * Writers are preferred: a waiting writer registers itself, and new readers wait while one
 * is registered, so a stream of readers cannot starve writers.
 *
 * Acquisition decides under a robust lock; release is lock-free (one CAS), so it never
 * blocks. Waiting follows the futex pattern: snapshot seq, then look at the state, then
 * sleep only while seq is unchanged; every release bumps seq after changing the state. */
#include "swmr.h"

#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

void mc__swmr_init_shared(mc__swmr_shared *s) {
  memset(s, 0, sizeof *s);
  mc__tlock_init_shared(&s->lock);
}

void mc__swmr_recover_shared(mc__swmr_shared *s) {
  if (atomic_load(&s->writer) != 0) atomic_store(&s->owner_died, 1); /* it died writing */
  atomic_store(&s->writer, 0);
  for (unsigned i = 0; i < MC__SWMR_READERS; i++) atomic_store(&s->readers[i], 0);
  for (unsigned i = 0; i < MC__SWMR_WRITERS_WAITING; i++) atomic_store(&s->waiting_writers[i], 0);
  atomic_store(&s->seq.waiters, 0); /* sleepers of the dead */
  mc__tlock_init_shared(&s->lock);
}

int mc__swmr_bind(mc__swmr *g, mc__region *r, mc__swmr_shared *s) {
  memset(g, 0, sizeof *g);
  g->s = s;
  g->slot = -1;
  int rc = mc__region_tlock(r, &g->lock, &s->lock);
  if (rc != MC_OK) return rc;
  mc__region_futex(r, &g->seq, &s->seq);
  return MC_OK;
}

void mc__swmr_unbind(mc__swmr *g) {
  if (g->held) mc__swmr_release(g);
  mc__plat_futex_unbind(&g->seq);
  mc__tlock_unbind(&g->lock);
  g->s = NULL;
}

static void bump(mc__swmr *g) {
  atomic_fetch_add_explicit(&g->s->seq.value, 1, memory_order_seq_cst);
  mc__plat_futex_wake(&g->seq, MC__WAKE_ALL);
}

/* Frees the writer slot if its process died. Caller holds the lock. */
static void reap_writer(mc__swmr *g) {
  mc__swmr_shared *s = g->s;
  uint64_t w = atomic_load(&s->writer);
  if (w && !mc__plat_token_alive(w) && atomic_compare_exchange_strong(&s->writer, &w, 0)) {
    atomic_store(&s->owner_died, 1);
    atomic_fetch_add(&s->reclaimed, 1);
    mc__debug("SWMR: writer %u died holding the guard", (unsigned)(uint32_t)w);
  }
}

/* Frees slots of dead processes in a token table; returns the live entries left. */
static unsigned reap_table(mc__swmr *g, _Atomic uint64_t *t, unsigned n, int check_alive) {
  unsigned live = 0;
  for (unsigned i = 0; i < n; i++) {
    uint64_t v = atomic_load(&t[i]);
    if (!v) continue;
    if (check_alive && !mc__plat_token_alive(v)) {
      if (atomic_compare_exchange_strong(&t[i], &v, 0)) atomic_fetch_add(&g->s->reclaimed, 1);
      continue;
    }
    live++;
  }
  return live;
}

static int claim_slot(_Atomic uint64_t *t, unsigned n, uint64_t token) {
  for (unsigned i = 0; i < n; i++) {
    uint64_t z = 0;
    if (atomic_load_explicit(&t[i], memory_order_relaxed) == 0 &&
        atomic_compare_exchange_strong(&t[i], &z, token))
      return (int)i;
  }
  return -1;
}

static void clear_slot(_Atomic uint64_t *t, int slot, uint64_t token) {
  if (slot >= 0) atomic_compare_exchange_strong(&t[slot], &token, 0);
}

/* One attempt under the lock. Returns MC_OK/MC_EOWNERDEAD when acquired, MC_ETIMEDOUT when
   the caller must wait. */
static int try_acquire(mc__swmr *g, int write, uint64_t me, int check_alive, int *wslot) {
  mc__swmr_shared *s = g->s;
  reap_writer(g);
  if (atomic_load(&s->writer) != 0) return MC_ETIMEDOUT;
  if (write) {
    if (reap_table(g, s->readers, MC__SWMR_READERS, check_alive) != 0) return MC_ETIMEDOUT;
    atomic_store(&s->writer, me);
    MC__CRASH(SWMR_WRITER_IN);
    clear_slot(s->waiting_writers, *wslot, me);
    *wslot = -1;
    g->held = MC__SWMR_WRITE;
    return atomic_exchange(&s->owner_died, 0) ? MC_EOWNERDEAD : MC_OK;
  }
  if (reap_table(g, s->waiting_writers, MC__SWMR_WRITERS_WAITING, check_alive) != 0)
    return MC_ETIMEDOUT; /* writers first */
  int slot = claim_slot(s->readers, MC__SWMR_READERS, me);
  if (slot < 0) {
    if (!check_alive) return MC_ETIMEDOUT;
    reap_table(g, s->readers, MC__SWMR_READERS, 1); /* full: maybe of the dead */
    slot = claim_slot(s->readers, MC__SWMR_READERS, me);
    if (slot < 0) return MC_ETIMEDOUT; /* 128 live readers: wait for one to leave */
  }
  MC__CRASH(SWMR_READER_IN);
  g->slot = slot;
  g->held = MC__SWMR_READ;
  return atomic_load(&s->owner_died) ? MC_EOWNERDEAD : MC_OK;
}

int mc__swmr_acquire(mc__swmr *g, int write, uint64_t deadline) {
  if (g->held) return MC_ESTATE;
  mc__swmr_shared *s = g->s;
  uint64_t me = mc__plat_self_token();
  int wslot = -1, check_alive = 0, rc;
  for (;;) {
    uint32_t seq = atomic_load_explicit(&s->seq.value, memory_order_seq_cst);
    rc = mc__tlock_acquire_by(&g->lock, deadline);
    if (rc == MC_EOWNERDEAD) rc = MC_OK; /* died mid-decision: every step is one atomic store */
    if (rc != MC_OK) break;
    MC__CRASH(SWMR_DECIDING);
    rc = try_acquire(g, write, me, check_alive, &wslot);
    if (rc == MC_ETIMEDOUT && write && wslot < 0) {
      wslot = claim_slot(s->waiting_writers, MC__SWMR_WRITERS_WAITING, me);
      if (wslot >= 0) MC__CRASH(SWMR_WRITER_WAITING);
    }
    mc__tlock_release(&g->lock);
    if (rc != MC_ETIMEDOUT) break;
    if (mc__deadline_passed(deadline)) break;
    uint64_t slice = mc__deadline_liveness(deadline);
    rc = mc__plat_futex_wait(&g->seq, seq, slice);
    if (rc == MC_ETIMEDOUT) {
      check_alive = 1; /* a holder may have died: look at their identities next time */
    } else if (rc != MC_OK) {
      break;
    }
  }
  if (wslot >= 0) {
    clear_slot(s->waiting_writers, wslot, me);
    bump(g); /* readers held back by our registration may go */
  }
  if (rc == MC_OK || rc == MC_EOWNERDEAD) MC__CRASH(SWMR_HELD);
  return rc;
}

int mc__swmr_release(mc__swmr *g) {
  mc__swmr_shared *s = g->s;
  uint64_t me = mc__plat_self_token();
  if (g->held == MC__SWMR_WRITE) {
    atomic_compare_exchange_strong(&s->writer, &me, 0);
  } else if (g->held == MC__SWMR_READ) {
    clear_slot(s->readers, g->slot, me);
    g->slot = -1;
  } else {
    return MC_ESTATE;
  }
  g->held = MC__SWMR_FREE;
  MC__CRASH(SWMR_OUT);
  bump(g);
  return MC_OK;
}
