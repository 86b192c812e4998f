/* The OS handle of a channel end (mc_chan_os_handle): a notifier (core/platform.h) that the
 * peers make ready, so that an event loop can wait on a channel with poll, epoll or
 * WaitForMultipleObjects.
 *
 * The end waits as it always does (wait.c) - announces itself in its side's waiting mask,
 * looks again, sleeps - except that a call which gives up (a timeout, typically 0) leaves
 * its announcement standing, and its bit in the side's notify mask tells a waker to signal
 * the handle as well as bump the futex word. So the handle is armed exactly when a call
 * would have blocked, and the fast path is untouched: while both sides are busy nobody is
 * announced, and nobody signals anything. The handle also watches the processes of the
 * peers that could wake it (pidfds / thread-pool waits), so that a death makes it ready, and
 * the next call reports it. */
#include "wait.h"

#include <stdlib.h>

/* Control-path atomics below use the default (seq_cst) order. */

static mc__chan_peer *own_peer(mc_chan *ch) {
  if (ch->role == MC_CHAN_RECV) return mc__chan_rx_peer(ch, ch->fan ? ch->peer : 0);
  return &ch->ctl->senders[ch->peer];
}

static const mc__chan_side *own_side(const mc_chan *ch) {
  return ch->role == MC_CHAN_RECV ? &ch->recv_side : &ch->send_side;
}

static int impl_chan_os_handle(mc_chan *ch, mc_os_handle *out) {
  if (!ch || !out) return MC_EINVAL;
  *out = (mc_os_handle)-1;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != MC_CHAN_SEND && ch->role != MC_CHAN_RECV) return MC_ESTATE;
  if (!ch->notifier) {
    mc__plat_notifier *n = calloc(1, sizeof *n);
    if (!n) return MC_ENOMEM;
    int rc = mc__plat_notifier_open(n, &ch->r.name);
    if (rc != MC_OK) {
      free(n);
      return rc;
    }
    ch->notifier = n;
    atomic_store(&own_peer(ch)->notifier, n->id);
    atomic_fetch_or(own_side(ch)->notify, own_side(ch)->bit);
    /* Ready at once: the caller's first look decides (a call that would block arms it). */
    mc__plat_notify(&ch->signaller, &ch->r.name, n->id);
  }
  *out = (mc_os_handle)mc__plat_notifier_handle(ch->notifier);
  return MC_OK;
}

int mc_chan_os_handle(mc_chan *ch, mc_os_handle *out) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_os_handle(ch, out));
}

void mc__chan_notifier_rearm(mc_chan *ch) {
  if (mc__plat_notifier_drain(ch->notifier)) ch->next_peer_check = 0; /* someone ended */
  uint64_t tokens[MC__CHAN_SENDERS];
  int n = 0;
  if (ch->role == MC_CHAN_RECV) {
    for (int i = 0; i < (ch->multi ? MC__CHAN_SENDERS : 1); i++)
      if (atomic_load(&ch->ctl->senders[i].state) == MC__PEER_OPEN)
        tokens[n++] = atomic_load(&ch->ctl->senders[i].token);
  } else {
    for (int i = 0; i < ch->nrx; i++) {
      mc__chan_peer *p = mc__chan_rx_peer(ch, i);
      if (atomic_load(&p->state) == MC__PEER_OPEN) tokens[n++] = atomic_load(&p->token);
    }
  }
  mc__plat_notifier_watch(ch->notifier, tokens, n);
}

void mc__chan_signal(mc_chan *ch, const mc__chan_side *side, uint64_t bits) {
  int slots = side->receivers ? ch->nrx : MC__CHAN_SENDERS;
  for (int i = 0; i < slots && bits; i++, bits >>= 1) {
    if (!(bits & 1)) continue;
    mc__chan_peer *p = side->receivers ? mc__chan_rx_peer(ch, i) : &ch->ctl->senders[i];
    uint32_t id = atomic_load_explicit(&p->notifier, memory_order_relaxed);
    if (!id) continue;
    mc__plat_notify(&ch->signaller, &ch->r.name, id); /* any id: a wrong one wakes nobody */
    ch->stats.wakeups++;
  }
}

void mc__chan_notifier_close(mc_chan *ch) {
  if (!ch->notifier) return;
  atomic_fetch_and(own_side(ch)->notify, ~own_side(ch)->bit);
  atomic_fetch_and(own_side(ch)->waiting, ~own_side(ch)->bit);
  uint32_t id = ch->notifier->id;
  atomic_compare_exchange_strong(&own_peer(ch)->notifier, &id, 0);
  mc__plat_notifier_close(ch->notifier);
  free(ch->notifier);
  ch->notifier = NULL;
}

void mc__chan_lock_busy(mc_chan *ch) {
  if (ch->notifier) mc__plat_notify(&ch->signaller, &ch->r.name, ch->notifier->id);
}

/* A new end: pollers of the other side watch processes of the ends attached when they last
   armed; make them look again, so that they watch this one too. */
void mc__chan_joined(mc_chan *ch) {
  const mc__chan_side *other = ch->role == MC_CHAN_RECV ? &ch->send_side : &ch->recv_side;
  uint64_t bits = atomic_load(other->notify);
  if (bits) mc__chan_signal(ch, other, bits);
}
