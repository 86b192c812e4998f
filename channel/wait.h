/* How a channel side waits for the other, and how the other wakes it (wait.c): the spin,
 * yield and sleep strategy and the announce-then-sleep protocol. */
#ifndef MC_CHAN_WAIT_H
#define MC_CHAN_WAIT_H

#include "chan.h"

typedef int (*mc__chan_ready_fn)(mc_chan *ch);                 /* 1 ready, 0 not yet, < 0 error */
typedef int (*mc__chan_gone_fn)(mc_chan *ch, mc__timeout *to); /* MC_E* when the peer is gone */
/* Waits until ready(ch), for a caller whose first look found it not ready (mc__chan_await
   makes that look): spins for the channel's spin time (longer while the peer is busy
   with a large message; yields instead when the peer runs on our CPU or we may only use
   one), then announces itself and sleeps until woken, calling gone(ch) before each sleep (it
   decides whether waiting still makes sense). *waits counts the calls that had to wait.
   Returns MC_OK, MC_ETIMEDOUT, or gone's / ready's error. */
int mc__chan_wait(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                  const mc__chan_side *side, mc__timeout *to, uint64_t *waits);
/* mc__chan_wait with the first look inlined: the common case, a ready peer, costs one
   load and no call. */
static inline int mc__chan_await(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                                 const mc__chan_side *side, mc__timeout *to, uint64_t *waits) {
  int r = ready(ch);
  if (r) return r < 0 ? r : MC_OK;
  return mc__chan_wait(ch, ready, gone, side, to, waits);
}
/* Leaves a hint of the CPU this side runs on (wait.c decides to yield rather than spin when
   its peer shares its CPU). Called as a side waits, and as it publishes once every
   MC__HINT_EVERY messages (a lookup costs more than the rest of a small send), so that a
   peer that only ever waits in the other direction knows too; written only when it
   changes. */
#define MC__HINT_EVERY 64
static inline void mc__chan_hint_cpu(_Atomic int32_t *slot) {
  int32_t me = mc__plat_current_cpu();
  if (me != atomic_load_explicit(slot, memory_order_relaxed))
    atomic_store_explicit(slot, me, memory_order_relaxed);
}
/* The data path's hint: `count` is the side's message count. */
static inline void mc__chan_hint_cpu_every(_Atomic int32_t *slot, uint64_t count) {
  if (count % MC__HINT_EVERY == 0) mc__chan_hint_cpu(slot);
}
/* Wakes every sleeper of `side` that announced itself (taking the whole mask, then bumping
   its word). Counts issued wake-ups in ch->stats.wakeups. */
void mc__chan_wake(mc_chan *ch, const mc__chan_side *side);
/* Makes every sleeper of `side` look again, announced or not (end of stream, a closing end):
   bumps its word and wakes. */
void mc__chan_kick(mc_chan *ch, const mc__chan_side *side);
/* The other side's half of the protocol, after publishing: while nobody sleeps, a fence and
   one load. */
#ifdef __SANITIZE_THREAD__
/* gcc rejects a standalone fence inlined into another function under TSan (-Wtsan), which
   does not model fences anyway: out of line there. */
void mc__chan_fence(void);
void mc__chan_fence_acquire(void);
#else
static inline void mc__chan_fence(void) {
  atomic_thread_fence(memory_order_seq_cst);
}
static inline void mc__chan_fence_acquire(void) {
  atomic_thread_fence(memory_order_acquire);
}
#endif
static inline void mc__chan_notify(mc_chan *ch, const mc__chan_side *side) {
  mc__chan_fence(); /* our publish before reading `waiting` */
  if (atomic_load_explicit(side->waiting, memory_order_relaxed)) mc__chan_wake(ch, side);
}
/* mc__chan_notify for a ring receiver that has freed space up to `pos` (its new tail or
   cursor): blocking senders asked, in `want`, for the tail that gives them the room they wait
   for, and stay asleep until it is reached; a sender that waits on its OS handle is woken at
   once (it cannot look again by itself). The acquire load pairs with the announcement, which
   the sender makes after storing `want`. */
static inline void mc__chan_notify_room(mc_chan *ch, const mc__chan_side *side,
                                        _Atomic uint64_t *want, uint64_t pos) {
  mc__chan_fence(); /* our publish before reading `waiting` */
  uint64_t w = atomic_load_explicit(side->waiting, memory_order_acquire);
  if (!w) return;
  if (pos >= atomic_load_explicit(want, memory_order_relaxed) ||
      (w & atomic_load_explicit(side->notify, memory_order_relaxed)))
    mc__chan_wake(ch, side);
}

#endif
