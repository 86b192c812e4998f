/* Channels after deaths at chosen protocol steps (crash points, core/crash.h): the ring a
 * dead sender leaves, stale channels of other options, sleepers of a side that share one
 * wake-up, and calls that must honour their timeout while a dead process holds a lock. */
#include "chan.h"
#include "harness.h"
#include "msgstream.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 60000
#define MIN_MSG 16
#define MAX_MSG 64

/* ---- helpers ------------------------------------------------------------------------------ */

/* send_n NAME ID COUNT CRASH [READY GO]: opens a sender (after arriving at the gate READY/GO,
   if given), arms CRASH ("-" for none) and sends messages 0..COUNT-1 of sender ID. */
static int helper_send_n(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_chan *ch;
  unsigned char buf[MAX_MSG];
  uint32_t id = (uint32_t)atoi(argv[1]);
  uint64_t count = strtoull(argv[2], NULL, 10);
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &ch));
  if (argc >= 6) HELPER_OK(th_gate_arrive(argv[4], argv[5], WAIT_MS));
  HELPER_OK(th_crash_arm(argv[3]));
  for (uint64_t seq = 0; seq < count; seq++) {
    size_t n = ms_make(id, seq, MIN_MSG, MAX_MSG, buf);
    HELPER_OK(mc_chan_send(ch, buf, n, WAIT_MS));
  }
  mc_chan_close(ch);
  return 0;
}

/* ---- checking ----------------------------------------------------------------------------- */

/* Receives messages first..first+count-1 of sender id, in order. */
static void recv_seq(mc_chan *rx, uint32_t id, uint64_t first, uint64_t count) {
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  for (uint64_t seq = first; seq < first + count; seq++) {
    size_t n;
    int rc = mc_chan_recv(rx, buf, sizeof buf, &n, 10000);
    TH_REQUIRE(rc == MC_OK, "sender %u message %llu: %s", id, (unsigned long long)seq,
               mc_err_name(rc));
    TH_REQUIRE(ms_check(id, seq, MIN_MSG, MAX_MSG, buf, n, scratch),
               "sender %u message %llu: wrong, missing or out of order", id,
               (unsigned long long)seq);
  }
}

static mc_chan *create_rx(char *name, size_t cap, const char *tag, int kind, unsigned flags) {
  mc_chan *rx;
  mc_chan_options o = {.kind = kind, .max_msg = MAX_MSG, .flags = flags};
  th_name(name, cap, tag);
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  return rx;
}

/* ---- a dead sender's ring ----------------------------------------------------------------- */

/* A sender killed after it stamped its 50th record and before it advanced head: the receiver
   takes the record (it is published), so head trails tail; the next sender must find the
   ring's true head from what is in it. */
START_TEST(ring_sender_killed_after_stamping) {
  char name[64];
  th_gate gate;
  mc_chan *rx = create_rx(name, sizeof name, "stamped", MC_CHAN_RING, 0);
  th_gate_open(&gate, "stamped");
  ck_assert_int_eq(th_wait(th_spawn("send_n", name, "1", "100", "ring.stamped:50", NULL), WAIT_MS),
                   137);
  recv_seq(rx, 1, 0, 50);
  /* Connected before we look again: with no sender at all, recv would end the stream. */
  mc_proc *s = th_spawn("send_n", name, "2", "100", "-", gate.ready_name, gate.go_name, NULL);
  th_gate_wait(&gate, 1, WAIT_MS);
  th_gate_release(&gate);
  recv_seq(rx, 2, 0, 100);
  ck_assert_int_eq(th_wait(s, WAIT_MS), 0);
  th_gate_close(&gate);
  mc_chan_close(rx);
}
END_TEST

/* The same with several senders, the survivor connected before the death: it takes the
   senders' lock over and must write where the receiver will look, not behind its tail
   (silent loss of every later message). */
START_TEST(multi_sender_takes_over_after_stamping) {
  char name[64];
  th_gate gate;
  mc_chan *rx = create_rx(name, sizeof name, "mstamped", MC_CHAN_RING, MC_CHAN_MULTI_SEND);
  th_gate_open(&gate, "mstamped");
  mc_proc *s = th_spawn("send_n", name, "2", "100", "-", gate.ready_name, gate.go_name, NULL);
  th_gate_wait(&gate, 1, WAIT_MS);
  ck_assert_int_eq(th_wait(th_spawn("send_n", name, "1", "100", "ring.stamped:50", NULL), WAIT_MS),
                   137);
  recv_seq(rx, 1, 0, 50);
  th_gate_release(&gate);
  recv_seq(rx, 2, 0, 100);
  ck_assert_int_eq(th_wait(s, WAIT_MS), 0);
  th_gate_close(&gate);
  mc_chan_close(rx);
}
END_TEST

/* The count of messages lost with a sender that died writing (the control block's
   `abandoned`) counts those and nothing else. The victim dies at `crash` while the receiver
   drains its stream; a survivor, connected before, then takes the senders' lock over. `lost`
   is how many of the victim's messages the count must say are gone: the one after its last
   delivered message, or none. Found by the protocol model (channel/ring.pml, slot.pml). */
static void abandoned_counts_losses_only(int kind, const char *crash, uint64_t lost) {
  char name[64];
  th_gate gate;
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  mc_chan *rx;
  mc_chan_options o = {
      .kind = kind, .max_msg = MAX_MSG, .flags = MC_CHAN_MULTI_SEND, .capacity = 1024};
  th_name(name, sizeof name, "abandoned");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  th_gate_open(&gate, "abandoned");
  mc_proc *s = th_spawn("send_n", name, "2", "10", "-", gate.ready_name, gate.go_name, NULL);
  th_gate_wait(&gate, 1, WAIT_MS);
  mc_proc *v = th_spawn("send_n", name, "1", "100000", crash, NULL);
  uint64_t got = 0, t0 = mc__plat_now_ns();
  int code = -1, ended = 0;
  for (;;) { /* the victim's stream, to its death */
    size_t n;
    int rc = mc_chan_recv(rx, buf, sizeof buf, &n, 50);
    if (rc == MC_OK) {
      TH_REQUIRE(ms_check(1, got, MIN_MSG, MAX_MSG, buf, n, scratch), "victim message %llu",
                 (unsigned long long)got);
      got++;
      continue;
    }
    TH_REQUIRE(rc == MC_ETIMEDOUT, "recv: %s", mc_err_name(rc));
    if (ended) break; /* drained after its death */
    if (mc_proc_wait(v, 0, &code) == MC_OK) ended = 1;
    TH_REQUIRE(th_ms_since(t0) < WAIT_MS, "the victim never died at %s", crash);
  }
  ck_assert_int_eq(th_wait(v, WAIT_MS), 137);
  th_gate_release(&gate);
  recv_seq(rx, 2, 0, 10); /* the survivor took the lock over and went on */
  ck_assert_int_eq(th_wait(s, WAIT_MS), 0);
  TH_REQUIRE(atomic_load(&rx->ctl->abandoned) == lost, "%s: abandoned %llu, lost %llu", crash,
             (unsigned long long)atomic_load(&rx->ctl->abandoned), (unsigned long long)lost);
  th_gate_close(&gate);
  mc_chan_close(rx);
}

START_TEST(abandoned_counts_what_was_lost) {
  /* Published, then killed holding the lock: nothing lost. */
  abandoned_counts_losses_only(MC_CHAN_RING, "ring.head:30", 0);
  abandoned_counts_losses_only(MC_CHAN_SLOT, "slot.full:30", 0);
  /* Killed with only the padding before its record stamped: that message is lost. */
  abandoned_counts_losses_only(MC_CHAN_RING, "ring.pad.stamped:1", 1);
  /* Killed writing: lost, in both kinds. */
  abandoned_counts_losses_only(MC_CHAN_RING, "ring.reserved:30", 1);
  abandoned_counts_losses_only(MC_CHAN_SLOT, "slot.locked:30", 1);
}
END_TEST

/* ---- stale channels ---------------------------------------------------------------------- */

/* hold_chan NAME KIND MAX_MSG FLAGS READY: creates NAME as its receiver, signals READY and
   stays until killed (a run that crashed). */
static int helper_hold_chan(int argc, char **argv) {
  if (argc < 5) return 2;
  mc_chan *ch;
  mc_chan_options o = {
      .kind = atoi(argv[1]), .max_msg = (uint32_t)atoi(argv[2]), .flags = (unsigned)atoi(argv[3])};
  HELPER_OK(mc_chan_create(argv[0], &o, MC_CHAN_RECV, &ch));
  HELPER_OK(th_signal(argv[4]));
  return th_block_forever(argv[0]);
}

/* A channel left by a crashed run: create it again with `o` and use it. */
static void reuse(const char *name, const mc_chan_options *o) {
  mc_chan *rx, *tx;
  char msg[200], got[200];
  size_t n;
  TH_OK(mc_chan_create(name, o, MC_CHAN_RECV, &rx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  memset(msg, 'm', sizeof msg);
  size_t len = o->max_msg < sizeof msg ? o->max_msg : sizeof msg;
  TH_OK(mc_chan_send(tx, msg, len, 1000));
  TH_OK(mc_chan_recv(rx, got, sizeof got, &n, 1000));
  ck_assert_uint_eq(n, len);
  mc_chan_close(tx);
  TH_EXPECT(mc_chan_recv(rx, got, sizeof got, &n, 1000), MC_ECLOSED);
  mc_chan_close(rx);
}

/* Every holder of a channel is dead: it is stale whatever its options, and the next run's
   options win - kind, max_msg, capacity, flags and spin alike. A live one stays taken. */
START_TEST(stale_channel_of_other_options_is_replaced) {
  static const struct {
    int kind;
    const char *max_msg, *flags;
  } old[] = {{MC_CHAN_RING, "64", "1"}, {MC_CHAN_RING, "128", "0"}, {MC_CHAN_SLOT, "64", "0"}};
  static const mc_chan_options fresh[] = {
      {.kind = MC_CHAN_RING, .max_msg = 128, .capacity = 1 << 16},
      {.kind = MC_CHAN_RING, .max_msg = 64, .flags = MC_CHAN_MULTI_SEND, .spin_us = -1},
      {.kind = MC_CHAN_RING, .max_msg = 100}};
  th_gate g;
  th_gate_open(&g, "stalechan");
  for (int i = 0; i < 3; i++) {
    char name[64], kind[8];
    th_name(name, sizeof name, "stalechan");
    snprintf(kind, sizeof kind, "%d", old[i].kind);
    mc_proc *p =
        th_spawn("hold_chan", name, kind, old[i].max_msg, old[i].flags, g.ready_name, NULL);
    th_gate_wait(&g, 1, WAIT_MS);
    mc_chan *ch;
    TH_EXPECT(mc_chan_create(name, &fresh[i], MC_CHAN_RECV, &ch), MC_EEXIST); /* alive */
    th_kill(p);
    reuse(name, &fresh[i]);
  }
  th_gate_close(&g);
}
END_TEST

/* The pipeline a new user tried: a two-producer run with one producer killed and the rest
   of the run killed too, then an ordinary one-producer run under the same names. */
START_TEST(crashed_pipeline_run_is_followed_by_a_clean_one) {
  char name[64];
  th_gate g;
  th_name(name, sizeof name, "pipe");
  th_gate_open(&g, "pipe");
  char flags[8];
  snprintf(flags, sizeof flags, "%u", (unsigned)MC_CHAN_MULTI_SEND);
  mc_proc *mid = th_spawn("hold_chan", name, "0", "64", flags, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  mc_proc *prod = th_spawn("send_n", name, "1", "1000000", "ring.stamped:10", NULL);
  ck_assert_int_eq(th_wait(prod, WAIT_MS), 137);
  th_kill(mid);
  mc_chan_options plain = {.max_msg = 64};
  reuse(name, &plain);
  reuse(name, &plain); /* and again: nothing is left behind by a clean run */
  th_gate_close(&g);
}
END_TEST

/* ---- several sleepers on one side ------------------------------------------------------- */

#define LONG_SLICE_NS 60000000000ull /* a missed wake-up then costs a minute, not 10 ms */

/* send_sleepy NAME ID: sends message 0 of sender ID within 20 s, with a long liveness slice:
   a sender that sleeps through the wake-up meant for it times out. */
static int helper_send_sleepy(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *ch;
  unsigned char buf[MAX_MSG];
  uint32_t id = (uint32_t)atoi(argv[1]);
  mc__set_liveness_slice(LONG_SLICE_NS);
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &ch));
  size_t n = ms_make(id, 0, MIN_MSG, MAX_MSG, buf);
  HELPER_OK(mc_chan_send(ch, buf, n, 20000));
  mc_chan_close(ch);
  return 0;
}

/* Two senders wait for the slot: one (a helper) sleeps, the other gives up on a short
   timeout. The one that leaves must not take the sleeper's announcement with it: when the
   slot empties, the sleeper is woken (and not 20 s later by its own deadline). */
START_TEST(a_leaving_waiter_keeps_the_sleepers_wakeup) {
  char name[64];
  mc_chan *rx, *tx, *quitter;
  unsigned char buf[MAX_MSG], scratch[MAX_MSG];
  size_t n;
  mc_chan_options o = {
      .kind = MC_CHAN_SLOT, .max_msg = MAX_MSG, .flags = MC_CHAN_MULTI_SEND, .spin_us = -1};
  th_name(name, sizeof name, "leaver");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &quitter));
  n = ms_make(0, 0, MIN_MSG, MAX_MSG, buf);
  TH_OK(mc_chan_send(tx, buf, n, 1000)); /* the slot is full */
  mc_proc *sleeper = th_spawn("send_sleepy", name, "1", NULL);
  uint64_t t0 = mc__plat_now_ns();
  while (atomic_load(&rx->ctl->space.waiters) == 0) { /* asleep in the kernel */
    TH_REQUIRE(th_ms_since(t0) < WAIT_MS, "the sleeper never slept");
    mc__plat_yield();
  }
  TH_EXPECT(mc_chan_send(quitter, buf, n, 50), MC_ETIMEDOUT);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 1000)); /* empties the slot: wakes the sleeper */
  TH_REQUIRE(ms_check(0, 0, MIN_MSG, MAX_MSG, buf, n, scratch), "first message");
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 20000));
  TH_REQUIRE(ms_check(1, 0, MIN_MSG, MAX_MSG, buf, n, scratch), "the sleeper's message");
  TH_REQUIRE(th_ms_since(t0) < 10000, "the sleeper slept through its wake-up (%llu ms)",
             (unsigned long long)th_ms_since(t0));
  ck_assert_int_eq(th_wait(sleeper, WAIT_MS), 0);
  mc_chan_close(quitter);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

/* ---- timeouts ------------------------------------------------------------------------------ */

/* own_reg NAME READY: writes this process's token over the channel's registration lock, as a
   live process that never gives it back would leave it, signals READY and stays alive. */
static int helper_own_reg(int argc, char **argv) {
  if (argc < 2) return 2;
  uint64_t me = mc__plat_self_token();
  long off = MC__STATE_OFFSET + (long)offsetof(mc__chan_ctl, reg_lock);
  HELPER_CHECK(th_raw_write(argv[0], off, &me, sizeof me) == 0);
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[0]);
}

static mc_proc *hold_registration(const char *name, th_gate *g) {
  mc_proc *p = th_spawn("own_reg", name, g->ready_name, NULL);
  th_gate_wait(g, 1, WAIT_MS);
  return p;
}

/* An open that finds the registration lock held by a live process waits as long as its
   caller said, not a fixed 5 s. */
START_TEST(open_honours_its_timeout) {
  char name[64];
  th_gate g;
  mc_chan *tx;
  mc_chan *rx = create_rx(name, sizeof name, "regheld", MC_CHAN_RING, 0);
  th_gate_open(&g, "regheld");
  mc_proc *holder = hold_registration(name, &g);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 100, &tx), MC_ETIMEDOUT);
  TH_REQUIRE(th_ms_since(t0) < 1000, "open(100 ms) took %llu ms",
             (unsigned long long)th_ms_since(t0));
  t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &tx), MC_ETIMEDOUT);
  TH_REQUIRE(th_ms_since(t0) < 1000, "open(0) took %llu ms", (unsigned long long)th_ms_since(t0));
  th_kill(holder); /* its holder dead, the lock is taken over */
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  mc_chan_close(tx);
  th_gate_close(&g);
  mc_chan_close(rx);
}
END_TEST

/* A receiver whose sender died learns it within its own timeout, even while it cannot take
   the registration lock to mark the sender dead. */
START_TEST(recv_reports_a_dead_sender_in_time) {
  char name[64];
  th_gate g;
  unsigned char buf[MAX_MSG];
  size_t n;
  mc_chan *rx = create_rx(name, sizeof name, "deadsend", MC_CHAN_RING, 0);
  th_gate_open(&g, "deadsend");
  mc_proc *s = th_spawn("send_n", name, "1", "1", "-", g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(s);
  mc_proc *holder = hold_registration(name, &g);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 100), MC_EPEERDEAD);
  TH_REQUIRE(th_ms_since(t0) < 1000, "recv(100 ms) took %llu ms",
             (unsigned long long)th_ms_since(t0));
  th_kill(holder);
  th_gate_close(&g);
  mc_chan_close(rx);
}
END_TEST

static Suite *chan_crash_suite(void) {
  Suite *s = suite_create("chan_crash");
  TCase *tc = th_tcase(s, "ring", 120);
  tcase_add_test(tc, ring_sender_killed_after_stamping);
  tcase_add_test(tc, multi_sender_takes_over_after_stamping);
  tcase_add_test(tc, abandoned_counts_what_was_lost);
  tc = th_tcase(s, "waking", 120);
  tcase_add_test(tc, a_leaving_waiter_keeps_the_sleepers_wakeup);
  tc = th_tcase(s, "timeouts", 120);
  tcase_add_test(tc, open_honours_its_timeout);
  tcase_add_test(tc, recv_reports_a_dead_sender_in_time);
  tc = th_tcase(s, "stale", 120);
  tcase_add_test(tc, stale_channel_of_other_options_is_replaced);
  tcase_add_test(tc, crashed_pipeline_run_is_followed_by_a_clean_one);
  return s;
}

static const th_helper helpers[] = {{"send_n", helper_send_n},
                                    {"hold_chan", helper_hold_chan},
                                    {"send_sleepy", helper_send_sleepy},
                                    {"own_reg", helper_own_reg},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, chan_crash_suite(), helpers);
}
