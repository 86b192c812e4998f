/* Shared memory is hostile: whatever another process writes over the bytes of a region -
 * lock words included - memchan answers with an error code or a timeout within the caller's
 * deadline, never a crash, an abort or a hang. */
#include "harness.h"
#include "msgstream.h"
#include "chan.h"
#include "swmr.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#endif

#define WAIT_MS       60000
#define LIFETIME_LOCK 256 /* the lifetime lock's offset in the region header */

/* Bytes for round `round` of a scribbling test: random, all ones, small values, and a
   glibc robust priority-inheritance mutex owned by a thread that does not exist (the bytes
   that made glibc abort in pthread_mutex_lock). */
static void scribble_bytes(int round, unsigned char *b, size_t n, uint64_t *x) {
  for (size_t i = 0; i < n; i++) {
    *x = ms_mix(*x);
    b[i] = round < 24 ? (unsigned char)*x : round < 28 ? 0xff : (unsigned char)(*x & 3);
  }
  if (round == 0 && n >= 24) {
    uint32_t tid = 0x3ffffe, kind = 16 | 32; /* ROBUST | PRIO_INHERIT */
    memset(b, 0, n);
    memcpy(b, &tid, 4);
    memcpy(b + 16, &kind, 4);
  }
}

/* ---- helpers ---- */

/* own_lock NAME READY: writes this process's token over the lifetime lock of region NAME,
   as a holder that never gives it back would leave it (to glibc's mutex it reads as a lock
   owned by our main thread), signals READY and stays alive until killed. */
static int helper_own_lock(int argc, char **argv) {
  if (argc < 2) return 2;
  uint64_t me = mc__plat_self_token();
  HELPER_CHECK(th_raw_write(argv[0], LIFETIME_LOCK, &me, sizeof me) == 0);
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[0]);
}

/* ---- lock bytes -------------------------------------------------------------------------- */

/* The lifetime lock, taken by every open and close of a POSIX object. */
START_TEST(scribbled_lifetime_lock) {
  char name[64];
  mc_shm *a, *b;
  uint64_t x = 1;
  th_name(name, sizeof name, "life");
  mc_shm_options o = {.size = 4096, .timeout_ms = 200};
  TH_OK(mc_shm_open(name, &o, &a));
  for (int round = 0; round < 40; round++) {
    unsigned char bytes[32];
    scribble_bytes(round, bytes, sizeof bytes, &x);
    ck_assert_int_eq(th_raw_write(name, LIFETIME_LOCK, bytes, sizeof bytes), 0);
    uint64_t t0 = mc__plat_now_ns();
    int rc = mc_shm_open(name, &o, &b);
    TH_REQUIRE(rc == MC_OK || rc == MC_ETIMEDOUT || rc == MC_ECORRUPT, "round %d: %s", round,
               mc_err_name(rc));
    TH_REQUIRE(th_ms_since(t0) < 3000, "round %d: open took %llu ms with a 200 ms timeout", round,
               (unsigned long long)th_ms_since(t0));
    if (rc == MC_OK) mc_shm_close(b);
  }
  mc_shm_close(a);
}
END_TEST

/* A resize takes the lifetime lock to grow the object (POSIX): a lock that names a live
   process which never gives it back makes resize fail by its documented bound, not hang;
   once that process is gone, the lock is taken over. */
START_TEST(posix_resize_with_a_foreign_lock_owner) {
  char name[64], ready[64];
  mc_shm *shm;
  mc_sem *sem;
  void *data;
  th_name(name, sizeof name, "resize");
  th_name(ready, sizeof ready, "resize-ready");
  TH_OK(mc_sem_open(ready, 0, 0x7fffffff, &sem));
  mc_shm_options o = {.size = 4096, .max_size = 1 << 20};
  TH_OK(mc_shm_open(name, &o, &shm));
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 1000, &data));
  mc_proc *p = th_spawn("own_lock", name, ready, NULL);
  TH_OK(mc_sem_wait(sem, WAIT_MS));
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_shm_resize(shm, 1 << 19), MC_ETIMEDOUT);
  TH_REQUIRE(th_ms_since(t0) < MC_DEFAULT_TIMEOUT_MS + 3000, "resize waited %llu ms",
             (unsigned long long)th_ms_since(t0));
  th_kill(p);
  TH_OK(mc_shm_resize(shm, 1 << 19)); /* its owner is dead now: taken over */
  ck_assert_uint_eq(mc_shm_size(shm), 1 << 19);
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  mc_sem_close(sem);
}
END_TEST

/* Scribbles `len` bytes at `offset` of region `name` in 40 rounds, calling try() after each;
   try() must answer with one of the codes in ok[] and within 3 s. */
typedef int (*try_fn)(const char *name, void *ctx);
static void scribble_rounds(const char *name, long offset, size_t len, try_fn try, void *ctx,
                            const int *ok, int nok) {
  unsigned char *bytes = malloc(len);
  uint64_t x = (uint64_t)offset;
  ck_assert_ptr_nonnull(bytes);
  for (int round = 0; round < 40; round++) {
    scribble_bytes(round, bytes, len, &x);
    ck_assert_int_eq(th_raw_write(name, offset, bytes, len), 0);
    uint64_t t0 = mc__plat_now_ns();
    int rc = try(name, ctx), good = 0;
    for (int i = 0; i < nok; i++) good |= rc == ok[i];
    TH_REQUIRE(good, "round %d: %s", round, mc_err_name(rc));
    TH_REQUIRE(th_ms_since(t0) < 3000, "round %d: took %llu ms with a 200 ms timeout", round,
               (unsigned long long)th_ms_since(t0));
  }
  free(bytes);
}

static int try_block_write(const char *name, void *ctx) {
  mc_shm *shm = ctx;
  void *data;
  MC__UNUSED(name);
  int rc = mc_shm_acquire(shm, MC_WRITE, 200, &data);
  if (rc == MC_OK || rc == MC_EOWNERDEAD) TH_OK(mc_shm_release(shm));
  return rc;
}

static int try_block_read(const char *name, void *ctx) {
  mc_shm *shm = ctx;
  void *data;
  MC__UNUSED(name);
  int rc = mc_shm_acquire(shm, MC_READ, 200, &data);
  if (rc == MC_OK || rc == MC_EOWNERDEAD) TH_OK(mc_shm_release(shm));
  return rc;
}

/* The block's guard: its internal lock, writer and reader records. */
START_TEST(scribbled_guard) {
  char name[64];
  mc_shm *shm;
  static const int ok[] = {MC_OK, MC_EOWNERDEAD, MC_ETIMEDOUT, MC_ECORRUPT};
  th_name(name, sizeof name, "guard");
  mc_shm_options o = {.size = 4096};
  TH_OK(mc_shm_open(name, &o, &shm));
  scribble_rounds(name, MC__STATE_OFFSET, sizeof(mc__swmr_shared), try_block_write, shm, ok, 4);
  scribble_rounds(name, MC__STATE_OFFSET, 64, try_block_read, shm, ok, 4);
  mc_shm_close(shm);
}
END_TEST

static int try_mutex(const char *name, void *ctx) {
  mc_mutex *mx = ctx;
  MC__UNUSED(name);
  int rc = mc_mutex_lock(mx, 200);
  if (rc == MC_OK || rc == MC_EOWNERDEAD) {
    int u = mc_mutex_unlock(mx);
    TH_REQUIRE(u == MC_OK || u == MC_ECORRUPT, "unlock: %s", mc_err_name(u));
  }
  return rc;
}

/* mc_mutex (POSIX: the token lock in its state area; Win32: a kernel mutex, which the bytes
   cannot reach). */
START_TEST(scribbled_mutex) {
  char name[64];
  mc_mutex *mx;
  static const int ok[] = {MC_OK, MC_EOWNERDEAD, MC_ETIMEDOUT};
  th_name(name, sizeof name, "mutex");
  TH_OK(mc_mutex_open(name, &mx));
  scribble_rounds(name, MC__STATE_OFFSET, 64, try_mutex, mx, ok, 3);
  mc_mutex_close(mx);
}
END_TEST

static int try_chan_send(const char *name, void *ctx) {
  mc_chan *tx;
  MC__UNUSED(ctx);
  int rc = mc_chan_open(name, MC_CHAN_SEND, 200, &tx);
  if (rc != MC_OK) return rc;
  rc = mc_chan_send(tx, "x", 1, 200);
  mc_chan_close(tx);
  return rc;
}

/* A channel's locks: registration, senders' and slot lock, and the slot's state. */
START_TEST(scribbled_channel_locks) {
  static const int ok[] = {MC_OK, MC_EOWNERDEAD, MC_ETIMEDOUT, MC_ECORRUPT, MC_ESTATE, MC_ENOSPC};
  for (int kind = 0; kind < 2; kind++) {
    char name[64];
    mc_chan *rx;
    mc_chan_options o = {.kind = kind ? MC_CHAN_SLOT : MC_CHAN_RING,
                         .flags = kind ? 0 : MC_CHAN_MULTI_SEND,
                         .max_msg = 64};
    th_name(name, sizeof name, "chanlock");
    TH_OK(mc_chan_create(name, &o, MC_CHAN_RECV, &rx));
    long off = MC__STATE_OFFSET + (long)offsetof(mc__chan_ctl, send_lock);
    long end = MC__STATE_OFFSET + (long)offsetof(mc__chan_ctl, senders);
    scribble_rounds(name, off, (size_t)(end - off), try_chan_send, NULL, ok, 6);
    mc_chan_close(rx);
  }
}
END_TEST

/* A channel open takes the lifetime lock too (POSIX): behind a live process that never gives
   it back, open(0) and open(100 ms) give up by their own deadlines, not a fixed bound. */
START_TEST(posix_chan_open_honours_its_timeout) {
  char name[64], ready[64];
  mc_sem *sem;
  mc_chan *rx, *tx;
  th_name(name, sizeof name, "chanlife");
  th_name(ready, sizeof ready, "chanlife-ready");
  TH_OK(mc_sem_open(ready, 0, 0x7fffffff, &sem));
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &rx));
  mc_proc *p = th_spawn("own_lock", name, ready, NULL);
  TH_OK(mc_sem_wait(sem, WAIT_MS));
  int timeouts[] = {0, 100};
  for (int i = 0; i < 2; i++) {
    uint64_t t0 = mc__plat_now_ns();
    TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, timeouts[i], &tx), MC_ETIMEDOUT);
    TH_REQUIRE(th_ms_since(t0) < 1000, "open(%d) took %llu ms", timeouts[i],
               (unsigned long long)th_ms_since(t0));
  }
  th_kill(p);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  mc_chan_close(tx);
  mc_chan_close(rx);
  mc_sem_close(sem);
}
END_TEST

/* ---- objects that are not memchan's ------------------------------------------------------- */

/* Makes an OS object of the name that is not memchan's: 100 bytes of 'x' (POSIX: the file
   /dev/shm/NAME; Win32: a file mapping Local\NAME, held by *keep). */
static void *make_foreign(const char *name) {
  unsigned char junk[100];
  memset(junk, 'x', sizeof junk);
#ifdef _WIN32
  wchar_t w[300];
  char full[300];
  snprintf(full, sizeof full, "Local\\%s", name);
  MultiByteToWideChar(CP_UTF8, 0, full, -1, w, 300);
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 100, w);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(th_raw_write(name, 0, junk, sizeof junk), 0);
  return h;
#else
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
  fclose(f);
  return NULL;
#endif
}

static void drop_foreign(const char *name, void *keep) {
#ifdef _WIN32
  MC__UNUSED(name);
  CloseHandle(keep);
#else
  char path[300];
  MC__UNUSED(keep);
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  ck_assert_int_eq(remove(path), 0);
#endif
}

/* Its bytes are still the 100 'x' we wrote (and on POSIX its size too). */
static void foreign_unchanged(const char *name) {
  unsigned char got[100];
  memset(got, 0, sizeof got);
  ck_assert_int_eq(th_raw_read(name, 0, got, sizeof got), 0);
  for (size_t i = 0; i < sizeof got; i++) ck_assert_int_eq(got[i], 'x');
#ifndef _WIN32
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  ck_assert_int_eq(ftell(f), 100); /* never grown or cut */
  fclose(f);
#endif
}

/* A name taken by something that is not a memchan object: create-only says the name exists
   (as API.md promises), the other opens say it is not a memchan object, at once, and its
   bytes are never touched. */
START_TEST(foreign_object_of_the_same_name) {
  char name[64];
  th_name(name, sizeof name, "foreign");
  void *keep = make_foreign(name);
  mc_shm *shm;
  mc_chan *ch;
  mc_event *ev;
  mc_shm_options create = {.size = 4096, .flags = MC_SHM_CREATE};
  mc_shm_options either = {.size = 4096};
  mc_shm_options open = {.flags = MC_SHM_OPEN};
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_shm_open(name, &create, &shm), MC_EEXIST);
  TH_EXPECT(mc_chan_create(name, NULL, MC_CHAN_RECV, &ch), MC_EEXIST);
  TH_EXPECT(mc_shm_open(name, &either, &shm), MC_ECORRUPT);
  TH_EXPECT(mc_shm_open(name, &open, &shm), MC_ECORRUPT);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 100, &ch), MC_ECORRUPT);
  TH_EXPECT(mc_event_open(name, 0, 0, &ev), MC_ECORRUPT);
  TH_REQUIRE(th_ms_since(t0) < 1000, "took %llu ms", (unsigned long long)th_ms_since(t0));
  foreign_unchanged(name);
  drop_foreign(name, keep);
}
END_TEST

/* ---- a truncated backing file (POSIX) ------------------------------------------------------ */

#ifndef _WIN32
#include <unistd.h>
static void truncate_object(const char *name, long bytes) {
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  ck_assert_int_eq(truncate(path, bytes), 0);
}
#endif

/* Another process with write access cuts the object's file down (POSIX only: a Win32 section
   cannot shrink). A later open refuses it, and a live handle's next call that can look (an
   acquire; a receive that would wait) says MC_ECORRUPT instead of touching pages that are
   gone. (A handle already inside the data when it happens is not protected: docs/design.md,
   "Shared memory is untrusted".) */
START_TEST(posix_truncated_object_is_refused) {
#ifndef _WIN32
  char blk[64], chan[64], buf[64];
  mc_shm *shm, *again;
  mc_chan *rx, *again_ch;
  void *data;
  size_t n;
  th_name(blk, sizeof blk, "trunc-blk");
  th_name(chan, sizeof chan, "trunc-chan");
  mc_shm_options o = {.size = 1 << 20};
  TH_OK(mc_shm_open(blk, &o, &shm));
  TH_OK(mc_chan_create(chan, NULL, MC_CHAN_RECV, &rx));
  truncate_object(blk, 8192);
  truncate_object(chan, MC__HEADER_BYTES + 8192);
  TH_EXPECT(mc_shm_open(blk, &o, &again), MC_ECORRUPT);
  TH_EXPECT(mc_chan_open(chan, MC_CHAN_SEND, 100, &again_ch), MC_ECORRUPT);
  TH_EXPECT(mc_shm_acquire(shm, MC_READ, 100, &data), MC_ECORRUPT);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 100), MC_ECORRUPT);
  /* Restored by whoever cut it, it is usable again: nothing else was harmed. */
  truncate_object(blk, MC__HEADER_BYTES + (1 << 20));
  TH_OK(mc_shm_acquire(shm, MC_READ, 100, &data));
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  mc_chan_close(rx);
#endif
}
END_TEST

/* ---- an initialisation that must start again ------------------------------------------- */

/* Just before the creator publishes READY, someone marks the object DEAD and removes its name
   (what a racing unlink and a scribbler can do): the creator's publication fails and it
   starts over with a fresh object. A handle must then be bound to the object it ends up
   with, not to the first one's unmapped memory. */
static char dead_target[MC_NAME_MAX + 1];
static int dead_once;
static void (*then_create)(const char *name); /* another handle creates it anew meanwhile */
static void mark_dead_hook(const mc__objname *n) {
  if (dead_once || strcmp(n->base, dead_target) != 0) return;
  dead_once = 1;
  uint32_t dead = MC__STATE_DEAD;
  ck_assert_int_eq(th_raw_write(n->base, 16, &dead, sizeof dead), 0);
  mc_shm_unlink(n->base);
  if (then_create) then_create(n->base);
}

/* The objects those other handles made, closed at the end. */
static mc_shm *other_shm;
static mc_event *other_ev;
static mc_mutex *other_mx;
static mc_sem *other_sem;
static mc_swmr *other_swmr;
static mc_chan *other_chan;
static void create_shm(const char *name) {
  mc_shm_options o = {.size = 4096};
  TH_OK(mc_shm_open(name, &o, &other_shm));
}
static void create_ev(const char *name) {
  TH_OK(mc_event_open(name, 0, 1, &other_ev));
}
static void create_mx(const char *name) {
  TH_OK(mc_mutex_open(name, &other_mx));
}
static void create_sem(const char *name) {
  TH_OK(mc_sem_open(name, 1, 5, &other_sem));
}
static void create_swmr(const char *name) {
  TH_OK(mc_swmr_open(name, &other_swmr));
}
static void create_chan(const char *name) {
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_SEND, &other_chan));
}

/* Mappings made while this is installed never reuse the address of one just unmapped: a
   placeholder takes the first free range, the mapping lands elsewhere, the placeholder goes.
   A pointer into the creator's first mapping then points at nothing. */
#ifdef _WIN32
static LPVOID WINAPI moving_map_view(HANDLE h, DWORD access, DWORD hi, DWORD lo, SIZE_T len) {
  void *hold = VirtualAlloc(NULL, 1 << 24, MEM_RESERVE, PAGE_NOACCESS);
  void *p = MapViewOfFile(h, access, hi, lo, len);
  if (hold) VirtualFree(hold, 0, MEM_RELEASE);
  return p;
}
static void move_mappings(int on) {
  ck_assert_int_eq(
      mc__plat_syscall_override("MapViewOfFile", on ? (void (*)(void))moving_map_view : NULL),
      MC_OK);
}
#else
static void *moving_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off) {
  void *hold = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *p = mmap(a, len, prot, flags, fd, off);
  if (hold != MAP_FAILED) munmap(hold, len);
  return p;
}
static void move_mappings(int on) {
  ck_assert_int_eq(mc__plat_syscall_override("mmap", on ? (void (*)(void))moving_mmap : NULL),
                   MC_OK);
}
#endif

static void arm_dead_hook(char *name, size_t cap, const char *tag, void (*create)(const char *)) {
  th_name(name, cap, tag);
  snprintf(dead_target, sizeof dead_target, "%s", name);
  dead_once = 0;
  then_create = create;
  mc__hook_before_ready = mark_dead_hook;
  move_mappings(1);
}

START_TEST(creator_starts_over_with_a_fresh_object) {
  /* again = 0: the creator creates anew; 1: it finds another handle's object (POSIX only:
     on Win32 the name cannot be removed under the creator, so nobody else can make a new
     object of that name meanwhile). */
  for (int again = 0; again < (TH_WINDOWS ? 1 : 2); again++) {
    char name[64];
    void *data;
    arm_dead_hook(name, sizeof name, "redo-shm", again ? create_shm : NULL);
    mc_shm *shm;
    mc_shm_options o = {.size = 4096};
    TH_OK(mc_shm_open(name, &o, &shm));
    ck_assert_int_eq(dead_once, 1);
    TH_OK(mc_shm_acquire(shm, MC_WRITE, 1000, &data));
    TH_OK(mc_shm_set_u64(shm, 0, 42));
    TH_OK(mc_shm_release(shm));
    mc_shm_close(shm);

    arm_dead_hook(name, sizeof name, "redo-ev", again ? create_ev : NULL);
    mc_event *ev;
    TH_OK(mc_event_open(name, 0, 1, &ev));
    ck_assert_int_eq(dead_once, 1);
    TH_OK(mc_event_wait(ev, 0)); /* created set */
    TH_OK(mc_event_set(ev));
    TH_OK(mc_event_wait(ev, 0));
    mc_event_close(ev);

    arm_dead_hook(name, sizeof name, "redo-mx", again ? create_mx : NULL);
    mc_mutex *mx;
    TH_OK(mc_mutex_open(name, &mx));
    TH_OK(mc_mutex_lock(mx, 1000));
    TH_OK(mc_mutex_unlock(mx));
    mc_mutex_close(mx);

    arm_dead_hook(name, sizeof name, "redo-sem", again ? create_sem : NULL);
    mc_sem *sem;
    TH_OK(mc_sem_open(name, 1, 5, &sem));
    TH_OK(mc_sem_wait(sem, 0));
    TH_OK(mc_sem_post(sem, 2));
    mc_sem_close(sem);

    arm_dead_hook(name, sizeof name, "redo-swmr", again ? create_swmr : NULL);
    mc_swmr *g;
    TH_OK(mc_swmr_open(name, &g));
    TH_OK(mc_swmr_lock_write(g, 1000));
    TH_OK(mc_swmr_unlock(g));
    mc_swmr_close(g);

    arm_dead_hook(name, sizeof name, "redo-chan", again ? create_chan : NULL);
    mc_chan *rx, *tx = NULL;
    char buf[8];
    size_t n;
    int rc = mc_chan_create(name, NULL, MC_CHAN_RECV, &rx);
    if (again) {
      /* A channel another handle created: create-only says so; the receiving end opens. */
      TH_EXPECT(rc, MC_EEXIST);
      TH_OK(mc_chan_open(name, MC_CHAN_RECV, 1000, &rx));
      tx = other_chan;
      other_chan = NULL;
    } else {
      TH_OK(rc);
      TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
    }
    TH_OK(mc_chan_send(tx, "hi", 2, 1000));
    TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 1000));
    mc_chan_close(tx);
    mc_chan_close(rx);
    mc__hook_before_ready = NULL;
    move_mappings(0);
    mc_shm_close(other_shm);
    mc_event_close(other_ev);
    mc_mutex_close(other_mx);
    mc_sem_close(other_sem);
    mc_swmr_close(other_swmr);
    other_shm = NULL;
    other_ev = NULL;
    other_mx = NULL;
    other_sem = NULL;
    other_swmr = NULL;
  }
}
END_TEST

static Suite *hostile_suite(void) {
  Suite *s = suite_create("hostile");
  TCase *tc = th_tcase(s, "locks", 120);
  tcase_add_test(tc, scribbled_lifetime_lock);
  tcase_add_test(tc, scribbled_guard);
  tcase_add_test(tc, scribbled_mutex);
  tcase_add_test(tc, scribbled_channel_locks);
  if (!TH_WINDOWS) tcase_add_test(tc, posix_resize_with_a_foreign_lock_owner);
  if (!TH_WINDOWS) tcase_add_test(tc, posix_chan_open_honours_its_timeout);
  tc = th_tcase(s, "foreign", 60);
  tcase_add_test(tc, foreign_object_of_the_same_name);
  if (!TH_WINDOWS) tcase_add_test(tc, posix_truncated_object_is_refused);
  tc = th_tcase(s, "retries", 60);
  tcase_add_test(tc, creator_starts_over_with_a_fresh_object);
  return s;
}

static const th_helper helpers[] = {{"own_lock", helper_own_lock}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, hostile_suite(), helpers);
}
