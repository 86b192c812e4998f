/* Named events and semaphores (mc_event, mc_sem), alone and across processes. */
#include "harness.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000

/* ---- helpers ---------------------------------------------------------------------------- */

/* event_waiter EVENT MANUAL ACK READY: waits once for EVENT, then posts ACK. */
static int helper_event_waiter(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_event *ev;
  mc_sem *ack;
  HELPER_OK(mc_event_open(argv[0], atoi(argv[1]), 0, &ev));
  HELPER_OK(mc_sem_open(argv[2], 0, 0x7fffffff, &ack));
  HELPER_OK(th_signal(argv[3]));
  HELPER_OK(mc_event_wait(ev, WAIT_MS));
  HELPER_OK(mc_sem_post(ack, 1));
  mc_sem_close(ack);
  mc_event_close(ev);
  return 0;
}

/* sem_post SEM COUNT: posts COUNT times, one at a time. */
static int helper_sem_post(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_sem *s;
  HELPER_OK(mc_sem_open(argv[0], 0, 0x7fffffff, &s));
  for (int i = atoi(argv[1]); i > 0; i--) HELPER_OK(mc_sem_post(s, 1));
  mc_sem_close(s);
  return 0;
}

/* sem_take SEM COUNT: takes COUNT times. */
static int helper_sem_take(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_sem *s;
  HELPER_OK(mc_sem_open(argv[0], 0, 0x7fffffff, &s));
  for (int i = atoi(argv[1]); i > 0; i--) HELPER_OK(mc_sem_wait(s, WAIT_MS));
  mc_sem_close(s);
  return 0;
}

/* mutex_try MUTEX TIMEOUT: exits 0 if lock gave MC_OK, 1 for MC_ETIMEDOUT, 2 otherwise. */

/* ---- events ----------------------------------------------------------------------------- */

START_TEST(event_auto_reset) {
  char name[64], name2[64];
  mc_event *ev, *other;
  th_name(name, sizeof name, "ev");
  TH_OK(mc_event_open(name, 0, 0, &ev));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  TH_OK(mc_event_set(ev));
  TH_OK(mc_event_wait(ev, 0));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT); /* consumed */
  TH_OK(mc_event_set(ev));
  TH_OK(mc_event_set(ev)); /* set on a set event with nobody waiting: no change */
  TH_OK(mc_event_wait(ev, 0));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  TH_OK(mc_event_set(ev));
  TH_OK(mc_event_reset(ev));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  /* A second handle sees the same event; initially_set does not apply to an existing one. */
  TH_OK(mc_event_open(name, 0, 1, &other));
  TH_EXPECT(mc_event_wait(other, 0), MC_ETIMEDOUT);
  TH_OK(mc_event_set(other));
  TH_OK(mc_event_wait(ev, 0));
  mc_event_close(other);
  mc_event_close(ev);
  th_name(name2, sizeof name2, "evset");
  TH_OK(mc_event_open(name2, 0, 1, &ev));
  TH_OK(mc_event_wait(ev, 0));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  mc_event_close(ev);
}
END_TEST

START_TEST(event_manual_reset) {
  char name[64];
  mc_event *ev, *wrong;
  th_name(name, sizeof name, "evm");
  TH_OK(mc_event_open(name, 1, 0, &ev));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  TH_OK(mc_event_set(ev));
  for (int i = 0; i < 3; i++) TH_OK(mc_event_wait(ev, 0)); /* stays set */
  TH_OK(mc_event_reset(ev));
  TH_EXPECT(mc_event_wait(ev, 10), MC_ETIMEDOUT);
  TH_EXPECT(mc_event_open(name, 0, 0, &wrong), MC_EMISMATCH);
  mc_event_close(ev);
}
END_TEST

static void event_wakeups(int manual, int waiters) {
  char ev_name[64], ack_name[64], n[16];
  mc_event *ev;
  mc_sem *ack;
  th_gate g;
  mc_proc *p[8];
  th_name(ev_name, sizeof ev_name, "wake");
  th_name(ack_name, sizeof ack_name, "ack");
  th_gate_open(&g, "wake");
  TH_OK(mc_event_open(ev_name, manual, 0, &ev));
  TH_OK(mc_sem_open(ack_name, 0, 0x7fffffff, &ack));
  snprintf(n, sizeof n, "%d", manual);
  for (int i = 0; i < waiters; i++)
    p[i] = th_spawn("event_waiter", ev_name, n, ack_name, g.ready_name, NULL);
  th_gate_wait(&g, waiters, WAIT_MS);
  if (manual) {
    TH_OK(mc_event_set(ev)); /* one set releases everyone */
    for (int i = 0; i < waiters; i++) TH_OK(mc_sem_wait(ack, WAIT_MS));
  } else {
    for (int i = 0; i < waiters; i++) {
      TH_OK(mc_event_set(ev));
      TH_OK(mc_sem_wait(ack, WAIT_MS));
      /* Exactly one per set: nobody else is released by it. */
      TH_EXPECT(mc_sem_wait(ack, 150), MC_ETIMEDOUT);
    }
  }
  for (int i = 0; i < waiters; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  TH_EXPECT(mc_sem_wait(ack, 0), MC_ETIMEDOUT);
  mc_sem_close(ack);
  mc_event_close(ev);
  th_gate_close(&g);
}

START_TEST(event_auto_wakes_exactly_one_process) {
  event_wakeups(0, 4);
}
END_TEST

START_TEST(event_manual_wakes_all_processes) {
  event_wakeups(1, 4);
}
END_TEST

#ifndef _WIN32
/* POSIX emulates Win32 events; these pin down the semantics where emulations usually fail.
   (On Win32 they are the kernel's own.) The parent waits until the helpers are registered
   as waiters, i.e. asleep or about to be. */
static void spawn_sleepers(mc_event *ev, const char *ev_name, const char *ack_name, th_gate *g,
                           mc_proc **p, int n) {
  for (int i = 0; i < n; i++)
    p[i] = th_spawn("event_waiter", ev_name, "0", ack_name, g->ready_name, NULL);
  th_gate_wait(g, n, WAIT_MS);
  uint64_t t0 = mc__plat_now_ns();
  while (mc__event_waiters(ev) < n) {
    ck_assert_msg(th_ms_since(t0) < WAIT_MS, "the helpers never started waiting");
    mc__plat_yield();
  }
}

START_TEST(event_sets_release_as_many_as_wait) {
  char ev_name[64], ack_name[64];
  mc_event *ev;
  mc_sem *ack;
  th_gate g;
  mc_proc *p[3];
  th_name(ev_name, sizeof ev_name, "many");
  th_name(ack_name, sizeof ack_name, "manyack");
  th_gate_open(&g, "many");
  TH_OK(mc_event_open(ev_name, 0, 0, &ev));
  TH_OK(mc_sem_open(ack_name, 0, 0x7fffffff, &ack));
  spawn_sleepers(ev, ev_name, ack_name, &g, p, 3);
  /* Three sets in a row, three sleepers: each set releases one (a naive emulation merges
     them into one "set" state and releases a single waiter). A fourth set finds nobody
     waiting and leaves the event set, once. */
  for (int i = 0; i < 4; i++) TH_OK(mc_event_set(ev));
  for (int i = 0; i < 3; i++) TH_OK(mc_sem_wait(ack, WAIT_MS));
  for (int i = 0; i < 3; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  TH_OK(mc_event_wait(ev, 0));
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  mc_sem_close(ack);
  mc_event_close(ev);
  th_gate_close(&g);
}
END_TEST

START_TEST(event_reset_keeps_a_given_release) {
  char ev_name[64], ack_name[64];
  mc_event *ev;
  mc_sem *ack;
  th_gate g;
  mc_proc *p[1];
  th_name(ev_name, sizeof ev_name, "rst");
  th_name(ack_name, sizeof ack_name, "rstack");
  th_gate_open(&g, "rst");
  TH_OK(mc_event_open(ev_name, 0, 0, &ev));
  TH_OK(mc_sem_open(ack_name, 0, 0x7fffffff, &ack));
  for (int round = 0; round < 20; round++) {
    spawn_sleepers(ev, ev_name, ack_name, &g, p, 1);
    TH_OK(mc_event_set(ev));   /* releases the sleeper... */
    TH_OK(mc_event_reset(ev)); /* ...which a reset cannot take back, as on Win32 */
    TH_OK(mc_sem_wait(ack, WAIT_MS));
    ck_assert_int_eq(th_wait(p[0], WAIT_MS), 0);
    TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT);
  }
  mc_sem_close(ack);
  mc_event_close(ev);
  th_gate_close(&g);
}
END_TEST
#endif

START_TEST(event_timeouts_are_never_early) {
  char name[64];
  mc_event *ev;
  th_name(name, sizeof name, "evt");
  TH_OK(mc_event_open(name, 0, 0, &ev));
  const int t[] = {1, 5, 20, 120, 300};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    uint64_t t0 = mc__plat_now_ns();
    TH_EXPECT(mc_event_wait(ev, t[i]), MC_ETIMEDOUT);
    uint64_t ms = th_ms_since(t0);
    ck_assert_msg(ms >= (uint64_t)t[i], "%d ms wait ended after %llu ms", t[i],
                  (unsigned long long)ms);
    /* Generous upper bound: a loaded CI machine may run us late, never this late. */
    ck_assert_msg(ms < (uint64_t)t[i] + 500, "%d ms wait took %llu ms", t[i],
                  (unsigned long long)ms);
  }
  mc_event_close(ev);
}
END_TEST

/* ---- semaphores ----------------------------------------------------------------------- */

START_TEST(sem_counts) {
  char name[64];
  mc_sem *s, *wrong;
  th_name(name, sizeof name, "sem");
  TH_OK(mc_sem_open(name, 2, 3, &s));
  TH_OK(mc_sem_wait(s, 0));
  TH_OK(mc_sem_wait(s, 0));
  TH_EXPECT(mc_sem_wait(s, 0), MC_ETIMEDOUT);
  TH_OK(mc_sem_post(s, 3));
  TH_EXPECT(mc_sem_post(s, 1), MC_ERANGE); /* would pass max: nothing added */
  for (int i = 0; i < 3; i++) TH_OK(mc_sem_wait(s, 0));
  TH_EXPECT(mc_sem_wait(s, 0), MC_ETIMEDOUT);
  TH_EXPECT(mc_sem_post(s, 4), MC_ERANGE);
  TH_OK(mc_sem_post(s, 1));
  TH_OK(mc_sem_wait(s, 0));
  TH_EXPECT(mc_sem_open(name, 0, 5, &wrong), MC_EMISMATCH);
  TH_OK(mc_sem_open(name, 3, 3, &wrong)); /* initial applies to a new semaphore only */
  TH_EXPECT(mc_sem_wait(wrong, 0), MC_ETIMEDOUT);
  mc_sem_close(wrong);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_sem_wait(s, 60), MC_ETIMEDOUT);
  ck_assert_uint_ge(th_ms_since(t0), 60);
  mc_sem_close(s);
}
END_TEST

START_TEST(sem_counts_across_processes) {
  char name[64];
  mc_sem *s;
  mc_proc *p[3];
  th_name(name, sizeof name, "semx");
  TH_OK(mc_sem_open(name, 0, 0x7fffffff, &s));
  for (int i = 0; i < 3; i++) p[i] = th_spawn("sem_post", name, "1000", NULL);
  for (int i = 0; i < 3000; i++) TH_OK(mc_sem_wait(s, WAIT_MS));
  for (int i = 0; i < 3; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  TH_EXPECT(mc_sem_wait(s, 0), MC_ETIMEDOUT);
  /* The other way: takers block until we post. */
  for (int i = 0; i < 3; i++) p[i] = th_spawn("sem_take", name, "500", NULL);
  for (int i = 0; i < 1500; i++) TH_OK(mc_sem_post(s, 1));
  for (int i = 0; i < 3; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  TH_EXPECT(mc_sem_wait(s, 0), MC_ETIMEDOUT);
  mc_sem_close(s);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("event");
  TCase *tc = th_tcase(s, "events", 90);
  tcase_add_test(tc, event_auto_reset);
  tcase_add_test(tc, event_manual_reset);
  tcase_add_test(tc, event_auto_wakes_exactly_one_process);
  tcase_add_test(tc, event_manual_wakes_all_processes);
  tcase_add_test(tc, event_timeouts_are_never_early);
#ifndef _WIN32
  tcase_add_test(tc, event_sets_release_as_many_as_wait);
#endif
#ifndef _WIN32
  tcase_add_test(tc, event_reset_keeps_a_given_release);
#endif
  tc = th_tcase(s, "semaphores", 90);
  tcase_add_test(tc, sem_counts);
  tcase_add_test(tc, sem_counts_across_processes);
  return s;
}

static const th_helper helpers[] = {{"event_waiter", helper_event_waiter},
                                    {"sem_post", helper_sem_post},
                                    {"sem_take", helper_sem_take},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
