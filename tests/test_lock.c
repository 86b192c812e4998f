/* The token lock (core/tlock.c): the robust lock every lock in shared memory is built on.
 * Exclusion across processes, a holder killed at each step of taking and giving it, and
 * lock bytes scribbled by someone else: the next taker gets the lock (MC_EOWNERDEAD when
 * its holder died) or a timeout within its deadline, never a hang or a crash. */
#include "harness.h"
#include "msgstream.h"
#include "shm_internal.h"
#include "tlock.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 60000

/* The lock lives at the start of an unprotected block's data; counters after it. */
typedef struct lock_area {
  mc__tlock_shared lock;
  uint64_t count;
  uint64_t in_section;
} lock_area;

static lock_area *open_area(const char *name, mc_shm **shm) {
  void *data;
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_UNPROTECTED};
  if (mc_shm_open(name, &o, shm) != MC_OK) return NULL;
  if (mc_shm_acquire(*shm, MC_WRITE, 0, &data) != MC_OK) return NULL;
  return data;
}

static int bind_lock(mc__tlock *l, mc_shm *shm, lock_area *a) {
  return mc__tlock_bind(l, &shm->r.name, &a->lock, MC__HEADER_BYTES + offsetof(lock_area, lock));
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* hold NAME CRASH STEP: takes the lock (and gives it back when STEP is "release"), armed to
   die at CRASH; a helper that survives the step blocks until killed. */
static int helper_hold(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_shm *shm;
  mc__tlock l;
  lock_area *a = open_area(argv[0], &shm);
  HELPER_CHECK(a != NULL);
  HELPER_OK(bind_lock(&l, shm, a));
  HELPER_OK(th_crash_arm(argv[1]));
  mc__timeout to = mc__timeout_ms(WAIT_MS);
  int rc = mc__tlock_acquire(&l, &to);
  HELPER_CHECK(rc == MC_OK || rc == MC_EOWNERDEAD);
  if (strcmp(argv[2], "release") == 0) HELPER_OK(mc__tlock_release(&l));
  return th_block_forever(argv[0]);
}

/* count NAME TIMES: increments the shared count TIMES times under the lock, checking that
   nobody else is inside at the same time. */
static int helper_count(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_shm *shm;
  mc__tlock l;
  lock_area *a = open_area(argv[0], &shm);
  HELPER_CHECK(a != NULL);
  HELPER_OK(bind_lock(&l, shm, a));
  long times = atol(argv[1]);
  for (long i = 0; i < times; i++) {
    mc__timeout to = mc__timeout_ms(WAIT_MS);
    HELPER_OK(mc__tlock_acquire(&l, &to));
    HELPER_CHECK(a->in_section++ == 0);
    a->count++;
    a->in_section--;
    HELPER_OK(mc__tlock_release(&l));
  }
  mc__tlock_unbind(&l);
  mc_shm_close(shm);
  return 0;
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(take_and_give) {
  char name[64];
  mc_shm *shm;
  mc__tlock a1, a2;
  th_name(name, sizeof name, "basics");
  lock_area *a = open_area(name, &shm);
  ck_assert_ptr_nonnull(a);
  TH_OK(bind_lock(&a1, shm, a));
  TH_OK(bind_lock(&a2, shm, a));
  mc__timeout t0 = mc__timeout_ms(0);
  TH_OK(mc__tlock_acquire(&a1, &t0));
  mc__timeout t1 = mc__timeout_ms(0);
  TH_EXPECT(mc__tlock_acquire(&a1, &t1), MC_ESTATE); /* not recursive */
  mc__timeout t2 = mc__timeout_ms(50);
  TH_EXPECT(mc__tlock_acquire(&a2, &t2), MC_ETIMEDOUT); /* another handle of this process */
  TH_EXPECT(mc__tlock_release(&a2), MC_ESTATE);
  TH_OK(mc__tlock_release(&a1));
  TH_EXPECT(mc__tlock_release(&a1), MC_ESTATE);
  mc__timeout t3 = mc__timeout_ms(0);
  TH_OK(mc__tlock_acquire(&a2, &t3));
  TH_OK(mc__tlock_release(&a2));
  mc__tlock_unbind(&a1);
  mc__tlock_unbind(&a2);
  mc_shm_close(shm);
}
END_TEST

START_TEST(excludes_other_processes) {
  char name[64];
  mc_shm *shm;
  th_name(name, sizeof name, "count");
  lock_area *a = open_area(name, &shm);
  ck_assert_ptr_nonnull(a);
  mc_proc *p[3];
  for (int i = 0; i < 3; i++) p[i] = th_spawn("count", name, "20000", NULL);
  for (int i = 0; i < 3; i++) ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
  ck_assert_uint_eq(a->count, 60000);
  mc_shm_close(shm);
}
END_TEST

/* A holder killed at `spec` while taking (release = 0) or giving (1) the lock: the next taker
   must get it within its timeout. Returns what acquire returned. */
static int take_after_death(const char *spec, int release) {
  char name[64];
  mc_shm *shm;
  mc__tlock l;
  th_name(name, sizeof name, "death");
  lock_area *a = open_area(name, &shm);
  ck_assert_ptr_nonnull(a);
  TH_OK(bind_lock(&l, shm, a));
  mc_proc *p = th_spawn("hold", name, spec, release ? "release" : "keep", NULL);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 137); /* died at the crash point */
  mc__timeout to = mc__timeout_ms(3000);
  uint64_t t0 = mc__plat_now_ns();
  int rc = mc__tlock_acquire(&l, &to);
  uint64_t waited_ms = (mc__plat_now_ns() - t0) / 1000000;
  TH_REQUIRE(rc == MC_OK || rc == MC_EOWNERDEAD, "after a death at %s: %s after %llu ms", spec,
             mc_err_name(rc), (unsigned long long)waited_ms);
  TH_OK(mc__tlock_release(&l));
  mc__tlock_unbind(&l);
  mc_shm_close(shm);
  return rc;
}

START_TEST(holder_killed_while_taking) {
  TH_EXPECT(take_after_death("lock.taken", 0), MC_EOWNERDEAD);
}
END_TEST

START_TEST(holder_killed_while_holding) {
  TH_EXPECT(take_after_death("lock.held", 0), MC_EOWNERDEAD);
}
END_TEST

START_TEST(holder_killed_while_giving) {
  take_after_death("lock.released", 1);
}
END_TEST

/* Someone writes over the lock's bytes: whatever they hold, a taker gets the lock or a
   timeout by its deadline, and a lock that says nothing sane can be taken again. */
START_TEST(scribbled_lock_bytes) {
  char name[64];
  mc_shm *shm;
  mc__tlock l;
  th_name(name, sizeof name, "scribble");
  lock_area *a = open_area(name, &shm);
  ck_assert_ptr_nonnull(a);
  TH_OK(bind_lock(&l, shm, a));
  uint64_t x = 12345;
  for (int round = 0; round < 64; round++) {
    unsigned char bytes[sizeof(mc__tlock_shared)];
    for (size_t i = 0; i < sizeof bytes; i++) {
      x = ms_mix(x);
      bytes[i] = round < 16 ? (unsigned char)x : round < 24 ? 0xff : (unsigned char)(x & 3);
    }
    if (round == 30) memset(bytes, 0, sizeof bytes);
    if (round == 31) { /* our own process named as holder, by nobody's handle */
      uint64_t me = mc__plat_self_token();
      memcpy(bytes, &me, sizeof me);
    }
    memcpy(&a->lock, bytes, sizeof bytes);
    mc__timeout to = mc__timeout_ms(100);
    uint64_t t0 = mc__plat_now_ns();
    int rc = mc__tlock_acquire(&l, &to);
    uint64_t waited_ms = (mc__plat_now_ns() - t0) / 1000000;
    TH_REQUIRE(rc == MC_OK || rc == MC_EOWNERDEAD || rc == MC_ETIMEDOUT || rc == MC_ECORRUPT,
               "round %d: %s", round, mc_err_name(rc));
    TH_REQUIRE(waited_ms < 2000, "round %d: waited %llu ms for a 100 ms timeout", round,
               (unsigned long long)waited_ms);
    if (rc == MC_OK || rc == MC_EOWNERDEAD) TH_OK(mc__tlock_release(&l));
  }
  mc__tlock_unbind(&l);
  mc_shm_close(shm);
}
END_TEST

static Suite *lock_suite(void) {
  Suite *s = suite_create("lock");
  TCase *tc = th_tcase(s, "lock", 60);
  tcase_add_test(tc, take_and_give);
  tcase_add_test(tc, excludes_other_processes);
  tcase_add_test(tc, holder_killed_while_taking);
  tcase_add_test(tc, holder_killed_while_holding);
  tcase_add_test(tc, holder_killed_while_giving);
  tcase_add_test(tc, scribbled_lock_bytes);
  return s;
}

static const th_helper helpers[] = {{"hold", helper_hold}, {"count", helper_count}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, lock_suite(), helpers);
}
