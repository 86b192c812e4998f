/* A channel's shared layout: the control block in the region's state area, ring records and
 * peer records. docs/layout.md gives the bytes; keep the two in step. */
#ifndef MC_CHAN_LAYOUT_H
#define MC_CHAN_LAYOUT_H

#include "region.h" /* the state area it lives in */
#include "tlock.h"

#define MC__CHAN_SENDERS          64           /* at most 64: a waiting mask has a bit each */
#define MC__CHAN_RECEIVERS        16           /* fan-out receivers: a state-area line each */
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
  _Atomic uint64_t token;    /* the endpoint's process */
  _Atomic uint32_t state;    /* MC__PEER_* */
  _Atomic uint32_t notifier; /* the id of the OS handle it waits on (mc_chan_os_handle), 0 none */
} mc__chan_peer;

/* A fan-out receiver. The cursor (broadcast) is the receiver's own tail: bytes of the ring it
   has consumed. The receiver advances it; a DROP_OLDEST sender moves a receiver that is a
   ring behind forward past the messages it must overwrite (by compare-and-swap, so that the
   two never both win) and counts them in `dropped`. MC__CURSOR_JOINING (odd: no position)
   while a receiver is choosing where to start. */
typedef struct mc__chan_rx {
  mc__chan_peer peer;        /*  0 */
  _Atomic uint64_t cursor;   /* 16 broadcast: bytes this receiver consumed */
  _Atomic uint64_t dropped;  /* 24 DROP_OLDEST: messages it lost for being too slow */
  uint8_t pad[32];
} mc__chan_rx;
_Static_assert(sizeof(mc__chan_rx) == 64, "receiver line layout");
#define MC__CURSOR_JOINING 1ull

/* The control block in the region's state area. Each line that one side writes on its fast
   path has a cache line to itself. */
typedef struct mc__chan_ctl {
  /* line 0: geometry, written once by the creator (also in the header params) */
  uint64_t capacity;      /*   0 ring bytes (a power of two); slot: 0 */
  uint32_t max_msg;       /*   8 */
  uint32_t flags;         /*  12 MC_CHAN_MULTI_SEND, _MULTI_RECV, _BROADCAST, _DROP_OLDEST */
  int32_t spin_us;        /*  16 the creator's spin setting, used by every endpoint */
  uint32_t reserved0[11]; /*  20 */
  /* line 1: written by the sender(s) */
  _Atomic uint64_t head;    /*  64 ring: bytes ever committed */
  _Atomic uint64_t writing; /*  72 MULTI_SEND ring: position + 1 of the record the senders'
                               lock holder reserved, 0 none (so a taker knows what was lost) */
  uint8_t pad1[48];
  /* line 2: written by the receiver (shared work: by the holder of the receivers' lock;
     broadcast: by the senders, as the slowest receiver's cursor, for inspection) */
  _Atomic uint64_t tail;       /* 128 ring: bytes ever consumed */
  mc__tlock_shared recv_lock;  /* 136 MULTI_RECV: held from a peek to its consume */
  uint8_t pad2[24];
  /* line 3: the receiver sleeps here (it announces itself in recv_waiting, a sender bumps
     data). The waiting words are masks: each sleeper sets its own bit (wait.c). */
  mc__futex_word data;           /* 192 */
  _Atomic uint64_t recv_waiting; /* 200 */
  _Atomic int32_t recv_cpu;      /* 208 where the receiver last waited (-1 unknown) */
  _Atomic uint32_t recv_busy;    /* 212 the receiver holds a large peeked message */
  _Atomic uint64_t recv_notify;  /* 216 receivers that wait on their OS handle: a bit each,
                                    as in recv_waiting; a waker signals their notifiers */
  uint8_t pad3[32];
  /* line 4: senders sleep here (bit 1 << sender index in send_waiting; the receiver bumps
     space) */
  mc__futex_word space;          /* 256 */
  _Atomic uint64_t send_waiting; /* 264 */
  _Atomic int32_t send_cpu;      /* 272 where a sender last waited (-1 unknown) */
  _Atomic uint32_t send_busy;    /* 276 a sender is writing a large reserved message */
  _Atomic uint64_t send_notify;  /* 280 senders that wait on their OS handle */
  _Atomic uint64_t send_want;    /* 288 ring: the tail (broadcast: each receiver's cursor) a
                                    sleeping sender waits for; a receiver that frees less
                                    leaves it asleep (the wake threshold, ring.c) */
  uint8_t pad4[24];
  /* line 5: who is connected, and how the stream ended */
  mc__chan_peer receiver;          /* 320 */
  _Atomic uint64_t senders_closed; /* 336 close_send calls, ever */
  _Atomic uint64_t senders_died;   /* 344 senders found dead without closing, ever */
  _Atomic uint64_t abandoned;      /* 352 messages lost with a sender that died writing */
  _Atomic uint32_t aborted;        /* 360 a sender ended the stream with mc_chan_abort */
  _Atomic int32_t abort_code;      /* 364 ... and the reason it gave (stored first) */
  uint8_t pad5[16];
  /* line 6: the senders' lock (MULTI_SEND ring), and the lock for joining and for marking
     peers dead (rarely taken) */
  mc__tlock_shared send_lock; /* 384 */
  mc__tlock_shared reg_lock;  /* 416 */
  /* line 7: the slot channel: state (EMPTY/FULL), length, lock; its sides sleep on data
     and space like a ring's */
  mc__futex_word slot_state;    /* 448 (value; waiters unused) */
  _Atomic uint32_t slot_len;    /* 456 */
  _Atomic uint32_t slot_writing; /* 460 1 while a sender holds the slot lock to write */
  mc__tlock_shared slot_lock; /* 464 */
  uint8_t pad8[16];
  /* lines 8..23: the senders */
  mc__chan_peer senders[MC__CHAN_SENDERS]; /* 512 */
  /* lines 24..39: the receivers of a fan-out channel (MULTI_RECV, BROADCAST), a line each;
     a one-receiver channel uses `receiver` above */
  mc__chan_rx rx[MC__CHAN_RECEIVERS];      /* 1536 */
} mc__chan_ctl;                            /* 2560 bytes */
_Static_assert(sizeof(mc__chan_ctl) == 2560, "channel control layout");
_Static_assert(sizeof(mc__chan_ctl) <= MC__STATE_BYTES, "fits the state area");

enum { MC__SLOT_EMPTY = 0, MC__SLOT_FULL = 1 };

/* An end's counters, in the data area after the ring or the slot (format version 3): a cache
   line per end, so that ends never share one. Only the end itself writes its line, with
   relaxed stores of values it keeps in its handle (no locked instruction on the data path);
   inspectors read them (core of `memchan stat`). The end stores zeros and then its token
   when it takes its place, so a line whose token is not its peer record's belongs to nobody
   there now. */
typedef struct mc__chan_ctr {
  _Atomic uint64_t token;    /*  0 the end's process, as in its peer record */
  _Atomic uint64_t messages; /*  8 sent (sender) or received (receiver) */
  _Atomic uint64_t bytes;    /* 16 payload bytes of those */
  _Atomic uint64_t waits;    /* 24 calls that had to block */
  _Atomic uint64_t wakeups;  /* 32 wake-ups it issued to sleeping peers */
  uint8_t pad[24];
} mc__chan_ctr;
_Static_assert(sizeof(mc__chan_ctr) == 64, "counter line layout");
/* Lines: senders[i] at i, the one receiver or rx[i] at MC__CHAN_SENDERS + i. */
#define MC__CHAN_CTR_LINES (MC__CHAN_SENDERS + MC__CHAN_RECEIVERS)
#define MC__CHAN_CTR_BYTES ((uint64_t)MC__CHAN_CTR_LINES * sizeof(mc__chan_ctr)) /* 5120 */

/* Data offset of the counters: after the ring (capacity bytes), or after the slot rounded up
   to a cache line. */
static inline uint64_t mc__chan_ctr_offset(uint64_t capacity, uint32_t max_msg) {
  return capacity ? capacity : ((uint64_t)max_msg + 63) & ~63ull;
}

#endif
