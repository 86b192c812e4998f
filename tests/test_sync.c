/* Named mutexes and single-writer/multi-reader guards (mc_mutex, mc_swmr), alone and across
 * processes, and the sync objects' arguments. */
#include "harness.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000

/* ---- helpers ---------------------------------------------------------------------------- */

static int helper_mutex_try(int argc, char **argv) {
  if (argc < 2) return 3;
  mc_mutex *m;
  HELPER_OK(mc_mutex_open(argv[0], &m));
  int rc = mc_mutex_lock(m, atoi(argv[1]));
  if (rc == MC_OK) mc_mutex_unlock(m);
  mc_mutex_close(m);
  return rc == MC_OK ? 0 : rc == MC_ETIMEDOUT ? 1 : 2;
}

/* mutex_hold MUTEX READY: locks, signals, blocks until killed. */
static int helper_mutex_hold(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_mutex *m;
  HELPER_OK(mc_mutex_open(argv[0], &m));
  HELPER_OK(mc_mutex_lock(m, WAIT_MS));
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[0]);
}

/* mutex_count MUTEX BLOCK ROUNDS READY GO: increments a counter in BLOCK ROUNDS times under
   MUTEX, by a deliberately non-atomic read, pause, write. */
static int helper_mutex_count(int argc, char **argv) {
  if (argc < 5) return 2;
  mc_mutex *m;
  mc_shm *shm;
  volatile uint64_t *counter;
  void *data;
  HELPER_OK(mc_mutex_open(argv[0], &m));
  HELPER_OK(mc_shm_open(argv[1], NULL, &shm));
  HELPER_OK(mc_shm_acquire(shm, MC_WRITE, 0, &data)); /* unprotected: never waits */
  counter = data;
  HELPER_OK(th_gate_arrive(argv[3], argv[4], WAIT_MS));
  for (int i = atoi(argv[2]); i > 0; i--) {
    HELPER_OK(mc_mutex_lock(m, WAIT_MS));
    uint64_t v = *counter;
    for (int k = 0; k < 20; k++) mc__cpu_relax(); /* widen the window a race would need */
    *counter = v + 1;
    HELPER_OK(mc_mutex_unlock(m));
  }
  mc_shm_release(shm);
  mc_shm_close(shm);
  mc_mutex_close(m);
  return 0;
}

/* swmr_hold GUARD read|write READY: takes the guard, signals, blocks until killed. */
static int helper_swmr_hold(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_swmr *g;
  HELPER_OK(mc_swmr_open(argv[0], &g));
  if (strcmp(argv[1], "write") == 0)
    HELPER_OK(mc_swmr_lock_write(g, WAIT_MS));
  else
    HELPER_OK(mc_swmr_lock_read(g, WAIT_MS));
  HELPER_OK(th_signal(argv[2]));
  return th_block_forever(argv[0]);
}

/* swmr_writer GUARD READY GOT DONE: signals, takes the guard for write (waiting for
   readers), posts GOT, holds it until DONE is set. */
static int helper_swmr_writer(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_swmr *g;
  mc_sem *got;
  mc_event *done;
  HELPER_OK(mc_swmr_open(argv[0], &g));
  HELPER_OK(mc_sem_open(argv[2], 0, 0x7fffffff, &got));
  HELPER_OK(mc_event_open(argv[3], 1, 0, &done));
  HELPER_OK(th_signal(argv[1]));
  HELPER_OK(mc_swmr_lock_write(g, WAIT_MS));
  HELPER_OK(mc_sem_post(got, 1));
  HELPER_OK(mc_event_wait(done, WAIT_MS));
  HELPER_OK(mc_swmr_unlock(g));
  mc_swmr_close(g);
  mc_sem_close(got);
  mc_event_close(done);
  return 0;
}

/* ---- mutexes ------------------------------------------------------------------------------ */

START_TEST(mutex_basics) {
  char name[64];
  mc_mutex *a, *b;
  th_name(name, sizeof name, "mx");
  TH_OK(mc_mutex_open(name, &a));
  TH_OK(mc_mutex_open(name, &b));
  TH_EXPECT(mc_mutex_unlock(a), MC_ESTATE);
  TH_OK(mc_mutex_lock(a, 0));
  TH_OK(mc_mutex_lock(a, 0));               /* recursive for its thread */
  TH_EXPECT(mc_mutex_unlock(b), MC_ESTATE); /* held, but not by this handle */
  TH_OK(mc_mutex_unlock(a));
  TH_OK(mc_mutex_unlock(a));
  TH_EXPECT(mc_mutex_unlock(a), MC_ESTATE);
  TH_OK(mc_mutex_lock(b, 0));
  mc_mutex_close(b); /* closing a held handle unlocks it */
  TH_OK(mc_mutex_lock(a, 0));
  TH_OK(mc_mutex_unlock(a));
  mc_mutex_close(a);
}
END_TEST

START_TEST(mutex_excludes_other_processes) {
  char name[64];
  mc_mutex *m;
  th_name(name, sizeof name, "mxp");
  TH_OK(mc_mutex_open(name, &m));
  TH_OK(mc_mutex_lock(m, 0));
  ck_assert_int_eq(th_wait(th_spawn("mutex_try", name, "100", NULL), WAIT_MS), 1);
  TH_OK(mc_mutex_unlock(m));
  ck_assert_int_eq(th_wait(th_spawn("mutex_try", name, "5000", NULL), WAIT_MS), 0);
  mc_mutex_close(m);
}
END_TEST

START_TEST(mutex_owner_dies) {
  char name[64];
  mc_mutex *m;
  th_gate g;
  th_name(name, sizeof name, "mxdead");
  th_gate_open(&g, "mxdead");
  TH_OK(mc_mutex_open(name, &m));
  mc_proc *p = th_spawn("mutex_hold", name, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_mutex_lock(m, 100), MC_ETIMEDOUT);
  ck_assert_uint_ge(th_ms_since(t0), 100);
  th_kill(p);
  t0 = mc__plat_now_ns();
  TH_EXPECT(mc_mutex_lock(m, 5000), MC_EOWNERDEAD); /* held now, and told why */
  ck_assert_uint_lt(th_ms_since(t0), 5000);
  TH_OK(mc_mutex_unlock(m));
  TH_OK(mc_mutex_lock(m, 0)); /* recovered: an ordinary lock again */
  TH_OK(mc_mutex_unlock(m));
  mc_mutex_close(m);
  th_gate_close(&g);
}
END_TEST

START_TEST(mutex_counts_under_contention) {
  enum { PROCS = 4 };
  char mx[64], blk[64];
  const char *rounds = TH_WINDOWS ? "1000" : "5000";
  mc_mutex *m;
  mc_shm *shm;
  th_gate g;
  mc_proc *p[PROCS];
  th_name(mx, sizeof mx, "mxc");
  th_name(blk, sizeof blk, "mxcblk");
  th_gate_open(&g, "mxc");
  TH_OK(mc_mutex_open(mx, &m));
  mc_shm_options o = {.size = 64, .flags = MC_SHM_UNPROTECTED};
  TH_OK(mc_shm_open(blk, &o, &shm));
  for (int i = 0; i < PROCS; i++)
    p[i] = th_spawn("mutex_count", mx, blk, rounds, g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, PROCS, WAIT_MS);
  th_gate_release(&g);
  for (int i = 0; i < PROCS; i++) ck_assert_int_eq(th_wait(p[i], 120000), 0);
  uint64_t v;
  TH_OK(mc_shm_acquire(shm, MC_READ, 0, NULL));
  TH_OK(mc_shm_get_u64(shm, 0, &v));
  TH_OK(mc_shm_release(shm));
  ck_assert_uint_eq(v, (uint64_t)PROCS * (uint64_t)atoi(rounds));
  mc_shm_close(shm);
  mc_mutex_close(m);
  th_gate_close(&g);
}
END_TEST

/* ---- SWMR guards ---------------------------------------------------------------------------- */

START_TEST(swmr_basics) {
  char name[64];
  mc_swmr *a, *b, *c;
  th_name(name, sizeof name, "sw");
  TH_OK(mc_swmr_open(name, &a));
  TH_OK(mc_swmr_open(name, &b));
  TH_OK(mc_swmr_open(name, &c));
  TH_EXPECT(mc_swmr_unlock(a), MC_ESTATE);
  TH_OK(mc_swmr_lock_read(a, 0));
  TH_EXPECT(mc_swmr_lock_read(a, 0), MC_ESTATE); /* one hold per handle */
  TH_OK(mc_swmr_lock_read(b, 0));                /* many readers */
  TH_EXPECT(mc_swmr_lock_write(c, 0), MC_ETIMEDOUT);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_swmr_lock_write(c, 50), MC_ETIMEDOUT);
  ck_assert_uint_ge(th_ms_since(t0), 50);
  TH_OK(mc_swmr_unlock(a));
  TH_OK(mc_swmr_unlock(b));
  TH_EXPECT(mc_swmr_unlock(b), MC_ESTATE);
  TH_OK(mc_swmr_lock_write(c, 0));
  TH_EXPECT(mc_swmr_lock_read(a, 0), MC_ETIMEDOUT); /* the writer is alone */
  TH_EXPECT(mc_swmr_lock_write(b, 0), MC_ETIMEDOUT);
  TH_OK(mc_swmr_unlock(c));
  TH_OK(mc_swmr_lock_write(a, 0));
  mc_swmr_close(a); /* closing unlocks */
  TH_OK(mc_swmr_lock_read(b, 0));
  mc_swmr_close(b);
  mc_swmr_close(c);
}
END_TEST

START_TEST(swmr_waiting_writer_goes_first) {
  char name[64], got_name[64], done_name[64];
  mc_swmr *r1, *r2;
  mc_sem *got;
  mc_event *done;
  th_gate g;
  th_name(name, sizeof name, "swpref");
  th_name(got_name, sizeof got_name, "swgot");
  th_name(done_name, sizeof done_name, "swdone");
  th_gate_open(&g, "swpref");
  TH_OK(mc_swmr_open(name, &r1));
  TH_OK(mc_swmr_open(name, &r2));
  TH_OK(mc_sem_open(got_name, 0, 0x7fffffff, &got));
  TH_OK(mc_event_open(done_name, 1, 0, &done));
  TH_OK(mc_swmr_lock_read(r1, 0));
  mc_proc *p = th_spawn("swmr_writer", name, g.ready_name, got_name, done_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  /* Once the writer waits, new readers wait behind it (until then they get in). */
  uint64_t t0 = mc__plat_now_ns();
  int rc;
  while ((rc = mc_swmr_lock_read(r2, 0)) == MC_OK) {
    TH_OK(mc_swmr_unlock(r2));
    ck_assert_msg(th_ms_since(t0) < WAIT_MS, "the writer never started waiting");
    mc__plat_yield();
  }
  TH_EXPECT(rc, MC_ETIMEDOUT);
  TH_EXPECT(mc_sem_wait(got, 0), MC_ETIMEDOUT); /* the first reader still holds it */
  TH_OK(mc_swmr_unlock(r1));
  TH_OK(mc_sem_wait(got, WAIT_MS));
  TH_EXPECT(mc_swmr_lock_read(r2, 20), MC_ETIMEDOUT);
  TH_OK(mc_event_set(done));
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  TH_OK(mc_swmr_lock_read(r2, 0));
  TH_OK(mc_swmr_unlock(r2));
  mc_swmr_close(r1);
  mc_swmr_close(r2);
  mc_sem_close(got);
  mc_event_close(done);
  th_gate_close(&g);
}
END_TEST

START_TEST(swmr_dead_writer_is_reported) {
  char name[64];
  mc_swmr *a, *b;
  th_gate g;
  th_name(name, sizeof name, "swdead");
  th_gate_open(&g, "swdead");
  TH_OK(mc_swmr_open(name, &a));
  TH_OK(mc_swmr_open(name, &b));
  mc_proc *p = th_spawn("swmr_hold", name, "write", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  TH_EXPECT(mc_swmr_lock_read(a, 30), MC_ETIMEDOUT);
  th_kill(p);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_swmr_lock_read(a, 5000), MC_EOWNERDEAD);
  ck_assert_uint_lt(th_ms_since(t0), 5000);
  TH_EXPECT(mc_swmr_lock_read(b, 0), MC_EOWNERDEAD); /* every acquirer until a writer */
  TH_OK(mc_swmr_unlock(a));
  TH_OK(mc_swmr_unlock(b));
  TH_EXPECT(mc_swmr_lock_write(a, 0), MC_EOWNERDEAD); /* the writer who must repair */
  TH_OK(mc_swmr_unlock(a));
  TH_OK(mc_swmr_lock_read(b, 0)); /* repaired */
  TH_OK(mc_swmr_unlock(b));
  mc_swmr_close(a);
  mc_swmr_close(b);
  th_gate_close(&g);
}
END_TEST

START_TEST(swmr_dead_reader_is_reclaimed) {
  char name[64];
  mc_swmr *w;
  th_gate g;
  th_name(name, sizeof name, "swrdead");
  th_gate_open(&g, "swrdead");
  TH_OK(mc_swmr_open(name, &w));
  mc_proc *p = th_spawn("swmr_hold", name, "read", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  TH_EXPECT(mc_swmr_lock_write(w, 30), MC_ETIMEDOUT);
  th_kill(p);
  uint64_t t0 = mc__plat_now_ns();
  TH_OK(mc_swmr_lock_write(w, 5000)); /* a dead reader changed nothing: plain MC_OK */
  ck_assert_uint_lt(th_ms_since(t0), 5000);
  TH_OK(mc_swmr_unlock(w));
  mc_swmr_close(w);
  th_gate_close(&g);
}
END_TEST

/* ---- arguments ------------------------------------------------------------------------------ */

START_TEST(sync_invalid_arguments) {
  char name[64];
  mc_event *ev = (mc_event *)1;
  mc_mutex *mx = (mc_mutex *)1;
  mc_sem *s = (mc_sem *)1;
  mc_swmr *g = (mc_swmr *)1;
  th_name(name, sizeof name, "args");
  TH_EXPECT(mc_event_open(NULL, 0, 0, &ev), MC_EINVAL);
  ck_assert_ptr_null(ev);
  TH_EXPECT(mc_event_open("bad name", 0, 0, &ev), MC_EINVAL);
  TH_EXPECT(mc_event_open(name, 0, 0, NULL), MC_EINVAL);
  TH_EXPECT(mc_mutex_open(NULL, &mx), MC_EINVAL);
  ck_assert_ptr_null(mx);
  TH_EXPECT(mc_mutex_open(name, NULL), MC_EINVAL);
  TH_EXPECT(mc_sem_open(NULL, 0, 1, &s), MC_EINVAL);
  ck_assert_ptr_null(s);
  TH_EXPECT(mc_sem_open(name, 0, 0, &s), MC_EINVAL);
  TH_EXPECT(mc_sem_open(name, 2, 1, &s), MC_EINVAL);
  TH_EXPECT(mc_sem_open(name, 0, 0x80000000u, &s), MC_EINVAL);
  TH_EXPECT(mc_swmr_open(NULL, &g), MC_EINVAL);
  ck_assert_ptr_null(g);
  TH_EXPECT(mc_event_set(NULL), MC_EINVAL);
  TH_EXPECT(mc_event_reset(NULL), MC_EINVAL);
  TH_EXPECT(mc_event_wait(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_mutex_lock(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_mutex_unlock(NULL), MC_EINVAL);
  TH_EXPECT(mc_sem_post(NULL, 1), MC_EINVAL);
  TH_EXPECT(mc_sem_wait(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_swmr_lock_read(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_swmr_lock_write(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_swmr_unlock(NULL), MC_EINVAL);
  mc_event_close(NULL);
  mc_mutex_close(NULL);
  mc_sem_close(NULL);
  mc_swmr_close(NULL);
  TH_OK(mc_event_open(name, 0, 0, &ev));
  TH_EXPECT(mc_event_wait(ev, -2), MC_EINVAL);
  mc_event_close(ev);
  char sname[64];
  th_name(sname, sizeof sname, "args-sem");
  TH_OK(mc_sem_open(sname, 0, 5, &s));
  TH_EXPECT(mc_sem_post(s, 0), MC_EINVAL);
  TH_EXPECT(mc_sem_wait(s, -7), MC_EINVAL);
  mc_sem_close(s);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("sync");
  TCase *tc = th_tcase(s, "mutexes", 180);
  tcase_add_test(tc, mutex_basics);
  tcase_add_test(tc, mutex_excludes_other_processes);
  tcase_add_test(tc, mutex_owner_dies);
  tcase_add_test(tc, mutex_counts_under_contention);
  tc = th_tcase(s, "swmr", 90);
  tcase_add_test(tc, swmr_basics);
  tcase_add_test(tc, swmr_waiting_writer_goes_first);
  tcase_add_test(tc, swmr_dead_writer_is_reported);
  tcase_add_test(tc, swmr_dead_reader_is_reclaimed);
  tc = th_tcase(s, "arguments", 30);
  tcase_add_test(tc, sync_invalid_arguments);
  return s;
}

static const th_helper helpers[] = {
    {"mutex_try", helper_mutex_try},     {"mutex_hold", helper_mutex_hold},
    {"mutex_count", helper_mutex_count}, {"swmr_hold", helper_swmr_hold},
    {"swmr_writer", helper_swmr_writer}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
