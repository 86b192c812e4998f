/* Channels after deaths at chosen protocol steps (crash points, core/crash.h): the ring a
 * dead sender leaves, stale channels of other options, sleepers of a side that share one
 * wake-up, and calls that must honour their timeout while a dead process holds a lock. */
#include "chan_internal.h"
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
  ck_assert_int_eq(th_wait(th_spawn("send_n", name, "1", "100", "ring.stamped:50", NULL),
                           WAIT_MS),
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
  ck_assert_int_eq(th_wait(th_spawn("send_n", name, "1", "100", "ring.stamped:50", NULL),
                           WAIT_MS),
                   137);
  recv_seq(rx, 1, 0, 50);
  th_gate_release(&gate);
  recv_seq(rx, 2, 0, 100);
  ck_assert_int_eq(th_wait(s, WAIT_MS), 0);
  th_gate_close(&gate);
  mc_chan_close(rx);
}
END_TEST

static Suite *chan_crash_suite(void) {
  Suite *s = suite_create("chan_crash");
  TCase *tc = th_tcase(s, "ring", 120);
  tcase_add_test(tc, ring_sender_killed_after_stamping);
  tcase_add_test(tc, multi_sender_takes_over_after_stamping);
  return s;
}

static const th_helper helpers[] = {{"send_n", helper_send_n}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, chan_crash_suite(), helpers);
}
