/* The ring channel: variable-size messages in a power-of-two byte ring.
 *
 * head and tail count bytes ever committed and consumed (64-bit, never wrapping in
 * practice); the ring offset of an index is index & (capacity - 1). A record is a 16-byte
 * header {stamp, length, tag} and the payload padded to 16 bytes. A record never wraps: when
 * it does not fit before the end, a padding record fills the end and the message starts at
 * offset 0.
 *
 * Publication: the sender writes the payload, the length and tag, then the stamp (the
 * record's position + 1, release), then head. The receiver polls the stamp at its tail -
 * the same cache line as the start of the payload - so a small message crosses between the
 * cores as one line, and reads head only before it sleeps: there it also checks that a head
 * ahead of tail goes with a published record, which a sound sender guarantees. Only the
 * sender writes head and only the receiver writes tail; the sender keeps a copy of tail and
 * reads the shared one only when its copy says "full". Everything read from the ring is
 * validated before use. */
#include "wait.h"

#include <string.h>

#define HDR sizeof(mc__rec_hdr)

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

static uint64_t capacity(const mc_chan *ch) {
  return ch->cap_mask + 1;
}

static mc__rec_hdr *header_at(const mc_chan *ch, uint64_t pos) {
  return (mc__rec_hdr *)(void *)(ch->data + (pos & ch->cap_mask));
}

/* ---- sender ------------------------------------------------------------------------------ */

/* Reads the receiver's tail, checked against our head: tail <= head <= tail + capacity. */
static int refresh_tail(mc_chan *ch) {
  uint64_t t = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
  if ((t & 15) || (ch->head & 15) || t > ch->head || ch->head - t > capacity(ch))
    return mc__chan_corrupt(ch);
  ch->cached_tail = t;
  return MC_OK;
}

/* Bytes the pending reservation needs from head on: its record, and the padding before it
   when it would not fit before the end. */
static uint64_t needed(const mc_chan *ch) {
  uint64_t rec = mc__rec_bytes(ch->res_len);
  uint64_t to_end = capacity(ch) - (ch->head & ch->cap_mask);
  return rec <= to_end ? rec : to_end + rec;
}

static int space_ready(mc_chan *ch) {
  if (ch->head + needed(ch) - ch->cached_tail <= capacity(ch)) return 1;
  int rc = refresh_tail(ch);
  if (rc != MC_OK) return rc;
  return ch->head + needed(ch) - ch->cached_tail <= capacity(ch);
}

static void unlock_senders(mc_chan *ch) {
  if (ch->multi) mc__tlock_release(&ch->send_lock);
}

static void set_busy(_Atomic uint32_t *busy, int on) {
  atomic_store_explicit(busy, (uint32_t)on, memory_order_relaxed); /* a hint to a waiter */
}

/* The record at pos, if it is published: 1 and its size in *bytes (a padding record's is
   the rest of the ring), 0 if not published, or MC_ECORRUPT. */
static int published_at(const mc_chan *ch, uint64_t pos, uint64_t *bytes) {
  const mc__rec_hdr *h = header_at(ch, pos);
  if (atomic_load_explicit(&h->stamp, memory_order_acquire) != pos + 1) return 0;
  uint64_t to_end = capacity(ch) - (pos & ch->cap_mask);
  uint64_t n = h->len; /* read once: the writer could be hostile */
  uint32_t tag = h->tag;
  if (tag == MC__PAD_TAG && n == to_end - HDR) {
    *bytes = to_end;
    return 1;
  }
  if (tag != MC__REC_TAG || n > ch->max_msg || mc__rec_bytes(n) > to_end) return MC_ECORRUPT;
  *bytes = mc__rec_bytes(n);
  return 1;
}

/* For the one sender that may write now (the only sender, or the holder of the senders'
   lock): the ring's true head. Normally the shared head; but a sender killed after
   stamping records and before advancing head leaves published records beyond it (and
   the receiver may have consumed them: head then trails tail). They run unbroken from
   max(head, tail), since records are stamped in ring order: walk them. Returns 1 when head
   had to move (the dead sender's last records were published after all), 0 when not. */
static int find_head(mc_chan *ch) {
  mc__chan_ctl *c = ch->ctl;
  uint64_t h = atomic_load_explicit(&c->head, memory_order_acquire);
  uint64_t t = atomic_load_explicit(&c->tail, memory_order_acquire);
  if ((h & 15) || (t & 15) || (h >= t ? h - t : t - h) > capacity(ch)) return mc__chan_corrupt(ch);
  uint64_t pos = h > t ? h : t, bytes;
  while (pos - t < capacity(ch)) {
    int r = published_at(ch, pos, &bytes);
    if (r < 0) return mc__chan_corrupt(ch);
    if (r == 0) break;
    pos += bytes;
  }
  if (pos - t > capacity(ch)) return mc__chan_corrupt(ch);
  ch->head = pos;
  ch->cached_tail = t;
  if (pos == h) return 0;
  MC__CRASH(CHAN_REPAIRED);
  /* Pairs with the receiver's acquire load of head; the records are published already. */
  atomic_store_explicit(&c->head, pos, memory_order_release);
  mc__debug("channel %s: head repaired %llu -> %llu", ch->name, (unsigned long long)h,
            (unsigned long long)pos);
  return 1;
}

/* Takes the senders' lock and the head it guards. */
static int lock_senders(mc_chan *ch, mc__timeout *to) {
  mc__chan_ctl *c = ch->ctl;
  int rc = mc__tlock_acquire(&ch->send_lock, to);
  if (rc == MC_EOWNERDEAD) {
    /* The last holder died holding it: after stamping its record (then it is published and
       find_head moves head past it: `writing` names a record behind head) or before (then
       its message is lost: counted - also when it died waiting for room, or with only the
       padding before its record stamped). Taken first, then counted: a taker that dies in
       between misses the count rather than making the next one count twice. */
    rc = find_head(ch);
    if (rc < 0) {
      unlock_senders(ch);
      return rc;
    }
    uint64_t w = atomic_exchange(&c->writing, 0);
    if (w && w - 1 >= ch->head) atomic_fetch_add(&c->abandoned, 1);
  } else {
    if (rc != MC_OK) return rc;
    ch->head = atomic_load_explicit(&c->head, memory_order_acquire);
    if ((ch->head & 15) || ch->head - ch->cached_tail > capacity(ch)) {
      rc = refresh_tail(ch); /* our cached tail may simply be old */
      if (rc != MC_OK) {
        unlock_senders(ch);
        return rc;
      }
    }
  }
  /* Our message is in flight from here: where its record will start (ring_reserve corrects
     it when a padding comes first), said before anything is written, so that a sender that
     takes the lock over from us knows whether our death lost a message. */
  atomic_store_explicit(&c->writing, ch->head + 1, memory_order_relaxed);
  MC__CRASH(RING_LOCKED);
  return MC_OK;
}

static int ring_reserve(mc_chan *ch, size_t len, void **buf, mc__timeout *to) {
  mc__chan_ctl *c = ch->ctl;
  ch->res_len = len;
  if (ch->multi) {
    int rc = lock_senders(ch, to);
    if (rc != MC_OK) return rc;
  }
  int rc = mc__chan_await(ch, space_ready, mc__chan_receiver_gone, &ch->send_side, to,
                          &ch->stats.send_waits);
  if (rc != MC_OK) {
    unlock_senders(ch);
    return rc;
  }
  uint64_t pos = ch->head, off = pos & ch->cap_mask, to_end = capacity(ch) - off;
  int pad = mc__rec_bytes(len) > to_end; /* padding to the end; published with the record */
  ch->res_pad = pad ? pos : UINT64_MAX;
  ch->res_pos = pad ? pos + to_end : pos;
  if (pad && ch->multi) atomic_store_explicit(&c->writing, ch->res_pos + 1, memory_order_relaxed);
  if (pad) {
    mc__rec_hdr *p = header_at(ch, pos);
    p->len = (uint32_t)(to_end - HDR);
    p->tag = MC__PAD_TAG;
    MC__CRASH(RING_PAD);
  }
  pos = ch->res_pos;
  if (len >= MC__BUSY_BYTES) set_busy(&c->send_busy, 1);
  *buf = ch->data + (pos & ch->cap_mask) + HDR;
  MC__CRASH(RING_RESERVED);
  return MC_OK;
}

static int ring_commit(mc_chan *ch, size_t len) {
  mc__chan_ctl *c = ch->ctl;
  mc__rec_hdr *h = header_at(ch, ch->res_pos);
  h->len = (uint32_t)len;
  h->tag = MC__REC_TAG;
  MC__CRASH(RING_WRITTEN);
  /* Publishes the payload and the header (pairs with the receiver's acquire of the stamp).
     Records are stamped in ring order - the padding before the record first - so that the
     published records always run unbroken from head: a sender that dies after stamping
     leaves a ring whose true head the next sender finds by walking them (find_head). */
  if (ch->res_pad != UINT64_MAX) {
    atomic_store_explicit(&header_at(ch, ch->res_pad)->stamp, ch->res_pad + 1,
                          memory_order_release);
    MC__CRASH(RING_PAD_STAMPED);
  }
  atomic_store_explicit(&h->stamp, ch->res_pos + 1, memory_order_release);
  MC__CRASH(RING_STAMPED);
  uint64_t end = ch->res_pos + mc__rec_bytes(len);
  atomic_store_explicit(&c->head, end, memory_order_release);
  ch->head = end;
  MC__CRASH(RING_HEAD);
  if (ch->res_len >= MC__BUSY_BYTES) set_busy(&c->send_busy, 0);
  unlock_senders(ch);
  mc__chan_hint_cpu_every(&c->send_cpu, ch->stats.sent);
  mc__chan_notify(ch, &ch->recv_side);
  return MC_OK;
}

static void ring_cancel_reserve(mc_chan *ch) {
  if (ch->res_len >= MC__BUSY_BYTES) set_busy(&ch->ctl->send_busy, 0);
  if (ch->multi) atomic_store_explicit(&ch->ctl->writing, 0, memory_order_relaxed); /* no loss */
  unlock_senders(ch); /* nothing was published: a padding header written is overwritten */
}

/* ---- receiver ----------------------------------------------------------------------------- */

/* The record at our tail is published: its stamp is the one we expect. */
static int data_ready(mc_chan *ch) {
  return atomic_load_explicit(&header_at(ch, ch->tail)->stamp, memory_order_acquire) ==
         ch->tail + 1;
}

/* Before sleeping: the senders' head must make sense against our tail. It may trail tail a
   little (a sender stores its stamps before head, and we may have consumed the record in
   between), but never by more than a ring; and a head ahead of tail goes with a published
   record at tail. Then: can anyone still send? */
static int recv_gone(mc_chan *ch, mc__timeout *to) {
  uint64_t h = atomic_load_explicit(&ch->ctl->head, memory_order_acquire), t = ch->tail;
  if ((h & 15) || (h >= t ? h - t : t - h) > capacity(ch) || (h > t && !data_ready(ch)))
    return mc__chan_corrupt(ch);
  return mc__chan_senders_gone(ch, to);
}

static int ring_peek(mc_chan *ch, const void **msg, size_t *len, mc__timeout *to) {
  for (;;) {
    int rc = mc__chan_await(ch, data_ready, recv_gone, &ch->recv_side, to, &ch->stats.recv_waits);
    if (rc != MC_OK) return rc;
    uint64_t t = ch->tail, off = t & ch->cap_mask, to_end = capacity(ch) - off;
    const mc__rec_hdr *h = header_at(ch, t);
    uint64_t n = h->len; /* read once: the sender could be hostile */
    uint32_t tag = h->tag;
    if (tag == MC__PAD_TAG) {
      if (n != to_end - HDR) return mc__chan_corrupt(ch);
      ch->tail = t + to_end; /* skipped locally; freed with the next consume */
      continue;
    }
    if (tag != MC__REC_TAG || n > ch->max_msg || mc__rec_bytes(n) > to_end)
      return mc__chan_corrupt(ch);
    ch->next_tail = t + mc__rec_bytes(n);
    if (n >= MC__BUSY_BYTES) set_busy(&ch->ctl->recv_busy, 1);
    *msg = ch->data + off + HDR;
    *len = (size_t)n;
    MC__CRASH(RING_PEEKED);
    return MC_OK;
  }
}

static int ring_consume(mc_chan *ch) {
  if (ch->peek_len >= MC__BUSY_BYTES) set_busy(&ch->ctl->recv_busy, 0);
  ch->tail = ch->next_tail;
  /* Returns the space to the senders once we are done with the bytes (pairs with their
     acquire load of tail). */
  atomic_store_explicit(&ch->ctl->tail, ch->tail, memory_order_release);
  MC__CRASH(RING_TAIL);
  mc__chan_hint_cpu_every(&ch->ctl->recv_cpu, ch->stats.received);
  mc__chan_notify(ch, &ch->send_side);
  return MC_OK;
}

static void ring_cancel_peek(mc_chan *ch) {
  if (ch->peek_len >= MC__BUSY_BYTES) set_busy(&ch->ctl->recv_busy, 0);
  /* the record stays where it is; tail did not move */
}

/* A new endpoint, registered: a sender of a one-sender ring takes over the stream where its
   predecessor left it (find_head); senders of a multi-sender ring find head under their lock;
   a receiver starts at tail. */
static int ring_start(mc_chan *ch) {
  if (ch->role == MC_CHAN_RECV) {
    ch->tail = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
    return (ch->tail & 15) ? mc__chan_corrupt(ch) : MC_OK;
  }
  if (ch->multi) {
    ch->cached_tail = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
    return MC_OK;
  }
  int rc = find_head(ch);
  return rc < 0 ? rc : MC_OK;
}

const mc__chan_ops mc__ring_ops = {ring_start,   ring_reserve,        ring_commit,     ring_peek,
                                   ring_consume, ring_cancel_reserve, ring_cancel_peek};
