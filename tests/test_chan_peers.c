/* Channels and their peers: senders and receivers that die, close, or write garbage into the
 * ring; end of stream with several senders. */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

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
  ck_assert_uint_lt(th_ms_since(t0), 10000);
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

static Suite *suite(void) {
  Suite *s = suite_create("chan_peers");
  TCase *tc = th_tcase(s, "deaths", 120);
  tcase_add_test(tc, sender_killed_mid_stream_ring);
  tcase_add_test(tc, sender_killed_mid_stream_slot);
  tcase_add_test(tc, sender_killed_mid_message);
  tcase_add_test(tc, receiver_killed_sender_is_told);
  tcase_add_test(tc, closed_receiver_sender_is_told);
  tcase_add_test(tc, closed_only_when_every_sender_closed);
  tc = th_tcase(s, "hostile", 120);
  tcase_add_test(tc, scribbled_indices_are_reported);
  tcase_add_test(tc, scribbling_a_live_stream_never_crashes);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
