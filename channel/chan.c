/* Channels: the public calls - ending a stream, closing an end, and the data path, which
 * checks the handle's state and hands over to the kind's operations (ring.c, slot.c). */
#include "wait.h"

#include <stdlib.h>
#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

/* End of stream from this sender; with a reason (abort) or without. */
static int end_send(mc_chan *ch, int abort, int code) {
  if (!ch) return MC_EINVAL;
  if (ch->role != MC_CHAN_SEND || ch->closed_send) return MC_ESTATE;
  if (ch->reserved) {
    ch->ops->cancel_reserve(ch);
    ch->reserved = 0;
  }
  mc__chan_peer *p = &ch->ctl->senders[ch->peer];
  uint32_t open = MC__PEER_OPEN;
  ch->closed_send = 1;
  if (abort) {
    /* The reason first, then the mark (release pairs with mc__chan_senders_gone's acquire),
       both before this sender counts as closed: a receiver that finds the stream ended by
       this close finds it aborted too. */
    atomic_store_explicit(&ch->ctl->abort_code, code, memory_order_relaxed);
    atomic_store_explicit(&ch->ctl->aborted, 1, memory_order_release);
    MC__CRASH(CHAN_ABORTING);
  }
  /* Counted before the state changes: a sender that dies in between is an OPEN sender found
     dead later (end of stream by death), never a CLOSED one uncounted, which would leave a
     receiver taking the stream for not yet begun. */
  atomic_fetch_add(&ch->ctl->senders_closed, 1);
  MC__CRASH(CHAN_CLOSING);
  /* After every message this sender published (release pairs with the receiver's acquire
     of the state): a receiver that sees CLOSED sees them all. */
  atomic_compare_exchange_strong_explicit(&p->state, &open, MC__PEER_CLOSED, memory_order_release,
                                          memory_order_relaxed);
  MC__CRASH(CHAN_CLOSED);
  /* A receiver asleep must wake to see the end: bump its word whether or not it announced
     itself yet (it may be between its look at the senders and its sleep). */
  mc__chan_kick(ch, &ch->recv_side);
  return MC_OK;
}

static int impl_chan_close_send(mc_chan *ch) {
  return end_send(ch, 0, 0);
}

int mc_chan_close_send(mc_chan *ch) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_close_send(ch));
}

static int impl_chan_abort(mc_chan *ch, int code) {
  return end_send(ch, 1, code);
}

int mc_chan_abort(mc_chan *ch, int code) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_abort(ch, code));
}

void mc_chan_close(mc_chan *ch) {
  if (!ch) return;
  /* The waits and wake-ups since the last message; not into a channel found corrupt (its
     pages may be gone). */
  if (!ch->corrupt) mc__chan_publish(ch);
  if (ch->role == MC_CHAN_SEND) {
    if (!ch->closed_send) mc_chan_close_send(ch);
  } else if (ch->role == MC_CHAN_RECV) {
    if (ch->peeked) ch->ops->cancel_peek(ch);
    uint32_t open = MC__PEER_OPEN;
    atomic_compare_exchange_strong(&mc__chan_rx_peer(ch, ch->fan ? ch->peer : 0)->state, &open,
                                   MC__PEER_CLOSED);
    mc__chan_kick(ch, &ch->send_side); /* senders asleep on a full ring: look again */
  }
  mc__chan_unbind(ch);
  mc__region_close(&ch->r);
  free(ch->copy);
  free(ch);
}

static int usable(const mc_chan *ch, int role, int timeout_ms) {
  if (!ch || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != role) return MC_ESTATE;
  return MC_OK;
}

static int impl_chan_reserve(mc_chan *ch, size_t len, void **buf, int timeout_ms) {
  int rc = usable(ch, MC_CHAN_SEND, timeout_ms);
  if (rc != MC_OK) return rc;
  if (!buf) return MC_EINVAL;
  if (ch->reserved || ch->closed_send) return MC_ESTATE; /* *buf untouched: it may be in use */
  *buf = NULL;
  if (len > ch->max_msg) return MC_ENOSPC;
  mc__timeout to = mc__timeout_ms(timeout_ms);
  rc = ch->ops->reserve(ch, len, buf, &to);
  if (rc == MC_OK) {
    ch->reserved = 1;
    ch->res_len = len;
  }
  return rc;
}

int mc_chan_reserve(mc_chan *ch, size_t len, void **buf, int timeout_ms) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_reserve(ch, len, buf, timeout_ms));
}

static int impl_chan_commit(mc_chan *ch, size_t len) {
  if (!ch) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != MC_CHAN_SEND || !ch->reserved) return MC_ESTATE;
  if (len > ch->res_len) return MC_EINVAL;
  int rc = ch->ops->commit(ch, len);
  ch->reserved = 0;
  if (rc == MC_OK) {
    ch->stats.sent++;
    ch->stats.bytes_sent += len;
    mc__chan_publish(ch);
  }
  return rc;
}

int mc_chan_commit(mc_chan *ch, size_t len) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_commit(ch, len));
}

static int impl_chan_send(mc_chan *ch, const void *msg, size_t len, int timeout_ms) {
  void *buf;
  if (ch && !msg && len) return MC_EINVAL;
  int rc = mc_chan_reserve(ch, len, &buf, timeout_ms);
  if (rc != MC_OK) return rc;
  if (len) memcpy(buf, msg, len);
  return mc_chan_commit(ch, len);
}

int mc_chan_send(mc_chan *ch, const void *msg, size_t len, int timeout_ms) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_send(ch, msg, len, timeout_ms));
}

static int impl_chan_peek(mc_chan *ch, const void **msg, size_t *len, int timeout_ms) {
  int rc = usable(ch, MC_CHAN_RECV, timeout_ms);
  if (rc != MC_OK) return rc;
  if (!msg || !len) return MC_EINVAL;
  if (ch->peeked) return MC_ESTATE; /* *msg untouched: it may be in use */
  *msg = NULL;
  *len = 0;
  mc__timeout to = mc__timeout_ms(timeout_ms);
  rc = ch->ops->peek(ch, msg, len, &to);
  if (rc == MC_OK) {
    ch->peeked = 1;
    ch->peek_msg = *msg;
    ch->peek_len = *len;
  }
  return rc;
}

int mc_chan_peek(mc_chan *ch, const void **msg, size_t *len, int timeout_ms) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_peek(ch, msg, len, timeout_ms));
}

static int impl_chan_consume(mc_chan *ch) {
  if (!ch) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != MC_CHAN_RECV || !ch->peeked) return MC_ESTATE;
  int rc = ch->ops->consume(ch);
  ch->peeked = 0;
  if (rc == MC_OK) {
    ch->stats.received++;
    ch->stats.bytes_received += ch->peek_len;
    mc__chan_publish(ch);
  }
  return rc;
}

int mc_chan_consume(mc_chan *ch) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_consume(ch));
}

static int impl_chan_recv(mc_chan *ch, void *buf, size_t cap, size_t *len, int timeout_ms) {
  const void *msg;
  size_t n;
  if (len) *len = 0;
  if (ch && !buf && cap) return MC_EINVAL;
  int rc = mc_chan_peek(ch, &msg, &n, timeout_ms);
  if (rc != MC_OK) return rc;
  if (len) *len = n;
  if (n > cap) {
    ch->ops->cancel_peek(ch); /* the message stays queued */
    ch->peeked = 0;
    return MC_ENOSPC;
  }
  if (n) memcpy(buf, msg, n);
  return mc_chan_consume(ch);
}

int mc_chan_recv(mc_chan *ch, void *buf, size_t cap, size_t *len, int timeout_ms) {
  return MC__LOGGED(mc__log_object(ch), impl_chan_recv(ch, buf, cap, len, timeout_ms));
}

const char *mc_chan_name(const mc_chan *ch) {
  return ch ? ch->name : "";
}

int mc_chan_get_stats(const mc_chan *ch, mc_chan_stats *out) {
  if (!ch || !out) return MC_EINVAL;
  *out = ch->stats;
  if (ch->drop && ch->role == MC_CHAN_RECV) /* counted by the senders, in shared memory */
    out->dropped = atomic_load(&ch->ctl->rx[ch->peer].dropped) & ((1ull << 48) - 1);
  return MC_OK;
}
