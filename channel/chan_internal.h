/* Channels: the shared control block, the handle, and the operations each kind provides.
 * docs/channels.md gives the protocols and docs/layout.md the bytes; keep them in step. */
#ifndef MC_CHAN_INTERNAL_H
#define MC_CHAN_INTERNAL_H

#include "region.h"
#include "tlock.h"

#define MC__CHAN_SENDERS          64           /* at most 64: a waiting mask has a bit each */
#define MC__CHAN_MAX_MSG          (1u << 30)   /* largest max_msg accepted */
#define MC__CHAN_MAX_CAPACITY     (1ull << 36) /* largest ring accepted */
#define MC__CHAN_DEFAULT_MAX_MSG  (64u * 1024)
#define MC__CHAN_DEFAULT_CAPACITY (1ull << 20)
#define MC__REC_TAG               0x3052434du   /* "MCR0": a message record */
#define MC__PAD_TAG               0x5052434du   /* "MCRP": padding to the end of the ring */
#define MC__BUSY_BYTES            (16u * 1024)  /* messages big enough to say "busy" about */
#define MC__PREFAULT_MAX          (64ull << 20) /* ring bytes mapped in at open, at most */

/* A ring record's header. The stamp is the record's position + 1 and is stored last, with
   release order: a receiver that reads the stamp it expects (acquire) sees the whole record.
   The receiver polls the stamp, which shares its cache line with the start of the payload,
   so a small message crosses between cores as one line. */
typedef struct mc__rec_hdr {
  _Atomic uint64_t stamp;
  uint32_t len;
  uint32_t tag; /* MC__REC_TAG or MC__PAD_TAG */
} mc__rec_hdr;
_Static_assert(sizeof(mc__rec_hdr) == 16, "record header layout");

/* Bytes a record of len payload bytes takes: header + payload padded to 16 bytes. */
static inline uint64_t mc__rec_bytes(uint64_t len) {
  return sizeof(mc__rec_hdr) + ((len + 15) & ~15ull);
}

/* Peer states (mc__chan_peer.state). */
enum { MC__PEER_FREE = 0, MC__PEER_OPEN = 1, MC__PEER_CLOSED = 2, MC__PEER_DEAD = 3 };

typedef struct mc__chan_peer {
  _Atomic uint64_t token; /* the endpoint's process */
  _Atomic uint32_t state; /* MC__PEER_* */
  uint32_t reserved;
} mc__chan_peer;

/* The control block in the region's state area. Each line that one side writes on its fast
   path has a cache line to itself. */
typedef struct mc__chan_ctl {
  /* line 0: geometry, written once by the creator (also in the header params) */
  uint64_t capacity;      /*   0 ring bytes (a power of two); slot: 0 */
  uint32_t max_msg;       /*   8 */
  uint32_t flags;         /*  12 MC_CHAN_MULTI_SEND */
  int32_t spin_us;        /*  16 the creator's spin setting, used by every endpoint */
  uint32_t reserved0[11]; /*  20 */
  /* line 1: written by the sender(s) */
  _Atomic uint64_t head; /*  64 ring: bytes ever committed */
  uint8_t pad1[56];
  /* line 2: written by the receiver */
  _Atomic uint64_t tail; /* 128 ring: bytes ever consumed */
  uint8_t pad2[56];
  /* line 3: the receiver sleeps here (it announces itself in recv_waiting, a sender bumps
     data). The waiting words are masks: each sleeper sets its own bit (wait.c). */
  mc__futex_word data;           /* 192 */
  _Atomic uint64_t recv_waiting; /* 200 */
  _Atomic int32_t recv_cpu;      /* 208 where the receiver last waited (-1 unknown) */
  _Atomic uint32_t recv_busy;    /* 212 the receiver holds a large peeked message */
  uint8_t pad3[40];
  /* line 4: senders sleep here (bit 1 << sender index in send_waiting; the receiver bumps
     space) */
  mc__futex_word space;          /* 256 */
  _Atomic uint64_t send_waiting; /* 264 */
  _Atomic int32_t send_cpu;      /* 272 where a sender last waited (-1 unknown) */
  _Atomic uint32_t send_busy;    /* 276 a sender is writing a large reserved message */
  uint8_t pad4[40];
  /* line 5: who is connected, and how the stream ended */
  mc__chan_peer receiver;          /* 320 */
  _Atomic uint64_t senders_closed; /* 336 close_send calls, ever */
  _Atomic uint64_t senders_died;   /* 344 senders found dead without closing, ever */
  _Atomic uint64_t abandoned;      /* 352 messages lost with a sender that died writing */
  uint8_t pad5[24];
  /* line 6: the senders' lock (MULTI_SEND ring), and the lock for joining and for marking
     peers dead (rarely taken) */
  mc__tlock_shared send_lock; /* 384 */
  mc__tlock_shared reg_lock;  /* 416 */
  /* line 7: the slot channel: state (EMPTY/FULL), length, lock; its sides sleep on data
     and space like a ring's */
  mc__futex_word slot_state; /* 448 (value; waiters unused) */
  _Atomic uint32_t slot_len; /* 456 */
  uint32_t pad7;
  mc__tlock_shared slot_lock; /* 464 */
  uint8_t pad8[16];
  /* lines 8..23: the senders */
  mc__chan_peer senders[MC__CHAN_SENDERS]; /* 512 */
} mc__chan_ctl;                            /* 1536 bytes */
_Static_assert(sizeof(mc__chan_ctl) == 1536, "channel control layout");
_Static_assert(sizeof(mc__chan_ctl) <= MC__STATE_BYTES, "fits the state area");

enum { MC__SLOT_EMPTY = 0, MC__SLOT_FULL = 1 };

/* One side's view of waiting: what it announces and sleeps on, and what it sees of its
   peer (wait.c). */
typedef struct mc__chan_side {
  _Atomic uint64_t *waiting;   /* this side's sleepers, a bit each */
  uint64_t bit;                /* ours in it: 1 << our sender index; the receiver's is 1 */
  mc__plat_futex *f;           /* the futex word this side sleeps on */
  _Atomic int32_t *cpu;        /* where this side last waited */
  _Atomic int32_t *peer_cpu;   /* where the peer last waited */
  _Atomic uint32_t *peer_busy; /* the peer is working on a large message */
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
  int spin_us; /* resolved: > 0 spin this long, 0 never */

  int peer;        /* our index in senders[] (-1 for the receiver) */
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
  uint64_t next_peer_check; /* when liveness may next be checked (ns) */
  mc__plat_futex data_f, space_f;
  mc__chan_side send_side, recv_side;
  mc__tlock send_lock, slot_lock;
  mc_chan_stats stats;
  char name[MC_NAME_MAX + 1];
};

/* ---- chan.c: shared helpers for the kinds ---- */
/* Sets the handle's sticky corrupt flag and returns MC_ECORRUPT. */
int mc__chan_corrupt(mc_chan *ch);
/* For a receiver that found nothing: MC_ECLOSED or MC_EPEERDEAD when no sender can send any
   more, else 0. Checks the senders' liveness at most every few milliseconds; marking one
   dead waits for the registration lock no longer than the caller's timeout. */
int mc__chan_senders_gone(mc_chan *ch, mc__timeout *to);
/* For a sender that cannot go on: MC_EPEERDEAD when the receiver has died or closed. */
int mc__chan_receiver_gone(mc_chan *ch, mc__timeout *to);

/* ---- wait.c: the wait strategy ---- */
typedef int (*mc__chan_ready_fn)(mc_chan *ch);                 /* 1 ready, 0 not yet, < 0 error */
typedef int (*mc__chan_gone_fn)(mc_chan *ch, mc__timeout *to); /* MC_E* when the peer is gone */
/* Waits until ready(ch), for a caller whose first look found it not ready (mc__chan_await
   makes that look): spins for the channel's spin time (longer while the peer is busy
   with a large message; yields instead when the peer runs on our CPU or we may only use
   one), then announces itself and sleeps until woken, calling gone(ch) before each sleep (it
   decides whether waiting still makes sense). *waits counts the calls that had to wait.
   Returns MC_OK, MC_ETIMEDOUT, or gone's / ready's error. */
int mc__chan_wait(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                  const mc__chan_side *side, mc__timeout *to, uint64_t *waits);
/* mc__chan_wait with the first look inlined: the common case, a ready peer, costs one
   load and no call. */
static inline int mc__chan_await(mc_chan *ch, mc__chan_ready_fn ready, mc__chan_gone_fn gone,
                                 const mc__chan_side *side, mc__timeout *to, uint64_t *waits) {
  int r = ready(ch);
  if (r) return r < 0 ? r : MC_OK;
  return mc__chan_wait(ch, ready, gone, side, to, waits);
}
/* Leaves a hint of the CPU this side runs on (wait.c decides to yield rather than spin when
   its peer shares its CPU). Called as a side waits, and as it publishes once every
   MC__HINT_EVERY messages (a lookup costs more than the rest of a small send), so that a
   peer that only ever waits in the other direction knows too; written only when it
   changes. */
#define MC__HINT_EVERY 64
static inline void mc__chan_hint_cpu(_Atomic int32_t *slot) {
  int32_t me = mc__plat_current_cpu();
  if (me != atomic_load_explicit(slot, memory_order_relaxed))
    atomic_store_explicit(slot, me, memory_order_relaxed);
}
/* The data path's hint: `count` is the side's message count. */
static inline void mc__chan_hint_cpu_every(_Atomic int32_t *slot, uint64_t count) {
  if (count % MC__HINT_EVERY == 0) mc__chan_hint_cpu(slot);
}
/* Wakes every sleeper that announced itself in `waiting` (taking the whole mask, then
   bumping f's word). Counts issued wake-ups in ch->stats.wakeups. */
void mc__chan_wake(mc_chan *ch, _Atomic uint64_t *waiting, mc__plat_futex *f);
/* Makes every sleeper on f look again, announced or not (end of stream, a closing end):
   bumps the word and wakes. */
void mc__chan_kick(mc_chan *ch, mc__plat_futex *f);
/* The other side's half of the protocol, after publishing: while nobody sleeps, a fence and
   one load. */
#ifdef __SANITIZE_THREAD__
/* gcc rejects a standalone fence inlined into another function under TSan (-Wtsan), which
   does not model fences anyway: out of line there. */
void mc__chan_fence(void);
#else
static inline void mc__chan_fence(void) {
  atomic_thread_fence(memory_order_seq_cst);
}
#endif
static inline void mc__chan_notify(mc_chan *ch, _Atomic uint64_t *waiting, mc__plat_futex *f) {
  mc__chan_fence(); /* our publish before reading `waiting` */
  if (atomic_load_explicit(waiting, memory_order_relaxed)) mc__chan_wake(ch, waiting, f);
}

#endif
