/* Guarded block access: acquire/release, change counts, bounded, typed and string access, and
 * the guard under contention and process death. */
#include "harness.h"
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000

/* ---- helpers ---------------------------------------------------------------------------- */

/* contend BLOCK ROLE ROUNDS READY GO: ROLE "writer" or "reader". The block holds, as u64s:
   [0] writers inside, [1] readers inside, [2..9] a pattern a writer rewrites whole. A writer
   must be alone; a reader must never see a writer or a half-written pattern. */
static int helper_contend(int argc, char **argv) {
  if (argc < 5) return 2;
  mc_shm *shm;
  int writer = strcmp(argv[1], "writer") == 0, rounds = atoi(argv[2]);
  HELPER_OK(mc_shm_open(argv[0], NULL, &shm));
  HELPER_OK(th_gate_arrive(argv[3], argv[4], WAIT_MS));
  for (int i = 0; i < rounds; i++) {
    void *data;
    HELPER_OK(mc_shm_acquire(shm, writer ? MC_WRITE : MC_READ, WAIT_MS, &data));
    _Atomic uint64_t *w = (_Atomic uint64_t *)data, *r = w + 1;
    uint64_t *pat = (uint64_t *)data + 2;
    if (writer) {
      HELPER_CHECK(atomic_fetch_add(w, 1) == 0);
      HELPER_CHECK(atomic_load(r) == 0);
      uint64_t v = pat[0] + 1;
      for (int k = 0; k < 8; k++) {
        pat[k] = v;
        mc__cpu_relax();
      }
      HELPER_CHECK(atomic_load(r) == 0);
      atomic_fetch_sub(w, 1);
    } else {
      atomic_fetch_add(r, 1);
      HELPER_CHECK(atomic_load(w) == 0);
      for (int k = 1; k < 8; k++) HELPER_CHECK(pat[k] == pat[0]);
      HELPER_CHECK(atomic_load(w) == 0);
      atomic_fetch_sub(r, 1);
    }
    HELPER_OK(mc_shm_release(shm));
  }
  mc_shm_close(shm);
  return 0;
}

/* hold_block BLOCK read|write READY: acquires, signals, blocks until killed. */
static int helper_hold_block(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_shm *shm;
  HELPER_OK(mc_shm_open(argv[0], NULL, &shm));
  int write = strcmp(argv[1], "write") == 0;
  HELPER_OK(mc_shm_acquire(shm, write ? MC_WRITE : MC_READ, WAIT_MS, NULL));
  if (write) HELPER_OK(mc_shm_set_u32(shm, 0, 0xdead)); /* half-way through an update */
  HELPER_OK(th_signal(argv[2]));
  return th_block_forever(argv[0]);
}

/* check_size BLOCK SIZE: acquires for read and checks the size and the byte pattern
   (byte i == (i * 7) & 0xff) over the whole block. */

/* ---- acquire and release ------------------------------------------------------------------- */

START_TEST(acquire_states) {
  char name[64];
  void *data = (void *)1;
  mc_shm *a = th_open_block("states", 256, 0, 0, name, sizeof name), *b;
  TH_OK(mc_shm_open(name, NULL, &b));
  TH_EXPECT(mc_shm_release(a), MC_ESTATE);
  TH_EXPECT(mc_shm_acquire(a, 2, 0, &data), MC_EINVAL);
  TH_EXPECT(mc_shm_acquire(a, MC_READ, -3, &data), MC_EINVAL);
  TH_EXPECT(mc_shm_acquire(NULL, MC_READ, 0, &data), MC_EINVAL);
  TH_EXPECT(mc_shm_release(NULL), MC_EINVAL);
  TH_OK(mc_shm_acquire(a, MC_READ, 0, &data));
  ck_assert_ptr_nonnull(data);
  TH_EXPECT(mc_shm_acquire(a, MC_READ, 0, &data), MC_ESTATE);
  TH_EXPECT(mc_shm_acquire(a, MC_WRITE, 0, &data), MC_ESTATE);
  TH_EXPECT(mc_shm_set_u8(a, 0, 1), MC_ESTATE); /* read access: no writing */
  TH_EXPECT(mc_shm_write(a, 0, "x", 1, NULL), MC_ESTATE);
  TH_EXPECT(mc_shm_set_string(a, "x", 1), MC_ESTATE);
  TH_OK(mc_shm_acquire(b, MC_READ, 0, NULL)); /* readers share */
  TH_OK(mc_shm_release(b));
  TH_OK(mc_shm_release(a));
  uint8_t v;
  TH_EXPECT(mc_shm_get_u8(a, 0, &v), MC_ESTATE); /* not acquired */
  TH_OK(mc_shm_acquire(a, MC_WRITE, 0, NULL));
  TH_EXPECT(mc_shm_acquire(b, MC_READ, 0, NULL), MC_ETIMEDOUT);
  TH_EXPECT(mc_shm_acquire(b, MC_WRITE, 20, NULL), MC_ETIMEDOUT);
  TH_OK(mc_shm_set_u8(a, 0, 7));
  mc_shm_close(a); /* close releases */
  TH_OK(mc_shm_acquire(b, MC_READ, 0, NULL));
  TH_OK(mc_shm_get_u8(b, 0, &v));
  ck_assert_uint_eq(v, 7);
  mc_shm_close(b);
}
END_TEST

START_TEST(change_count_and_modified) {
  char name[64];
  mc_shm *a = th_open_block("changes", 64, 0, 0, name, sizeof name), *b;
  TH_OK(mc_shm_open(name, NULL, &b));
  ck_assert_uint_eq(mc_shm_change_count(a), 0);
  ck_assert_int_eq(mc_shm_modified(b), 0);
  TH_OK(mc_shm_acquire(a, MC_READ, 0, NULL));
  TH_OK(mc_shm_release(a));
  ck_assert_uint_eq(mc_shm_change_count(a), 0); /* readers do not count */
  TH_OK(mc_shm_acquire(a, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_release(a)); /* a writer counts even when it wrote nothing */
  ck_assert_uint_eq(mc_shm_change_count(a), 1);
  ck_assert_uint_eq(mc_shm_change_count(b), 1);
  ck_assert_int_eq(mc_shm_modified(a), 0); /* its own change */
  ck_assert_int_eq(mc_shm_modified(b), 1);
  TH_OK(mc_shm_acquire(b, MC_READ, 0, NULL));
  ck_assert_int_eq(mc_shm_modified(b), 1);
  TH_OK(mc_shm_release(b));
  ck_assert_int_eq(mc_shm_modified(b), 0); /* seen */
  for (int i = 0; i < 5; i++) {
    TH_OK(mc_shm_acquire(b, MC_WRITE, 0, NULL));
    TH_OK(mc_shm_release(b));
  }
  ck_assert_uint_eq(mc_shm_change_count(a), 6);
  ck_assert_int_eq(mc_shm_modified(a), 1);
  ck_assert_uint_eq(mc_shm_change_count(NULL), 0);
  ck_assert_int_eq(mc_shm_modified(NULL), 0);
  mc_shm_close(a);
  mc_shm_close(b);
}
END_TEST

START_TEST(unprotected_never_waits) {
  char name[64];
  mc_shm *a = th_open_block("unprot", 64, 0, MC_SHM_UNPROTECTED, name, sizeof name), *b;
  TH_OK(mc_shm_open(name, NULL, &b)); /* the block decides, not the opener */
  TH_OK(mc_shm_acquire(a, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_acquire(b, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_release(a));
  TH_OK(mc_shm_release(b));
  ck_assert_uint_eq(mc_shm_change_count(a), 2);
  mc_shm_close(a);
  mc_shm_close(b);
}
END_TEST

/* ---- bounded and typed access ---------------------------------------------------------------- */

START_TEST(bounded_read_write) {
  char name[64], buf[16];
  size_t done = 99;
  mc_shm *s = th_open_block("bounded", 100, 0, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_write(s, 0, "0123456789", 10, &done));
  ck_assert_uint_eq(done, 10);
  TH_OK(mc_shm_write(s, 98, "abcdef", 6, &done)); /* only 2 fit */
  ck_assert_uint_eq(done, 2);
  TH_OK(mc_shm_write(s, 100, "x", 1, &done)); /* at the end: nothing fits */
  ck_assert_uint_eq(done, 0);
  TH_EXPECT(mc_shm_write(s, 101, "x", 1, &done), MC_ERANGE);
  TH_EXPECT(mc_shm_write(s, UINT64_MAX, "x", 1, &done), MC_ERANGE);
  TH_EXPECT(mc_shm_write(s, 0, NULL, 1, &done), MC_EINVAL);
  TH_OK(mc_shm_write(s, 0, NULL, 0, NULL));
  TH_OK(mc_shm_read(s, 96, buf, sizeof buf, &done));
  ck_assert_uint_eq(done, 4);
  ck_assert(memcmp(buf + 2, "ab", 2) == 0);
  TH_OK(mc_shm_read(s, 0, buf, 10, &done));
  ck_assert(memcmp(buf, "0123456789", 10) == 0);
  TH_EXPECT(mc_shm_read(s, 101, buf, 1, &done), MC_ERANGE);
  ck_assert_uint_eq(done, 0);
  TH_EXPECT(mc_shm_read(NULL, 0, buf, 1, &done), MC_EINVAL);
  TH_OK(mc_shm_release(s));
  TH_EXPECT(mc_shm_read(s, 0, buf, 1, &done), MC_ESTATE);
  mc_shm_close(s);
}
END_TEST

START_TEST(typed_access_at_the_edges) {
  char name[64];
  const uint64_t size = 67; /* odd: the last offsets are unaligned */
  mc_shm *s = th_open_block("typed", size, 0, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  uint8_t v8;
  uint16_t v16;
  uint32_t v32;
  uint64_t v64;
  /* First and last valid offset, one past it, and an odd offset, for each width. */
  TH_OK(mc_shm_set_u8(s, 0, 0x11));
  TH_OK(mc_shm_set_u8(s, size - 1, 0x22));
  TH_EXPECT(mc_shm_set_u8(s, size, 0x33), MC_ERANGE);
  TH_OK(mc_shm_get_u8(s, size - 1, &v8));
  ck_assert_uint_eq(v8, 0x22);
  TH_OK(mc_shm_set_u16(s, size - 2, 0xbeef));
  TH_EXPECT(mc_shm_set_u16(s, size - 1, 1), MC_ERANGE);
  TH_OK(mc_shm_get_u16(s, size - 2, &v16));
  ck_assert_uint_eq(v16, 0xbeef);
  TH_OK(mc_shm_set_u32(s, 3, 0xcafef00d)); /* unaligned */
  TH_OK(mc_shm_get_u32(s, 3, &v32));
  ck_assert_uint_eq(v32, 0xcafef00d);
  TH_OK(mc_shm_set_u32(s, size - 4, 0x01020304));
  TH_EXPECT(mc_shm_get_u32(s, size - 3, &v32), MC_ERANGE);
  TH_OK(mc_shm_set_u64(s, 17, 0x0102030405060708ull)); /* unaligned */
  TH_OK(mc_shm_get_u64(s, 17, &v64));
  ck_assert_uint_eq(v64, 0x0102030405060708ull);
  TH_OK(mc_shm_set_u64(s, size - 8, 42));
  TH_EXPECT(mc_shm_set_u64(s, size - 7, 42), MC_ERANGE);
  TH_EXPECT(mc_shm_get_u64(s, UINT64_MAX - 3, &v64), MC_ERANGE); /* no wrap-around */
  TH_EXPECT(mc_shm_get_u64(s, 0, NULL), MC_EINVAL);
  /* Index forms: offset = index * width. */
  TH_OK(mc_shm_set_u16_idx(s, 5, 0x1234));
  TH_OK(mc_shm_get_u16(s, 10, &v16));
  ck_assert_uint_eq(v16, 0x1234);
  TH_OK(mc_shm_set_u32_idx(s, 15, 7)); /* 60..63, the last whole u32 index of 67 bytes */
  TH_EXPECT(mc_shm_set_u32_idx(s, 16, 7), MC_ERANGE);
  TH_OK(mc_shm_get_u32_idx(s, 15, &v32));
  ck_assert_uint_eq(v32, 7);
  TH_OK(mc_shm_set_u64_idx(s, 7, 99)); /* 56..63 */
  TH_EXPECT(mc_shm_get_u64_idx(s, 8, &v64), MC_ERANGE);
  TH_OK(mc_shm_get_u64_idx(s, 7, &v64));
  ck_assert_uint_eq(v64, 99);
  TH_OK(mc_shm_set_u8_idx(s, 66, 5));
  TH_EXPECT(mc_shm_get_u8_idx(s, 67, &v8), MC_ERANGE);
  TH_OK(mc_shm_get_u8_idx(s, 66, &v8));
  ck_assert_uint_eq(v8, 5);
  TH_EXPECT(mc_shm_get_u64_idx(s, UINT64_MAX / 4, &v64), MC_ERANGE); /* idx * 8 overflows */
  TH_OK(mc_shm_release(s));
  /* A reader sees them; all values in native order through the raw pointer too. */
  unsigned char *d;
  TH_OK(mc_shm_acquire(s, MC_READ, 0, (void **)&d));
  uint32_t raw;
  memcpy(&raw, d + 3, 4);
  ck_assert_uint_eq(raw, 0xcafef00d);
  TH_OK(mc_shm_get_u8_idx(s, 0, &v8));
  ck_assert_uint_eq(v8, 0x11);
  TH_OK(mc_shm_get_u16_idx(s, 5, &v16));
  ck_assert_uint_eq(v16, 0x1234);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
}
END_TEST

/* ---- strings ----------------------------------------------------------------------------------
 */

START_TEST(strings) {
  char name[64], buf[64];
  size_t len = 99;
  mc_shm *s = th_open_block("str", 20, 0, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_set_string(s, "hello", 5));
  TH_OK(mc_shm_get_string(s, buf, sizeof buf, &len));
  ck_assert_str_eq(buf, "hello");
  ck_assert_uint_eq(len, 5);
  TH_OK(mc_shm_set_string(s, "", 0)); /* empty */
  TH_OK(mc_shm_get_string(s, buf, sizeof buf, &len));
  ck_assert_str_eq(buf, "");
  ck_assert_uint_eq(len, 0);
  TH_OK(mc_shm_set_string(s, NULL, 0));
  TH_OK(mc_shm_set_string(s, "0123456789abcdef", 16)); /* the maximum: 4 + 16 = 20 */
  TH_OK(mc_shm_get_string(s, buf, sizeof buf, &len));
  ck_assert_str_eq(buf, "0123456789abcdef");
  TH_EXPECT(mc_shm_set_string(s, "0123456789abcdefg", 17), MC_ENOSPC);
  TH_OK(mc_shm_get_string(s, buf, sizeof buf, &len)); /* unchanged by the refusal */
  ck_assert_str_eq(buf, "0123456789abcdef");
  TH_EXPECT(mc_shm_get_string(s, buf, 16, &len), MC_ENOSPC); /* no room for the NUL */
  ck_assert_uint_eq(len, 16);
  TH_EXPECT(mc_shm_get_string(s, NULL, 0, &len), MC_ENOSPC); /* asking the length */
  ck_assert_uint_eq(len, 16);
  TH_OK(mc_shm_get_string(s, buf, 17, &len));
  TH_OK(mc_shm_set_string(s, "a\0b", 3)); /* bytes, not C strings */
  TH_OK(mc_shm_get_string(s, buf, sizeof buf, &len));
  ck_assert_uint_eq(len, 3);
  ck_assert(memcmp(buf, "a\0b", 4) == 0);
  TH_OK(mc_shm_set_u32(s, 0, 17)); /* a stored length running past the block */
  TH_EXPECT(mc_shm_get_string(s, buf, sizeof buf, &len), MC_ECORRUPT);
  TH_OK(mc_shm_set_u32(s, 0, 0xffffffffu));
  TH_EXPECT(mc_shm_get_string(s, buf, sizeof buf, &len), MC_ECORRUPT);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
  /* Resizable: grows to fit, up to max. */
  char rname[64];
  mc_shm *r = th_open_block("strr", 0, 4096, 0, rname, sizeof rname);
  TH_OK(mc_shm_acquire(r, MC_WRITE, 0, NULL));
  TH_EXPECT(mc_shm_get_string(r, buf, sizeof buf, &len), MC_ERANGE); /* empty block */
  TH_OK(mc_shm_set_string(r, "grown", 5));
  ck_assert_uint_eq(mc_shm_size(r), 9);
  static char big[4093];
  memset(big, 'x', sizeof big);
  TH_OK(mc_shm_set_string(r, big, 4092));
  ck_assert_uint_eq(mc_shm_size(r), 4096);
  TH_EXPECT(mc_shm_set_string(r, big, 4093), MC_ENOSPC);
  TH_OK(mc_shm_release(r));
  mc_shm_close(r);
}
END_TEST

/* ---- the guard across processes
 * ------------------------------------------------------------------- */

START_TEST(writers_exclude_everyone_under_contention) {
  char name[64];
  const char *rounds = TH_WINDOWS ? "500" : "3000";
  th_gate g;
  mc_proc *p[4];
  mc_shm *s = th_open_block("contend", 128, 0, 0, name, sizeof name);
  th_gate_open(&g, "contend");
  const char *roles[] = {"writer", "reader", "writer", "reader"};
  for (int i = 0; i < 4; i++)
    p[i] = th_spawn("contend", name, roles[i], rounds, g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, 4, WAIT_MS);
  th_gate_release(&g);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(th_wait(p[i], 120000), 0);
  uint64_t v;
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL));
  TH_OK(mc_shm_get_u64(s, 16, &v));
  ck_assert_uint_eq(v, 2 * (uint64_t)atoi(rounds)); /* every writer's update is there */
  TH_OK(mc_shm_release(s));
  ck_assert_uint_eq(mc_shm_change_count(s), 2 * (uint64_t)atoi(rounds));
  mc_shm_close(s);
  th_gate_close(&g);
}
END_TEST

START_TEST(killed_writer_is_reported_to_the_next_acquirer) {
  char name[64];
  th_gate g;
  mc_shm *s = th_open_block("wdead", 64, 0, 0, name, sizeof name);
  th_gate_open(&g, "wdead");
  mc_proc *p = th_spawn("hold_block", name, "write", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  TH_EXPECT(mc_shm_acquire(s, MC_READ, 20, NULL), MC_ETIMEDOUT);
  th_kill(p);
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_shm_acquire(s, MC_WRITE, 5000, NULL), MC_EOWNERDEAD);
  ck_assert_uint_lt((mc__plat_now_ns() - t0) / 1000000, 5000);
  uint32_t v;
  TH_OK(mc_shm_get_u32(s, 0, &v)); /* acquired: it can look and repair */
  ck_assert_uint_eq(v, 0xdead);
  TH_OK(mc_shm_set_u32(s, 0, 0));
  TH_OK(mc_shm_release(s));
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL)); /* repaired: normal again */
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
  th_gate_close(&g);
}
END_TEST

START_TEST(killed_reader_does_not_block_writers) {
  char name[64];
  th_gate g;
  mc_shm *s = th_open_block("rdead", 64, 0, 0, name, sizeof name);
  th_gate_open(&g, "rdead");
  mc_proc *p = th_spawn("hold_block", name, "read", g.ready_name, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  TH_EXPECT(mc_shm_acquire(s, MC_WRITE, 20, NULL), MC_ETIMEDOUT);
  th_kill(p);
  uint64_t t0 = mc__plat_now_ns();
  TH_OK(mc_shm_acquire(s, MC_WRITE, 5000, NULL));
  ck_assert_uint_lt((mc__plat_now_ns() - t0) / 1000000, 5000);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
  th_gate_close(&g);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("access");
  TCase *tc = th_tcase(s, "acquire", 30);
  tcase_add_test(tc, acquire_states);
  tcase_add_test(tc, change_count_and_modified);
  tcase_add_test(tc, unprotected_never_waits);
  tc = th_tcase(s, "accessors", 30);
  tcase_add_test(tc, bounded_read_write);
  tcase_add_test(tc, typed_access_at_the_edges);
  tcase_add_test(tc, strings);
  tc = th_tcase(s, "guard", 240);
  tcase_add_test(tc, writers_exclude_everyone_under_contention);
  tcase_add_test(tc, killed_writer_is_reported_to_the_next_acquirer);
  tcase_add_test(tc, killed_reader_does_not_block_writers);
  return s;
}

static const th_helper helpers[] = {
    {"contend", helper_contend}, {"hold_block", helper_hold_block}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
