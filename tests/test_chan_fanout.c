/* Fan-out channels: broadcast (every receiver gets every message, or drops its oldest when
 * too slow) and shared work (each message to one receiver). In one process first - the
 * rules, with several handles - then across processes: a million messages to four
 * receivers, and receivers killed mid-stream and holding a peeked message. */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

#define SMALL_RING 4096
#define MAX_MSG    256

static mc_chan *open_rx(const char *name) {
  mc_chan *ch;
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, WAIT_MS, &ch));
  return ch;
}

static mc_chan *open_tx(const char *name) {
  mc_chan *ch;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, WAIT_MS, &ch));
  return ch;
}

static void send_msg(mc_chan *tx, uint32_t id, uint64_t seq, size_t min, size_t max, int tmo) {
  unsigned char buf[MAX_MSG];
  size_t n = ms_make(id, seq, min, max, buf);
  TH_OK(mc_chan_send(tx, buf, n, tmo));
}

/* Receives message (id, seq) and checks it, by peek or recv. */
static void expect_msg(mc_chan *rx, uint32_t id, uint64_t seq, size_t min, size_t max, int peek) {
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  const unsigned char *msg = buf;
  size_t n;
  if (peek) {
    const void *p;
    TH_OK(mc_chan_peek(rx, &p, &n, WAIT_MS));
    msg = p;
  } else {
    TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
  }
  TH_REQUIRE(ms_check(id, seq, min, max, msg, n, scratch), "expected message %u/%llu", id,
             (unsigned long long)seq);
  if (peek) TH_OK(mc_chan_consume(rx));
}

/* The three fan-out kinds. */
static const unsigned kinds[] = {MC_CHAN_BROADCAST, MC_CHAN_MULTI_RECV,
                                 MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST};

/* ---- the rules ------------------------------------------------------------------------------ */

START_TEST(flags_are_checked) {
  char name[64];
  mc_chan *ch;
  static const struct {
    int kind;
    unsigned flags;
  } bad[] = {
      {MC_CHAN_RING, MC_CHAN_MULTI_RECV | MC_CHAN_BROADCAST},
      {MC_CHAN_RING, MC_CHAN_DROP_OLDEST},
      {MC_CHAN_RING, MC_CHAN_MULTI_RECV | MC_CHAN_DROP_OLDEST},
      {MC_CHAN_SLOT, MC_CHAN_BROADCAST},
      {MC_CHAN_SLOT, MC_CHAN_MULTI_RECV},
      {MC_CHAN_RING, 1u << 4},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mc_chan_options o = {.kind = bad[i].kind, .flags = bad[i].flags};
    th_name(name, sizeof name, "flags");
    TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_RECV, &ch), MC_EINVAL);
    ck_assert_ptr_null(ch);
  }
}
END_TEST

/* Sixteen receivers per fan-out channel; a one-receiver channel still refuses a second. */
START_TEST(receivers_are_counted) {
  for (size_t k = 0; k < 3; k++) {
    char name[64];
    mc_chan *rx[16], *extra;
    rx[0] = create_chan("count", MC_CHAN_RING, 64, 0, kinds[k], MC_CHAN_RECV, name, sizeof name);
    for (int i = 1; i < 16; i++) rx[i] = open_rx(name);
    TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &extra), MC_ENOSPC);
    mc_chan_ends e;
    TH_OK(mc_chan_get_ends(rx[3], &e));
    ck_assert_int_eq(e.receivers, 16);
    mc_chan_close(rx[5]); /* a slot closed is a slot free */
    rx[5] = open_rx(name);
    for (int i = 0; i < 16; i++) mc_chan_close(rx[i]);
  }
  char name[64];
  mc_chan *one = create_chan("one", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, name, sizeof name), *two;
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &two), MC_EBUSY);
  mc_chan_close(one);
}
END_TEST

/* ---- broadcast ------------------------------------------------------------------------------ */

/* Three receivers, each with every message (copying and in place in turn), through a small
   ring that wraps many times, the sender held back by whoever is slowest. */
START_TEST(broadcast_gives_everyone_everything) {
  char name[64];
  mc_chan *rx[3];
  rx[0] = create_chan("bc", MC_CHAN_RING, MAX_MSG, SMALL_RING, MC_CHAN_BROADCAST, MC_CHAN_RECV,
                      name, sizeof name);
  rx[1] = open_rx(name);
  rx[2] = open_rx(name);
  mc_chan *tx = open_tx(name);
  uint64_t sent = 0, got[3] = {0};
  const uint64_t total = 20000;
  while (got[0] < total || got[1] < total || got[2] < total) {
    /* Send until the ring is full (the slowest receiver holds it), then let each receiver
       take a different share, so that who is slowest keeps changing. */
    while (sent < total) {
      unsigned char buf[MAX_MSG];
      size_t n = ms_make(0, sent, 0, MAX_MSG, buf);
      int rc = mc_chan_send(tx, buf, n, 0);
      if (rc == MC_ETIMEDOUT) break;
      TH_OK(rc);
      sent++;
    }
    for (int i = 0; i < 3; i++) {
      uint64_t share = (sent * (i + 1) + got[i]) % 7 + 1;
      for (uint64_t k = 0; k < share && got[i] < sent; k++, got[i]++)
        expect_msg(rx[i], 0, got[i], 0, MAX_MSG, (int)(got[i] & 1));
    }
  }
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_gt(st.send_waits, 0); /* it was held back */
  mc_chan_close(tx);
  for (int i = 0; i < 3; i++) {
    size_t n;
    char b[8];
    TH_EXPECT(mc_chan_recv(rx[i], b, sizeof b, &n, WAIT_MS), MC_ECLOSED);
    TH_OK(mc_chan_get_stats(rx[i], &st));
    ck_assert_uint_eq(st.received, total);
    ck_assert_uint_eq(st.dropped, 0);
    mc_chan_close(rx[i]);
  }
}
END_TEST

/* A receiver that joins late starts at the newest message: what was committed before it
   attached is not its to see. With no receiver at all, a broadcast sender never waits. */
START_TEST(broadcast_late_receiver_starts_at_the_head) {
  char name[64];
  mc_chan *tx = create_chan("late", MC_CHAN_RING, MAX_MSG, SMALL_RING, MC_CHAN_BROADCAST,
                            MC_CHAN_SEND, name, sizeof name);
  for (uint64_t s = 0; s < 1000; s++) send_msg(tx, 0, s, 0, MAX_MSG, 0); /* nobody listens */
  mc_chan *a = open_rx(name);
  send_msg(tx, 0, 1000, 0, MAX_MSG, 0);
  mc_chan *b = open_rx(name);
  send_msg(tx, 0, 1001, 0, MAX_MSG, 0);
  expect_msg(a, 0, 1000, 0, MAX_MSG, 0);
  expect_msg(a, 0, 1001, 0, MAX_MSG, 1);
  expect_msg(b, 0, 1001, 0, MAX_MSG, 0);
  size_t n;
  char buf[8];
  TH_EXPECT(mc_chan_recv(a, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  TH_EXPECT(mc_chan_recv(b, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  mc_chan_close(tx);
  TH_EXPECT(mc_chan_recv(a, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
  TH_EXPECT(mc_chan_recv(b, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
  mc_chan_close(a);
  mc_chan_close(b);
}
END_TEST

/* The slowest receiver holds the senders back until it reads, or closes. */
START_TEST(broadcast_slowest_holds_the_senders) {
  char name[64];
  mc_chan *fast = create_chan("slow", MC_CHAN_RING, MAX_MSG, SMALL_RING, MC_CHAN_BROADCAST,
                              MC_CHAN_RECV, name, sizeof name);
  mc_chan *slow = open_rx(name), *tx = open_tx(name);
  uint64_t s = 0;
  unsigned char buf[64];
  for (;; s++) {
    size_t n = ms_make(0, s, 64, 64, buf);
    int rc = mc_chan_send(tx, buf, n, 0);
    if (rc == MC_ETIMEDOUT) break;
    TH_OK(rc);
    expect_msg(fast, 0, s, 64, 64, 0); /* the fast one keeps up */
  }
  ck_assert_uint_gt(s, 10);
  ck_assert_uint_lt(s, SMALL_RING / 64 + 1);
  expect_msg(slow, 0, 0, 64, 64, 1); /* one read: room for one more */
  send_msg(tx, 0, s, 64, 64, 0);
  size_t n = ms_make(0, s + 1, 64, 64, buf);
  TH_EXPECT(mc_chan_send(tx, buf, n, 0), MC_ETIMEDOUT);
  mc_chan_close(slow); /* gone: nobody holds the ring but the fast one, who is up to date */
  expect_msg(fast, 0, s, 64, 64, 0);
  for (uint64_t k = s + 1; k < s + 200; k++) {
    send_msg(tx, 0, k, 64, 64, 0);
    expect_msg(fast, 0, k, 64, 64, 1);
  }
  mc_chan_close(tx);
  mc_chan_close(fast);
}
END_TEST

/* DROP_OLDEST: a receiver that does not read loses its oldest messages - counted - and the
   sender never waits; the receivers that read lose nothing. What the slow one gets is the
   newest messages, whole and in order, then the end of the stream. */
START_TEST(drop_oldest_counts_what_was_lost) {
  char name[64];
  mc_chan *fast =
      create_chan("drop", MC_CHAN_RING, MAX_MSG, SMALL_RING,
                  MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, MC_CHAN_RECV, name, sizeof name);
  mc_chan *slow = open_rx(name), *tx = open_tx(name);
  const uint64_t total = 50000;
  uint64_t got_slow = 0, last = 0;
  for (uint64_t s = 0; s < total; s++) {
    send_msg(tx, 0, s, 16, MAX_MSG, 0); /* never waits: a timeout of 0 always succeeds */
    expect_msg(fast, 0, s, 16, MAX_MSG, (int)(s & 1));
    if (s % 5000 == 4999) { /* now and then the slow one reads a few */
      for (int k = 0; k < 3; k++) {
        const void *p;
        size_t n;
        unsigned char scratch[MAX_MSG];
        TH_OK(mc_chan_peek(slow, &p, &n, 0));
        uint64_t seq;
        memcpy(&seq, p, 8);
        TH_REQUIRE(ms_check(0, seq, 16, MAX_MSG, p, n, scratch), "slow: message %llu",
                   (unsigned long long)seq);
        TH_REQUIRE(got_slow == 0 || seq > last, "slow: %llu after %llu", (unsigned long long)seq,
                   (unsigned long long)last);
        last = seq;
        got_slow++;
        TH_OK(mc_chan_consume(slow));
      }
    }
  }
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_eq(st.send_waits, 0);
  mc_chan_close(tx);
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  size_t n;
  int rc;
  while ((rc = mc_chan_recv(slow, buf, sizeof buf, &n, WAIT_MS)) == MC_OK) {
    uint64_t seq;
    memcpy(&seq, buf, 8);
    TH_REQUIRE(ms_check(0, seq, 16, MAX_MSG, buf, n, scratch) && seq > last, "slow: %llu",
               (unsigned long long)seq);
    last = seq;
    got_slow++;
  }
  TH_EXPECT(rc, MC_ECLOSED);
  ck_assert_uint_eq(last, total - 1); /* the newest arrive */
  TH_OK(mc_chan_get_stats(slow, &st));
  ck_assert_uint_eq(st.received, got_slow);
  ck_assert_uint_eq(st.dropped + st.received, total);
  ck_assert_uint_gt(st.dropped, total / 2);
  TH_OK(mc_chan_get_stats(fast, &st));
  ck_assert_uint_eq(st.dropped, 0);
  ck_assert_uint_eq(st.received, total);
  mc_chan_close(slow);
  mc_chan_close(fast);
}
END_TEST

/* DROP_OLDEST peek hands out a copy that stays whole while senders lap the ring, and a recv
   into too small a buffer leaves the message for the next call. */
START_TEST(drop_oldest_peek_is_stable) {
  char name[64];
  mc_chan *rx =
      create_chan("dpeek", MC_CHAN_RING, MAX_MSG, SMALL_RING,
                  MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx = open_tx(name);
  send_msg(tx, 0, 0, 200, 200, 0);
  const void *p;
  size_t n;
  unsigned char copy[MAX_MSG], scratch[MAX_MSG], small[8];
  TH_OK(mc_chan_peek(rx, &p, &n, 0));
  memcpy(copy, p, n);
  for (uint64_t s = 1; s < 500; s++) send_msg(tx, 0, s, 200, 200, 0); /* laps it many times */
  ck_assert_int_eq(memcmp(copy, p, n), 0);
  TH_REQUIRE(ms_check(0, 0, 200, 200, p, n, scratch), "peeked message changed");
  TH_OK(mc_chan_consume(rx));
  TH_EXPECT(mc_chan_recv(rx, small, sizeof small, &n, 0), MC_ENOSPC);
  ck_assert_uint_eq(n, 200);
  unsigned char buf[MAX_MSG];
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  uint64_t seq;
  memcpy(&seq, buf, 8);
  TH_REQUIRE(ms_check(0, seq, 200, 200, buf, n, scratch) && seq > 1, "after the drop: %llu",
             (unsigned long long)seq);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  ck_assert_uint_eq(st.dropped, seq - 1);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

/* ---- shared work ----------------------------------------------------------------------------- */

/* Two senders, three receivers taking turns: each message to exactly one, per-sender order
   kept within each receiver. */
START_TEST(shared_work_each_message_once) {
  char name[64];
  mc_chan *rx[3];
  rx[0] = create_chan("share", MC_CHAN_RING, MAX_MSG, SMALL_RING,
                      MC_CHAN_MULTI_RECV | MC_CHAN_MULTI_SEND, MC_CHAN_RECV, name, sizeof name);
  rx[1] = open_rx(name);
  rx[2] = open_rx(name);
  mc_chan *tx[2] = {open_tx(name), open_tx(name)};
  const uint64_t each = 5000;
  uint64_t sent[2] = {0}, next[2] = {0}, got[3] = {0};
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  for (uint64_t round = 0; next[0] < each || next[1] < each; round++) {
    for (int s = 0; s < 2; s++)
      for (int k = 0; k < 3 && sent[s] < each; k++, sent[s]++)
        send_msg(tx[s], (uint32_t)s, sent[s], 16, MAX_MSG, WAIT_MS);
    for (int k = 0; k < 6; k++) {
      int i = (int)((round + (uint64_t)k) % 3);
      const void *p;
      size_t n;
      int rc = mc_chan_peek(rx[i], &p, &n, 0);
      if (rc == MC_ETIMEDOUT) break;
      TH_OK(rc);
      uint32_t id = ms_sender(p, n);
      TH_REQUIRE(id < 2, "unknown sender");
      TH_REQUIRE(ms_check(id, next[id], 16, MAX_MSG, p, n, scratch), "sender %u message %llu", id,
                 (unsigned long long)next[id]);
      next[id]++;
      got[i]++;
      TH_OK(mc_chan_consume(rx[i]));
    }
  }
  for (int i = 0; i < 3; i++) ck_assert_uint_gt(got[i], 0);
  ck_assert_uint_eq(got[0] + got[1] + got[2], 2 * each);
  mc_chan_close(tx[0]);
  mc_chan_close(tx[1]);
  size_t n;
  for (int i = 0; i < 3; i++) {
    TH_EXPECT(mc_chan_recv(rx[i], buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
    mc_chan_close(rx[i]);
  }
}
END_TEST

/* A peeked message is the peeker's until it consumes it: the next receiver waits for it; a
   message too big for a recv stays for whoever comes next; a closed peeker gives it back. */
START_TEST(shared_work_peek_holds_the_message) {
  char name[64];
  mc_chan *a = create_chan("sp", MC_CHAN_RING, MAX_MSG, SMALL_RING, MC_CHAN_MULTI_RECV,
                           MC_CHAN_RECV, name, sizeof name);
  mc_chan *b = open_rx(name), *tx = open_tx(name);
  for (uint64_t s = 0; s < 4; s++) send_msg(tx, 0, s, 64, 64, 0);
  const void *p;
  size_t n;
  unsigned char buf[MAX_MSG], small[8];
  TH_OK(mc_chan_peek(a, &p, &n, 0));
  TH_EXPECT(mc_chan_recv(b, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  TH_OK(mc_chan_consume(a));
  expect_msg(b, 0, 1, 64, 64, 0);
  TH_EXPECT(mc_chan_recv(a, small, sizeof small, &n, 0), MC_ENOSPC);
  expect_msg(b, 0, 2, 64, 64, 0);
  TH_OK(mc_chan_peek(a, &p, &n, 0));
  mc_chan_close(a); /* without consuming */
  expect_msg(b, 0, 3, 64, 64, 1);
  mc_chan_close(tx);
  TH_EXPECT(mc_chan_recv(b, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
  mc_chan_close(b);
}
END_TEST

/* Both kinds: an abort reaches every receiver once it has drained. */
START_TEST(fan_out_abort_reaches_everyone) {
  for (int k = 0; k < 3; k++) {
    char name[64], buf[8];
    size_t n;
    mc_chan *a = create_chan("ab", MC_CHAN_RING, 64, 0, kinds[k], MC_CHAN_RECV, name, sizeof name);
    mc_chan *b = open_rx(name), *tx = open_tx(name);
    TH_OK(mc_chan_send(tx, "x", 1, 0));
    TH_OK(mc_chan_abort(tx, 5));
    TH_OK(mc_chan_recv(a, buf, sizeof buf, &n, 0));
    if (kinds[k] & MC_CHAN_BROADCAST) TH_OK(mc_chan_recv(b, buf, sizeof buf, &n, 0));
    TH_EXPECT(mc_chan_recv(a, buf, sizeof buf, &n, WAIT_MS), MC_EABORTED);
    TH_EXPECT(mc_chan_recv(b, buf, sizeof buf, &n, WAIT_MS), MC_EABORTED);
    mc_chan_close(tx);
    mc_chan_close(a);
    mc_chan_close(b);
  }
}
END_TEST

/* A scribbled cursor is refused with MC_ECORRUPT, by the sender that reads it. */
START_TEST(broadcast_scribbled_cursor_is_refused) {
  char name[64];
  mc_chan *rx = create_chan("scr", MC_CHAN_RING, 64, 1024, MC_CHAN_BROADCAST, MC_CHAN_RECV, name,
                            sizeof name);
  mc_chan *tx = open_tx(name);
  uint64_t off = MC__STATE_OFFSET + offsetof(mc__chan_ctl, rx[0].cursor), v = 0x123450;
  ck_assert_int_eq(th_raw_write(name, (long)off, &v, sizeof v), 0);
  int rc = MC_OK;
  for (int i = 0; i < 100 && rc == MC_OK; i++) rc = mc_chan_send(tx, "0123456789", 10, 0);
  TH_EXPECT(rc, MC_ECORRUPT);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

/* A receiver's cursor scribbled to "joining" would hold the senders back for ever while the
   receiver waits for data they cannot send: the receiver, the only writer of its cursor
   (without DROP_OLDEST), finds it changed before it sleeps and says MC_ECORRUPT; once it
   closes, the senders go on. */
START_TEST(broadcast_scribbled_joining_cursor_is_refused) {
  char name[64];
  mc_chan *rx = create_chan("scrj", MC_CHAN_RING, 64, 1024, MC_CHAN_BROADCAST, MC_CHAN_RECV, name,
                            sizeof name);
  mc_chan *tx = open_tx(name);
  char buf[64];
  size_t n;
  int sent = 0, rc;
  while ((rc = mc_chan_send(tx, "0123456789", 10, 0)) == MC_OK && sent < 1000) sent++;
  TH_EXPECT(rc, MC_ETIMEDOUT); /* the ring is full */
  for (int i = 0; i < sent; i++) TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  uint64_t off = MC__STATE_OFFSET + offsetof(mc__chan_ctl, rx[0].cursor), v = MC__CURSOR_JOINING;
  ck_assert_int_eq(th_raw_write(name, (long)off, &v, sizeof v), 0);
  TH_EXPECT(mc_chan_send(tx, "0123456789", 10, 0), MC_ETIMEDOUT); /* "a receiver joining" */
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ECORRUPT);
  mc_chan_close(rx);
  TH_OK(mc_chan_send(tx, "0123456789", 10, WAIT_MS)); /* nobody to wait for */
  mc_chan_close(tx);
}
END_TEST

/* ---- dead peers and pollers ------------------------------------------------------------------- */

/* peek_hold NAME READY: opens as receiver, peeks one message, signals READY and blocks
   holding it until killed. */
static int helper_peek_hold(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *ch;
  const void *p;
  size_t n;
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_RECV, WAIT_MS, &ch));
  HELPER_OK(mc_chan_peek(ch, &p, &n, WAIT_MS));
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[0]);
}

/* open_die NAME ROLE CRASH: opens an end (ROLE send|recv) armed to die at CRASH. */
static int helper_open_die(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_chan *ch;
  HELPER_OK(th_crash_arm(argv[2]));
  int rc = mc_chan_open(argv[0], strcmp(argv[1], "send") == 0 ? MC_CHAN_SEND : MC_CHAN_RECV,
                        WAIT_MS, &ch);
  return rc == MC_OK ? 0 : 3; /* alive: the point was not reached */
}

/* send_die NAME FIRST COUNT CRASH READY GO: a sender of messages 0..COUNT-1 (16..48 bytes):
   sends FIRST of them, arrives at the gate READY/GO, then sends the rest armed to die at
   CRASH. */
static int helper_send_die(int argc, char **argv) {
  if (argc < 6) return 2;
  mc_chan *ch;
  unsigned char buf[64];
  uint64_t first = strtoull(argv[1], NULL, 10), count = strtoull(argv[2], NULL, 10);
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &ch));
  for (uint64_t i = 0; i < count; i++) {
    if (i == first) {
      HELPER_OK(th_gate_arrive(argv[4], argv[5], WAIT_MS));
      HELPER_OK(th_crash_arm(argv[3]));
    }
    HELPER_OK(mc_chan_send(ch, buf, ms_make(0, i, 16, 48, buf), WAIT_MS));
  }
  return 3; /* alive: the point was not reached */
}

static void expect_death(mc_proc *p) {
  int code = -1;
  TH_OK(th_reap(p, WAIT_MS, &code));
  ck_assert_int_eq(code, 137);
}

/* Polls fn(ch) (a call with timeout 0) until it is not MC_ETIMEDOUT, for at most ms. */
static int poll_until(int (*fn)(mc_chan *), mc_chan *ch, int ms) {
  uint64_t t0 = mc__plat_now_ns();
  int rc;
  while ((rc = fn(ch)) == MC_ETIMEDOUT && th_ms_since(t0) < (uint64_t)ms) mc__plat_yield();
  return rc;
}

static int recv_now(mc_chan *ch) {
  unsigned char buf[MAX_MSG];
  size_t n;
  return mc_chan_recv(ch, buf, sizeof buf, &n, 0);
}

static int send_now(mc_chan *ch) {
  return mc_chan_send(ch, "0123456789abcdef", 16, 0);
}

/* Shared work: a receiver that died holding a peek holds the receivers' lock; a receiver
   that only ever polls (timeout 0) must take it over, and the message. */
START_TEST(shared_work_poller_takes_over_a_dead_peeker) {
  char name[64];
  th_gate g;
  th_gate_open(&g, "spoll");
  mc_chan *rx = create_chan("spoll", MC_CHAN_RING, MAX_MSG, SMALL_RING, MC_CHAN_MULTI_RECV,
                            MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx = open_tx(name);
  send_msg(tx, 0, 0, 64, 64, 0);
  mc_proc *p = th_spawn("peek_hold", name, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  TH_OK(poll_until(recv_now, rx, 5000)); /* message 0, given back */
  mc_chan_close(tx);
  mc_chan_close(rx);
  th_gate_close(&g);
}
END_TEST

/* Broadcast (both policies): a receiver that died joining - still "joining", with the
   registration lock held - must not wedge a sender that polls. */
static void dead_joiner(unsigned flags, const char *point) {
  char name[64];
  mc_chan *tx = create_chan("join", MC_CHAN_RING, 64, 1024, flags, MC_CHAN_SEND, name, sizeof name);
  mc_chan *rx = open_rx(name);
  expect_death(th_spawn("open_die", name, "recv", point, NULL));
  for (int i = 0; i < 200; i++) { /* many rings' worth */
    TH_OK(poll_until(send_now, tx, 5000));
    if (!(flags & MC_CHAN_DROP_OLDEST)) TH_OK(recv_now(rx));
  }
  mc_chan_close(rx);
  mc_chan_close(tx);
}

START_TEST(broadcast_dead_joiner_does_not_wedge_a_poller) {
  dead_joiner(MC_CHAN_BROADCAST, "chan.register.claimed");
  dead_joiner(MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, "chan.register.claimed");
  dead_joiner(MC_CHAN_BROADCAST, "ring.joining");
  dead_joiner(MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, "ring.joining");
}
END_TEST

/* DROP_OLDEST: a receiver that died a ring behind, while the registration lock is held by
   an opener that died: the sender must keep moving it on (it cannot mark it DEAD yet), never
   take the channel for corrupt. */
START_TEST(drop_oldest_dead_laggard_with_the_registration_lock_held) {
  char name[64];
  th_gate g;
  th_gate_open(&g, "laggard");
  mc_chan *tx = create_chan("laggard", MC_CHAN_RING, 64, 1024,
                            MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, MC_CHAN_SEND, name, sizeof name);
  mc_proc *p = th_spawn("recv_then_hold", name, "0", "0", "64", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  for (int i = 0; i < 5; i++) send_msg(tx, 0, (uint64_t)i, 32, 32, WAIT_MS);
  th_kill(p);
  expect_death(th_spawn("open_die", name, "recv", "chan.register.locked", NULL));
  for (int i = 0; i < 2000; i++) send_msg(tx, 0, (uint64_t)i, 32, 32, WAIT_MS);
  mc_chan_close(tx);
  th_gate_close(&g);
}
END_TEST

/* A receiver slow to finish joining (it has read head, not yet stored it as its cursor)
   while its sender writes on and dies with a record stamped, and a new sender takes over:
   the joiner starts at the head it read, behind the true head, so the new sender must not
   take the space behind the true head for free. (Found by the protocol model.) The join's
   two steps are played by hand around the rest: the cursor "joining", then the old head. */
START_TEST(broadcast_takeover_while_a_receiver_joins) {
  char name[64];
  th_gate g;
  th_gate_open(&g, "tjoin");
  mc_chan *hold = create_chan("tjoin", MC_CHAN_RING, 64, 1024, MC_CHAN_BROADCAST, MC_CHAN_NONE,
                              name, sizeof name);
  mc_proc *p = th_spawn("send_die", name, "2", "20", "ring.stamped:5", g.ready_name, g.go_name,
                        NULL);
  th_gate_wait(&g, 1, WAIT_MS); /* messages 0 and 1 sent to nobody */
  mc_chan *late = open_rx(name);
  _Atomic uint64_t *cursor = &late->ctl->rx[late->peer].cursor;
  uint64_t joined_at = atomic_load(cursor); /* the head it read: after message 1 */
  atomic_store(cursor, MC__CURSOR_JOINING);  /* ... not stored yet */
  th_gate_release(&g);
  expect_death(p); /* messages 2..5 sent, 6 stamped, head not past it */
  mc_chan *tx = open_tx(name); /* takes over: finds the true head */
  atomic_store(cursor, joined_at); /* the join completes */
  uint64_t sent = 0;
  unsigned char buf[64];
  for (; sent < 200; sent++) { /* until the late receiver holds the ring */
    int rc = mc_chan_send(tx, buf, ms_make(1, sent, 16, 48, buf), 0);
    if (rc == MC_ETIMEDOUT) break;
    TH_OK(rc);
  }
  ck_assert_uint_lt(sent, 200);
  for (uint64_t s = 2; s <= 6; s++) expect_msg(late, 0, s, 16, 48, 0);
  for (uint64_t s = 0; s < sent; s++) expect_msg(late, 1, s, 16, 48, (int)(s & 1));
  mc_chan_close(tx);
  mc_chan_close(late);
  mc_chan_close(hold);
  th_gate_close(&g);
}
END_TEST

/* drop_poll NAME SECONDS: a DROP_OLDEST receiver polling (timeout 0) a sender that laps it
   constantly: every call is MC_OK or MC_ETIMEDOUT, never MC_ECORRUPT. */
static int helper_drop_poll(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *ch;
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_RECV, WAIT_MS, &ch));
  unsigned char *buf = malloc(65536);
  uint64_t t0 = mc__plat_now_ns(), ms = strtoull(argv[1], NULL, 10) * 1000, got = 0;
  while (th_ms_since(t0) < ms) {
    size_t n;
    int rc = mc_chan_recv(ch, buf, 65536, &n, 0);
    HELPER_CHECK(rc == MC_OK || rc == MC_ETIMEDOUT);
    got += rc == MC_OK;
  }
  HELPER_CHECK(got > 0);
  free(buf);
  mc_chan_close(ch);
  return 0;
}

/* DROP_OLDEST: receivers polling a ring of two largest messages that a sender laps without
   pause: what they see of head and their cursor must never look corrupt (a move between the
   two looks is a move, not corruption). */
START_TEST(drop_oldest_pollers_of_a_lapping_sender) {
  char name[64];
  mc_chan *tx = create_chan("lap", MC_CHAN_RING, 65536, 0, MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST,
                            MC_CHAN_SEND, name, sizeof name);
  mc_proc *p[3];
  for (int i = 0; i < 3; i++) p[i] = th_spawn("drop_poll", name, "3", NULL);
  unsigned char *buf = calloc(1, 65536);
  int code = -1, running = 3;
  while (running) {
    TH_OK(mc_chan_send(tx, buf, 65536, WAIT_MS));
    running = 0;
    for (int i = 0; i < 3; i++)
      if (p[i] && mc_proc_wait(p[i], 0, &code) == MC_ETIMEDOUT) running++;
  }
  for (int i = 0; i < 3; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  free(buf);
  mc_chan_close(tx);
}
END_TEST

/* ---- across processes ------------------------------------------------------------------------ */

/* Counters block layout for fan_recv. */
#define C_RECEIVED 100 /* + receiver index: messages it received */
#define C_DROPPED  120 /* + receiver index: its stats.dropped */
#define C_WAITS    COUNTER_SEND_WAITS

/* fan_recv NAME SENDERS EACH IDX COUNTERS BITMAP READY GO HOLD SLEEPY
   Receives checked messages (sizes 16..512) until the stream ends: per sender, in order -
   consecutive unless the channel may drop (DROP_OLDEST) or share the work. BITMAP (or "-"):
   a block of one bit per message, set by whoever receives it (a bit set twice is a
   duplicate). HOLD > 0: after HOLD messages, peeks one more, signals READY and blocks until
   killed. SLEEPY: pauses 20 ms every 1000 messages. Records its counts in COUNTERS. */
static int helper_fan_recv(int argc, char **argv) {
  if (argc < 10) return 2;
  mc_chan *ch;
  mc_shm *cshm, *bshm = NULL;
  unsigned senders = (unsigned)atoi(argv[1]);
  uint64_t each = strtoull(argv[2], NULL, 10), hold = strtoull(argv[8], NULL, 10);
  int idx = atoi(argv[3]), sleepy = atoi(argv[9]);
  _Atomic uint64_t *counters = open_counters(argv[4], &cshm), *bits = NULL;
  HELPER_CHECK(counters != NULL);
  if (strcmp(argv[5], "-") != 0) {
    mc_shm_options o = {.flags = MC_SHM_UNPROTECTED};
    void *data;
    HELPER_OK(mc_shm_open(argv[5], &o, &bshm));
    HELPER_OK(mc_shm_acquire(bshm, MC_WRITE, 0, &data));
    bits = data;
  }
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_RECV, WAIT_MS, &ch));
  int gaps = ch->drop || ch->fan == MC__FAN_SHARE;
  mc_event *nap = NULL;
  char nap_name[96];
  snprintf(nap_name, sizeof nap_name, "%s-nap%d", argv[0], idx);
  if (sleepy) HELPER_OK(mc_event_open(nap_name, 1, 0, &nap)); /* never set: a pause */
  HELPER_OK(th_gate_arrive(argv[6], argv[7], WAIT_MS));
  uint64_t next[8] = {0}, got = 0;
  unsigned char *buf = malloc(1024), *scratch = malloc(1024);
  int rc;
  for (;;) {
    const unsigned char *msg = buf;
    const void *p;
    size_t n;
    int peek = (got & 1) != 0;
    rc = peek ? mc_chan_peek(ch, &p, &n, WAIT_MS) : mc_chan_recv(ch, buf, 1024, &n, WAIT_MS);
    if (rc != MC_OK) break;
    if (peek) msg = p;
    uint32_t id = ms_sender(msg, n);
    uint64_t seq;
    HELPER_CHECK(id < senders);
    memcpy(&seq, msg, 8);
    HELPER_CHECK(seq < each && (gaps ? seq >= next[id] : seq == next[id]));
    HELPER_CHECK(ms_check(id, seq, 16, 512, msg, n, scratch));
    next[id] = seq + 1;
    if (hold && got == hold) {
      HELPER_CHECK(peek); /* holds the peeked message */
      HELPER_OK(th_signal(argv[6]));
      return th_block_forever(argv[0]);
    }
    if (peek) HELPER_OK(mc_chan_consume(ch));
    if (bits) {
      uint64_t bit = id * each + seq, old = atomic_fetch_or(&bits[bit / 64], 1ull << (bit % 64));
      HELPER_CHECK(!(old & (1ull << (bit % 64)))); /* nobody had it */
    }
    got++;
    atomic_store(&counters[C_RECEIVED + idx], got);
    if (sleepy && got % 1000 == 0) mc_event_wait(nap, 20);
  }
  HELPER_EXPECT(rc, MC_ECLOSED);
  mc_chan_stats st;
  HELPER_OK(mc_chan_get_stats(ch, &st));
  HELPER_CHECK(st.received == got);
  atomic_store(&counters[C_DROPPED + idx], st.dropped);
  mc_chan_close(ch);
  free(buf);
  free(scratch);
  if (nap) mc_event_close(nap);
  if (bshm) mc_shm_close(bshm);
  mc_shm_close(cshm);
  return 0;
}

typedef struct fan_run {
  char name[64], cn[64], bn[64], cnt[32], ids[8][8], idx[8][8];
  mc_shm *cshm, *bshm;
  _Atomic uint64_t *counters, *bits;
  th_gate g;
  mc_chan *hold;
  mc_proc *tx[4], *rx[4];
} fan_run;

/* Creates the channel (held by us, MC_CHAN_NONE), the counters and the bitmap. */
static void fan_setup(fan_run *r, unsigned flags, uint64_t capacity, uint64_t total, int bitmap) {
  memset(r, 0, sizeof *r);
  th_name(r->cn, sizeof r->cn, "fanc");
  r->counters = open_counters(r->cn, &r->cshm);
  ck_assert_ptr_nonnull(r->counters);
  strcpy(r->bn, "-");
  if (bitmap) {
    void *data;
    th_name(r->bn, sizeof r->bn, "fanb");
    mc_shm_options o = {.size = (total + 63) / 64 * 8 + 8, .flags = MC_SHM_UNPROTECTED};
    TH_OK(mc_shm_open(r->bn, &o, &r->bshm));
    TH_OK(mc_shm_acquire(r->bshm, MC_WRITE, 0, &data));
    r->bits = data;
  }
  th_gate_open(&r->g, "fan");
  r->hold = create_chan("fan", MC_CHAN_RING, 512, capacity, flags | MC_CHAN_MULTI_SEND,
                        MC_CHAN_NONE, r->name, sizeof r->name);
  for (int i = 0; i < 8; i++) {
    sprintf(r->ids[i], "%d", i);
    sprintf(r->idx[i], "%d", i);
  }
}

static void fan_spawn_rx(fan_run *r, int i, unsigned senders, uint64_t each, uint64_t hold,
                         int sleepy) {
  char s[8], e[32], h[32];
  sprintf(s, "%u", senders);
  r->rx[i] = th_spawn("fan_recv", r->name, s, num(e, each), r->idx[i], r->cn, r->bn,
                      r->g.ready_name, r->g.go_name, num(h, hold), sleepy ? "1" : "0", NULL);
}

static void fan_spawn_tx(fan_run *r, int i, uint64_t each) {
  r->tx[i] = th_spawn("send_stream", r->name, r->ids[i], num(r->cnt, each), "16", "512",
                      i & 1 ? "zc" : "mix", "close", r->g.ready_name, r->cn, r->g.go_name, NULL);
}

static void fan_teardown(fan_run *r) {
  mc_chan_close(r->hold);
  th_gate_close(&r->g);
  if (r->bshm) mc_shm_close(r->bshm);
  mc_shm_close(r->cshm);
}

/* Every bit of the bitmap set: each message received by someone (and by one only: the
   receivers check that as they set them). */
static void all_bits_set(fan_run *r, uint64_t total) {
  for (uint64_t b = 0; b < total; b++)
    TH_REQUIRE(atomic_load(&r->bits[b / 64]) & (1ull << (b % 64)), "message %llu never received",
               (unsigned long long)b);
}

/* A million messages from `senders` senders to four receivers. */
static void fan_million(unsigned flags, unsigned senders) {
  fan_run r;
  uint64_t each = MILLION / senders, total = each * senders;
  int share = (flags & MC_CHAN_MULTI_RECV) != 0;
  fan_setup(&r, flags, 0, total, share);
  for (int i = 0; i < 4; i++) fan_spawn_rx(&r, i, senders, each, 0, 0);
  for (unsigned i = 0; i < senders; i++) fan_spawn_tx(&r, (int)i, each);
  th_gate_wait(&r.g, 4 + (int)senders, WAIT_MS); /* everyone attached before anyone sends */
  th_gate_release(&r.g);
  for (unsigned i = 0; i < senders; i++) ck_assert_int_eq(th_wait(r.tx[i], 5 * WAIT_MS), 0);
  uint64_t sum = 0;
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(th_wait(r.rx[i], 5 * WAIT_MS), 0);
    uint64_t got = atomic_load(&r.counters[C_RECEIVED + i]);
    if (!share) ck_assert_uint_eq(got, total); /* everyone had everything */
    sum += got;
  }
  if (share) {
    ck_assert_uint_eq(sum, total);
    all_bits_set(&r, total);
  }
  fan_teardown(&r);
}

START_TEST(broadcast_million_one_sender) {
  fan_million(MC_CHAN_BROADCAST, 1);
}
END_TEST

START_TEST(broadcast_million_three_senders) {
  fan_million(MC_CHAN_BROADCAST, 3);
}
END_TEST

START_TEST(shared_work_million_one_sender) {
  fan_million(MC_CHAN_MULTI_RECV, 1);
}
END_TEST

START_TEST(shared_work_million_three_senders) {
  fan_million(MC_CHAN_MULTI_RECV, 3);
}
END_TEST

/* DROP_OLDEST with one receiver that sleeps: the senders never wait, each receiver's
   received + dropped is every message, and the sleeper is the one that lost. */
START_TEST(drop_oldest_sleeper_loses_what_it_missed) {
  fan_run r;
  const unsigned senders = 3;
  uint64_t each = MILLION / senders, total = each * senders;
  fan_setup(&r, MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST, 0, total, 0);
  for (int i = 0; i < 4; i++) fan_spawn_rx(&r, i, senders, each, 0, i == 3);
  for (unsigned i = 0; i < senders; i++) fan_spawn_tx(&r, (int)i, each);
  th_gate_wait(&r.g, 4 + (int)senders, WAIT_MS);
  th_gate_release(&r.g);
  for (unsigned i = 0; i < senders; i++) {
    ck_assert_int_eq(th_wait(r.tx[i], 5 * WAIT_MS), 0);
    ck_assert_uint_eq(atomic_load(&r.counters[C_WAITS + i]), 0); /* never held back */
  }
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(th_wait(r.rx[i], 5 * WAIT_MS), 0);
    uint64_t got = atomic_load(&r.counters[C_RECEIVED + i]),
             dropped = atomic_load(&r.counters[C_DROPPED + i]);
    ck_assert_msg(got + dropped == total, "receiver %d: %llu received + %llu dropped of %llu", i,
                  (unsigned long long)got, (unsigned long long)dropped, (unsigned long long)total);
    if (i == 3) ck_assert_uint_gt(dropped, total / 2);
  }
  fan_teardown(&r);
}
END_TEST

/* A receiver killed holding a peeked message (and, for broadcast, holding the senders back
   with it): the others and the senders go on without it; with shared work its message goes
   to another receiver, and nothing committed is lost. */
static void killed_holding_a_peek(unsigned flags) {
  fan_run r;
  const unsigned senders = 2;
  uint64_t each = 50000, total = each * senders;
  int share = (flags & MC_CHAN_MULTI_RECV) != 0;
  fan_setup(&r, flags, 16384, total, share);
  fan_spawn_rx(&r, 0, senders, each, 0, 0);
  fan_spawn_rx(&r, 1, senders, each, 0, 0);
  fan_spawn_rx(&r, 2, senders, each, 1001, 0); /* the victim */
  for (unsigned i = 0; i < senders; i++) fan_spawn_tx(&r, (int)i, each);
  th_gate_wait(&r.g, 3 + (int)senders, WAIT_MS);
  th_gate_release(&r.g);
  th_gate_wait(&r.g, 1, WAIT_MS); /* the victim holds its peek */
  th_kill(r.rx[2]);
  for (unsigned i = 0; i < senders; i++) ck_assert_int_eq(th_wait(r.tx[i], 5 * WAIT_MS), 0);
  uint64_t sum = atomic_load(&r.counters[C_RECEIVED + 2]);
  ck_assert_uint_eq(sum, 1001);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(th_wait(r.rx[i], 5 * WAIT_MS), 0);
    uint64_t got = atomic_load(&r.counters[C_RECEIVED + i]);
    if (!share) ck_assert_uint_eq(got, total);
    sum += got;
  }
  if (share) {
    ck_assert_uint_eq(sum, total); /* the peeked one too */
    all_bits_set(&r, total);
  }
  fan_teardown(&r);
}

START_TEST(broadcast_receiver_killed_holding_a_peek) {
  killed_holding_a_peek(MC_CHAN_BROADCAST);
}
END_TEST

START_TEST(shared_work_receiver_killed_holding_a_peek) {
  killed_holding_a_peek(MC_CHAN_MULTI_RECV);
}
END_TEST

/* A receiver killed at a moment it did not choose, in mid-stream: for broadcast the
   survivors get everything; for shared work every message is someone's, except at most the
   one the victim had consumed and not yet recorded when it died. */
static void killed_mid_stream(unsigned flags) {
  fan_run r;
  const unsigned senders = 2;
  uint64_t each = 200000, total = each * senders;
  int share = (flags & MC_CHAN_MULTI_RECV) != 0;
  fan_setup(&r, flags, 16384, total, share);
  for (int i = 0; i < 3; i++) fan_spawn_rx(&r, i, senders, each, 0, 0);
  for (unsigned i = 0; i < senders; i++) fan_spawn_tx(&r, (int)i, each);
  th_gate_wait(&r.g, 3 + (int)senders, WAIT_MS);
  th_gate_release(&r.g);
  uint64_t t0 = mc__plat_now_ns();
  while (atomic_load(&r.counters[C_RECEIVED + 2]) < 20000) {
    TH_REQUIRE(th_ms_since(t0) < WAIT_MS, "the victim never got going");
    mc__plat_yield();
  }
  th_kill(r.rx[2]);
  for (unsigned i = 0; i < senders; i++) ck_assert_int_eq(th_wait(r.tx[i], 5 * WAIT_MS), 0);
  uint64_t sum = atomic_load(&r.counters[C_RECEIVED + 2]);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(th_wait(r.rx[i], 5 * WAIT_MS), 0);
    uint64_t got = atomic_load(&r.counters[C_RECEIVED + i]);
    if (!share) ck_assert_uint_eq(got, total);
    sum += got;
  }
  if (share) {
    uint64_t missing = 0;
    for (uint64_t b = 0; b < total; b++)
      missing += !(atomic_load(&r.bits[b / 64]) & (1ull << (b % 64)));
    ck_assert_msg(missing <= 1 && sum + missing == total, "%llu missing, %llu received",
                  (unsigned long long)missing, (unsigned long long)sum);
  }
  fan_teardown(&r);
}

START_TEST(broadcast_receiver_killed_mid_stream) {
  killed_mid_stream(MC_CHAN_BROADCAST);
}
END_TEST

START_TEST(shared_work_receiver_killed_mid_stream) {
  killed_mid_stream(MC_CHAN_MULTI_RECV);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan_fanout");
  TCase *tc = th_tcase(s, "rules", 120);
  tcase_add_test(tc, flags_are_checked);
  tcase_add_test(tc, receivers_are_counted);
  tcase_add_test(tc, broadcast_gives_everyone_everything);
  tcase_add_test(tc, broadcast_late_receiver_starts_at_the_head);
  tcase_add_test(tc, broadcast_slowest_holds_the_senders);
  tcase_add_test(tc, drop_oldest_counts_what_was_lost);
  tcase_add_test(tc, drop_oldest_peek_is_stable);
  tcase_add_test(tc, shared_work_each_message_once);
  tcase_add_test(tc, shared_work_peek_holds_the_message);
  tcase_add_test(tc, fan_out_abort_reaches_everyone);
  tcase_add_test(tc, broadcast_scribbled_cursor_is_refused);
  tcase_add_test(tc, broadcast_scribbled_joining_cursor_is_refused);
  tcase_add_test(tc, shared_work_poller_takes_over_a_dead_peeker);
  tcase_add_test(tc, broadcast_dead_joiner_does_not_wedge_a_poller);
  tcase_add_test(tc, drop_oldest_dead_laggard_with_the_registration_lock_held);
  tcase_add_test(tc, drop_oldest_pollers_of_a_lapping_sender);
  tcase_add_test(tc, broadcast_takeover_while_a_receiver_joins);
  tc = th_tcase(s, "processes", 900);
  tcase_add_test(tc, broadcast_million_one_sender);
  tcase_add_test(tc, broadcast_million_three_senders);
  tcase_add_test(tc, shared_work_million_one_sender);
  tcase_add_test(tc, shared_work_million_three_senders);
  tcase_add_test(tc, drop_oldest_sleeper_loses_what_it_missed);
  tcase_add_test(tc, broadcast_receiver_killed_holding_a_peek);
  tcase_add_test(tc, shared_work_receiver_killed_holding_a_peek);
  tcase_add_test(tc, broadcast_receiver_killed_mid_stream);
  tcase_add_test(tc, shared_work_receiver_killed_mid_stream);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS,
                                    {"fan_recv", helper_fan_recv},
                                    {"peek_hold", helper_peek_hold},
                                    {"open_die", helper_open_die},
                                    {"send_die", helper_send_die},
                                    {"drop_poll", helper_drop_poll},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
