/* Channels: both kinds, across processes, with deaths, corruption and end of stream. */
#include "chan.h"
#include "harness.h"
#include "msgstream.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 60000
#define MILLION 1000000

static uint64_t ms_since(uint64_t t0) {
  return (mc__plat_now_ns() - t0) / 1000000;
}

/* A block of u64 counters the helpers report progress into (unprotected: atomics only). */
static _Atomic uint64_t *open_counters(const char *name, mc_shm **shm) {
  void *data;
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_UNPROTECTED};
  if (mc_shm_open(name, &o, shm) != MC_OK) return NULL;
  if (mc_shm_acquire(*shm, MC_WRITE, 0, &data) != MC_OK) return NULL;
  return data;
}
#define COUNTER_WAKEUPS 64 /* + sender id: the sender's stats.wakeups */

/* ---- helpers ---------------------------------------------------------------------------- */

/* send_stream NAME ID COUNT MIN MAX MODE END READY COUNTERS [GO]
   MODE copy | zc (reserve the maximum, commit the message) | mix (alternate).
   END close | hold (signal READY, block) | reserve (reserve and half-write one more message,
   signal READY, block). COUNTERS: a counters block (or "-"): [ID] = messages committed.
   GO: once connected, arrive at the gate READY/GO before sending (so that several senders
   are all registered before any of them ends its stream). */
static int helper_send_stream(int argc, char **argv) {
  if (argc < 9) return 2;
  mc_chan *ch;
  mc_shm *cshm = NULL;
  _Atomic uint64_t *counters = NULL;
  uint32_t id = (uint32_t)atoi(argv[1]);
  uint64_t count = strtoull(argv[2], NULL, 10);
  size_t min = (size_t)atoi(argv[3]), max = (size_t)atoi(argv[4]);
  const char *mode = argv[5], *end = argv[6];
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &ch));
  if (strcmp(argv[8], "-") != 0) {
    counters = open_counters(argv[8], &cshm);
    HELPER_CHECK(counters != NULL);
  }
  if (argc > 9) HELPER_OK(th_gate_arrive(argv[7], argv[9], WAIT_MS));
  unsigned char *buf = malloc(max + 1);
  HELPER_CHECK(buf != NULL);
  for (uint64_t seq = 0; seq < count; seq++) {
    int zc = strcmp(mode, "zc") == 0 || (strcmp(mode, "mix") == 0 && (seq & 1));
    if (zc) {
      void *dst;
      HELPER_OK(mc_chan_reserve(ch, max, &dst, WAIT_MS));
      size_t n = ms_make(id, seq, min, max, dst);
      HELPER_OK(mc_chan_commit(ch, n));
    } else {
      size_t n = ms_make(id, seq, min, max, buf);
      HELPER_OK(mc_chan_send(ch, buf, n, WAIT_MS));
    }
    if (counters) atomic_store(&counters[id], seq + 1);
  }
  mc_chan_stats st;
  mc_chan_get_stats(ch, &st);
  if (counters) atomic_store(&counters[COUNTER_WAKEUPS + id], st.wakeups);
  if (strcmp(end, "hold") == 0) {
    HELPER_OK(th_signal(argv[7]));
    return th_block_forever(argv[0]);
  }
  if (strcmp(end, "reserve") == 0) {
    void *dst;
    HELPER_OK(mc_chan_reserve(ch, max, &dst, WAIT_MS));
    memset(dst, 0xee, max / 2); /* half-way through a message */
    HELPER_OK(th_signal(argv[7]));
    return th_block_forever(argv[0]);
  }
  free(buf);
  if (cshm) mc_shm_close(cshm);
  mc_chan_close(ch);
  return 0;
}

/* recv_then_hold NAME COUNT MIN MAX READY: receives and checks COUNT messages of sender 0,
   signals, then blocks without receiving until killed. */
static int helper_recv_then_hold(int argc, char **argv) {
  if (argc < 5) return 2;
  mc_chan *ch;
  uint64_t count = strtoull(argv[1], NULL, 10);
  size_t min = (size_t)atoi(argv[2]), max = (size_t)atoi(argv[3]), n;
  unsigned char *buf = malloc(max + 1), *scratch = malloc(max + 1);
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_RECV, WAIT_MS, &ch));
  for (uint64_t seq = 0; seq < count; seq++) {
    HELPER_OK(mc_chan_recv(ch, buf, max, &n, WAIT_MS));
    HELPER_CHECK(ms_check(0, seq, min, max, buf, n, scratch));
  }
  HELPER_OK(th_signal(argv[4]));
  return th_block_forever(argv[0]);
}

/* wake_peer NAME send|recv COUNT MIN MAX: waits until the other side has announced it is
   going to sleep (the channel's waiting flag), then sends one message, or receives and
   checks COUNT. Proves that the sleeper is woken by the other side's progress. */
static int helper_wake_peer(int argc, char **argv) {
  if (argc < 5) return 2;
  mc_chan *ch;
  int send = strcmp(argv[1], "send") == 0;
  uint64_t count = strtoull(argv[2], NULL, 10);
  size_t min = (size_t)atoi(argv[3]), max = (size_t)atoi(argv[4]), n;
  unsigned char *buf = malloc(max + 1), *scratch = malloc(max + 1);
  HELPER_OK(mc_chan_open(argv[0], send ? MC_CHAN_SEND : MC_CHAN_RECV, WAIT_MS, &ch));
  _Atomic uint64_t *flag = send ? &ch->ctl->recv_waiting : &ch->ctl->send_waiting;
  uint64_t t0 = mc__plat_now_ns();
  while (!atomic_load(flag)) {
    HELPER_CHECK(ms_since(t0) < WAIT_MS);
    mc__plat_yield();
  }
  if (send) {
    n = ms_make(0, 0, min, max, buf);
    HELPER_OK(mc_chan_send(ch, buf, n, WAIT_MS));
  } else {
    for (uint64_t seq = 0; seq < count; seq++) {
      HELPER_OK(mc_chan_recv(ch, buf, max, &n, WAIT_MS));
      HELPER_CHECK(ms_check(0, seq, min, max, buf, n, scratch));
    }
  }
  mc_chan_close(ch);
  free(buf);
  free(scratch);
  return 0;
}

/* create_after_waiter NAME: waits until someone waits for NAME to be created (its "$new"
   event exists), then creates it, sends one message and closes. */
static int helper_create_after_waiter(int argc, char **argv) {
  if (argc < 1) return 2;
  mc__objname n, ev_name;
  mc_event *ev;
  mc_chan *ch;
  HELPER_OK(mc__name_parse(argv[0], &n));
  HELPER_OK(mc__name_derive(&n, "$new", &ev_name));
  uint64_t t0 = mc__plat_now_ns();
  while (mc__event_open_name(&ev_name, MC__MAP_OPEN_ONLY, 1, 0, &ev) != MC_OK) {
    HELPER_CHECK(ms_since(t0) < WAIT_MS);
    mc__plat_yield();
  }
  mc_event_close(ev);
  HELPER_OK(mc_chan_create(argv[0], NULL, MC_CHAN_SEND, &ch));
  HELPER_OK(mc_chan_send(ch, "hi", 2, WAIT_MS));
  /* The last close removes a channel: stay until the waiter has joined. */
  t0 = mc__plat_now_ns();
  while (atomic_load(&ch->ctl->receiver.state) != MC__PEER_OPEN) {
    HELPER_CHECK(ms_since(t0) < WAIT_MS);
    mc__plat_yield();
  }
  mc_chan_close(ch);
  return 0;
}

/* scribble NAME OFFSET TIMES: writes TIMES random 64-bit values over the u64 at OFFSET of
   the channel's region; the last one is odd, which no index can be. */
static int helper_scribble(int argc, char **argv) {
  if (argc < 3) return 2;
  long off = atol(argv[1]);
  int times = atoi(argv[2]);
  uint64_t x = mc__plat_now_ns();
  for (int i = 0; i < times; i++) {
    x = ms_mix(x);
    uint64_t v = i == times - 1 ? (x | 1) : x;
    HELPER_CHECK(th_raw_write(argv[0], off, &v, sizeof v) == 0);
  }
  return 0;
}

/* ---- receiving and checking ------------------------------------------------------------------ */

/* Receives senders * each messages and checks every one: per-sender order, sizes, bytes. */
static void recv_checked(mc_chan *ch, unsigned senders, uint64_t each, size_t min, size_t max,
                         int zero_copy) {
  uint64_t next[8] = {0};
  unsigned char *buf = malloc(max + 1), *scratch = malloc(max + 1);
  ck_assert_ptr_nonnull(buf);
  for (uint64_t i = 0; i < senders * each; i++) {
    const unsigned char *msg;
    size_t n;
    if (zero_copy && (i & 1)) {
      const void *p;
      TH_OK(mc_chan_peek(ch, &p, &n, WAIT_MS));
      msg = p;
    } else {
      TH_OK(mc_chan_recv(ch, buf, max, &n, WAIT_MS));
      msg = buf;
    }
    uint32_t id = senders == 1 ? 0 : ms_sender(msg, n);
    TH_REQUIRE(id < senders, "message %llu: unknown sender", (unsigned long long)i);
    TH_REQUIRE(ms_check(id, next[id], min, max, msg, n, scratch),
               "sender %u message %llu: wrong, missing or out of order", id,
               (unsigned long long)next[id]);
    next[id]++;
    if (zero_copy && (i & 1)) TH_OK(mc_chan_consume(ch));
  }
  free(buf);
  free(scratch);
}

static mc_chan *create_chan(const char *tag, int kind, uint32_t max_msg, uint64_t capacity,
                            unsigned flags, int role, char *name, size_t cap) {
  mc_chan *ch;
  mc_chan_options o = {.kind = kind, .max_msg = max_msg, .capacity = capacity, .flags = flags};
  th_name(name, cap, tag);
  TH_OK(mc_chan_create(name, &o, role, &ch));
  return ch;
}

static char *num(char *buf, uint64_t v) {
  sprintf(buf, "%llu", (unsigned long long)v);
  return buf;
}

/* ---- basics ------------------------------------------------------------------------------------
 */

START_TEST(basics_in_one_process) {
  char name[64], buf[64];
  size_t n = 99;
  mc_chan *rx = create_chan("basic", MC_CHAN_RING, 100, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx, *tx2, *rx2;
  ck_assert_str_eq(mc_chan_name(rx), name);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &tx2), MC_ESTATE); /* one sender */
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &rx2), MC_ESTATE); /* one receiver */
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  TH_OK(mc_chan_send(tx, "hello", 5, 0));
  TH_OK(mc_chan_send(tx, "", 0, 0));
  TH_EXPECT(mc_chan_recv(rx, buf, 3, &n, 0), MC_ENOSPC); /* too small: stays queued */
  ck_assert_uint_eq(n, 5);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  ck_assert_uint_eq(n, 5);
  ck_assert(memcmp(buf, "hello", 5) == 0);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  ck_assert_uint_eq(n, 0);
  static char big[101];
  TH_EXPECT(mc_chan_send(tx, big, 101, 0), MC_ENOSPC); /* over max_msg */
  TH_OK(mc_chan_send(tx, big, 100, 0));
  TH_OK(mc_chan_recv(rx, big, sizeof big, &n, 0));
  /* Roles. */
  TH_EXPECT(mc_chan_send(rx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(tx, buf, sizeof buf, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_close_send(rx), MC_ESTATE);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_eq(st.sent, 3);
  ck_assert_uint_eq(st.bytes_sent, 105);
  TH_OK(mc_chan_get_stats(rx, &st));
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.bytes_received, 105);
  /* End of stream. */
  TH_OK(mc_chan_close_send(tx));
  TH_EXPECT(mc_chan_close_send(tx), MC_ESTATE);
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 1000), MC_ECLOSED);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ECLOSED); /* and stays so */
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

START_TEST(create_open_and_arguments) {
  char name[64];
  mc_chan *a, *b = (mc_chan *)1;
  mc_chan_options o = {0};
  a = create_chan("args", MC_CHAN_RING, 0, 0, 0, MC_CHAN_SEND, name, sizeof name);
  TH_EXPECT(mc_chan_create(name, NULL, MC_CHAN_RECV, &b), MC_EEXIST);
  ck_assert_ptr_null(b);
  mc_chan_close(a);
  /* A unique name, told by mc_chan_name. */
  TH_OK(mc_chan_create(NULL, NULL, MC_CHAN_RECV, &a));
  TH_OK(mc_chan_open(mc_chan_name(a), MC_CHAN_SEND, 0, &b));
  mc_chan_close(b);
  mc_chan_close(a);
  /* Missing: open waits for its timeout, and not less. */
  th_name(name, sizeof name, "missing");
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 80, &b), MC_ETIMEDOUT);
  ck_assert_uint_ge(ms_since(t0), 80);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &b), MC_ETIMEDOUT);
  /* Bad arguments. */
  TH_EXPECT(mc_chan_create(name, NULL, 3, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_create(name, NULL, MC_CHAN_SEND, NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_create("bad name", NULL, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.kind = 7};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.flags = 1u << 9};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.spin_us = -2};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.max_msg = 4096, .capacity = 4096}; /* cannot hold two records */
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.max_msg = (1u << 30) + 1};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.mode = 010000};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(NULL, MC_CHAN_SEND, 0, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(name, 3, 0, &a), MC_EINVAL); /* 0 is MC_CHAN_NONE */
  TH_EXPECT(mc_chan_open(name, -1, 0, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, -5, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_send(NULL, "x", 1, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_recv(NULL, NULL, 0, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_reserve(NULL, 1, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_commit(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_peek(NULL, NULL, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_consume(NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_close_send(NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_get_stats(NULL, NULL), MC_EINVAL);
  ck_assert_str_eq(mc_chan_name(NULL), "");
  mc_chan_close(NULL);
  /* Capacity rounds up to a power of two; defaults adapt to a large max_msg. */
  o = (mc_chan_options){.capacity = 5000, .max_msg = 100};
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &a));
  ck_assert_uint_eq(a->cap_mask + 1, 8192);
  mc_chan_close(a);
  o = (mc_chan_options){.max_msg = 1u << 20};
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &a));
  ck_assert_uint_ge(a->cap_mask + 1, 2 * ((1u << 20) + 8));
  mc_chan_close(a);
  /* The name belongs to a channel: other kinds are refused. */
  mc_event *ev;
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &a));
  TH_EXPECT(mc_event_open(name, 0, 0, &ev), MC_EMISMATCH);
  mc_chan_close(a);
}
END_TEST

/* A holder that takes neither end (MC_CHAN_NONE): a supervisor keeps a channel between two
   stages alive, whichever of them comes and goes; it can neither send nor receive. */
START_TEST(role_none_holds_the_channel) {
  char name[64], buf[8];
  size_t n;
  mc_chan *hold, *tx, *rx;
  void *w;
  const void *m;
  th_name(name, sizeof name, "none");
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_NONE, &hold));
  TH_EXPECT(mc_chan_send(hold, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(hold, buf, sizeof buf, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_reserve(hold, 1, &w, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_peek(hold, &m, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_close_send(hold), MC_ESTATE);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  TH_OK(mc_chan_send(tx, "one", 3, 1000));
  mc_chan_close(tx); /* the only sender is gone, and no receiver came yet */
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 1000, &rx));
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 1000));
  ck_assert_uint_eq(n, 3);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 1000), MC_ECLOSED);
  mc_chan_close(rx);
  mc_chan *again;
  TH_OK(mc_chan_open(name, MC_CHAN_NONE, 0, &again)); /* still there */
  mc_chan_close(again);
  mc_chan_close(hold);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_NONE, 0, &again), MC_ETIMEDOUT);
}
END_TEST

START_TEST(open_waits_for_the_creator) {
  char name[64], buf[8];
  size_t n;
  mc_chan *rx;
  th_name(name, sizeof name, "later");
  mc_proc *p = th_spawn("create_after_waiter", name, NULL);
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, WAIT_MS, &rx));
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
  ck_assert_uint_eq(n, 2);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}
END_TEST

/* ---- zero copy ----------------------------------------------------------------------------------
 */

START_TEST(zero_copy_and_wrapping) {
  char name[64];
  const size_t max = 200;
  mc_chan *rx = create_chan("zc", MC_CHAN_RING, max, 1024, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  unsigned char scratch[256], tmp[256];
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  void *w;
  const void *r;
  size_t n;
  /* Reserve the maximum, commit less; sizes chosen so that records keep wrapping a ring of
     1024 bytes (padding records at its end). */
  for (uint64_t seq = 0; seq < 5000; seq++) {
    TH_OK(mc_chan_reserve(tx, max, &w, 0));
    n = ms_make(0, seq, 0, max, w);
    TH_OK(mc_chan_commit(tx, n));
    TH_OK(mc_chan_peek(rx, &r, &n, 0));
    TH_REQUIRE(ms_check(0, seq, 0, max, r, n, scratch), "message %llu", (unsigned long long)seq);
    TH_OK(mc_chan_consume(rx));
    if (seq % 3 == 0) { /* and sometimes two at once, so a second record wraps */
      TH_OK(mc_chan_send(tx, tmp, ms_make(1, seq, 0, max, tmp), 0));
      TH_OK(mc_chan_recv(rx, tmp, sizeof tmp, &n, 0));
      TH_REQUIRE(ms_check(1, seq, 0, max, tmp, n, scratch), "message %llu",
                 (unsigned long long)seq);
    }
  }
  /* States. */
  TH_OK(mc_chan_reserve(tx, 10, &w, 0));
  TH_EXPECT(mc_chan_reserve(tx, 10, &w, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_commit(tx, 11), MC_EINVAL); /* more than reserved */
  memcpy(w, "0123456789", 10);
  TH_OK(mc_chan_commit(tx, 10));
  TH_EXPECT(mc_chan_commit(tx, 1), MC_ESTATE);
  TH_EXPECT(mc_chan_reserve(tx, max + 1, &w, 0), MC_ENOSPC);
  TH_EXPECT(mc_chan_consume(rx), MC_ESTATE);
  TH_OK(mc_chan_peek(rx, &r, &n, 0));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(rx, tmp, sizeof tmp, &n, 0), MC_ESTATE);
  TH_OK(mc_chan_consume(rx));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 0), MC_ETIMEDOUT);
  /* A reservation dropped by close_send is never delivered. */
  TH_OK(mc_chan_reserve(tx, 10, &w, 0));
  TH_OK(mc_chan_close_send(tx));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 100), MC_ECLOSED);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

START_TEST(slot_zero_copy) {
  char name[64];
  mc_chan *rx = create_chan("szc", MC_CHAN_SLOT, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  void *w;
  const void *r;
  size_t n;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_OK(mc_chan_reserve(tx, 64, &w, 0));
  memcpy(w, "slot!", 5);
  TH_OK(mc_chan_commit(tx, 5));
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ETIMEDOUT); /* one slot: full until read */
  TH_OK(mc_chan_peek(rx, &r, &n, 0));
  ck_assert_uint_eq(n, 5);
  ck_assert(memcmp(r, "slot!", 5) == 0);
  TH_OK(mc_chan_consume(rx));
  TH_OK(mc_chan_send(tx, "x", 1, 0)); /* "read finished": the slot is free again */
  char b[8];
  TH_EXPECT(mc_chan_recv(rx, b, 0, &n, 0), MC_ENOSPC);
  TH_OK(mc_chan_recv(rx, b, sizeof b, &n, 0));
  ck_assert_uint_eq(n, 1);
  TH_EXPECT(mc_chan_send(tx, b, 65, 0), MC_ENOSPC);
  mc_chan_close(tx);
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, 0), MC_ECLOSED);
  mc_chan_close(rx);
}
END_TEST

/* ---- a million messages across processes ---------------------------------------------------- */

static void million(int kind, const char *mode, int zero_copy_recv) {
  char name[64], cnt[32];
  const size_t max = 512;
  mc_chan *rx = create_chan("million", kind, max, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p = th_spawn("send_stream", name, "0", num(cnt, MILLION), "0", "512", mode, "close", "-",
                        "-", NULL);
  recv_checked(rx, 1, MILLION, 0, max, zero_copy_recv);
  size_t n;
  char b[8];
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, WAIT_MS), MC_ECLOSED);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}

START_TEST(million_ring) {
  million(MC_CHAN_RING, "mix", 1);
}
END_TEST

START_TEST(million_slot) {
  million(MC_CHAN_SLOT, "mix", 1);
}
END_TEST

static void many_senders(int kind, uint64_t each) {
  char name[64], id[4][4], cnt[32];
  const size_t max = 512;
  mc_proc *p[4];
  th_gate g;
  th_gate_open(&g, "multi");
  mc_chan *rx =
      create_chan("multi", kind, max, 0, MC_CHAN_MULTI_SEND, MC_CHAN_RECV, name, sizeof name);
  for (int i = 0; i < 4; i++) {
    sprintf(id[i], "%d", i);
    p[i] = th_spawn("send_stream", name, id[i], num(cnt, each), "16", "512", i & 1 ? "zc" : "copy",
                    "close", g.ready_name, "-", g.go_name, NULL);
  }
  th_gate_wait(&g, 4, WAIT_MS); /* all four connected before any can finish */
  th_gate_release(&g);
  recv_checked(rx, 4, each, 16, max, 1);
  size_t n;
  char b[8];
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, WAIT_MS), MC_ECLOSED); /* all four closed */
  for (int i = 0; i < 4; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  mc_chan_close(rx);
  th_gate_close(&g);
}

START_TEST(million_four_senders) {
  many_senders(MC_CHAN_RING, MILLION / 4);
}
END_TEST

START_TEST(slot_four_senders) {
  many_senders(MC_CHAN_SLOT, 25000);
}
END_TEST

/* ---- blocking and timeouts ------------------------------------------------------------------- */

START_TEST(timeouts_leave_nothing_behind) {
  char name[64], buf[300];
  size_t n;
  mc_chan *rx = create_chan("tmo", MC_CHAN_RING, 200, 1024, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 60), MC_ETIMEDOUT);
  ck_assert_uint_ge(ms_since(t0), 60);
  uint64_t sent = 0;
  int rc;
  while ((rc = mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, (unsigned char *)buf), 0)) == MC_OK)
    sent++;
  TH_EXPECT(rc, MC_ETIMEDOUT);
  t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, (unsigned char *)buf), 40),
            MC_ETIMEDOUT);
  ck_assert_uint_ge(ms_since(t0), 40);
  /* Exactly the messages that were accepted arrive, and nothing else. */
  recv_checked(rx, 1, sent, 0, 200, 0);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_eq(st.sent, sent);
  ck_assert_uint_ge(st.send_waits, 2);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

static void wake_on_send(int kind) {
  char name[64], buf[64];
  size_t n;
  mc_chan *rx = create_chan("wakerx", kind, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p = th_spawn("wake_peer", name, "send", "1", "0", "64", NULL);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS)); /* asleep until the helper sends */
  unsigned char scratch[64];
  ck_assert(ms_check(0, 0, 0, 64, (unsigned char *)buf, n, scratch));
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  ck_assert_uint_eq(st.recv_waits, 1);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}

START_TEST(receiver_wakes_on_send) {
  wake_on_send(MC_CHAN_RING);
  wake_on_send(MC_CHAN_SLOT);
}
END_TEST

static void wake_on_space(int kind) {
  char name[64], cnt[32];
  unsigned char buf[200];
  mc_chan *tx = create_chan("waketx", kind, 200, 1024, 0, MC_CHAN_SEND, name, sizeof name);
  uint64_t sent = 0;
  while (mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, buf), 0) == MC_OK) sent++;
  /* Full. The helper drains once it sees us asleep; our blocked send then goes through. */
  mc_proc *p = th_spawn("wake_peer", name, "recv", num(cnt, sent + 1), "0", "200", NULL);
  TH_OK(mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, buf), WAIT_MS));
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(tx);
}

START_TEST(sender_wakes_when_space_frees) {
  wake_on_space(MC_CHAN_RING);
  wake_on_space(MC_CHAN_SLOT);
}
END_TEST

/* ---- deaths -----------------------------------------------------------------------------------
 */

static void sender_killed_mid_stream(int kind) {
  char name[64], cn[64], ready[64];
  const size_t max = 256;
  mc_shm *cshm;
  th_gate g;
  th_name(cn, sizeof cn, "progress");
  _Atomic uint64_t *counters = open_counters(cn, &cshm);
  ck_assert_ptr_nonnull(counters);
  th_gate_open(&g, "kill");
  snprintf(ready, sizeof ready, "%s", g.ready_name);
  mc_chan *rx = create_chan("killtx", kind, max, 8192, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p =
      th_spawn("send_stream", name, "0", "100000000", "0", "256", "mix", "close", ready, cn, NULL);
  recv_checked(rx, 1, 1000, 0, max, 1); /* the stream is flowing */
  th_kill(p);
  uint64_t committed = atomic_load(&counters[0]);
  /* Every committed message arrives, in order, and then the death is reported. */
  unsigned char buf[256], scratch[256];
  size_t n;
  uint64_t got = 1000;
  int rc;
  while ((rc = mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS)) == MC_OK) {
    TH_REQUIRE(ms_check(0, got, 0, max, buf, n, scratch), "message %llu", (unsigned long long)got);
    got++;
  }
  TH_EXPECT(rc, MC_EPEERDEAD);
  /* The counter is bumped just after each commit: at most one more may have arrived. */
  ck_assert_msg(got == committed || got == committed + 1, "got %llu, %llu committed",
                (unsigned long long)got, (unsigned long long)committed);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_EPEERDEAD);
  mc_chan_close(rx);
  mc_shm_close(cshm);
  th_gate_close(&g);
}

START_TEST(sender_killed_mid_stream_ring) {
  sender_killed_mid_stream(MC_CHAN_RING);
}
END_TEST

START_TEST(sender_killed_mid_stream_slot) {
  sender_killed_mid_stream(MC_CHAN_SLOT);
}
END_TEST

static void killed_mid_message(int kind, unsigned flags) {
  char name[64];
  th_gate g;
  unsigned char buf[256], scratch[256];
  size_t n;
  th_gate_open(&g, "midmsg");
  mc_chan *rx = create_chan("midmsg", kind, 256, 8192, flags, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p = th_spawn("send_stream", name, "0", "10", "0", "256", "copy", "reserve", g.ready_name,
                        "-", NULL);
  recv_checked(rx, 1, 10, 0, 256, 0);
  th_gate_wait(&g, 1, WAIT_MS); /* then one more reserved and half written */
  mc_proc *other = NULL;
  if (flags & MC_CHAN_MULTI_SEND) {
    /* Another sender, connected before the death (else, for a moment, nobody could send
       and the receiver would rightly say so), goes on: it takes the dead one's lock over
       and the half-written message is dropped. */
    other = th_spawn("send_stream", name, "1", "5", "16", "256", "copy", "close", g.ready_name, "-",
                     g.go_name, NULL);
    th_gate_wait(&g, 1, WAIT_MS);
  }
  th_kill(p);
  if (other) {
    th_gate_release(&g);
    p = other;
    for (uint64_t i = 0; i < 5; i++) {
      TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
      ck_assert(ms_check(1, i, 16, 256, buf, n, scratch));
    }
    ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
    ck_assert_uint_eq(atomic_load(&rx->ctl->abandoned), 1);
  }
  /* Nothing of the half-written message arrives; the death is reported. */
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS), MC_EPEERDEAD);
  mc_chan_close(rx);
  th_gate_close(&g);
}

START_TEST(sender_killed_mid_message) {
  killed_mid_message(MC_CHAN_RING, 0);
  killed_mid_message(MC_CHAN_RING, MC_CHAN_MULTI_SEND);
  killed_mid_message(MC_CHAN_SLOT, 0);
  killed_mid_message(MC_CHAN_SLOT, MC_CHAN_MULTI_SEND);
}
END_TEST

static void receiver_killed(int kind) {
  char name[64];
  unsigned char buf[256];
  th_gate g;
  th_gate_open(&g, "killrx");
  mc_chan *tx = create_chan("killrx", kind, 256, 4096, 0, MC_CHAN_SEND, name, sizeof name);
  mc_proc *p = th_spawn("recv_then_hold", name, "20", "0", "256", g.ready_name, NULL);
  for (uint64_t seq = 0; seq < 20; seq++)
    TH_OK(mc_chan_send(tx, buf, ms_make(0, seq, 0, 256, buf), WAIT_MS));
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  /* Sends succeed while there is room, then the death is reported - never a hang. */
  uint64_t t0 = mc__plat_now_ns();
  int rc;
  uint64_t seq = 20;
  while ((rc = mc_chan_send(tx, buf, ms_make(0, seq, 0, 256, buf), WAIT_MS)) == MC_OK) seq++;
  TH_EXPECT(rc, MC_EPEERDEAD);
  ck_assert_uint_lt(ms_since(t0), 10000);
  ck_assert_uint_le(seq - 20, 4096 / 8); /* no more than the ring could hold */
  mc_chan_close(tx);
  th_gate_close(&g);
}

START_TEST(receiver_killed_sender_is_told) {
  receiver_killed(MC_CHAN_RING);
  receiver_killed(MC_CHAN_SLOT);
}
END_TEST

START_TEST(closed_receiver_sender_is_told) {
  char name[64];
  unsigned char buf[64];
  mc_chan *tx = create_chan("closerx", MC_CHAN_RING, 64, 1024, 0, MC_CHAN_SEND, name, sizeof name);
  mc_chan *rx;
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  mc_chan_close(rx);
  int rc;
  while ((rc = mc_chan_send(tx, buf, 64, 1000)) == MC_OK) {
  }
  TH_EXPECT(rc, MC_EPEERDEAD);
  /* A new receiver revives the channel and finds what was queued. */
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  size_t n;
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  TH_OK(mc_chan_send(tx, buf, 64, 1000));
  mc_chan_close(rx);
  mc_chan_close(tx);
}
END_TEST

/* ---- end of stream with several senders ---------------------------------------------------- */

START_TEST(closed_only_when_every_sender_closed) {
  char name[64], b[8];
  size_t n;
  mc_chan *rx =
      create_chan("eos", MC_CHAN_RING, 64, 0, MC_CHAN_MULTI_SEND, MC_CHAN_RECV, name, sizeof name);
  mc_chan *a, *c;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &a));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &c));
  TH_OK(mc_chan_send(a, "a", 1, 0));
  TH_OK(mc_chan_close_send(a));
  TH_OK(mc_chan_recv(rx, b, sizeof b, &n, 0));
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, 30), MC_ETIMEDOUT); /* c is still open */
  TH_OK(mc_chan_send(c, "c", 1, 0));
  mc_chan_close(c); /* a sender's close implies close_send */
  TH_OK(mc_chan_recv(rx, b, sizeof b, &n, 0));
  ck_assert_int_eq(b[0], 'c');
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, 1000), MC_ECLOSED);
  mc_chan_close(a);
  mc_chan_close(rx);
}
END_TEST

/* ---- a hostile peer ----------------------------------------------------------------------------
 */

START_TEST(scribbled_indices_are_reported) {
  char name[64], off[32];
  th_gate g;
  th_gate_open(&g, "scribble");
  mc_chan *rx =
      create_chan("scribble", MC_CHAN_RING, 256, 8192, 0, MC_CHAN_RECV, name, sizeof name);
  /* The sender sends 50 and holds still; a third process scribbles over head. */
  mc_proc *p =
      th_spawn("send_stream", name, "0", "50", "0", "256", "copy", "hold", g.ready_name, "-", NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  recv_checked(rx, 1, 50, 0, 256, 0);
  snprintf(off, sizeof off, "%u", MC__STATE_OFFSET + (unsigned)offsetof(mc__chan_ctl, head));
  ck_assert_int_eq(th_wait(th_spawn("scribble", name, off, "1000", NULL), WAIT_MS), 0);
  unsigned char buf[256];
  size_t n;
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 1000), MC_ECORRUPT);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ECORRUPT); /* sticky */
  th_kill(p);
  mc_chan_close(rx);
  /* And the sender's side: a scribbled tail. */
  mc_chan *tx =
      create_chan("scribble2", MC_CHAN_RING, 256, 8192, 0, MC_CHAN_SEND, name, sizeof name);
  snprintf(off, sizeof off, "%u", MC__STATE_OFFSET + (unsigned)offsetof(mc__chan_ctl, tail));
  ck_assert_int_eq(th_wait(th_spawn("scribble", name, off, "1000", NULL), WAIT_MS), 0);
  int rc;
  while ((rc = mc_chan_send(tx, buf, 200, 0)) == MC_OK) {
  }
  TH_EXPECT(rc, MC_ECORRUPT); /* noticed when the ring looked full and tail was read */
  mc_chan_close(tx);
  th_gate_close(&g);
}
END_TEST

START_TEST(scribbling_a_live_stream_never_crashes) {
  char name[64], off_h[32], off_t[32];
  mc_chan *rx = create_chan("fuzz", MC_CHAN_RING, 256, 4096, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p =
      th_spawn("send_stream", name, "0", "100000000", "0", "256", "mix", "close", "-", "-", NULL);
  snprintf(off_h, sizeof off_h, "%u", MC__STATE_OFFSET + (unsigned)offsetof(mc__chan_ctl, head));
  snprintf(off_t, sizeof off_t, "%u", MC__STATE_OFFSET + (unsigned)offsetof(mc__chan_ctl, tail));
  mc_proc *s1 = th_spawn("scribble", name, off_h, "20000", NULL);
  mc_proc *s2 = th_spawn("scribble", name, off_t, "20000", NULL);
  unsigned char buf[256];
  size_t n;
  int rc, helpers_done = 0;
  uint64_t got = 0, garbage = 0x0123456789abcdefull; /* odd: never a valid index */
  long head_at = atol(off_h);
  while ((rc = mc_chan_recv(rx, buf, sizeof buf, &n, 100)) == MC_OK || rc == MC_ETIMEDOUT) {
    got += rc == MC_OK;
    if (!helpers_done)
      helpers_done = mc_proc_wait(s1, 0, NULL) == MC_OK && mc_proc_wait(s2, 0, NULL) == MC_OK;
    else /* the stream survived the random values: make sure it meets a bad one */
      ck_assert_int_eq(th_raw_write(name, head_at, &garbage, sizeof garbage), 0);
  }
  /* Whatever garbage it read, it ended with a clear error and never faulted. The sender may
     have met the garbage first and died of it, which the receiver reports instead. */
  ck_assert_msg(rc == MC_ECORRUPT || rc == MC_EPEERDEAD, "ended with %s after %llu messages",
                mc_err_name(rc), (unsigned long long)got);
  ck_assert_int_eq(th_wait(s1, WAIT_MS), 0);
  ck_assert_int_eq(th_wait(s2, WAIT_MS), 0);
  th_kill(p); /* it may be blocked on a ring that looks full for ever */
  mc_chan_close(rx);
}
END_TEST

/* ---- the wake-up budget --------------------------------------------------------------------- */

START_TEST(streaming_costs_almost_no_wakeups) {
  char name[64], cn[64], cnt[32];
  mc_shm *cshm;
  th_name(cn, sizeof cn, "wk");
  _Atomic uint64_t *counters = open_counters(cn, &cshm);
  ck_assert_ptr_nonnull(counters);
  mc_chan *rx = create_chan("stream", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p = th_spawn("send_stream", name, "0", num(cnt, MILLION), "32", "32", "copy", "close",
                        "-", cn, NULL);
  recv_checked(rx, 1, MILLION, 32, 32, 0);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  uint64_t wakeups = st.wakeups + atomic_load(&counters[COUNTER_WAKEUPS]);
  ck_assert_msg(wakeups < MILLION / 100, "%llu wake-ups for %d messages",
                (unsigned long long)wakeups, MILLION);
  mc_chan_close(rx);
  mc_shm_close(cshm);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan");
  TCase *tc = th_tcase(s, "basics", 60);
  tcase_add_test(tc, basics_in_one_process);
  tcase_add_test(tc, create_open_and_arguments);
  tcase_add_test(tc, role_none_holds_the_channel);
  tcase_add_test(tc, open_waits_for_the_creator);
  tcase_add_test(tc, zero_copy_and_wrapping);
  tcase_add_test(tc, slot_zero_copy);
  tc = th_tcase(s, "blocking", 60);
  tcase_add_test(tc, timeouts_leave_nothing_behind);
  tcase_add_test(tc, receiver_wakes_on_send);
  tcase_add_test(tc, sender_wakes_when_space_frees);
  tc = th_tcase(s, "deaths", 120);
  tcase_add_test(tc, sender_killed_mid_stream_ring);
  tcase_add_test(tc, sender_killed_mid_stream_slot);
  tcase_add_test(tc, sender_killed_mid_message);
  tcase_add_test(tc, receiver_killed_sender_is_told);
  tcase_add_test(tc, closed_receiver_sender_is_told);
  tcase_add_test(tc, closed_only_when_every_sender_closed);
  tc = th_tcase(s, "hostile", 120);
  tcase_add_test(tc, scribbled_indices_are_reported);
  tcase_add_test(tc, scribbling_a_live_stream_never_crashes);
  tc = th_tcase(s, "volume", 600);
  tcase_add_test(tc, million_ring);
  tcase_add_test(tc, million_slot);
  tcase_add_test(tc, million_four_senders);
  tcase_add_test(tc, slot_four_senders);
  tcase_add_test(tc, streaming_costs_almost_no_wakeups);
  return s;
}

static const th_helper helpers[] = {
    {"send_stream", helper_send_stream}, {"recv_then_hold", helper_recv_then_hold},
    {"wake_peer", helper_wake_peer},     {"create_after_waiter", helper_create_after_waiter},
    {"scribble", helper_scribble},       {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
