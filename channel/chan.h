/* A channel handle, the operations each kind provides (ring.c, slot.c), and the shared
 * helpers they use. The shared layout is layout.h; waiting is wait.h. */
#ifndef MC_CHAN_H
#define MC_CHAN_H

#include "layout.h"
#include "region.h"

/* One side's view of waiting: what it announces and sleeps on, and what it sees of its
   peer (wait.c). */
typedef struct mc__chan_side {
  _Atomic uint64_t *waiting;   /* this side's sleepers, a bit each */
  uint64_t bit;                /* ours in it: 1 << our sender index; the receiver's is 1 */
  mc__futex_word *word;        /* the futex word this side sleeps on, in shared memory */
  mc__plat_futex *f;           /* ... bound for sleeping and waking */
  _Atomic int32_t *cpu;        /* where this side last waited */
  _Atomic int32_t *peer_cpu;   /* where the peer last waited */
  _Atomic uint32_t *peer_busy; /* the peer is working on a large message */
  _Atomic uint64_t *notify;    /* this side's sleepers that wait on OS handles (notifiers) */
  int receivers;               /* this is the receivers' side (their peer records) */
} mc__chan_side;

struct mc_chan;
typedef struct mc__chan_ops {
  int (*start)(struct mc_chan *ch); /* a registered endpoint takes its place in the stream */
  int (*reserve)(struct mc_chan *ch, size_t len, void **buf, mc__timeout *to);
  int (*commit)(struct mc_chan *ch, size_t len);
  int (*peek)(struct mc_chan *ch, const void **msg, size_t *len, mc__timeout *to);
  int (*consume)(struct mc_chan *ch);
  void (*cancel_reserve)(struct mc_chan *ch); /* drop a reservation (handle closing) */
  void (*cancel_peek)(struct mc_chan *ch);    /* drop a peek (handle closing) */
} mc__chan_ops;

/* mc_chan.fan */
enum { MC__FAN_NONE = 0, MC__FAN_SHARE = 1, MC__FAN_BCAST = 2 };

extern const mc__chan_ops mc__ring_ops;
extern const mc__chan_ops mc__slot_ops;

struct mc_chan {
  mc__region r;
  mc__chan_ctl *ctl;
  const mc__chan_ops *ops;
  unsigned char *data; /* ring bytes or the slot */
  uint64_t cap_mask;   /* capacity - 1 (ring) */
  uint32_t max_msg;
  int kind, role, multi;
  int fan;  /* MC__FAN_*: how receivers share the ring */
  int drop; /* broadcast with MC_CHAN_DROP_OLDEST */
  int nrx;  /* receiver slots: MC__CHAN_RECEIVERS for fan-out, else 1 */
  int spin_us; /* resolved: > 0 spin this long, 0 never */

  int peer;        /* our index in senders[], or in rx[] for a fan-out receiver (one
                      receiver: -1) */
  int corrupt;     /* sticky: the shared state failed validation */
  int closed_send; /* this sender has sent end of stream */
  /* the operation in progress on this handle */
  int reserved;         /* a reservation awaits commit */
  int peeked;           /* a peeked message awaits consume */
  size_t res_len;       /* bytes reserved */
  uint64_t res_pos;     /* ring: where the reserved record starts */
  uint64_t res_pad;     /* ring: where a padding record before it starts, or UINT64_MAX */
  uint64_t next_tail;   /* ring: the tail after the peeked record */
  const void *peek_msg; /* the peeked message */
  size_t peek_len;
  /* local copies of shared indices */
  uint64_t head;            /* sender: our head (MULTI: re-read under the lock) */
  uint64_t tail;            /* receiver: our tail */
  uint64_t cached_tail;     /* sender: last tail seen */
  uint64_t room_want;       /* sender waiting for room: the room it waits for (ring.c) */
  uint64_t room_until;      /* ... and when its own record's room is enough after all (ns) */
  uint64_t next_peer_check; /* when liveness may next be checked (ns) */
  uint64_t cursor;          /* broadcast receiver: our shared cursor as we last set (or, with
                               DROP_OLDEST, saw) it; tail runs ahead of it over paddings */
  unsigned char *copy;      /* DROP_OLDEST receiver: the message peek hands out, copied out of
                               the ring (a sender may overwrite the ring under us) */
  size_t copy_cap, copy_len;
  int copy_kept;            /* ... and it is still to be delivered (a recv found it too big) */
  mc__plat_futex data_f, space_f;
  mc__chan_side send_side, recv_side;
  mc__tlock send_lock, slot_lock, recv_lock;
  mc_chan_stats stats;
  mc__chan_ctr *ctr;           /* this end's counter line in shared memory (NULL: no end) */
  mc__plat_notifier *notifier; /* this end's OS handle (mc_chan_os_handle), NULL until asked */
  mc__plat_signaller signaller; /* for making the peers' OS handles ready */
  char name[MC_NAME_MAX + 1];
};

/* ---- oswait.c: the OS handle of an end ---- */
/* Called by a waiting end that owns a notifier (ch->notifier), each time round before it
   announces itself: drains the handle (a peer found ended makes the next liveness check
   due at once) and watches the processes of the peers that could wake it. */
void mc__chan_notifier_rearm(mc_chan *ch);
/* Makes the peers' OS handles ready: those of `side`'s sleepers in `bits` that wait on one. */
void mc__chan_signal(mc_chan *ch, const mc__chan_side *side, uint64_t bits);
/* Gives up the handle's notifier (closing). */
void mc__chan_notifier_close(mc_chan *ch);
/* A call timed out waiting for a lock of the end's (senders', receivers', slot): nobody will
   signal the end's OS handle when it is free, so it is made ready now (its poller looks
   again at once). */
void mc__chan_lock_busy(mc_chan *ch);
/* waitset.c: 1 if the end may proceed now (or has an end of stream, a death or an error for
   its next call to report), 0 if its next call would block - and it is armed then. Takes
   nothing: a peeked message or a reservation is given back at once. */
int mc__chan_probe(mc_chan *ch);
/* A new end has joined: the other side's pollers look again (and watch it too). */
void mc__chan_joined(mc_chan *ch);

/* Copies this end's counts to its counter line in shared memory: plain (relaxed) stores to a
   line only this end writes, so the data path gains no locked instruction. Waits and
   wake-ups counted since the last message show with the next one (or at close). */
static inline void mc__chan_publish(mc_chan *ch) {
  mc__chan_ctr *c = ch->ctr;
  if (!c) return;
  int tx = ch->role == MC_CHAN_SEND;
  atomic_store_explicit(&c->messages, tx ? ch->stats.sent : ch->stats.received,
                        memory_order_relaxed);
  atomic_store_explicit(&c->bytes, tx ? ch->stats.bytes_sent : ch->stats.bytes_received,
                        memory_order_relaxed);
  atomic_store_explicit(&c->waits, tx ? ch->stats.send_waits : ch->stats.recv_waits,
                        memory_order_relaxed);
  atomic_store_explicit(&c->wakeups, ch->stats.wakeups, memory_order_relaxed);
}

/* ---- open.c ---- */
/* The validated geometry of a channel, from options or from an existing channel's header. */
typedef struct mc__chan_geom {
  int kind; /* MC_CHAN_RING / MC_CHAN_SLOT */
  uint32_t max_msg;
  uint64_t capacity; /* ring bytes; slot: 0 */
  unsigned flags;
  int spin_us;
} mc__chan_geom;
/* A channel's geometry from its (already checked) region header h, with the control block's
   copy c agreeing: MC_ECORRUPT otherwise. Openers and inspection use it. */
int mc__chan_check_geom(const mc__region_hdr *h, const mc__chan_ctl *c, mc__chan_geom *g);
/* Lets go of what the handle bound in the region (futexes, locks); the region stays open. */
void mc__chan_unbind(mc_chan *ch);

/* ---- peers.c: who is connected, and whether the other side is gone ---- */
/* Sets the handle's sticky corrupt flag and returns MC_ECORRUPT. */
int mc__chan_corrupt(mc_chan *ch);
/* For a receiver that found nothing: MC_EABORTED, MC_ECLOSED or MC_EPEERDEAD when no sender
   can send any more, else 0. Checks the senders' liveness at most every few milliseconds; marking one
   dead waits for the registration lock no longer than the caller's timeout. */
int mc__chan_senders_gone(mc_chan *ch, mc__timeout *to);
/* For a sender that cannot go on: MC_EPEERDEAD when the receiver has died or closed (fan-out:
   every receiver that connected; broadcast: never - with no receiver there is room). Marks
   receivers found dead DEAD, so that broadcast senders stop waiting for them. */
int mc__chan_receiver_gone(mc_chan *ch, mc__timeout *to);
/* Claims this endpoint's slot (receiver, or a sender's) under the registration lock, taken
   by `deadline`: MC_EBUSY when the end is taken (MC_ENOSPC: 64 senders). */
int mc__chan_register(mc_chan *ch, uint64_t deadline);
/* Gives back the slot mc__chan_register claimed (an open that fails after it). */
void mc__chan_unregister(mc_chan *ch);
/* Receiver slot i's peer record: rx[i] for fan-out, else the one receiver. */
static inline mc__chan_peer *mc__chan_rx_peer(mc_chan *ch, int i) {
  return ch->fan ? &ch->ctl->rx[i].peer : &ch->ctl->receiver;
}
/* For a DROP_OLDEST sender about to move receiver slot i forward: 1 when its process is
   gone and it is marked DEAD now (its slot free for the next receiver: it need not be
   moved). Checked at most every few milliseconds per handle; never waits for the
   registration lock (a dead one's is taken over). */
int mc__chan_rx_dead(mc_chan *ch, int i);

#endif
