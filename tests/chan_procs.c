/* What the channel suites share (test_chan.c, test_chan_volume.c, test_chan_peers.c): the
 * helper processes that send and receive checked streams, and the checks. */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

/* A block of u64 counters the helpers report progress into (unprotected: atomics only). */
_Atomic uint64_t *open_counters(const char *name, mc_shm **shm) {
  void *data;
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_UNPROTECTED};
  if (mc_shm_open(name, &o, shm) != MC_OK) return NULL;
  if (mc_shm_acquire(*shm, MC_WRITE, 0, &data) != MC_OK) return NULL;
  return data;
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* send_stream NAME ID COUNT MIN MAX MODE END READY COUNTERS [GO]
   MODE copy | zc (reserve the maximum, commit the message) | mix (alternate).
   END close | hold (signal READY, block) | reserve (reserve and half-write one more message,
   signal READY, block). COUNTERS: a counters block (or "-"): [ID] = messages committed; at the
   end [COUNTER_WAKEUPS + ID] and [COUNTER_SEND_WAITS + ID], its stats.
   GO: once connected, arrive at the gate READY/GO before sending (so that several senders
   are all registered before any of them ends its stream). */
int helper_send_stream(int argc, char **argv) {
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
  if (counters) atomic_store(&counters[COUNTER_SEND_WAITS + id], st.send_waits);
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
int helper_recv_then_hold(int argc, char **argv) {
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
int helper_wake_peer(int argc, char **argv) {
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
    HELPER_CHECK(th_ms_since(t0) < WAIT_MS);
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
int helper_create_after_waiter(int argc, char **argv) {
  if (argc < 1) return 2;
  mc__objname n, ev_name;
  mc_event *ev;
  mc_chan *ch;
  HELPER_OK(mc__name_parse(argv[0], &n));
  HELPER_OK(mc__name_derive(&n, "$new", &ev_name));
  uint64_t t0 = mc__plat_now_ns();
  while (mc__event_open_name(&ev_name, MC__MAP_OPEN_ONLY, 1, 0, &ev) != MC_OK) {
    HELPER_CHECK(th_ms_since(t0) < WAIT_MS);
    mc__plat_yield();
  }
  mc_event_close(ev);
  HELPER_OK(mc_chan_create(argv[0], NULL, MC_CHAN_SEND, &ch));
  HELPER_OK(mc_chan_send(ch, "hi", 2, WAIT_MS));
  /* The last close removes a channel: stay until the waiter has joined. */
  t0 = mc__plat_now_ns();
  while (atomic_load(&ch->ctl->receiver.state) != MC__PEER_OPEN) {
    HELPER_CHECK(th_ms_since(t0) < WAIT_MS);
    mc__plat_yield();
  }
  mc_chan_close(ch);
  return 0;
}

/* scribble NAME OFFSET TIMES: writes TIMES random 64-bit values over the u64 at OFFSET of
   the channel's region; the last one is odd, which no index can be. */
int helper_scribble(int argc, char **argv) {
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
void recv_checked(mc_chan *ch, unsigned senders, uint64_t each, size_t min, size_t max,
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

mc_chan *create_chan(const char *tag, int kind, uint32_t max_msg, uint64_t capacity, unsigned flags,
                     int role, char *name, size_t cap) {
  mc_chan *ch;
  mc_chan_options o = {.kind = kind, .max_msg = max_msg, .capacity = capacity, .flags = flags};
  th_name(name, cap, tag);
  TH_OK(mc_chan_create(name, &o, role, &ch));
  return ch;
}

char *num(char *buf, uint64_t v) {
  sprintf(buf, "%llu", (unsigned long long)v);
  return buf;
}
