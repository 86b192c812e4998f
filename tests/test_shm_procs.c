/* mc_shm across processes: the first owner among racers, holders that die, stale blocks,
 * creators that die initialising, and what POSIX names do (mode, lifetime, persistence,
 * ownership, a creator that stalls). */
#include "harness.h"
#include "internal.h"
#include "region.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define BLOCK   8192
#define WAIT_MS 30000
/* ---- helpers ---------------------------------------------------------------------------- */

/* open_report NAME SIZE READY GO: opens (create or open), checks the size, holds the block
   until GO, and exits 10 + created. */
static int helper_open_report(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_shm *shm;
  mc_shm_options o = {.size = strtoull(argv[1], NULL, 10), .timeout_ms = WAIT_MS};
  HELPER_OK(mc_shm_open(argv[0], &o, &shm));
  HELPER_CHECK(mc_shm_size(shm) == o.size);
  HELPER_OK(th_gate_arrive(argv[2], argv[3], WAIT_MS));
  int created = mc_shm_created(shm);
  mc_shm_close(shm);
  return 10 + created;
}

/* hold NAME SIZE READY [persist]: creates or opens, signals, then blocks until killed. */
static int helper_hold(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_shm *shm;
  mc_shm_options o = {.size = strtoull(argv[1], NULL, 10)};
  if (argc > 3) o.flags |= MC_SHM_PERSIST;
  HELPER_OK(mc_shm_open(argv[0], &o, &shm));
  HELPER_OK(th_signal(argv[2]));
  return th_block_forever(argv[0]);
}

/* stall_init NAME SIZE READY: creates NAME but stops just before publishing READY (the test
   hook), signals, and blocks until killed: a creator that dies mid-initialisation. */
static char stall_target[MC_NAME_MAX + 1];
static mc_sem *stall_ready;
static void stall_hook(const mc__objname *n) {
  if (strcmp(n->base, stall_target) != 0) return;
  mc_sem_post(stall_ready, 1);
  th_block_forever(stall_target);
}
static int helper_stall_init(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_shm *shm;
  mc_shm_options o = {.size = strtoull(argv[1], NULL, 10), .flags = MC_SHM_CREATE};
  HELPER_OK(mc_sem_open(argv[2], 0, 0x7fffffff, &stall_ready));
  snprintf(stall_target, sizeof stall_target, "%s", argv[0]);
  mc__hook_before_ready = stall_hook;
  mc_shm_open(argv[0], &o, &shm);
  return 3; /* not reached: the hook blocks */
}

#ifndef _WIN32
#include <sys/mman.h>
/* stalled_creator NAME READY GO: creates NAME (size STALL_SIZE) but stalls inside the mmap of
   its creation until GO is set, then reports 10 + created and checks the value the opener
   that took the block over wrote at offset 0. */
#define STALL_SIZE (3u << 20)
static mc_sem *stall_sem;
static mc_event *stall_go, *stall_go_handle;
static void *stalling_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off) {
  if (len == MC__HEADER_BYTES + STALL_SIZE && stall_go) {
    mc_sem_post(stall_sem, 1);
    mc_event_wait(stall_go, MC_INFINITE);
    stall_go = NULL;
  }
  return mmap(a, len, prot, flags, fd, off);
}
static int helper_stalled_creator(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_shm *shm;
  mc_shm_options o = {.size = STALL_SIZE, .timeout_ms = WAIT_MS};
  HELPER_OK(mc_sem_open(argv[1], 0, 0x7fffffff, &stall_sem));
  HELPER_OK(mc_event_open(argv[2], 1, 0, &stall_go));
  stall_go_handle = stall_go; /* stall_go is cleared once the stall is over */
  HELPER_OK(mc__plat_syscall_override("mmap", (void (*)(void))stalling_mmap));
  HELPER_OK(mc_shm_open(argv[0], &o, &shm));
  uint64_t v = 0;
  HELPER_OK(mc_shm_acquire(shm, MC_READ, WAIT_MS, NULL));
  HELPER_OK(mc_shm_get_u64(shm, 0, &v));
  HELPER_CHECK(v == 0x5eed);
  mc_shm_release(shm);
  int created = mc_shm_created(shm);
  mc_shm_close(shm);
  mc__plat_syscall_override("mmap", NULL);
  mc_sem_close(stall_sem);
  mc_event_close(stall_go_handle);
  return 10 + created;
}
#endif

/* create_persist NAME: creates a persistent block readable by others and exits (run as
   another user). */
static int helper_create_persist(int argc, char **argv) {
  if (argc < 1) return 2;
  mc_shm *shm;
  mc_shm_options o = {.size = BLOCK, .flags = MC_SHM_CREATE | MC_SHM_PERSIST, .mode = 0644};
  HELPER_OK(mc_shm_open(argv[0], &o, &shm));
  mc_shm_close(shm);
  return 0;
}

static void race_to_open(int n) {
  char name[64], size[32];
  th_gate g;
  mc_proc *p[8];
  th_name(name, sizeof name, "race");
  th_gate_open(&g, "race");
  snprintf(size, sizeof size, "%d", BLOCK);
  for (int i = 0; i < n; i++)
    p[i] = th_spawn("open_report", name, size, g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, n, WAIT_MS);
  th_gate_release(&g);
  int creators = 0;
  for (int i = 0; i < n; i++) {
    int code = th_wait(p[i], WAIT_MS);
    ck_assert_msg(code == 10 || code == 11, "helper %d failed with %d", i, code);
    creators += code == 11;
  }
  ck_assert_int_eq(creators, 1);
  th_gate_close(&g);
}

START_TEST(two_processes_one_creator) {
  race_to_open(2);
}
END_TEST

START_TEST(eight_processes_race_to_create) {
  for (int round = 0; round < 3; round++) race_to_open(8);
}
END_TEST

/* ---- lifetime and take-over --------------------------------------------------------------- */

START_TEST(killed_holder_leaves_a_recreatable_name) {
  char name[64], size[32];
  th_gate g;
  th_name(name, sizeof name, "stale");
  th_gate_open(&g, "stale");
  snprintf(size, sizeof size, "%d", BLOCK);
  mc_proc *p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  mc_shm *shm;
  TH_OK(mc_shm_open(name, NULL, &shm)); /* alive: an ordinary open */
  ck_assert_int_eq(mc_shm_created(shm), 0);
  mc_shm_close(shm);
  th_kill(p);
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  mc_shm_close(shm);
  /* Open-only on a stale name: there is nothing to open. */
  p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(name, &op, &shm), MC_ENOENT);
  /* And create-only succeeds on one. */
  p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_shm_options c = {.size = BLOCK, .flags = MC_SHM_CREATE};
  TH_OK(mc_shm_open(name, &c, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  mc_shm_close(shm);
  th_gate_close(&g);
}
END_TEST

/* A stale block is stale whatever its size: the new run's size wins (every holder is dead).
   A live block of another size stays a mismatch. */
START_TEST(stale_block_of_another_size_is_replaced) {
  char name[64], size[32];
  th_gate g;
  mc_shm *shm;
  th_name(name, sizeof name, "stalesize");
  th_gate_open(&g, "stalesize");
  snprintf(size, sizeof size, "%d", BLOCK);
  mc_proc *p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  mc_shm_options big = {.size = 2 * BLOCK};
  TH_EXPECT(mc_shm_open(name, &big, &shm), MC_EMISMATCH); /* alive */
  mc_shm_options grow = {.size = BLOCK, .max_size = 4 * BLOCK};
  TH_EXPECT(mc_shm_open(name, &grow, &shm), MC_EMISMATCH);
  th_kill(p);
  TH_OK(mc_shm_open(name, &big, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  ck_assert_uint_eq(mc_shm_size(shm), 2 * BLOCK);
  mc_shm_close(shm);
  /* Resizable this time, then an unrelated kind under the same name. */
  p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  TH_OK(mc_shm_open(name, &grow, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  ck_assert_uint_eq(mc_shm_max_size(shm), 4 * BLOCK);
  mc_shm_close(shm);
  p = th_spawn("hold", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_event *ev;
  TH_OK(mc_event_open(name, 1, 0, &ev));
  mc_event_close(ev);
  th_gate_close(&g);
}
END_TEST

START_TEST(creator_killed_before_ready_is_taken_over) {
  char name[64], size[32];
  th_gate g;
  th_name(name, sizeof name, "takeover");
  th_gate_open(&g, "takeover");
  snprintf(size, sizeof size, "%d", BLOCK);
  mc_proc *p = th_spawn("stall_init", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  /* While the creator lives, an opener waits for it and gives up at its timeout. */
  mc_shm *shm;
  mc_shm_options o = {.size = BLOCK, .timeout_ms = 150};
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ETIMEDOUT);
  ck_assert_uint_ge((mc__plat_now_ns() - t0) / 1000000, 150);
  th_kill(p);
  o.timeout_ms = 5000;
  t0 = mc__plat_now_ns();
  TH_OK(mc_shm_open(name, &o, &shm));
  uint64_t ms = (mc__plat_now_ns() - t0) / 1000000;
  ck_assert_int_eq(mc_shm_created(shm), 1);
  ck_assert_uint_eq(mc_shm_size(shm), BLOCK);
  ck_assert_msg(ms < 5000, "took over after %llu ms", (unsigned long long)ms);
  mc_shm *again;
  TH_OK(mc_shm_open(name, NULL, &again));
  ck_assert_int_eq(mc_shm_created(again), 0);
  mc_shm_close(again);
  mc_shm_close(shm);
  /* An open-only opener cannot take over: for it the block never existed. */
  p = th_spawn("stall_init", name, size, g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_shm_options op = {.flags = MC_SHM_OPEN, .timeout_ms = 5000};
  TH_EXPECT(mc_shm_open(name, &op, &shm), MC_ENOENT);
  mc_shm_options c = {.size = BLOCK, .flags = MC_SHM_CREATE, .timeout_ms = 5000};
  TH_OK(mc_shm_open(name, &c, &shm)); /* the dead attempt does not block a new creator */
  ck_assert_int_eq(mc_shm_created(shm), 1);
  mc_shm_close(shm);
  th_gate_close(&g);
}
END_TEST

START_TEST(unlink_missing) {
  char name[64];
  th_name(name, sizeof name, "nolink");
  TH_EXPECT(mc_shm_unlink(name), TH_WINDOWS ? MC_OK : MC_ENOENT);
}
END_TEST

#ifndef _WIN32
static int exists(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  return access(path, F_OK) == 0;
}

static unsigned file_mode(const char *name) {
  char path[128];
  struct stat st;
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  ck_assert_int_eq(stat(path, &st), 0);
  return (unsigned)st.st_mode & 07777;
}

START_TEST(posix_mode_ignores_umask) {
  char name[64];
  mc_shm *shm;
  mode_t old = umask(0);
  th_name(name, sizeof name, "mode");
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_uint_eq(file_mode(name), 0600);
  mc_shm_close(shm);
  umask(077);
  o.mode = 0644;
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_uint_eq(file_mode(name), 0644); /* exactly the mode asked for */
  mc_shm_close(shm);
  umask(old);
}
END_TEST

START_TEST(posix_last_close_removes_name) {
  char name[64];
  mc_shm *a, *b;
  th_name(name, sizeof name, "lastclose");
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &a));
  TH_OK(mc_shm_open(name, &o, &b));
  ck_assert(exists(name));
  mc_shm_close(a);
  ck_assert(exists(name));
  mc_shm_close(b);
  ck_assert(!exists(name));
}
END_TEST

START_TEST(posix_persist_until_unlink) {
  char name[64];
  mc_shm *shm;
  th_name(name, sizeof name, "persist");
  mc_shm_options o = {.size = BLOCK, .flags = MC_SHM_PERSIST};
  TH_OK(mc_shm_open(name, &o, &shm));
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 1000, NULL));
  TH_OK(mc_shm_set_u64(shm, 16, 0x1234567890abcdefull));
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  ck_assert(exists(name));
  TH_OK(mc_shm_open(name, NULL, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 0);
  uint64_t v = 0;
  TH_OK(mc_shm_acquire(shm, MC_READ, 1000, NULL));
  TH_OK(mc_shm_get_u64(shm, 16, &v));
  ck_assert_uint_eq(v, 0x1234567890abcdefull);
  TH_OK(mc_shm_release(shm));
  /* Removing the name while held: the holder keeps its block, the name is free at once. */
  TH_OK(mc_shm_unlink(name));
  ck_assert(!exists(name));
  mc_shm *fresh;
  mc_shm_options c = {.size = BLOCK, .flags = MC_SHM_CREATE};
  TH_OK(mc_shm_open(name, &c, &fresh));
  TH_OK(mc_shm_acquire(shm, MC_READ, 1000, NULL));
  TH_OK(mc_shm_get_u64(shm, 16, &v));
  ck_assert_uint_eq(v, 0x1234567890abcdefull);
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm); /* must not remove the new block's name */
  ck_assert(exists(name));
  mc_shm_close(fresh);
  ck_assert(!exists(name));
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(name, &op, &shm), MC_ENOENT);
}
END_TEST

START_TEST(posix_killed_persistent_holder_keeps_data) {
  char name[64], size[32];
  th_gate g;
  th_name(name, sizeof name, "pkeep");
  th_gate_open(&g, "pkeep");
  snprintf(size, sizeof size, "%d", BLOCK);
  mc_proc *p = th_spawn("hold", name, size, g.ready_name, "persist", NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  th_kill(p);
  mc_shm *shm;
  TH_OK(mc_shm_open(name, NULL, &shm)); /* persistent: not stale, just unheld */
  ck_assert_int_eq(mc_shm_created(shm), 0);
  mc_shm_close(shm);
  ck_assert(exists(name));
  TH_OK(mc_shm_unlink(name));
  th_gate_close(&g);
}
END_TEST

START_TEST(posix_stalled_creator_loses_cleanly) {
  char name[64];
  th_gate g;
  th_name(name, sizeof name, "stall");
  th_gate_open(&g, "stall");
  mc_proc *p = th_spawn("stalled_creator", name, g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS); /* it created the object and stalls before claiming it */
  mc_shm *shm;
  mc_shm_options o = {.size = STALL_SIZE, .timeout_ms = WAIT_MS};
  TH_OK(mc_shm_open(name, &o, &shm)); /* unclaimed for long: taken over */
  ck_assert_int_eq(mc_shm_created(shm), 1);
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_set_u64(shm, 0, 0x5eed));
  TH_OK(mc_shm_set_u64(shm, STALL_SIZE - 8, 7)); /* the whole block is there... */
  TH_OK(mc_shm_release(shm));
  th_gate_release(&g); /* ...and stays: the stalled creator resumes, loses, and joins */
  ck_assert_int_eq(th_wait(p, WAIT_MS), 10);
  uint64_t v;
  TH_OK(mc_shm_acquire(shm, MC_READ, 0, NULL));
  TH_OK(mc_shm_get_u64(shm, STALL_SIZE - 8, &v));
  ck_assert_uint_eq(v, 7);
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  th_gate_close(&g);
}
END_TEST

static uid_t fake_euid(void) {
  return 4242;
}

START_TEST(posix_other_users_block_is_refused) {
  char name[64];
  mc_shm *shm;
  /* Through the system-call seam: our own block seen by "another" user. */
  th_name(name, sizeof name, "owner");
  mc_shm_options o = {.size = BLOCK};
  mc_shm *mine;
  TH_OK(mc_shm_open(name, &o, &mine));
  TH_OK(mc__plat_syscall_override("geteuid", (void (*)(void))fake_euid));
  int rc = mc_shm_open(name, NULL, &shm);
  mc_shm_options any = {.flags = MC_SHM_ANY_USER};
  int rc_any = mc_shm_open(name, &any, &shm);
  mc__plat_syscall_override("geteuid", NULL);
  ck_assert_int_eq(rc, MC_EACCES);
  ck_assert_int_eq(rc_any, MC_OK);
  mc_shm_close(shm);
  mc_shm_close(mine);

  /* For real: a block created by the user nobody (setpriv), refused unless MC_SHM_ANY_USER. */
  ck_assert_msg(geteuid() == 0, "this test creates a block as user nobody: run it as root");
  char self[4096], dir[] = "/tmp/memchan-owner-XXXXXX", copy[4200], cmd[13000];
  TH_OK(mc_self_path(self, sizeof self));
  ck_assert_ptr_nonnull(mkdtemp(dir));
  chmod(dir, 0755); /* the build tree may be unreadable for nobody: run a copy */
  snprintf(copy, sizeof copy, "%s/test_shm", dir);
  snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 755 '%s'", self, copy, copy);
  ck_assert_int_eq(system(cmd), 0);
  th_name(name, sizeof name, "nobody");
  const char *argv[] = {"/usr/bin/setpriv",
                        "--reuid=nobody",
                        "--regid=nogroup",
                        "--clear-groups",
                        copy,
                        "--helper",
                        "create_persist",
                        name,
                        NULL};
  mc_proc *p;
  TH_OK(mc_proc_spawn(argv, &p));
  int code = -1;
  TH_OK(mc_proc_wait(p, WAIT_MS, &code));
  mc_proc_free(p);
  unlink(copy);
  rmdir(dir);
  ck_assert_msg(code == 0, "helper as nobody failed: %d", code);
  TH_EXPECT(mc_shm_open(name, NULL, &shm), MC_EACCES);
  TH_OK(mc_shm_open(name, &any, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 0);
  mc_shm_close(shm);
  TH_OK(mc_shm_unlink(name));
}
END_TEST
#endif

static Suite *suite(void) {
  Suite *s = suite_create("shm_procs");
  TCase *tc = th_tcase(s, "processes", 120);
  tcase_add_test(tc, two_processes_one_creator);
  tcase_add_test(tc, eight_processes_race_to_create);
  tcase_add_test(tc, killed_holder_leaves_a_recreatable_name);
  tcase_add_test(tc, stale_block_of_another_size_is_replaced);
  tcase_add_test(tc, creator_killed_before_ready_is_taken_over);
  tcase_add_test(tc, unlink_missing);
#ifndef _WIN32
  tc = th_tcase(s, "posix", 60);
  tcase_add_test(tc, posix_mode_ignores_umask);
  tcase_add_test(tc, posix_last_close_removes_name);
  tcase_add_test(tc, posix_persist_until_unlink);
  tcase_add_test(tc, posix_killed_persistent_holder_keeps_data);
  tcase_add_test(tc, posix_other_users_block_is_refused);
  tcase_add_test(tc, posix_stalled_creator_loses_cleanly);
#endif
  return s;
}

static const th_helper helpers[] = {{"open_report", helper_open_report},
                                    {"hold", helper_hold},
                                    {"stall_init", helper_stall_init},
                                    {"create_persist", helper_create_persist},
#ifndef _WIN32
                                    {"stalled_creator", helper_stalled_creator},
#endif
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
