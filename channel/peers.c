/* Channel peers: registering an end, and deciding whether the other side is gone - alive,
 * closed or dead - by the process identities the peer records hold. */
#include "wait.h"

#include <string.h>

/* How long a channel waits before re-checking that its peers live (a dead process wakes
   nobody), and so how late a death is noticed. */
#define PEER_CHECK_NS 10000000ull

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

static int peer_alive(mc__chan_peer *p) {
  return mc__plat_token_alive(atomic_load_explicit(&p->token, memory_order_acquire));
}

/* Registration and the marking of dead peers happen under reg_lock: a slot is reused only
   when its occupant is gone, and that must be decided by one process at a time. */
/* Takes the registration lock by `deadline`. */
static int lock_registration(mc_chan *ch, mc__tlock *reg, uint64_t deadline) {
  int rc = mc__region_tlock(&ch->r, reg, &ch->ctl->reg_lock);
  if (rc != MC_OK) return rc;
  rc = mc__tlock_acquire_by(reg, deadline);
  if (rc == MC_EOWNERDEAD) rc = MC_OK; /* each registration step is one store */
  if (rc != MC_OK) {
    mc__tlock_unbind(reg);
    return rc;
  }
  MC__CRASH(CHAN_REG_LOCKED);
  return MC_OK;
}

static void unlock_registration(mc__tlock *reg) {
  mc__tlock_release(reg);
  mc__tlock_unbind(reg);
}

/* Marks sender p, found OPEN with its process dead, DEAD; caller holds reg_lock. The count
   comes first: a death between the two leaves a dead OPEN sender, which is marked again,
   never a DEAD one uncounted (the receiver would take the stream for not begun). */
static void mark_sender_dead(mc__chan_ctl *c, mc__chan_peer *p) {
  atomic_fetch_add(&c->senders_died, 1);
  MC__CRASH(CHAN_MARK_DEAD);
  atomic_store(&p->state, MC__PEER_DEAD);
}

/* A receiver slot that may be taken: not OPEN, or OPEN with its process gone. */
static int rx_free(mc__chan_peer *p) {
  return atomic_load(&p->state) != MC__PEER_OPEN || !peer_alive(p);
}

int mc__chan_register(mc_chan *ch, uint64_t deadline) {
  mc__chan_ctl *c = ch->ctl;
  mc__tlock reg;
  int rc = lock_registration(ch, &reg, deadline);
  if (rc != MC_OK) return rc;
  uint64_t me = mc__plat_self_token();
  mc__chan_peer *slot = NULL;
  if (ch->role == MC_CHAN_RECV) {
    for (int i = 0; i < ch->nrx && !slot; i++) {
      mc__chan_peer *p = mc__chan_rx_peer(ch, i);
      if (!rx_free(p)) continue;
      slot = p;
      if (ch->fan) {
        ch->peer = i;
        ch->recv_side.bit = 1ull << i;
        /* A broadcast receiver has no place in the stream until ring_start gives it one:
           senders that see it meanwhile wait for it rather than read a stale cursor. */
        atomic_store(&c->rx[i].cursor, MC__CURSOR_JOINING);
        /* A new count: the next generation, at 0 (a sender still counting a loss of the
           previous receiver's sees the generation change and leaves it; ring.c) */
        uint64_t d = atomic_load(&c->rx[i].dropped);
        atomic_store(&c->rx[i].dropped, ((d >> 48) + 1) << 48);
      }
    }
  } else {
    int n = ch->multi ? MC__CHAN_SENDERS : 1;
    for (int i = 0; i < n && !slot; i++) {
      mc__chan_peer *p = &c->senders[i];
      uint32_t st = atomic_load(&p->state);
      if (st == MC__PEER_OPEN && !peer_alive(p)) {
        mark_sender_dead(c, p);
        st = MC__PEER_DEAD;
      }
      if (st != MC__PEER_OPEN) {
        slot = p;
        ch->peer = i;
        ch->send_side.bit = 1ull << i;
      }
    }
  }
  if (slot) {
    /* No OS handle yet: a predecessor's (a dead one's) is not to be signalled any more. */
    _Atomic uint64_t *notify = ch->role == MC_CHAN_RECV ? &c->recv_notify : &c->send_notify;
    atomic_fetch_and(notify, ~(ch->role == MC_CHAN_RECV ? ch->recv_side.bit : ch->send_side.bit));
    atomic_store(&slot->notifier, 0);
    atomic_store_explicit(&slot->token, me, memory_order_relaxed);
    atomic_store(&slot->state, MC__PEER_OPEN); /* seq_cst: see ring_start's broadcast join */
    MC__CRASH(CHAN_REG_CLAIMED);
  } else {
    /* Taken: a live receiver (16 of a fan-out channel), or a live sender of a one-sender
       channel (or 64 senders). */
    rc = (ch->role == MC_CHAN_SEND && ch->multi) || (ch->role == MC_CHAN_RECV && ch->fan)
             ? MC_ENOSPC
             : MC_EBUSY;
  }
  unlock_registration(&reg);
  return rc;
}

/* The slot was never used, so it is FREE again rather than CLOSED (no end of stream is
   announced). */
void mc__chan_unregister(mc_chan *ch) {
  mc__chan_peer *p = ch->role == MC_CHAN_RECV ? mc__chan_rx_peer(ch, ch->fan ? ch->peer : 0)
                                              : &ch->ctl->senders[ch->peer];
  uint32_t open = MC__PEER_OPEN;
  atomic_compare_exchange_strong(&p->state, &open, MC__PEER_FREE);
  if (ch->role == MC_CHAN_RECV && ch->fan == MC__FAN_BCAST)
    mc__chan_kick(ch, &ch->send_side); /* senders waiting while it joined */
}

/* Peer p was found OPEN and its process gone: marks it DEAD, under reg_lock taken by the
   caller's deadline. Whether it died: it may have closed its end in between (the close, then
   the exit, fell between the look at its state and the liveness check) - then it is CLOSED,
   and its stream ended well. Dead also when the lock could not be had in time and it is
   still OPEN (marked by a later check). */
static int mark_dead(mc_chan *ch, mc__chan_peer *p, int sender, mc__timeout *to) {
  mc__tlock reg;
  if (lock_registration(ch, &reg, mc__timeout_deadline(to)) == MC_OK) {
    if (atomic_load(&p->state) == MC__PEER_OPEN && !peer_alive(p)) {
      if (sender)
        mark_sender_dead(ch->ctl, p);
      else
        atomic_store(&p->state, MC__PEER_DEAD);
    }
    unlock_registration(&reg);
  }
  return atomic_load_explicit(&p->state, memory_order_acquire) != MC__PEER_CLOSED;
}

/* Liveness checks cost a /proc read or an OpenProcess each: at most one round per
   PEER_CHECK_NS per handle. */
static int peer_check_due(mc_chan *ch) {
  uint64_t now = mc__plat_now_ns();
  if (now < ch->next_peer_check) return 0;
  ch->next_peer_check = now + PEER_CHECK_NS;
  return 1;
}

int mc__chan_senders_gone(mc_chan *ch, mc__timeout *to) {
  mc__chan_ctl *c = ch->ctl;
  int check = peer_check_due(ch), open = 0, dead = 0;
  if (check && mc__region_intact(&ch->r) != MC_OK) return mc__chan_corrupt(ch);
  int n = ch->multi ? MC__CHAN_SENDERS : 1;
  for (int i = 0; i < n; i++) {
    mc__chan_peer *p = &c->senders[i];
    if (atomic_load_explicit(&p->state, memory_order_acquire) != MC__PEER_OPEN) continue;
    if (check && !peer_alive(p)) {
      dead |= mark_dead(ch, p, 1, to);
      continue;
    }
    open++;
  }
  if (open) return 0;
  /* Nobody can send: once drained, say how the stream ended. An abort outranks everything
     (a sender said why it failed); a death outranks a close (something may be missing). No
     sender yet at all: keep waiting. */
  if (atomic_load_explicit(&c->aborted, memory_order_acquire)) return MC_EABORTED;
  if (dead || atomic_load(&c->senders_died)) return MC_EPEERDEAD;
  if (atomic_load(&c->senders_closed)) return MC_ECLOSED;
  return 0;
}

int mc__chan_receiver_gone(mc_chan *ch, mc__timeout *to) {
  int check = peer_check_due(ch), open = 0, seen = 0;
  if (check && mc__region_intact(&ch->r) != MC_OK) return mc__chan_corrupt(ch);
  for (int i = 0; i < ch->nrx; i++) {
    mc__chan_peer *p = mc__chan_rx_peer(ch, i);
    uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
    if (st == MC__PEER_OPEN && check && !peer_alive(p))
      st = mark_dead(ch, p, 0, to) ? MC__PEER_DEAD : MC__PEER_CLOSED; /* no longer waited for */
    if (st == MC__PEER_OPEN) open++;
    if (st == MC__PEER_CLOSED || st == MC__PEER_DEAD) seen++;
  }
  /* A broadcast sender waits only for live receivers, and with none has room: it never
     needs to be told that they are gone. */
  if (open || ch->fan == MC__FAN_BCAST) return 0;
  return seen ? MC_EPEERDEAD : 0; /* none connected yet: keep waiting */
}

int mc__chan_rx_dead(mc_chan *ch, int i) {
  mc__chan_peer *p = &ch->ctl->rx[i].peer;
  if (!peer_check_due(ch) || peer_alive(p)) return 0;
  mc__timeout now = mc__timeout_ms(0);
  mark_dead(ch, p, 0, &now);
  /* Gone (DEAD, or CLOSED as it went), but OPEN still if the registration lock was not to be
     had at once: then it is moved on like a live one (its count is nobody's concern), and
     marked another time. */
  return atomic_load(&p->state) != MC__PEER_OPEN;
}

int mc__chan_corrupt(mc_chan *ch) {
  if (!ch->corrupt) mc__debug("channel %s: shared state failed validation", ch->name);
  ch->corrupt = 1;
  return MC_ECORRUPT;
}

int mc_chan_get_ends(mc_chan *ch, mc_chan_ends *out) {
  if (!ch || !out) return MC_EINVAL;
  memset(out, 0, sizeof *out);
  if (ch->corrupt) return MC_ECORRUPT;
  mc__chan_ctl *c = ch->ctl;
  int n = ch->multi ? MC__CHAN_SENDERS : 1;
  for (int i = 0; i < n; i++) {
    mc__chan_peer *p = &c->senders[i];
    uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
    if (st > MC__PEER_DEAD) return mc__chan_corrupt(ch);
    if (st != MC__PEER_FREE) out->sender_seen = 1;
    if (st == MC__PEER_OPEN && peer_alive(p)) out->senders++;
  }
  for (int i = 0; i < ch->nrx; i++) {
    mc__chan_peer *p = mc__chan_rx_peer(ch, i);
    uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
    if (st > MC__PEER_DEAD) return mc__chan_corrupt(ch);
    if (st != MC__PEER_FREE) out->receiver_seen = 1;
    if (st == MC__PEER_OPEN && peer_alive(p)) out->receivers++;
  }
  out->senders_closed = atomic_load(&c->senders_closed);
  out->senders_died = atomic_load(&c->senders_died);
  if (out->senders_closed || out->senders_died) out->sender_seen = 1;
  out->aborted = atomic_load_explicit(&c->aborted, memory_order_acquire) != 0;
  out->abort_code = out->aborted ? atomic_load_explicit(&c->abort_code, memory_order_relaxed) : 0;
  return MC_OK;
}
