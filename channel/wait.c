/* How a channel side waits for the other: spin, or yield, then sleep.
 *
 * Waking a process that sleeps on another core is slow (tens of microseconds), while a peer
 * that is about to answer usually does so within a few: so a waiter first spins, re-reading
 * the shared index with a CPU relax hint, for the channel's spin time. With one usable CPU
 * spinning is useless (the peer cannot run while we spin), so it yields instead. Only then
 * does it sleep:
 *
 *   waiter                                  the other side
 *   s = futex word                          publish the index (release)
 *   waiting = 1            (seq_cst)        fence (seq_cst)
 *   look again: ready? -> waiting = 0       if exchange(waiting, 0) == 1:
 *   futex_wait(word, s)                         word++, futex_wake
 *
 * Either the waiter's second look sees the new index, or the other side sees waiting == 1
 * and bumps the word, which the futex compares with s: no wake-up is lost, and while nobody
 * sleeps the other side makes no system call at all. Sleeps are sliced so that a dead peer
 * (which wakes nobody) is noticed. */
#include "chan_internal.h"

#define PEER_SLICE_NS 10000000ull
#define CLOCK_EVERY   32 /* spin iterations between clock reads */

void mc__chan_notify(mc_chan *ch, _Atomic uint32_t *waiting, mc__plat_futex *f) {
  atomic_thread_fence(memory_order_seq_cst); /* our publish before reading `waiting` */
  if (!atomic_load_explicit(waiting, memory_order_relaxed)) return;
  if (!atomic_exchange_explicit(waiting, 0, memory_order_seq_cst)) return;
  atomic_fetch_add_explicit(&f->w->value, 1, memory_order_seq_cst);
  if (mc__plat_futex_wake(f, MC__WAKE_ALL) == 1) ch->stats.wakeups++;
}

/* Whether the peer can run while we wait: not if it is on our CPU, or if we may only use
   one (the affinity is looked at again every AFFINITY_NS: a process may be pinned at any
   time). Then spinning only delays it, and we yield instead. */
#define AFFINITY_NS 100000000ull
static int should_yield(mc_chan *ch, _Atomic int32_t *my_cpu, _Atomic int32_t *peer_cpu,
                        uint64_t now) {
  if (now >= ch->next_cpu_check) {
    ch->one_cpu = mc__plat_cpus_usable() == 1;
    ch->next_cpu_check = now + AFFINITY_NS;
  }
  int32_t me = mc__plat_current_cpu();
  atomic_store_explicit(my_cpu, me, memory_order_relaxed); /* a hint for the peer */
  return ch->one_cpu || (me >= 0 && me == atomic_load_explicit(peer_cpu, memory_order_relaxed));
}

/* Spins (or yields) until ready or the spin time is up. */
static int spin_phase(mc_chan *ch, mc__chan_ready_fn ready, int yield, uint64_t now,
                      uint64_t deadline) {
  uint64_t end = now + (uint64_t)ch->spin_us * 1000;
  if (end > deadline) end = deadline;
  for (;;) {
    for (int i = 0; i < CLOCK_EVERY; i++) {
      int r = ready(ch);
      if (r) return r;
      if (yield)
        mc__plat_yield();
      else
        mc__cpu_relax();
    }
    if (mc__plat_now_ns() >= end) return 0;
  }
}

int mc__chan_wait(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                  _Atomic uint32_t *waiting, mc__plat_futex *f, _Atomic int32_t *my_cpu,
                  _Atomic int32_t *peer_cpu, uint64_t deadline, uint64_t *waits) {
  int r = ready(ch);
  if (r) return r < 0 ? r : MC_OK;
  (*waits)++;
  if (ch->spin_us > 0 && !mc__deadline_passed(deadline)) {
    uint64_t now = mc__plat_now_ns();
    r = spin_phase(ch, ready, should_yield(ch, my_cpu, peer_cpu, now), now, deadline);
    if (r) return r < 0 ? r : MC_OK;
  }
  for (;;) {
    uint32_t s = atomic_load_explicit(&f->w->value, memory_order_seq_cst);
    atomic_store_explicit(waiting, 1, memory_order_seq_cst);
    r = ready(ch);
    int g = r ? 0 : gone(ch, 0); /* liveness itself is looked at once per slice at most */
    /* The peer went away: it may have published its last message just before. */
    if (g) r = ready(ch);
    if (r || g || mc__deadline_passed(deadline)) {
      atomic_store_explicit(waiting, 0, memory_order_relaxed);
      if (r) return r < 0 ? r : MC_OK;
      return g ? g : MC_ETIMEDOUT;
    }
    int rc = mc__plat_futex_wait(f, s, mc__deadline_slice(deadline, PEER_SLICE_NS));
    if (rc != MC_OK && rc != MC_ETIMEDOUT) {
      atomic_store_explicit(waiting, 0, memory_order_relaxed);
      return rc;
    }
  }
}
