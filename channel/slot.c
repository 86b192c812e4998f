/* The slot channel: the classic Win32 one-slot handshake memchan descends from.
 *
 * One slot of max_msg bytes, a state (EMPTY = "read finished", FULL = "new data") and a
 * lock. The sender waits for EMPTY, writes the slot under the lock and sets FULL; the
 * receiver waits for FULL, reads under the lock and sets EMPTY. The waiting uses the ring's
 * announce-then-sleep protocol (wait.c) on the data and space words, so a side that finds
 * its peer ready makes no system call. The end of the stream is the senders' explicit
 * CLOSED state, never an empty record. */
#include "wait.h"

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

static int slot_state(mc_chan *ch) {
  return (int)atomic_load_explicit(&ch->ctl->slot_state.value, memory_order_acquire);
}

static int empty_ready(mc_chan *ch) {
  return slot_state(ch) == MC__SLOT_EMPTY;
}

static int full_ready(mc_chan *ch) {
  return slot_state(ch) == MC__SLOT_FULL;
}

/* Takes the lock; a dead holder is not an error here (the state says what it left). */
static int lock_slot(mc_chan *ch, mc__timeout *to, int *owner_died) {
  int rc = mc__tlock_acquire(&ch->slot_lock, to);
  if (rc == MC_ETIMEDOUT) mc__chan_lock_busy(ch);
  *owner_died = rc == MC_EOWNERDEAD;
  return rc == MC_EOWNERDEAD ? MC_OK : rc;
}

static int slot_reserve(mc_chan *ch, size_t len, void **buf, mc__timeout *to) {
  MC__UNUSED(len);
  for (;;) {
    int rc = mc__chan_await(ch, empty_ready, mc__chan_receiver_gone, &ch->send_side, to,
                            &ch->stats.send_waits);
    int died;
    if (rc == MC_OK) rc = lock_slot(ch, to, &died);
    if (rc != MC_OK) return rc;
    if (empty_ready(ch)) {
      /* We write now; a sender that died writing here before us had said so too: its message
         is lost. Not so a receiver that died after emptying the slot, nor a sender that died
         after publishing (they leave slot_writing 0), whoever took the lock over from them.
         The mark first, then the count: a sender that dies in between misses the count
         rather than making the next one count twice. */
      if (atomic_exchange(&ch->ctl->slot_writing, 1)) atomic_fetch_add(&ch->ctl->abandoned, 1);
      *buf = ch->data;
      MC__CRASH(SLOT_LOCKED);
      return MC_OK;
    }
    mc__tlock_release(&ch->slot_lock); /* another sender filled it first */
  }
}

static int slot_commit(mc_chan *ch, size_t len) {
  atomic_store_explicit(&ch->ctl->slot_len, (uint32_t)len, memory_order_relaxed);
  /* Publishes the length and the slot (pairs with the receiver's acquire of the state). */
  atomic_store_explicit(&ch->ctl->slot_state.value, MC__SLOT_FULL, memory_order_release);
  atomic_store_explicit(&ch->ctl->slot_writing, 0, memory_order_relaxed); /* published */
  MC__CRASH(SLOT_FULL);
  mc__tlock_release(&ch->slot_lock);
  mc__chan_hint_cpu_every(&ch->ctl->send_cpu, ch->stats.sent);
  mc__chan_notify(ch, &ch->recv_side);
  return MC_OK;
}

static void slot_cancel_reserve(mc_chan *ch) {
  atomic_store_explicit(&ch->ctl->slot_writing, 0, memory_order_relaxed); /* nothing lost */
  mc__tlock_release(&ch->slot_lock);
}

static int slot_peek(mc_chan *ch, const void **msg, size_t *len, mc__timeout *to) {
  for (;;) {
    int rc = mc__chan_await(ch, full_ready, mc__chan_senders_gone, &ch->recv_side, to,
                            &ch->stats.recv_waits);
    int died;
    if (rc == MC_OK) rc = lock_slot(ch, to, &died);
    if (rc != MC_OK) return rc;
    if (full_ready(ch)) {
      /* A sender that died between FULL and saying so published its message all the same. */
      if (died) atomic_store_explicit(&ch->ctl->slot_writing, 0, memory_order_relaxed);
      uint32_t n = atomic_load_explicit(&ch->ctl->slot_len, memory_order_relaxed);
      if (n > ch->max_msg) {
        mc__tlock_release(&ch->slot_lock);
        return mc__chan_corrupt(ch);
      }
      *msg = ch->data;
      *len = n;
      MC__CRASH(SLOT_PEEKED);
      return MC_OK; /* the lock is held until consume */
    }
    mc__tlock_release(&ch->slot_lock); /* a sender died mid-write: nothing to read */
  }
}

static int slot_consume(mc_chan *ch) {
  atomic_store_explicit(&ch->ctl->slot_state.value, MC__SLOT_EMPTY, memory_order_release);
  MC__CRASH(SLOT_EMPTY);
  mc__tlock_release(&ch->slot_lock);
  mc__chan_hint_cpu_every(&ch->ctl->recv_cpu, ch->stats.received);
  mc__chan_notify(ch, &ch->send_side);
  return MC_OK;
}

static void slot_cancel_peek(mc_chan *ch) {
  mc__tlock_release(&ch->slot_lock); /* still FULL: the message stays */
}

static int slot_start(mc_chan *ch) {
  MC__UNUSED(ch); /* the slot's state says everything */
  return MC_OK;
}

const mc__chan_ops mc__slot_ops = {slot_start,   slot_reserve,        slot_commit,     slot_peek,
                                   slot_consume, slot_cancel_reserve, slot_cancel_peek};
