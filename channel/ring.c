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
 * validated before use.
 *
 * Fan-out (docs/channels.md): receivers that share the work (MULTI_RECV) take turns at the
 * one tail under the receivers' lock, held from a peek to its consume. Broadcast receivers
 * each have a cursor of their own; the senders' tail is the slowest attached cursor, found
 * when their copy says "full". With DROP_OLDEST a sender that needs the space of a receiver
 * a ring behind moves that receiver's cursor past it instead of waiting, and the receiver,
 * which copies each message out before it lets go of it, notices and drops what it was
 * reading. */
#include "wait.h"

#include <stdlib.h>
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

/* ---- broadcast: the receivers' cursors -------------------------------------------------- */

#define DROPPED_COUNT ((1ull << 48) - 1) /* rx.dropped: generation << 48 | count */

/* Broadcast: the slowest attached receiver's cursor, each checked against head h (never
   ahead of it nor a ring behind; `loose`, for a head that may trail the true one after a
   sender's death: within a ring either way), or h when none is attached. 1 with *out, 0
   while a receiver is joining (it has a place in a moment; `loose` passes over it and
   returns 2), or MC_ECORRUPT. The fence first: our head is published before we look for receivers,
   so that one joining meanwhile starts at or after it (ring_start). */
static int bcast_min(mc_chan *ch, uint64_t h, int loose, uint64_t *out) {
  mc__chan_fence();
  uint64_t m = h, cap = capacity(ch);
  int joining = 0;
  for (int i = 0; i < MC__CHAN_RECEIVERS; i++) {
    mc__chan_rx *rx = &ch->ctl->rx[i];
    if (atomic_load(&rx->peer.state) != MC__PEER_OPEN) continue;
    uint64_t c = atomic_load_explicit(&rx->cursor, memory_order_acquire);
    if (c == MC__CURSOR_JOINING) {
      if (!loose) return 0;
      joining = 1;
      continue;
    }
    if ((c & 15) || (c > h && (!loose || c - h > cap)) || (c < h && h - c > cap))
      return MC_ECORRUPT;
    if (c < m) m = c;
  }
  *out = m;
  return joining ? 2 : 1;
}

/* Messages (not paddings) from boundary `from` to boundary `to`, walking the records in
   between, which are published and intact; MC_ECORRUPT when they are not. */
static int64_t records_between(const mc_chan *ch, uint64_t from, uint64_t to) {
  int64_t n = 0;
  uint64_t bytes;
  while (from < to) {
    int r = published_at(ch, from, &bytes);
    if (r <= 0) return MC_ECORRUPT;
    n += header_at(ch, from)->tag == MC__REC_TAG;
    from += bytes;
  }
  return from == to ? n : MC_ECORRUPT;
}

/* Adds n to a receiver's dropped count unless the slot changed hands since d0 was read (a
   new receiver's count starts at 0: the loss was its predecessor's). */
static void count_dropped(mc__chan_rx *rx, uint64_t d0, uint64_t n) {
  uint64_t d = d0;
  while ((d >> 48) == (d0 >> 48) && !atomic_compare_exchange_weak(&rx->dropped, &d, d + n)) {
  }
}

/* DROP_OLDEST, the ring full at the slowest cursor t: the first record boundary at or after
   the oldest byte our reservation leaves intact, and every receiver before it moved there
   (compare-and-swap: a receiver consuming at that moment wins, and we look again), its
   skipped messages counted. The fence last: the moves are visible before we overwrite, so
   a receiver that read what we overwrite finds its cursor moved (drop_peek). 1 with *out,
   0 while a receiver is joining, or MC_ECORRUPT. */
static int drop_slow(mc_chan *ch, uint64_t t, uint64_t *out) {
  uint64_t want = ch->head + needed(ch) - capacity(ch), end = t, bytes;
  while (end < want) {
    if (published_at(ch, end, &bytes) <= 0) return MC_ECORRUPT;
    end += bytes;
  }
  if (end > ch->head) return MC_ECORRUPT;
  for (int i = 0; i < MC__CHAN_RECEIVERS; i++) {
    mc__chan_rx *rx = &ch->ctl->rx[i];
    for (;;) {
      if (atomic_load(&rx->peer.state) != MC__PEER_OPEN) break;
      uint64_t c = atomic_load(&rx->cursor);
      if (c == MC__CURSOR_JOINING) return 0;
      if (c >= end) break;
      if ((c & 15) || c < t) return MC_ECORRUPT;
      if (mc__chan_rx_dead(ch, i)) break; /* nobody to count for: its slot is free now */
      int64_t lost = records_between(ch, c, end);
      if (lost < 0) return MC_ECORRUPT;
      uint64_t d0 = atomic_load(&rx->dropped);
      if (!atomic_compare_exchange_strong(&rx->cursor, &c, end)) continue; /* it moved */
      MC__CRASH(RING_DROPPED);
      count_dropped(rx, d0, (uint64_t)lost);
      break;
    }
  }
  mc__chan_fence();
  *out = end;
  return 1;
}

/* Broadcast: the senders' tail from the receivers' cursors (moving slow ones on, with
   DROP_OLDEST). 1, 0 while a receiver is joining, or MC_ECORRUPT. */
static int bcast_refresh(mc_chan *ch) {
  uint64_t t;
  int r = bcast_min(ch, ch->head, 0, &t);
  if (r > 0 && ch->drop && ch->head + needed(ch) - t > capacity(ch)) r = drop_slow(ch, t, &t);
  if (r <= 0) return r < 0 ? mc__chan_corrupt(ch) : 0;
  ch->cached_tail = t;
  atomic_store_explicit(&ch->ctl->tail, t, memory_order_relaxed); /* for inspection only */
  return 1;
}

/* Whether `room` bytes are free from head on, by the tail as last seen. */
static int has_room(const mc_chan *ch, uint64_t room) {
  return ch->head + room - ch->cached_tail <= capacity(ch);
}

/* The senders' tail read again: 1, 0 while a broadcast receiver is joining, or MC_ECORRUPT. */
static int refresh_room(mc_chan *ch) {
  if (ch->fan == MC__FAN_BCAST) return bcast_refresh(ch);
  return refresh_tail(ch) == MC_OK ? 1 : MC_ECORRUPT;
}

static int space_ready(mc_chan *ch) {
  if (has_room(ch, needed(ch))) return 1;
  int rc = refresh_room(ch);
  if (rc <= 0) return rc;
  return has_room(ch, needed(ch));
}

/* The wake threshold. A sender that finds the ring full waits for half of it to be free (or
   for its record, when larger), and receivers that free less leave it asleep: it then writes
   half a ring in one go, and the receivers pay one wake-up per half ring rather than one for
   nearly every message they free - which on a busy machine also keeps a spinning sender off
   the CPUs the receivers need. The receivers still have half a ring to work on while it wakes.
   A slow receiver must not hold back a sender whose message fits, though: after one liveness
   slice (when the sleep wakes by itself anyway) the record's own room is enough. Not for a
   DROP_OLDEST sender, which never waits for room, nor for an end that waits on its OS handle,
   which cannot look again by itself when the slice ends. */
static int room_ready(mc_chan *ch) {
  if (has_room(ch, ch->room_want)) return 1;
  int rc = refresh_room(ch);
  if (rc <= 0) return rc;
  if (has_room(ch, ch->room_want)) return 1;
  return has_room(ch, needed(ch)) && mc__plat_now_ns() >= ch->room_until;
}

/* Waits for room for the pending reservation (the first look found none). The tail asked for
   is stored before the wait announces us (release), so a receiver that sees us waiting sees
   it too. A wait that ends in its deadline still sends when the record fits: the threshold
   only decides when to wake. */
static int wait_room(mc_chan *ch, mc__timeout *to) {
  uint64_t need = needed(ch), half = capacity(ch) / 2, cap = capacity(ch);
  ch->room_want = ch->drop || ch->notifier || need >= half ? need : half;
  ch->room_until = mc__plat_now_ns() + mc__liveness_slice();
  if (!ch->notifier) {
    uint64_t want = ch->head + ch->room_want > cap ? ch->head + ch->room_want - cap : 0;
    atomic_store_explicit(&ch->ctl->send_want, want, memory_order_relaxed);
  }
  MC__CRASH(RING_WANT);
  int rc = mc__chan_wait(ch, room_ready, mc__chan_receiver_gone, &ch->send_side, to,
                         &ch->stats.send_waits);
  if (rc == MC_ETIMEDOUT && space_ready(ch) == 1) rc = MC_OK;
  return rc;
}

static void unlock_senders(mc_chan *ch) {
  if (ch->multi) mc__tlock_release(&ch->send_lock);
}

static void set_busy(_Atomic uint32_t *busy, int on) {
  atomic_store_explicit(busy, (uint32_t)on, memory_order_relaxed); /* a hint to a waiter */
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
  int joining = 0;
  if (ch->fan == MC__FAN_BCAST) {
    int r = (h & 15) ? MC_ECORRUPT : bcast_min(ch, h, 1, &t);
    if (r < 0) return mc__chan_corrupt(ch);
    joining = r == 2;
  }
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
  /* A receiver still joining will start at the head it reads, which may be the old one: not
     behind the true head by a ring, but behind t. Room is then found by a full scan, which
     waits for it. (Found by the protocol model, channel/fanout.pml.) */
  if (joining) ch->cached_tail = pos > capacity(ch) ? pos - capacity(ch) : 0;
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
  if (rc == MC_ETIMEDOUT) mc__chan_lock_busy(ch);
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
    if (ch->fan == MC__FAN_BCAST && !(ch->head & 15)) {
      /* Every cursor is within a ring of head: an older copy of the tail says only that. */
      if (ch->head - ch->cached_tail > capacity(ch)) ch->cached_tail = ch->head - capacity(ch);
    } else if ((ch->head & 15) || ch->head - ch->cached_tail > capacity(ch)) {
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
  int rc = space_ready(ch);
  if (rc == 0)
    rc = wait_room(ch, to);
  else if (rc == 1)
    rc = MC_OK;
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

/* A receiver looks for the next record at the position after the last one published, where
   the ring still holds an earlier lap's bytes: payload, or an old header torn by a later
   payload. Those may read as the very stamp the next record will carry (an old stamp differs
   from it in a few bits, so two bytes of payload over its low end match it one time in 65536:
   the kill storm found it). So before a record is published, the stamp words where a
   receiver will look next are zeroed (no position's stamp is 0): the record's own, when a
   padding comes first (the receiver looks there once the padding is published), and the one
   after the record (`end`), when that header lies in free space. When it does not, the ring
   is full up to the slowest receiver, and the header at `end` is that receiver's next record,
   published, whose stamp is a lap older than `end`'s. Plain stores: the stamps' release
   publishes them. */
static void clear_stamps(mc_chan *ch, uint64_t end) {
  if (ch->res_pad != UINT64_MAX)
    atomic_store_explicit(&header_at(ch, ch->res_pos)->stamp, 0, memory_order_relaxed);
  if (end - ch->cached_tail < capacity(ch))
    atomic_store_explicit(&header_at(ch, end)->stamp, 0, memory_order_relaxed);
  MC__CRASH(RING_CLEARED);
}

static int ring_commit(mc_chan *ch, size_t len) {
  mc__chan_ctl *c = ch->ctl;
  mc__rec_hdr *h = header_at(ch, ch->res_pos);
  uint64_t end = ch->res_pos + mc__rec_bytes(len);
  h->len = (uint32_t)len;
  h->tag = MC__REC_TAG;
  MC__CRASH(RING_WRITTEN);
  clear_stamps(ch, end);
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

/* DROP_OLDEST: our shared cursor, which a sender moves when it overwrites what we had not
   read yet. */
static _Atomic uint64_t *cursor_of(mc_chan *ch) {
  return &ch->ctl->rx[ch->peer].cursor;
}

/* DROP_OLDEST: a record to read, or a sender moved us on. */
static int drop_ready(mc_chan *ch) {
  return data_ready(ch) || atomic_load_explicit(cursor_of(ch), memory_order_relaxed) != ch->cursor;
}

/* Before sleeping: the senders' head must make sense against our tail. It may trail tail a
   little (a sender stores its stamps before head, and we may have consumed the record in
   between), but never by more than a ring; and a head ahead of tail goes with a published
   record at tail. Then: can anyone still send? */
static int recv_gone(mc_chan *ch, mc__timeout *to) {
  uint64_t h = atomic_load_explicit(&ch->ctl->head, memory_order_acquire), t = ch->tail;
  /* DROP_OLDEST: a sender moves our cursor before it advances head past what it overwrites,
     so a cursor unmoved after that head was read vouches for the head's record at t; a moved
     one means our tail is old: look again. */
  if (ch->drop && drop_ready(ch)) return 0;
  /* Broadcast without DROP_OLDEST: nobody else writes our cursor. Changed (say to "joining",
     which holds every sender back) it would wedge the stream: we wait for data they wait to
     send. */
  if (ch->fan == MC__FAN_BCAST && !ch->drop &&
      atomic_load_explicit(cursor_of(ch), memory_order_relaxed) != ch->cursor)
    return mc__chan_corrupt(ch);
  if ((h & 15) || (h >= t ? h - t : t - h) > capacity(ch) || (h > t && !data_ready(ch)))
    return mc__chan_corrupt(ch);
  return mc__chan_senders_gone(ch, to);
}

/* The record at our tail once published, paddings skipped (locally: freed with the next
   consume). The ring may not change under it: we hold its space (our tail, our cursor, or
   the receivers' lock). */
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

/* Shared work: the receivers' lock, then the shared tail, and the record there. The lock is
   held until consume: a receiver killed meanwhile leaves tail where it was, so its peeked
   message goes to whoever takes the lock over. */
static int share_peek(mc_chan *ch, const void **msg, size_t *len, mc__timeout *to) {
  int rc = mc__tlock_acquire(&ch->recv_lock, to);
  if (rc == MC_ETIMEDOUT) mc__chan_lock_busy(ch);
  if (rc != MC_OK && rc != MC_EOWNERDEAD) return rc;
  MC__CRASH(RING_RECV_LOCKED);
  uint64_t t = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
  uint64_t h = atomic_load_explicit(&ch->ctl->head, memory_order_acquire);
  ch->tail = t;
  /* tail may lead head a little after a sender's death (recv_gone), never by a ring */
  rc = (t & 15) || (h >= t ? h - t : t - h) > capacity(ch) ? mc__chan_corrupt(ch)
                                                           : ring_peek(ch, msg, len, to);
  if (rc != MC_OK) mc__tlock_release(&ch->recv_lock);
  return rc;
}

/* Room for a copy of n bytes. */
static int copy_room(mc_chan *ch, size_t n) {
  if (n <= ch->copy_cap && ch->copy) return MC_OK;
  size_t cap = ch->copy_cap ? ch->copy_cap : 256;
  while (cap < n) cap *= 2;
  unsigned char *p = realloc(ch->copy, cap);
  if (!p) return MC_ENOMEM;
  ch->copy = p;
  ch->copy_cap = cap;
  return MC_OK;
}

/* DROP_OLDEST: a sender may overwrite what we read at any moment, having first moved our
   cursor past it. So the record is copied out, and it is ours only if the cursor still
   says where we started when the copy is done - then we move the cursor past it ourselves
   (compare-and-swap against the sender's move). A move found at any step: the sender
   counted what we lost; start again where it put us. */
static int drop_peek(mc_chan *ch, const void **msg, size_t *len, mc__timeout *to) {
  _Atomic uint64_t *cur = cursor_of(ch);
  while (!ch->copy_kept) {
    int rc = mc__chan_await(ch, drop_ready, recv_gone, &ch->recv_side, to, &ch->stats.recv_waits);
    if (rc != MC_OK) return rc;
    uint64_t c = atomic_load_explicit(cur, memory_order_acquire);
    if (c != ch->cursor) {
      if ((c & 15) || c < ch->cursor) return mc__chan_corrupt(ch);
      ch->cursor = ch->tail = c;
      continue;
    }
    uint64_t t = ch->tail, off = t & ch->cap_mask, to_end = capacity(ch) - off;
    const mc__rec_hdr *h = header_at(ch, t);
    uint64_t n = h->len;
    uint32_t tag = h->tag;
    mc__chan_fence_acquire(); /* pairs with drop_slow's fence */
    if (atomic_load_explicit(cur, memory_order_relaxed) != c) continue; /* overwritten */
    if (tag == MC__PAD_TAG) {
      if (n != to_end - HDR) return mc__chan_corrupt(ch);
      ch->tail = t + to_end;
      continue;
    }
    if (tag != MC__REC_TAG || n > ch->max_msg || mc__rec_bytes(n) > to_end)
      return mc__chan_corrupt(ch);
    if ((rc = copy_room(ch, (size_t)n)) != MC_OK) return rc;
    memcpy(ch->copy, ch->data + off + HDR, (size_t)n);
    mc__chan_fence_acquire();
    uint64_t next = t + mc__rec_bytes(n);
    if (!atomic_compare_exchange_strong(cur, &c, next)) continue; /* overwritten as we copied */
    ch->cursor = ch->tail = next;
    ch->copy_len = (size_t)n;
    ch->copy_kept = 1;
  }
  MC__CRASH(RING_PEEKED);
  *msg = ch->copy;
  *len = ch->copy_len;
  return MC_OK;
}

static int fan_peek(mc_chan *ch, const void **msg, size_t *len, mc__timeout *to) {
  if (ch->fan == MC__FAN_SHARE) return share_peek(ch, msg, len, to);
  if (ch->drop) return drop_peek(ch, msg, len, to);
  return ring_peek(ch, msg, len, to);
}

static int ring_consume(mc_chan *ch) {
  if (ch->drop) { /* taken already: the cursor moved as we copied it */
    ch->copy_kept = 0;
    return MC_OK;
  }
  if (ch->peek_len >= MC__BUSY_BYTES) set_busy(&ch->ctl->recv_busy, 0);
  ch->tail = ch->next_tail;
  /* Returns the space to the senders once we are done with the bytes (pairs with their
     acquire load of tail, or of our cursor). */
  _Atomic uint64_t *t = ch->fan == MC__FAN_BCAST ? &ch->ctl->rx[ch->peer].cursor : &ch->ctl->tail;
  atomic_store_explicit(t, ch->tail, memory_order_release);
  ch->cursor = ch->tail; /* broadcast: as recv_gone expects to find it */
  MC__CRASH(RING_TAIL);
  if (ch->fan == MC__FAN_SHARE) mc__tlock_release(&ch->recv_lock);
  mc__chan_hint_cpu_every(&ch->ctl->recv_cpu, ch->stats.received);
  mc__chan_notify_room(ch, &ch->send_side, &ch->ctl->send_want, ch->tail);
  return MC_OK;
}

static void ring_cancel_peek(mc_chan *ch) {
  if (ch->drop) return; /* the copy stays, and the next peek hands it out again */
  if (ch->peek_len >= MC__BUSY_BYTES) set_busy(&ch->ctl->recv_busy, 0);
  /* the record stays where it is; tail did not move */
  if (ch->fan == MC__FAN_SHARE) mc__tlock_release(&ch->recv_lock);
}

/* A broadcast receiver's place in the stream: the head as it stands once the senders can
   see us (registration stored us OPEN, with our cursor "joining", and the fence orders that
   before our look at head). A sender that looked for receivers before that saw none, and
   overwrites only what lies behind the head it had published then - at or behind what we
   read here; one that looks later waits while we are joining, then finds our cursor. A
   sender woken to look again: it may have waited for us. */
static int bcast_join(mc_chan *ch) {
  mc__chan_fence();
  MC__CRASH(RING_JOINING);
  uint64_t h = atomic_load(&ch->ctl->head);
  if (h & 15) return mc__chan_corrupt(ch);
  ch->tail = ch->cursor = h;
  atomic_store(cursor_of(ch), h);
  mc__chan_kick(ch, &ch->send_side);
  return MC_OK;
}

/* A new endpoint, registered: a sender of a one-sender ring takes over the stream where its
   predecessor left it (find_head); senders of a multi-sender ring find head under their lock;
   a receiver starts at tail (shared work: reads it under the receivers' lock), a broadcast
   one at head. */
static int ring_start(mc_chan *ch) {
  if (ch->role == MC_CHAN_RECV) {
    if (ch->fan == MC__FAN_BCAST) return bcast_join(ch);
    ch->tail = atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
    return (ch->tail & 15) ? mc__chan_corrupt(ch) : MC_OK;
  }
  if (ch->multi) {
    /* Broadcast: the shared tail is only a report, so no lower bound of the cursors; 0
       makes lock_senders start from "a ring behind head". */
    ch->cached_tail =
        ch->fan == MC__FAN_BCAST ? 0 : atomic_load_explicit(&ch->ctl->tail, memory_order_acquire);
    return MC_OK;
  }
  int rc = find_head(ch);
  return rc < 0 ? rc : MC_OK;
}

const mc__chan_ops mc__ring_ops = {ring_start,   ring_reserve,        ring_commit,     fan_peek,
                                   ring_consume, ring_cancel_reserve, ring_cancel_peek};
