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
 *   waiting |= my bit      (seq_cst)        fence (seq_cst)
 *   look again: ready? -> clear my bit      if exchange(waiting, 0) != 0:
 *   futex_wait(word, s)                         word++, futex_wake(all)
 *
 * Either the waiter's second look sees the new index, or the other side sees its bit and
 * bumps the word, which the futex compares with s: no wake-up is lost, and while nobody
 * sleeps the other side makes no system call at all. Sleeps are sliced so that a dead peer
 * (which wakes nobody) is noticed. */
#include "wait.h"

#define CLOCK_EVERY 32 /* spin iterations between clock reads */

#ifdef __SANITIZE_THREAD__
void mc__chan_fence(void) {
  atomic_thread_fence(memory_order_seq_cst);
}
void mc__chan_fence_acquire(void) {
  atomic_thread_fence(memory_order_acquire);
}
#endif

/* Bumps the word and wakes its sleepers; then signals those of `on_handles` that wait on
   their OS handles instead. */
static void wake_all(mc_chan *ch, const mc__chan_side *side, uint64_t on_handles) {
  atomic_fetch_add_explicit(&side->word->value, 1, memory_order_seq_cst);
  if (mc__plat_futex_wake(side->f, MC__WAKE_ALL) == 1) ch->stats.wakeups++;
  if (on_handles) mc__chan_signal(ch, side, on_handles);
}

void mc__chan_wake(mc_chan *ch, const mc__chan_side *side) {
  uint64_t w = atomic_exchange_explicit(side->waiting, 0, memory_order_seq_cst);
  if (!w) return;
  MC__CRASH(WAIT_WAKING);
  wake_all(ch, side, w & atomic_load_explicit(side->notify, memory_order_relaxed));
}

void mc__chan_kick(mc_chan *ch, const mc__chan_side *side) {
  /* Everyone looks again - also a poller that has not announced itself. */
  wake_all(ch, side, atomic_load_explicit(side->notify, memory_order_relaxed));
}

/* Whether the peer can run while we wait: not if it runs on our CPU, and then spinning only
   delays it: we yield instead (mc__chan_hint_cpu). Being pinned to one CPU says nothing by
   itself: the peer may be pinned to another. */
static int should_yield(_Atomic int32_t *my_cpu, _Atomic int32_t *peer_cpu) {
  mc__chan_hint_cpu(my_cpu);
  int32_t me = atomic_load_explicit(my_cpu, memory_order_relaxed);
  return me >= 0 && me == atomic_load_explicit(peer_cpu, memory_order_relaxed);
}

/* A peer busy copying a large message is about to answer: keep spinning, up to this long in
   all, rather than sleep and pay a wake-up as soon as the copy is done. */
#define BUSY_SPIN_NS 1000000ull

/* Spins (or yields) until ready or the spin time is up. */
static int spin_phase(mc_chan *ch, mc__chan_ready_fn ready, const mc__chan_side *side, int yield,
                      uint64_t now, uint64_t deadline) {
  uint64_t spin = (uint64_t)ch->spin_us * 1000, end = now + spin;
  uint64_t busy_end = now + (spin > BUSY_SPIN_NS ? spin : BUSY_SPIN_NS);
  for (;;) {
    for (int i = 0; i < CLOCK_EVERY; i++) {
      int r = ready(ch);
      if (r) return r;
      if (yield)
        mc__plat_yield();
      else
        mc__cpu_relax();
    }
    uint64_t t = mc__plat_now_ns();
    if (t >= deadline) return 0;
    if (t >= end && (t >= busy_end || !atomic_load_explicit(side->peer_busy, memory_order_relaxed)))
      return 0;
  }
}

int mc__chan_wait(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                  const mc__chan_side *side, mc__timeout *to, uint64_t *waits) {
  _Atomic uint64_t *waiting = side->waiting;
  uint64_t bit = side->bit;
  mc__plat_futex *f = side->f;
  int r;
  (*waits)++;
  uint64_t deadline = mc__timeout_deadline(to);
  if (ch->spin_us > 0 && !mc__deadline_passed(deadline)) {
    uint64_t now = mc__plat_now_ns();
    r = spin_phase(ch, ready, side, should_yield(side->cpu, side->peer_cpu), now, deadline);
    if (r) return r < 0 ? r : MC_OK;
  }
  for (;;) {
    uint32_t s = atomic_load_explicit(&side->word->value, memory_order_seq_cst);
    if (ch->notifier) mc__chan_notifier_rearm(ch);
    /* Our own bit only: another sleeper's announcement is never ours to take back. */
    atomic_fetch_or_explicit(waiting, bit, memory_order_seq_cst);
    r = ready(ch);
    int g = r ? 0 : gone(ch, to); /* liveness itself is looked at once per slice at most */
    /* The peer went away: it may have published its last message just before; or what gone
       looked at made the wait needless (a DROP_OLDEST receiver moved on). */
    if (!r) r = ready(ch);
    if (r || g || mc__deadline_passed(deadline)) {
      /* An end that owns an OS handle and gives up waiting stays announced: its caller
         sleeps on the handle next, and the peer's next step must make it ready. */
      if (r || g || !ch->notifier) atomic_fetch_and_explicit(waiting, ~bit, memory_order_relaxed);
      if (r) return r < 0 ? r : MC_OK;
      return g ? g : MC_ETIMEDOUT;
    }
    MC__CRASH(WAIT_ANNOUNCED);
    int rc = mc__plat_futex_wait(f, s, mc__deadline_liveness(deadline));
    if (rc != MC_OK && rc != MC_ETIMEDOUT) {
      atomic_fetch_and_explicit(waiting, ~bit, memory_order_relaxed);
      return rc;
    }
  }
}
