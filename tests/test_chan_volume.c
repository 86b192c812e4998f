/* Channels under volume: a million checked messages across processes for both kinds, with
 * one and with four senders, and the wake-up budget of a busy stream. */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

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

/* A sender that blocks on a full ring is woken once half the ring is free, not for every
   message a receiver frees: the receiver here is the slow side (it works on each message),
   so the ring is full nearly all the time, and without the threshold a sleeping sender is
   woken after nearly every few consumes. Each wake-up needs the tail to cross what the
   sender asked for, at least half a ring less its record (and a padding) beyond where it
   stood: that bounds the receiver's wake-ups by the bytes that went through. */
START_TEST(a_blocked_sender_is_woken_per_half_ring) {
  enum { COUNT = 200000, SIZE = 32 };
  const uint64_t cap = 64 * 1024, rec = 16 + SIZE;
  char name[64], cnt[32];
  mc_chan *rx;
  mc_chan_options o = {.kind = MC_CHAN_RING, .max_msg = SIZE, .capacity = cap, .spin_us = -1};
  th_name(name, sizeof name, "halfring");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  mc_proc *p = th_spawn("send_stream", name, "0", num(cnt, COUNT), "32", "32", "copy", "close",
                        "-", "-", NULL);
  unsigned char buf[SIZE], scratch[SIZE + 1];
  volatile uint64_t work = 0;
  for (uint64_t seq = 0; seq < COUNT; seq++) {
    size_t n;
    TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
    TH_REQUIRE(ms_check(0, seq, SIZE, SIZE, buf, n, scratch), "message %llu wrong",
               (unsigned long long)seq);
    for (int k = 0; k < 300; k++) work += buf[k % SIZE]; /* the slow side */
  }
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  uint64_t bound = COUNT * rec / (cap / 2 - 2 * rec) + 2;
  ck_assert_msg(st.wakeups <= bound, "%llu wake-ups of the sender for %d messages (at most %llu)",
                (unsigned long long)st.wakeups, COUNT, (unsigned long long)bound);
  mc_chan_close(rx);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan_volume");
  TCase *tc = th_tcase(s, "volume", 600);
  tcase_add_test(tc, million_ring);
  tcase_add_test(tc, million_slot);
  tcase_add_test(tc, million_four_senders);
  tcase_add_test(tc, slot_four_senders);
  tcase_add_test(tc, streaming_costs_almost_no_wakeups);
  tcase_add_test(tc, a_blocked_sender_is_woken_per_half_ring);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
