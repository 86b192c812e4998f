/* How a channel's ends meet and part, as a pipeline stage sees it: a name that does not
 * exist (MC_ENOENT) against one that never becomes ready (MC_ETIMEDOUT), an end that is
 * taken (MC_EBUSY), an end of stream that carries a reason (mc_chan_abort, MC_EABORTED),
 * and who is attached (mc_chan_get_ends). */
#include "harness.h"
#include "internal.h"
#include "region.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000

/* ---- helpers ------------------------------------------------------------------------------ */

/* stall_chan NAME READY: creates channel NAME but stops just before publishing it READY (the
   test hook), signals READY and blocks until killed: a creator that never finishes. */
static char stall_target[MC_NAME_MAX + 1];
static const char *stall_ready;
static void stall_hook(const mc__objname *n) {
  if (strcmp(n->base, stall_target) != 0) return;
  th_signal(stall_ready);
  th_block_forever(stall_target);
}
static int helper_stall_chan(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *ch;
  snprintf(stall_target, sizeof stall_target, "%s", argv[0]);
  stall_ready = argv[1];
  mc__hook_before_ready = stall_hook;
  mc_chan_create(argv[0], NULL, MC_CHAN_RECV, &ch);
  return 3; /* not reached: the hook blocks */
}

/* abort_after NAME N CODE READY: opens NAME as a sender, sends N messages, aborts with CODE,
   signals READY and blocks until killed (so its end is an abort, not a death). */
static int helper_abort_after(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_chan *tx;
  int n = atoi(argv[1]);
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &tx));
  for (int i = 0; i < n; i++) HELPER_OK(mc_chan_send(tx, &i, sizeof i, WAIT_MS));
  HELPER_OK(mc_chan_abort(tx, atoi(argv[2])));
  HELPER_OK(th_signal(argv[3]));
  return th_block_forever(argv[0]);
}

/* attach NAME READY: opens NAME as a sender, signals READY, blocks until killed. */
static int helper_attach(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *tx;
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &tx));
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[0]);
}

/* ---- opening ---------------------------------------------------------------------------- */

/* A misspelt name is MC_ENOENT, at once with timeout 0 and after the timeout otherwise: never
   MC_ETIMEDOUT, which would look like a slow peer. */
START_TEST(a_missing_name_is_enoent) {
  char name[64];
  mc_chan *ch = (mc_chan *)&ch;
  th_name(name, sizeof name, "nosuch");
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &ch), MC_ENOENT);
  ck_assert_ptr_null(ch);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 60, &ch), MC_ENOENT);
  ck_assert_uint_ge(th_ms_since(t0), 60); /* it did wait for a creator */
  TH_EXPECT(mc_chan_open(name, MC_CHAN_NONE, 0, &ch), MC_ENOENT);
  /* One that existed and is gone again is missing too. */
  mc_chan *rx;
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &rx));
  mc_chan_close(rx);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &ch), MC_ENOENT);
}
END_TEST

/* A channel whose creator never makes it ready: MC_ETIMEDOUT, by the caller's deadline. */
START_TEST(a_channel_never_ready_times_out) {
  char name[64];
  th_gate g;
  mc_chan *ch;
  th_name(name, sizeof name, "neverready");
  th_gate_open(&g, "neverready");
  mc_proc *p = th_spawn("stall_chan", name, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 100, &ch), MC_ETIMEDOUT);
  TH_REQUIRE(th_ms_since(t0) >= 100 && th_ms_since(t0) < 3000, "open(100 ms) took %llu ms",
             (unsigned long long)th_ms_since(t0));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &ch), MC_ETIMEDOUT);
  th_kill(p);
  th_gate_close(&g);
}
END_TEST

/* A taken end is MC_EBUSY; the wrong call for a handle stays MC_ESTATE. */
START_TEST(a_taken_end_is_ebusy) {
  char name[64];
  mc_chan *rx, *tx, *again;
  mc_chan_options multi = {.flags = MC_CHAN_MULTI_SEND};
  th_name(name, sizeof name, "busy");
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &rx));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &again), MC_EBUSY);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &again), MC_EBUSY);
  TH_OK(mc_chan_open(name, MC_CHAN_NONE, 0, &again)); /* holding takes no end */
  mc_chan_close(again);
  TH_EXPECT(mc_chan_send(rx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_commit(tx, 0), MC_ESTATE);
  TH_OK(mc_chan_close_send(tx));
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
  mc_chan_close(tx);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx)); /* the place is free again */
  mc_chan_close(tx);
  mc_chan_close(rx);
  /* Several senders share; the receiving end is still one. */
  th_name(name, sizeof name, "busym");
  TH_OK(mc_chan_create(name, &multi, MC_CHAN_SEND, &tx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &again));
  mc_chan_close(again);
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &again), MC_EBUSY);
  mc_chan_close(rx);
  mc_chan_close(tx);
}
END_TEST

/* ---- ends of stream ------------------------------------------------------------------------ */

static void drain(mc_chan *rx, int n, int end) {
  int v;
  size_t len;
  for (int i = 0; i < n; i++) {
    TH_OK(mc_chan_recv(rx, &v, sizeof v, &len, WAIT_MS));
    ck_assert_int_eq(v, i);
  }
  TH_EXPECT(mc_chan_recv(rx, &v, sizeof v, &len, WAIT_MS), end);
  TH_EXPECT(mc_chan_recv(rx, &v, sizeof v, &len, 0), end); /* and it stays so */
}

/* Receivers drain what was committed, then learn the stream failed - and the reason. */
START_TEST(abort_ends_the_stream_with_a_reason) {
  char name[64];
  mc_chan_ends e;
  for (int kind = MC_CHAN_RING; kind <= MC_CHAN_SLOT; kind++) {
    mc_chan *rx, *tx;
    mc_chan_options o = {.kind = kind, .max_msg = 64};
    th_name(name, sizeof name, "abort");
    TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
    TH_OK(mc_chan_get_ends(rx, &e));
    ck_assert_int_eq(e.receivers, 1);
    ck_assert_int_eq(e.sender_seen, 0);
    TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
    int n = kind == MC_CHAN_SLOT ? 1 : 5;
    for (int i = 0; i < n; i++) TH_OK(mc_chan_send(tx, &i, sizeof i, 0));
    TH_OK(mc_chan_abort(tx, 42));
    TH_EXPECT(mc_chan_abort(tx, 43), MC_ESTATE);
    TH_EXPECT(mc_chan_close_send(tx), MC_ESTATE);
    TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
    TH_EXPECT(mc_chan_abort(rx, 1), MC_ESTATE);
    TH_EXPECT(mc_chan_abort(NULL, 1), MC_EINVAL);
    drain(rx, n, MC_EABORTED);
    TH_OK(mc_chan_get_ends(rx, &e));
    ck_assert_int_eq(e.aborted, 1);
    ck_assert_int_eq(e.abort_code, 42);
    ck_assert_int_eq(e.senders, 0);
    ck_assert_int_eq(e.sender_seen, 1);
    ck_assert_uint_eq(e.senders_closed, 1);
    mc_chan_close(tx);
    mc_chan_close(rx);
  }
}
END_TEST

/* With several senders the stream goes on while one can still send; the abort decides how it
   ends, whatever the others did (closed, or died). */
START_TEST(abort_outranks_close_and_death) {
  char name[64];
  mc_chan *rx, *a, *b;
  mc_chan_options o = {.flags = MC_CHAN_MULTI_SEND};
  th_name(name, sizeof name, "abortm");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &a));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &b));
  TH_OK(mc_chan_abort(a, -7));
  int v = 0;
  size_t len;
  TH_EXPECT(mc_chan_recv(rx, &v, sizeof v, &len, 0), MC_ETIMEDOUT); /* b may still send */
  TH_OK(mc_chan_send(b, &v, sizeof v, 0));
  TH_OK(mc_chan_close_send(b));
  drain(rx, 1, MC_EABORTED);
  mc_chan_close(a);
  mc_chan_close(b);
  mc_chan_close(rx);
  /* An aborting sender in another process, then killed; a second sender killed mid-stream. */
  th_gate g;
  th_name(name, sizeof name, "abortp");
  th_gate_open(&g, "abortp");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  mc_proc *p = th_spawn("abort_after", name, "3", "9", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_chan_ends e;
  TH_OK(mc_chan_get_ends(rx, &e));
  ck_assert_int_eq(e.aborted, 1);
  ck_assert_int_eq(e.abort_code, 9);
  ck_assert_int_eq(e.senders, 0);
  drain(rx, 3, MC_EABORTED);
  th_gate_close(&g);
  mc_chan_close(rx);
}
END_TEST

/* ---- who is attached ------------------------------------------------------------------------ */

START_TEST(ends_report_who_is_attached) {
  char name[64];
  mc_chan *hold, *tx, *rx;
  mc_chan_ends e;
  mc_chan_options o = {.flags = MC_CHAN_MULTI_SEND};
  th_name(name, sizeof name, "ends");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_NONE, &hold));
  TH_OK(mc_chan_get_ends(hold, &e));
  ck_assert(e.senders == 0 && e.receivers == 0 && !e.sender_seen && !e.receiver_seen);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_OK(mc_chan_get_ends(tx, &e));
  ck_assert_int_eq(e.senders, 1);
  ck_assert_int_eq(e.receiver_seen, 0); /* the receiver never connected: send would wait */
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  TH_OK(mc_chan_get_ends(hold, &e));
  ck_assert(e.senders == 1 && e.receivers == 1 && e.sender_seen && e.receiver_seen);
  mc_chan_close(rx);
  TH_OK(mc_chan_get_ends(tx, &e));
  ck_assert(e.receivers == 0 && e.receiver_seen);
  mc_chan_close(tx);
  TH_OK(mc_chan_get_ends(hold, &e));
  ck_assert(e.senders == 0 && e.senders_closed == 1 && !e.aborted);
  /* A sender in another process, attached, then killed: attached no more. */
  th_gate g;
  th_gate_open(&g, "ends");
  mc_proc *p = th_spawn("attach", name, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  TH_OK(mc_chan_get_ends(hold, &e));
  ck_assert_int_eq(e.senders, 1);
  th_kill(p);
  TH_OK(mc_chan_get_ends(hold, &e));
  ck_assert_int_eq(e.senders, 0);
  TH_EXPECT(mc_chan_get_ends(NULL, &e), MC_EINVAL);
  TH_EXPECT(mc_chan_get_ends(hold, NULL), MC_EINVAL);
  th_gate_close(&g);
  mc_chan_close(hold);
}
END_TEST

#ifdef _WIN32
#include <windows.h>
/* The liveness check's process lookup, for the test below: the sender closes its end and
   exits just as the receiver looks it up, which then finds no such process. */
static mc_chan *closing_sender;
static HANDLE WINAPI close_then_vanish(DWORD access, BOOL inherit, DWORD pid) {
  (void)access, (void)inherit, (void)pid;
  mc_chan *tx = closing_sender;
  closing_sender = NULL;
  if (tx) mc_chan_close_send(tx);
  SetLastError(ERROR_INVALID_PARAMETER);
  return NULL;
}

/* A sender that ends its stream and exits between the receiver's look at its state (OPEN)
   and the receiver's liveness check (gone) closed its stream: the receiver is told so
   (MC_ECLOSED), not that a sender died. (Wine's process lookups are slow enough for the
   window to be hit: a fan-out test saw MC_EPEERDEAD.) */
START_TEST(a_sender_that_closes_as_it_is_checked_closed) {
  char name[64], buf[16];
  size_t n;
  mc_chan *rx, *tx;
  mc_chan_options o = {0};
  th_name(name, sizeof name, "vanish");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  closing_sender = tx;
  TH_OK(mc__plat_syscall_override("OpenProcess", (void (*)(void))close_then_vanish));
  int rc = mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS);
  TH_OK(mc__plat_syscall_override("OpenProcess", NULL));
  ck_assert_ptr_null(closing_sender); /* the lookup happened */
  TH_EXPECT(rc, MC_ECLOSED);
  mc_chan_ends e;
  TH_OK(mc_chan_get_ends(rx, &e));
  ck_assert(e.senders_closed == 1 && e.senders_died == 0);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST
#endif

static Suite *suite(void) {
  Suite *s = suite_create("chan_ends");
  TCase *tc = th_tcase(s, "open", 60);
  tcase_add_test(tc, a_missing_name_is_enoent);
  tcase_add_test(tc, a_channel_never_ready_times_out);
  tcase_add_test(tc, a_taken_end_is_ebusy);
  tc = th_tcase(s, "ends", 60);
  tcase_add_test(tc, abort_ends_the_stream_with_a_reason);
  tcase_add_test(tc, abort_outranks_close_and_death);
  tcase_add_test(tc, ends_report_who_is_attached);
#ifdef _WIN32
  tcase_add_test(tc, a_sender_that_closes_as_it_is_checked_closed);
#endif
  return s;
}

static const th_helper helpers[] = {
    {"stall_chan", helper_stall_chan},
    {"abort_after", helper_abort_after},
    {"attach", helper_attach},
    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
