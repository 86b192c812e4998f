/* fuzz_chan: a channel (ring or slot, one sender or MULTI_SEND) whose control block and
 * records are the input, then a script of sender and receiver calls.
 *
 * Two scenes; in both, some messages are queued before the bytes are written. Live: the
 * receiver and the senders stay open in this process, holding cached indices that the shared
 * state now contradicts. Frozen: the senders have closed, only a holder without a role keeps
 * the channel while the bytes are written, and the endpoints open over the image afterwards.
 *
 * Input: cfg, geom, queued, nops, nops x 4 script bytes, then the bytes written over the
 * region (fuzz.h modes) from the start of the header, or of the control block (cfg bit 5).
 *   cfg   bit 0 slot, bit 1 MULTI_SEND, bit 2 frozen, bits 3-4 scribble mode, bit 5 start at
 *         the control block, bit 6 spin (else never spin)
 *   geom  bits 0-1 max_msg (max_msgs[]), bits 2-3 ring capacity (a power of two above it),
 *         bits 4-5 a ring's fan-out (fan_flags[]: none, shared work, broadcast, + drop oldest)
 *   op    code, arg1 (endpoint in bits 0-1, then flags), arg2 (u16 LE: a length) */
#include "fuzz.h"
#include "chan.h"

#include <stdlib.h>
#include <string.h>

enum {
  OP_SEND,
  OP_RESERVE,
  OP_COMMIT,
  OP_RECV,
  OP_PEEK,
  OP_CONSUME,
  OP_CLOSE_SEND,
  OP_CLOSE,
  OP_OPEN,
  OP_STATS,
  OP_POKE,
  OP_CREATE_AGAIN,
  OP_ABORT,
  OP_COUNT
};

enum { EP_RECV, EP_SEND, EP_SEND2, EP_HOLD, EP_COUNT };

static const uint32_t max_msgs[4] = {16, 64, 200, 1000};
static const unsigned fan_flags[4] = {0, MC_CHAN_MULTI_RECV, MC_CHAN_BROADCAST,
                                      MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST};
static unsigned char buf[1 << 20]; /* the largest length a script can ask for fits */

typedef struct run {
  const char *name;
  mc_chan *ep[EP_COUNT];
  int multi;
} run;

static const int roles[EP_COUNT] = {MC_CHAN_RECV, MC_CHAN_SEND, MC_CHAN_SEND, MC_CHAN_NONE};

/* A length around the interesting sizes: small, near max_msg, past it. */
static size_t pick_len(uint8_t a1, uint16_t a2) {
  return (a1 & 0x80) ? (size_t)a2 << 4 : a2 & 0x7ff;
}

static void op_reserve(mc_chan *ch, uint8_t a1, uint16_t a2) {
  void *p;
  size_t len = pick_len(a1, a2);
  if (mc_chan_reserve(ch, len, &p, fz_timeout(a1 >> 2)) != MC_OK) return;
  memset(p, 0x5a, len); /* the whole buffer it gave is ours to write */
  if (a1 & 0x20) mc_chan_commit(ch, (a1 & 0x40) ? len + 1 : len / 2);
}

static void op_recv(mc_chan *ch, uint8_t a1, uint16_t a2) {
  size_t len;
  size_t cap = (a1 & 0x80) ? sizeof buf : a2 & 0x7ff;
  mc_chan_recv(ch, (a1 & 0x40) ? NULL : buf, cap, &len, fz_timeout(a1 >> 2));
}

static void op_peek(mc_chan *ch, uint8_t a1) {
  const void *msg;
  size_t len;
  if (mc_chan_peek(ch, &msg, &len, fz_timeout(a1 >> 2)) != MC_OK) return;
  /* Every byte of what it hands out must be readable: ASan says if it is not. */
  unsigned sum = 0;
  for (size_t i = 0; i < len; i++) sum += ((const unsigned char *)msg)[i];
  buf[0] = (unsigned char)sum;
  if (a1 & 0x20) mc_chan_consume(ch);
}

static void op_open(run *r, int e, uint8_t a1) {
  mc_chan_close(r->ep[e]);
  r->ep[e] = NULL;
  mc_chan_open(r->name, roles[e], fz_timeout(a1 >> 2), &r->ep[e]);
}

/* The endpoint's own mapping, for writing over the shared state mid-script. */
static void op_poke(mc_chan *ch, uint8_t a1, uint16_t a2) {
  if (!ch) return;
  uint8_t b = (a1 & 0xfc) | 1;
  uint64_t off = (a2 & 0x8000) ? MC__HEADER_BYTES + (a2 & 0x7fff) : MC__STATE_OFFSET + a2 % 1536;
  fz_scribble(ch->r.map.base, off, ch->r.map.committed, &b, 1, FZ_XOR);
}

/* A header put back to INITIALISING whose init_owner still names us (the creator) makes a
   create wait for that "creator" its full MC_DEFAULT_TIMEOUT_MS, twice: within the promise,
   and tests/test_shm_procs.c (posix_stalled_creator_loses_cleanly) covers it, but ten seconds
   an execution would stop the fuzzer. The object the name stands for now is looked at, not
   an endpoint's mapping: after a stale take-over or a close that left the name, they differ. */
static int initialising(const run *r) {
  uint32_t state;
  return fz_raw_read(r->name, offsetof(mc__region_hdr, state), &state, sizeof state) == 0 &&
         state == MC__STATE_INIT;
}

static void step(run *r, uint8_t code, uint8_t a1, uint16_t a2) {
  int e = a1 & 3;
  mc_chan *ch = r->ep[e];
  mc_chan_stats st;
  mc_chan_ends ends;
  switch (code % OP_COUNT) {
  case OP_SEND:
    mc_chan_send(ch, buf, pick_len(a1, a2), fz_timeout(a1 >> 2));
    break;
  case OP_RESERVE:
    op_reserve(ch, a1, a2);
    break;
  case OP_COMMIT:
    mc_chan_commit(ch, pick_len(a1, a2));
    break;
  case OP_RECV:
    op_recv(ch, a1, a2);
    break;
  case OP_PEEK:
    op_peek(ch, a1);
    break;
  case OP_CONSUME:
    mc_chan_consume(ch);
    break;
  case OP_CLOSE_SEND:
    mc_chan_close_send(ch);
    break;
  case OP_CLOSE:
    mc_chan_close(ch);
    r->ep[e] = NULL;
    break;
  case OP_OPEN:
    if (e != EP_SEND2 || r->multi) op_open(r, e, a1);
    break;
  case OP_STATS:
    mc_chan_get_stats(ch, &st);
    mc_chan_get_ends(ch, &ends); /* every peer record and counter, as the shared state says */
    if (strlen(mc_chan_name(ch)) > MC_NAME_MAX) abort(); /* a name is never longer */
    break;
  case OP_ABORT:
    mc_chan_abort(ch, (int)(int16_t)a2);
    break;
  case OP_POKE:
    op_poke(ch, a1, a2);
    break;
  case OP_CREATE_AGAIN: {
    /* Over a live or scribbled channel: MC_EEXIST, or a take-over of a dead one. */
    mc_chan *c2 = NULL;
    if (initialising(r)) break;
    mc_chan_options o = {.kind = (a1 >> 2) & 1, .max_msg = 16, .capacity = 256, .spin_us = -1};
    if (mc_chan_create(r->name, &o, roles[e], &c2) == MC_OK) mc_chan_close(c2);
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  char name[64];
  uint8_t cfg = fz_u8(&in), geom = fz_u8(&in), queued = fz_u8(&in);
  fz_script sc;
  fz_read_script(&in, &sc);

  run r = {0};
  fz_name(name, sizeof name, "chan");
  r.name = name;
  r.multi = (cfg & 0x02) != 0;
  mc_chan_options o = {.kind = (cfg & 0x01) ? MC_CHAN_SLOT : MC_CHAN_RING,
                       .max_msg = max_msgs[geom & 3],
                       .flags = (r.multi ? MC_CHAN_MULTI_SEND : 0) |
                                ((cfg & 0x01) ? 0 : fan_flags[(geom >> 4) & 3]),
                       .spin_us = (cfg & 0x40) ? 1 : -1};
  o.capacity = 2 * mc__rec_bytes(o.max_msg) << ((geom >> 2) & 3);
  int frozen = (cfg & 0x04) != 0;
  if (mc_chan_create(name, &o, frozen ? MC_CHAN_NONE : MC_CHAN_RECV,
                     &r.ep[frozen ? EP_HOLD : EP_RECV]) != MC_OK)
    abort(); /* a fresh name: must work */
  if (mc_chan_open(name, MC_CHAN_SEND, 0, &r.ep[EP_SEND]) != MC_OK) abort();
  if (r.multi && mc_chan_open(name, MC_CHAN_SEND, 0, &r.ep[EP_SEND2]) != MC_OK) abort();
  for (unsigned i = 0; i < (queued & 7u); i++) {
    mc_chan *tx = r.ep[(r.multi && (queued & 0x80)) ? EP_SEND2 : EP_SEND];
    mc_chan_send(tx, buf, (size_t)(queued >> 3) * (i + 1) % (o.max_msg + 1), 0);
  }
  if (frozen) { /* what senders that have gone left behind: their messages, their ends */
    mc_chan_close(r.ep[EP_SEND]);
    mc_chan_close(r.ep[EP_SEND2]);
    r.ep[EP_SEND] = r.ep[EP_SEND2] = NULL;
  }

  mc_chan *mapped = r.ep[frozen ? EP_HOLD : EP_RECV];
  uint64_t start = (cfg & 0x20) ? MC__STATE_OFFSET : 0;
  fz_scribble(mapped->r.map.base, start, mapped->r.map.committed, in.p, in.n,
              ((cfg >> 3) & 3) % FZ_MODES);

  if (frozen) {
    mc_chan_open(name, MC_CHAN_RECV, 0, &r.ep[EP_RECV]);
    mc_chan_open(name, MC_CHAN_SEND, 0, &r.ep[EP_SEND]);
    if (r.multi) mc_chan_open(name, MC_CHAN_SEND, 0, &r.ep[EP_SEND2]);
  }
  for (unsigned i = 0; i < sc.n; i++) step(&r, sc.step[i].code, sc.step[i].a1, sc.step[i].a2);
  for (int e = 0; e < EP_COUNT; e++) mc_chan_close(r.ep[e]);
  fz_unlink(name);
  return 0;
}
