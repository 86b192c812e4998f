/* Blocks as streams: mc_stream, stdio over a block, snapshots, and resizing seen across
 * processes. */
#include "harness.h"
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000

/* ---- helpers ---------------------------------------------------------------------------- */

static int helper_check_size(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_shm *shm;
  unsigned char *d;
  HELPER_OK(mc_shm_open(argv[0], NULL, &shm));
  HELPER_OK(mc_shm_acquire(shm, MC_READ, WAIT_MS, (void **)&d));
  uint64_t want = strtoull(argv[1], NULL, 10);
  HELPER_CHECK(mc_shm_size(shm) == want);
  for (uint64_t i = 0; i < want; i++) HELPER_CHECK(d[i] == (unsigned char)(i * 7));
  HELPER_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  return 0;
}

/* fprintf_read BLOCK: reads back what the parent wrote with fprintf. */
static int helper_fprintf_read(int argc, char **argv) {
  if (argc < 1) return 2;
  mc_shm *shm;
  char line[128];
  int a = 0;
  double b = 0;
  HELPER_OK(mc_shm_open(argv[0], NULL, &shm));
  HELPER_OK(mc_shm_acquire(shm, MC_READ, WAIT_MS, NULL));
  FILE *f = mc_shm_fopen(shm, "r");
  HELPER_CHECK(f != NULL);
  HELPER_CHECK(fgets(line, sizeof line, f) != NULL);
  HELPER_CHECK(strcmp(line, "hello from another process\n") == 0);
  HELPER_CHECK(fscanf(f, "%d %lf", &a, &b) == 2);
  HELPER_CHECK(a == 42 && b == 2.5);
  fclose(f);
  HELPER_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  return 0;
}

/* ---- streams --------------------------------------------------------------------------------- */

START_TEST(stream_on_a_fixed_block) {
  char name[64], buf[32];
  mc_stream *st, *again;
  mc_shm *s = th_open_block("stream", 10, 0, 0, name, sizeof name);
  TH_EXPECT(mc_shm_stream(s, &st), MC_ESTATE); /* not acquired */
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_stream(s, &st));
  TH_OK(mc_shm_stream(s, &again));
  ck_assert_ptr_eq(st, again); /* one per handle */
  ck_assert_int_eq(mc_stream_write(st, "abcdef", 6), 6);
  ck_assert_int_eq(mc_stream_write(st, "ghijkl", 6), 4); /* stops at the end */
  ck_assert_int_eq(mc_stream_write(st, "z", 1), 0);
  ck_assert_int_eq(mc_stream_seek(st, 0, SEEK_CUR), 10);
  ck_assert_int_eq(mc_stream_seek(st, 2, SEEK_SET), 2);
  ck_assert_int_eq(mc_stream_read(st, buf, 3), 3);
  ck_assert(memcmp(buf, "cde", 3) == 0);
  ck_assert_int_eq(mc_stream_seek(st, -1, SEEK_END), 9);
  ck_assert_int_eq(mc_stream_read(st, buf, sizeof buf), 1);
  ck_assert_int_eq(buf[0], 'j');
  ck_assert_int_eq(mc_stream_read(st, buf, sizeof buf), 0); /* at the end */
  ck_assert_int_eq(mc_stream_seek(st, -11, SEEK_END), MC_EINVAL);
  ck_assert_int_eq(mc_stream_seek(st, 0, 99), MC_EINVAL);
  ck_assert_int_eq(mc_stream_seek(st, 100, SEEK_SET), 100); /* past the end is allowed */
  ck_assert_int_eq(mc_stream_read(st, buf, 1), 0);
  ck_assert_int_eq(mc_stream_write(st, "q", 1), 0);
  /* While the stream is active, direct access is refused. */
  uint8_t v;
  TH_EXPECT(mc_shm_get_u8(s, 0, &v), MC_ESTATE);
  TH_EXPECT(mc_shm_set_string(s, "x", 1), MC_ESTATE);
  TH_EXPECT(mc_shm_read(s, 0, buf, 1, NULL), MC_ESTATE);
  TH_OK(mc_shm_release(s));
  /* Gone at release. */
  ck_assert_int_eq(mc_stream_read(st, buf, 1), MC_ESTATE);
  ck_assert_int_eq(mc_stream_write(st, "x", 1), MC_ESTATE);
  ck_assert_int_eq(mc_stream_seek(st, 0, SEEK_SET), MC_ESTATE);
  /* A read-only acquisition gets a read-only stream. */
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL));
  TH_OK(mc_shm_stream(s, &st));
  ck_assert_int_eq(mc_stream_seek(st, 0, SEEK_CUR), 0); /* a new stream starts at 0 */
  ck_assert_int_eq(mc_stream_read(st, buf, sizeof buf), 10);
  ck_assert(memcmp(buf, "abcdefghij", 10) == 0);
  ck_assert_int_eq(mc_stream_write(st, "x", 1), MC_ESTATE);
  TH_OK(mc_shm_release(s));
  ck_assert_int_eq(mc_stream_read(NULL, buf, 1), MC_EINVAL);
  TH_EXPECT(mc_shm_stream(s, NULL), MC_EINVAL);
  mc_shm_close(s);
}
END_TEST

START_TEST(stream_grows_a_resizable_block) {
  char name[64], buf[64];
  mc_stream *st;
  mc_shm *s = th_open_block("streamr", 0, 8192, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_stream(s, &st));
  ck_assert_int_eq(mc_stream_write(st, "hello", 5), 5);
  ck_assert_uint_eq(mc_shm_size(s), 5);
  ck_assert_int_eq(mc_stream_seek(st, 100, SEEK_SET), 100);
  ck_assert_int_eq(mc_stream_write(st, "world", 5), 5);
  ck_assert_uint_eq(mc_shm_size(s), 105);
  ck_assert_int_eq(mc_stream_seek(st, 5, SEEK_SET), 5);
  ck_assert_int_eq(mc_stream_read(st, buf, 10), 10);
  for (int i = 0; i < 10; i++) ck_assert_int_eq(buf[i], 0); /* the gap reads as zeros */
  static char big[9000];
  memset(big, 'b', sizeof big);
  ck_assert_int_eq(mc_stream_seek(st, 0, SEEK_END), 105);
  ck_assert_int_eq(mc_stream_write(st, big, sizeof big), 8192 - 105); /* up to max */
  ck_assert_uint_eq(mc_shm_size(s), 8192);
  ck_assert_int_eq(mc_stream_write(st, big, 1), 0);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
}
END_TEST

START_TEST(stdio_through_a_block) {
  char name[64];
  mc_shm *s = th_open_block("stdio", 0, 1 << 16, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  FILE *f = mc_shm_fopen(s, "w");
  if (TH_WINDOWS) {
    ck_assert_ptr_null(f); /* msvcrt has no custom FILE streams */
    TH_OK(mc_shm_release(s));
    mc_shm_close(s);
    return;
  }
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_null(mc_shm_fopen(s, "w")); /* one at a time */
  ck_assert_int_gt(fprintf(f, "hello from another process\n%d %.1f\n", 42, 2.5), 0);
  ck_assert_int_eq(fclose(f), 0);
  TH_OK(mc_shm_release(s));
  ck_assert_int_eq(th_wait(th_spawn("fprintf_read", name, NULL), WAIT_MS), 0);
  /* Modes: a read acquisition refuses writing modes; bad modes are refused. */
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL));
  ck_assert_ptr_null(mc_shm_fopen(s, "w"));
  ck_assert_ptr_null(mc_shm_fopen(s, "r+"));
  ck_assert_ptr_null(mc_shm_fopen(s, "x"));
  ck_assert_ptr_null(mc_shm_fopen(s, "rz"));
  ck_assert_ptr_null(mc_shm_fopen(NULL, "r"));
  TH_OK(mc_shm_release(s));
  ck_assert_ptr_null(mc_shm_fopen(s, "r")); /* not acquired */
  /* A FILE left open across release: flushed at release, dead after it, safe to close. */
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  f = mc_shm_fopen(s, "a");
  ck_assert_ptr_nonnull(f);
  fputs("tail", f);
  TH_OK(mc_shm_release(s));
  ck_assert_int_lt(fputs("more", f) == EOF || fflush(f) == EOF ? -1 : 0, 0);
  fclose(f);
  char buf[128];
  size_t len;
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL));
  TH_OK(mc_shm_read(s, 0, buf, sizeof buf, &len));
  ck_assert_uint_eq(len, mc_shm_size(s));
  ck_assert(len >= 4 && memcmp(buf + len - 4, "tail", 4) == 0);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
}
END_TEST

/* An empty mode is refused without reading past its terminator (found by fuzz_block; the
   heap copy lets AddressSanitizer see a read beyond it). */
START_TEST(fopen_refuses_an_empty_mode) {
  char name[64];
  char *empty = calloc(1, 1);
  ck_assert_ptr_nonnull(empty);
  mc_shm *s = th_open_block("fopenmode", 16, 0, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  ck_assert_ptr_null(mc_shm_fopen(s, empty));
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
  free(empty);
}
END_TEST

/* ---- snapshots ---------------------------------------------------------------------------------
 */

START_TEST(snapshot_is_a_frozen_copy) {
  char name[64];
  mc_shm *snap;
  uint32_t v;
  mc_shm *s = th_open_block("snap", 64, 0, 0, name, sizeof name);
  TH_EXPECT(mc_shm_snapshot(s, &snap), MC_ESTATE); /* only while acquired */
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_set_u32(s, 0, 1111));
  TH_OK(mc_shm_release(s));
  TH_OK(mc_shm_acquire(s, MC_READ, 0, NULL));
  TH_OK(mc_shm_snapshot(s, &snap));
  TH_OK(mc_shm_release(s));
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_set_u32(s, 0, 2222));
  TH_OK(mc_shm_release(s));
  ck_assert_str_eq(mc_shm_name(snap), name);
  ck_assert_uint_eq(mc_shm_size(snap), 64);
  ck_assert_uint_eq(mc_shm_change_count(snap), 1);
  ck_assert_uint_eq(mc_shm_change_count(s), 2);
  void *d;
  TH_OK(mc_shm_acquire(snap, MC_READ, 0, &d)); /* never waits */
  TH_OK(mc_shm_get_u32(snap, 0, &v));
  ck_assert_uint_eq(v, 1111); /* unaffected by the later write */
  ck_assert_uint_eq(*(uint32_t *)d, 1111);
  TH_EXPECT(mc_shm_set_u32(snap, 0, 3), MC_ESTATE);
  TH_EXPECT(mc_shm_write(snap, 0, "x", 1, NULL), MC_ESTATE);
  TH_EXPECT(mc_shm_resize(snap, 10), MC_ESTATE);
  TH_OK(mc_shm_release(snap));
  TH_EXPECT(mc_shm_acquire(snap, MC_WRITE, 0, NULL), MC_ESTATE);
  /* The live block is not held by the snapshot: a writer gets in at once. */
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_acquire(snap, MC_READ, 0, NULL));
  TH_OK(mc_shm_release(snap));
  TH_OK(mc_shm_release(s));
  mc_shm_close(snap);
  TH_EXPECT(mc_shm_snapshot(s, NULL), MC_EINVAL);
  mc_shm_close(s);
}
END_TEST

/* ---- resizing
 * ------------------------------------------------------------------------------------ */

static void fill_pattern(mc_shm *s, uint64_t from, uint64_t to) {
  unsigned char *d;
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, (void **)&d));
  for (uint64_t i = from; i < to; i++) d[i] = (unsigned char)(i * 7);
  TH_OK(mc_shm_release(s));
}

START_TEST(resize_seen_by_other_processes) {
  char name[64], size[32];
  const uint64_t max = 1 << 20;
  mc_shm *s = th_open_block("resize", 1000, max, 0, name, sizeof name);
  fill_pattern(s, 0, 1000);
  snprintf(size, sizeof size, "%d", 1000);
  ck_assert_int_eq(th_wait(th_spawn("check_size", name, size, NULL), WAIT_MS), 0);
  const uint64_t steps[] = {5000, 65536, 65537, 300000, max};
  uint64_t have = 1000;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
    TH_OK(mc_shm_resize(s, steps[i]));
    ck_assert_uint_eq(mc_shm_size(s), steps[i]);
    TH_OK(mc_shm_release(s));
    fill_pattern(s, have, steps[i]); /* data below `have` preserved, checked by the helper */
    have = steps[i];
    snprintf(size, sizeof size, "%llu", (unsigned long long)have);
    ck_assert_int_eq(th_wait(th_spawn("check_size", name, size, NULL), WAIT_MS), 0);
  }
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_EXPECT(mc_shm_resize(s, max + 1), MC_ENOSPC);
  ck_assert_uint_eq(mc_shm_size(s), max);
  TH_OK(mc_shm_resize(s, 10)); /* shrink... */
  TH_OK(mc_shm_resize(s, 20)); /* ...and what comes back reads as zeros */
  uint8_t b;
  TH_OK(mc_shm_get_u8(s, 15, &b));
  ck_assert_uint_eq(b, 0);
  TH_OK(mc_shm_get_u8(s, 9, &b));
  ck_assert_uint_eq(b, (uint8_t)(9 * 7));
  TH_OK(mc_shm_release(s));
  /* A handle opened before the growth sees it at its next acquire. */
  mc_shm *old;
  TH_OK(mc_shm_open(name, NULL, &old));
  ck_assert_uint_eq(mc_shm_size(old), 20);
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_resize(s, 70000));
  TH_OK(mc_shm_set_u8(s, 69999, 0x5a));
  TH_OK(mc_shm_release(s));
  ck_assert_uint_eq(mc_shm_size(old), 20);
  TH_OK(mc_shm_acquire(old, MC_READ, 0, NULL));
  ck_assert_uint_eq(mc_shm_size(old), 70000);
  TH_OK(mc_shm_get_u8(old, 69999, &b));
  ck_assert_uint_eq(b, 0x5a);
  TH_OK(mc_shm_release(old));
  mc_shm_close(old);
  mc_shm_close(s);
}
END_TEST

/* A shrink zeroes what it cuts off (growing again shows zeros) by giving the pages back,
   not by writing zeros over them: a block grown sparsely to a size the machine could not
   hold and shrunk again must neither allocate that memory nor die of SIGBUS on a full
   tmpfs (found by fuzz_block). */
START_TEST(shrinking_gives_the_memory_back) {
  char name[64];
  const uint64_t big = 256ull << 20;
  mc_shm *s = th_open_block("shrink", 64, big, 0, name, sizeof name);
  uint8_t b;
  TH_OK(mc_shm_acquire(s, MC_WRITE, 0, NULL));
  TH_OK(mc_shm_resize(s, big));
  TH_OK(mc_shm_set_u8(s, 10, 0x11));
  TH_OK(mc_shm_set_u8(s, big / 2 + 4097, 0x22));
  TH_OK(mc_shm_set_u8(s, big - 1, 0x33));
  TH_OK(mc_shm_resize(s, 11)); /* inside the first page: its tail is zeroed in place */
  long long held = th_object_bytes(name);
  if (held >= 0) /* the header page, the first data page; not the 256 MiB */
    TH_REQUIRE(held < (1 << 20), "a shrink to 11 bytes left %lld bytes allocated", held);
  TH_OK(mc_shm_resize(s, big));
  TH_OK(mc_shm_get_u8(s, 10, &b));
  ck_assert_uint_eq(b, 0x11);
  TH_OK(mc_shm_get_u8(s, big / 2 + 4097, &b));
  ck_assert_uint_eq(b, 0);
  TH_OK(mc_shm_get_u8(s, big - 1, &b));
  ck_assert_uint_eq(b, 0);
  TH_OK(mc_shm_resize(s, 0));
  TH_OK(mc_shm_resize(s, 11));
  TH_OK(mc_shm_get_u8(s, 10, &b));
  ck_assert_uint_eq(b, 0);
  TH_OK(mc_shm_release(s));
  mc_shm_close(s);
}
END_TEST

START_TEST(resize_refusals) {
  char name[64];
  mc_shm *f = th_open_block("fixedrs", 100, 0, 0, name, sizeof name);
  TH_OK(mc_shm_acquire(f, MC_WRITE, 0, NULL));
  TH_EXPECT(mc_shm_resize(f, 50), MC_ESTATE); /* a fixed-size block */
  TH_OK(mc_shm_release(f));
  mc_shm_close(f);
  mc_shm *r = th_open_block("rs", 100, 1000, 0, name, sizeof name);
  TH_EXPECT(mc_shm_resize(r, 200), MC_ESTATE); /* not acquired */
  TH_OK(mc_shm_acquire(r, MC_READ, 0, NULL));
  TH_EXPECT(mc_shm_resize(r, 200), MC_ESTATE); /* read access */
  TH_OK(mc_shm_release(r));
  TH_EXPECT(mc_shm_resize(NULL, 1), MC_EINVAL);
  mc_shm_close(r);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("stream");
  TCase *tc = th_tcase(s, "streams", 60);
  tcase_add_test(tc, stream_on_a_fixed_block);
  tcase_add_test(tc, stream_grows_a_resizable_block);
  tcase_add_test(tc, stdio_through_a_block);
  tcase_add_test(tc, fopen_refuses_an_empty_mode);
  tcase_add_test(tc, snapshot_is_a_frozen_copy);
  tc = th_tcase(s, "resize", 90);
  tcase_add_test(tc, resize_seen_by_other_processes);
  tcase_add_test(tc, resize_refusals);
  tcase_add_test(tc, shrinking_gives_the_memory_back);
  return s;
}

static const th_helper helpers[] = {
    {"check_size", helper_check_size}, {"fprintf_read", helper_fprintf_read}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
