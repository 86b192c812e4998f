/* The ring channel: variable-size messages in a power-of-two byte ring.
 *
 * head and tail count bytes ever committed and consumed (64-bit, never wrapping in
 * practice); the ring offset of an index is index & (capacity - 1). A record is an 8-byte
 * header {u32 length, u32 tag} and the payload padded to 8 bytes. A record never wraps:
 * when it does not fit before the end, a padding record fills the end and the message
 * starts at offset 0. Only the sender writes head and only the receiver writes tail; each
 * keeps a cached copy of the other's index and reads the shared one only when the cached
 * one says "full" or "empty". Everything read from the ring is validated first. */
#include "chan_internal.h"

#include <string.h>

static uint64_t rec_bytes(uint64_t len) {
  return MC__REC_HDR + ((len + 7) & ~7ull);
}

static uint64_t capacity(const mc_chan *ch) {
  return ch->cap_mask + 1;
}

/* ---- sender ------------------------------------------------------------------------------ */

/* Reads the receiver's tail, checked against our head: tail <= head <= tail + capacity. */
static int refresh_tail(mc_chan *ch) {
  uint64_t t = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
  if ((t & 7) || (ch->head & 7) || t > ch->head || ch->head - t > capacity(ch))
    return mc__chan_corrupt(ch);
  ch->cached_tail = t;
  return MC_OK;
}

/* Bytes the pending reservation needs from head on: its record, and the padding before it
   when it would not fit before the end. */
static uint64_t needed(const mc_chan *ch) {
  uint64_t rec = rec_bytes(ch->res_len);
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

static int ring_reserve(mc_chan *ch, size_t len, void **buf, uint64_t deadline) {
  mc__chan_ctl *c = ch->ctl;
  ch->res_len = len;
  if (ch->multi) {
    int rc = mc__tlock_acquire(&ch->send_lock, deadline);
    if (rc == MC_EOWNERDEAD) {
      /* The last holder died between reserving and committing: its record was never
         published (head moves only at commit), so writing from head simply drops it. */
      atomic_fetch_add(&c->abandoned, 1);
      rc = MC_OK;
    }
    if (rc != MC_OK) return rc;
    ch->head = atomic_load_explicit(&c->head, memory_order_acquire);
    if ((ch->head & 7) || ch->head - ch->cached_tail > capacity(ch)) {
      int r = refresh_tail(ch); /* our cached tail may simply be old */
      if (r != MC_OK) {
        unlock_senders(ch);
        return r;
      }
    }
  }
  int rc = mc__chan_wait(ch, space_ready, mc__chan_receiver_gone, &c->send_waiting, &ch->space_f,
                         &c->send_cpu, &c->recv_cpu, deadline, &ch->stats.send_waits);
  if (rc != MC_OK) {
    unlock_senders(ch);
    return rc;
  }
  uint64_t pos = ch->head, off = pos & ch->cap_mask, to_end = capacity(ch) - off;
  if (rec_bytes(len) > to_end) {
    uint32_t pad[2] = {(uint32_t)(to_end - MC__REC_HDR), MC__PAD_TAG};
    memcpy(ch->data + off, pad, sizeof pad);
    pos += to_end;
    off = 0;
  }
  ch->res_pos = pos;
  *buf = ch->data + off + MC__REC_HDR;
  return MC_OK;
}

static int ring_commit(mc_chan *ch, size_t len) {
  uint32_t hdr[2] = {(uint32_t)len, MC__REC_TAG};
  memcpy(ch->data + (ch->res_pos & ch->cap_mask), hdr, sizeof hdr);
  uint64_t end = ch->res_pos + rec_bytes(len);
  /* Publishes the padding, the header and the payload (pairs with the receiver's acquire
     load of head). */
  atomic_store_explicit(&ch->ctl->head, end, memory_order_release);
  ch->head = end;
  unlock_senders(ch);
  mc__chan_notify(ch, &ch->ctl->recv_waiting, &ch->data_f);
  return MC_OK;
}

static void ring_cancel_reserve(mc_chan *ch) {
  unlock_senders(ch); /* nothing was published; a padding record written is overwritten */
}

/* ---- receiver ----------------------------------------------------------------------------- */

/* Reads the senders' head, checked against our tail. */
static int data_ready(mc_chan *ch) {
  if (ch->cached_head != ch->tail) return 1;
  uint64_t h = atomic_load_explicit(&ch->ctl->head, memory_order_acquire);
  if ((h & 7) || h < ch->tail || h - ch->tail > capacity(ch)) return mc__chan_corrupt(ch);
  ch->cached_head = h;
  return h != ch->tail;
}

static int ring_peek(mc_chan *ch, const void **msg, size_t *len, uint64_t deadline) {
  for (;;) {
    mc__chan_ctl *c = ch->ctl;
    int rc = mc__chan_wait(ch, data_ready, mc__chan_senders_gone, &c->recv_waiting, &ch->data_f,
                           &c->recv_cpu, &c->send_cpu, deadline, &ch->stats.recv_waits);
    if (rc != MC_OK) return rc;
    uint64_t t = ch->tail, avail = ch->cached_head - t;
    uint64_t off = t & ch->cap_mask, to_end = capacity(ch) - off;
    uint32_t hdr[2];
    memcpy(hdr, ch->data + off, sizeof hdr); /* once: the sender could be hostile */
    uint64_t n = hdr[0];
    if (hdr[1] == MC__PAD_TAG) {
      if (n != to_end - MC__REC_HDR || to_end >= avail) return mc__chan_corrupt(ch);
      ch->tail = t + to_end; /* skipped locally; freed with the next consume */
      continue;
    }
    if (hdr[1] != MC__REC_TAG || n > ch->max_msg || rec_bytes(n) > to_end || rec_bytes(n) > avail)
      return mc__chan_corrupt(ch);
    ch->next_tail = t + rec_bytes(n);
    *msg = ch->data + off + MC__REC_HDR;
    *len = (size_t)n;
    return MC_OK;
  }
}

static int ring_consume(mc_chan *ch) {
  ch->tail = ch->next_tail;
  /* Returns the space to the senders once we are done with the bytes (pairs with their
     acquire load of tail). */
  atomic_store_explicit(&ch->ctl->tail, ch->tail, memory_order_release);
  mc__chan_notify(ch, &ch->ctl->send_waiting, &ch->space_f);
  return MC_OK;
}

static void ring_cancel_peek(mc_chan *ch) {
  MC__UNUSED(ch); /* the record stays where it is; tail did not move */
}

const mc__chan_ops mc__ring_ops = {ring_reserve, ring_commit,         ring_peek,
                                   ring_consume, ring_cancel_reserve, ring_cancel_peek};
