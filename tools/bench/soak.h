/* memchan-bench --soak: checked message streams between processes that are killed and
 * restarted at random, for as long as asked, with every message accounted for.
 *
 * Each channel under test (a lane: ring with one sender, multi-sender ring, slot channel)
 * has a report block of its own, in shared memory, that its processes write and the driver
 * (soak.c) reads; the processes themselves are this program again (soak_peer.c). What every
 * part relies on:
 *
 * - A sender has an id of its own (never reused in a run) and sends messages 0, 1, 2, ... of
 *   it; each one's size and contents follow from (id, seq) (mb_soak_fill), so a receiver
 *   checks every byte. After each commit that returned MC_OK it stores committed = seq + 1
 *   in its slot of the sender table (slot = id % MB_SOAK_IDS). A killed sender leaves at
 *   most one message whose commit it did not see return: it may or may not be delivered.
 * - One receiver at a time takes the messages and checks each against its sender's slot:
 *   the next sequence number expected (the rx word), so that a loss, a duplicate, a message
 *   out of order or one nobody committed shows up at once. Before it consumes a message it
 *   says which one in the report (pend_*); a copying receive goes into the report's own
 *   buffer (rxbuf), so that even a receiver killed inside mc_chan_recv leaves behind which
 *   message it took. The next receiver starts by reading that: the message is then "maybe
 *   lost" (MB_RX_MAYBE), and its sender's next message either is it (it was not consumed) or
 *   follows it (it was consumed and died with the receiver: one loss explained, once).
 * - The driver gives a slot to a new sender only once its previous owner is settled: dead,
 *   and the receivers have taken a message of a sender started after its death, so that
 *   nothing of it can still be queued (each channel delivers in one order). Settling checks
 *   its final count: delivered = committed, or committed + 1 (the in-flight message), or
 *   committed - 1 when that message is the maybe-lost one.
 * Nothing grows with the number of messages: a fixed table of senders, a fixed buffer. */
#ifndef MB_SOAK_H
#define MB_SOAK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memchan.h"
#include "options.h"

#define MB_SOAK_IDS       65536u /* sender table per lane; ids map onto it modulo its size */
#define MB_SOAK_MIN_MSG   16     /* the header: seq, id, size */
#define MB_SOAK_MAX_MSG   65536  /* --soak-max-size at most */
#define MB_SOAK_CALL_MS   10000  /* a send or open that waits longer than this is a hang */
#define MB_SOAK_RECV_MS   1000   /* a receiver's wait for the next message (then it looks again) */
#define MB_SOAK_SLACK_MS  5000   /* a call that returns this long after its timeout is a hang */
#define MB_SOAK_ORPHAN_MS 60000  /* peers end when the driver has not been seen for this long */

/* The lanes: channels under test. */
enum { MB_LANE_RING, MB_LANE_MULTI, MB_LANE_SLOT, MB_NLANES };
extern const char *const mb_lane_names[MB_NLANES];

/* Failure classes, counted per lane (in messages, except hangs and errors: in events). */
enum {
  MB_SF_HANG,     /* a call past its deadline, or no message delivered for a long time */
  MB_SF_LOSS,     /* committed messages that never arrived */
  MB_SF_DUP,      /* a message delivered again right after itself */
  MB_SF_ORDER,    /* a sender's message older than the last one delivered, or one that came
                     after its sender's stream was settled */
  MB_SF_INVENTED, /* a message nobody committed, or whose size or contents are wrong */
  MB_SF_ERROR,    /* any other unexpected result: a call's error, a peer that ended itself */
  MB_SF_COUNT
};
extern const char *const mb_soak_fail_names[MB_SF_COUNT];

/* A receiver's state for one sender, one word (a receiver killed between two stores must
   never leave half of it): the next sequence number expected, the messages of this sender
   lost with receivers that died taking them, and the maybe-lost flag for message `next`. */
#define MB_RX_NEXT_BITS 40
#define MB_RX_MAYBE     (UINT64_C(1) << 63)
static inline uint64_t mb_rx_next(uint64_t w) {
  return w & ((UINT64_C(1) << MB_RX_NEXT_BITS) - 1);
}
static inline uint64_t mb_rx_lost(uint64_t w) {
  return (w & ~MB_RX_MAYBE) >> MB_RX_NEXT_BITS;
}
static inline uint64_t mb_rx_word(uint64_t next, uint64_t lost, int maybe) {
  return next | lost << MB_RX_NEXT_BITS | (maybe ? MB_RX_MAYBE : 0);
}

#define MB_OWNER_SETTLED (UINT64_C(1) << 63) /* in owner: the stream is closed out */

/* One sender's slot. The sender's line apart from the receiver's: they write at once. */
typedef struct mb_soak_slot {
  _Atomic uint64_t committed; /* the sender: commits that returned MC_OK */
  char pad0[56];
  _Atomic uint64_t owner; /* the driver: 1 + id of the sender in this slot (| SETTLED), 0 */
  _Atomic uint64_t rx;    /* the receivers: mb_rx_word */
  char pad1[48];
} mb_soak_slot;

enum { MB_PEND_NONE, MB_PEND_COPY, MB_PEND_ZC }; /* pend_kind */

typedef struct mb_soak_rep {
  _Atomic uint64_t stop;  /* driver: senders end after their message (and close) */
  _Atomic uint64_t drain; /* driver: every sender is gone; the receiver ends at end of stream */
  _Atomic uint64_t beat;  /* driver: mb_now_ns() of its last round */
  char pad0[40];
  _Atomic uint64_t ops;      /* messages the receivers accounted (one receiver writes) */
  _Atomic uint64_t max_seen; /* 1 + the largest sender id a receiver accounted a message of */
  _Atomic uint64_t skipped;  /* messages passed over when a loss was found */
  _Atomic uint64_t pend_kind, pend_id, pend_seq; /* what the receiver is taking (see top) */
  char pad1[16];
  _Atomic uint64_t fails[MB_SF_COUNT];
  _Atomic uint64_t first[6]; /* the first failure: class + 1, where, code, id, seq, detail */
  char pad2[64 - (MB_SF_COUNT * 8 + 48) % 64];
  unsigned char rxbuf[MB_SOAK_MAX_MSG]; /* where a copying receive delivers */
  mb_soak_slot slots[MB_SOAK_IDS];
} mb_soak_rep;

/* Records a failure: counted `n` times, and the first one's details kept: where (the file,
   MB_SOAK_FILE of the caller: 0 soak.c, 1 soak_peer.c, and the line), the MC_E* code, the
   sender and sequence number concerned, and a detail (what was expected instead, or a tag
   that says which check). */
void mb_soak_fail(mb_soak_rep *rep, int cls, uint64_t n, int where, int code, uint64_t id,
                  uint64_t seq, uint64_t detail);
#define MB_SOAK_FAIL(rep, cls, n, code, id, seq, detail)                                           \
  mb_soak_fail((rep), (cls), (n), MB_SOAK_FILE << 16 | __LINE__, (code), (id), (seq), (detail))
extern const char *const mb_soak_files[2];

/* Opens (create: creates) the report block `name`; NULL with a message on stderr. */
mb_soak_rep *mb_soak_rep_open(const char *name, int create, mc_shm **shm);

/* The message format: a 16-byte header {u64 seq, u32 id, u32 size}, then words derived from
   (id, seq). Sizes lie in [MB_SOAK_MIN_MSG, max], most of them small, some up to max. */
size_t mb_soak_size(uint32_t id, uint64_t seq, size_t max);
void mb_soak_fill(unsigned char *buf, uint32_t id, uint64_t seq, size_t size);
/* 0 if msg (len bytes) is exactly some sender's message: *id and *seq say whose; -1 if not
   (too short or long for max, a header that disagrees with its length, contents wrong). */
int mb_soak_check(const unsigned char *msg, size_t len, size_t max, uint32_t *id, uint64_t *seq);
/* The same for a buffer that may hold a whole message or not (a receiver's rxbuf): its
   length is the one its header implies. */
int mb_soak_check_buf(const unsigned char *buf, size_t max, uint32_t *id, uint64_t *seq);

/* A lane's figures, or their total: what the progress line, the table and the records
   show (soak_out.c). */
typedef struct mb_soak_fig {
  uint64_t delivered; /* messages taken, checked and in order */
  uint64_t committed; /* commits whose MC_OK a sender lived to record */
  uint64_t inflight;  /* delivered, from a sender killed before its commit returned */
  uint64_t rx_lost;   /* consumed by receivers killed before they accounted for them */
  uint64_t kills_tx, kills_rx;
  uint64_t restarts; /* times a lane's processes were all replaced after a hang */
  uint64_t fails[MB_SF_COUNT];
} mb_soak_fig;

typedef struct mb_soak_result {
  int nlanes, lane[MB_NLANES]; /* the lanes run, MB_LANE_* */
  mb_soak_fig fig[MB_NLANES], total;
  uint64_t elapsed_ns;
  int interrupted; /* ended early by Ctrl-C */
  int kill_ms;
  size_t max;
  int names_left;      /* names of the run there at the end and not at the start; -1: unknown */
  char left_name[128]; /* one of them */
  char prefix[48];
} mb_soak_result;

uint64_t mb_soak_failures(const mb_soak_fig *f); /* the sum of the failure counts */
/* 1 if every failure count is 0, every lane's counts balance and no name is left. */
int mb_soak_passed(const mb_soak_result *r);
/* What runs: lanes, duration, kill rate, sizes, and the names found at the start. */
void mb_soak_header(FILE *f, const mb_soak_result *r, const mb_opts *o, int names_before);
void mb_soak_line(FILE *f, uint64_t elapsed_ns, const mb_soak_fig *total);
void mb_soak_table(FILE *f, const mb_soak_result *r);
int mb_soak_write_csv(const char *path, const mb_soak_result *r);
int mb_soak_write_json(const char *path, const mb_soak_result *r);

/* The channel options of a lane (also used by the peers only to know the lane's kind). */
mc_chan_options mb_soak_chan_options(int lane, size_t max);
int mb_soak_lane_senders(int lane);

/* The driver: runs the lanes the options select; the process exit code (0: all clean). */
int mb_soak(const mb_opts *o);
/* A lane's process: argv after "--soak-peer". Returns the process exit code. */
int mb_soak_peer_main(int argc, char **argv);

#endif
