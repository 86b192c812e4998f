/* File-backed blocks (mc_shm_options.path): the bytes live in a file that every opener of the
 * same path and name shares, that outlives every process, that is never removed, and that is
 * refused (and left untouched) when it is not a memchan block; mc_shm_flush; and what a reader
 * finds after a writer was killed - while others hold the block, and after everyone exited. */
#include "harness.h"
#include "internal.h"
#include "region.h"
#include "swmr.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define BLOCK   65536u
#define WAIT_MS 30000

/* ---- files ------------------------------------------------------------------------------ */

/* A fresh path in the temporary directory, named after the test name `name`. */
static void temp_path(char *buf, size_t cap, const char *name) {
  th_temp_file(buf, cap, name);
  remove(buf);
}

/* A test's block name (64 bytes) and its fresh file (512 bytes). */
static void fresh(char *name, char *path, const char *tag) {
  th_name(name, 64, tag);
  temp_path(path, 512, name);
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* Writes or reads bytes of the file itself, beside memchan. */
static void file_poke(const char *path, long off, const void *p, size_t len) {
  FILE *f = fopen(path, "r+b");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
  ck_assert_uint_eq(fwrite(p, 1, len, f), len);
  fclose(f);
}

static void file_peek(const char *path, long off, void *p, size_t len) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
  ck_assert_uint_eq(fread(p, 1, len, f), len);
  fclose(f);
}

static unsigned char pattern(uint64_t i, unsigned seed) {
  return (unsigned char)(i * 7 + seed + (i >> 8));
}

static void fill(unsigned char *d, uint64_t from, uint64_t len, unsigned seed) {
  for (uint64_t i = from; i < from + len; i++) d[i] = pattern(i, seed);
}

/* The first offset in [from, from + len) whose byte is not the pattern's, or -1. */
static long long mismatch(const unsigned char *d, uint64_t from, uint64_t len, unsigned seed) {
  for (uint64_t i = from; i < from + len; i++)
    if (d[i] != pattern(i, seed)) return (long long)i;
  return -1;
}

static mc_shm_options file_opts(const char *path, uint64_t size) {
  mc_shm_options o = {.size = size, .timeout_ms = WAIT_MS, .path = path};
  return o;
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* file_writer PATH NAME READY MODE: opens the file block (BLOCK bytes), writes pattern 1 over
   all of it, flushes, then
   - "exit": closes and exits 0;
   - "die_writing": takes the write guard, writes pattern 2 over the first half, signals READY
     and blocks until killed (a writer dead mid-write, after its last flush);
   - "hold": signals READY and blocks holding the block but not its guard. */
static int helper_file_writer(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_shm *shm;
  mc_shm_options o = file_opts(argv[0], BLOCK);
  unsigned char *d;
  HELPER_OK(mc_shm_open(argv[1], &o, &shm));
  HELPER_OK(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, (void **)&d));
  fill(d, 0, BLOCK, 1);
  HELPER_OK(mc_shm_release(shm));
  HELPER_OK(mc_shm_flush(shm));
  if (strcmp(argv[3], "exit") == 0) {
    mc_shm_close(shm);
    return 0;
  }
  if (strcmp(argv[3], "die_writing") == 0) {
    HELPER_OK(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, (void **)&d));
    fill(d, 0, BLOCK / 2, 2);
  }
  HELPER_OK(th_signal(argv[2]));
  return th_block_forever(argv[1]);
}

/* file_open_report PATH NAME READY GO: create-or-open, hold until GO, exit 10 + created. */
static int helper_file_open_report(int argc, char **argv) {
  if (argc < 4) return 2;
  mc_shm *shm;
  mc_shm_options o = file_opts(argv[0], BLOCK);
  HELPER_OK(mc_shm_open(argv[1], &o, &shm));
  HELPER_CHECK(mc_shm_size(shm) == BLOCK);
  HELPER_OK(th_gate_arrive(argv[2], argv[3], WAIT_MS));
  int created = mc_shm_created(shm);
  mc_shm_close(shm);
  return 10 + created;
}

/* Runs file_writer in `mode` and, for the modes that block, waits until it is ready. */
static mc_proc *start_writer(const char *path, const char *name, const char *mode, th_gate *g) {
  th_gate_open(g, "fw");
  mc_proc *p = th_spawn("file_writer", path, name, g->ready_name, mode, NULL);
  if (strcmp(mode, "exit") == 0) {
    ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
    return NULL;
  }
  th_gate_wait(g, 1, WAIT_MS);
  return p;
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(data_outlives_every_process) {
  char name[64], path[512];
  th_gate g;
  fresh(name, path, "keep");
  start_writer(path, name, "exit", &g);
  th_gate_close(&g);
  /* Nobody holds it now; the file stays, with its header and data. */
  ck_assert_int_ge(file_size(path), (long)(MC__HEADER_BYTES + BLOCK));
  mc_shm *shm;
  mc_shm_options o = {.path = path, .flags = MC_SHM_OPEN}; /* size 0: taken from the file */
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 0);
  ck_assert_uint_eq(mc_shm_size(shm), BLOCK);
  unsigned char *d;
  TH_OK(mc_shm_acquire(shm, MC_READ, 0, (void **)&d));
  ck_assert_int_eq(mismatch(d, 0, BLOCK, 1), -1);
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  /* Nor does the last close remove it, or mc_shm_unlink of its name. */
  mc_shm_unlink(name);
  ck_assert_int_ge(file_size(path), (long)(MC__HEADER_BYTES + BLOCK));
  unsigned char head[8];
  file_peek(path, 0, head, sizeof head);
  ck_assert_int_eq(memcmp(head, "MMECHAN1", 8), 0);
  remove(path);
}
END_TEST

START_TEST(same_path_and_name_share_bytes) {
  char name[64], path[512];
  th_gate g;
  fresh(name, path, "share");
  mc_proc *p = start_writer(path, name, "hold", &g);
  mc_shm *shm, *again;
  mc_shm_options o = file_opts(path, BLOCK);
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 0);
  /* A second handle in one process is an opener like any other. */
  TH_OK(mc_shm_open(name, &o, &again));
  unsigned char *d;
  TH_OK(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, (void **)&d));
  ck_assert_int_eq(mismatch(d, 0, BLOCK, 1), -1);
  fill(d, 100, 50, 9);
  TH_OK(mc_shm_release(shm));
  TH_OK(mc_shm_acquire(again, MC_READ, WAIT_MS, (void **)&d));
  ck_assert_int_eq(mismatch(d, 100, 50, 9), -1);
  TH_OK(mc_shm_release(again));
  /* A change is in the file for plain file reads too (one page cache). */
  TH_OK(mc_shm_flush(again));
  unsigned char b[50], want[150];
  file_peek(path, MC__HEADER_BYTES + 100, b, sizeof b);
  fill(want, 100, 50, 9);
  ck_assert_int_eq(memcmp(b, want + 100, sizeof b), 0);
  /* The same file under another name is refused: its sync objects would not meet. */
  mc_shm *other;
  char name2[64];
  th_name(name2, sizeof name2, "share2");
  TH_EXPECT(mc_shm_open(name2, &o, &other), MC_EMISMATCH);
  mc_shm_close(again);
  mc_shm_close(shm);
  th_kill(p);
  th_gate_close(&g);
  remove(path);
}
END_TEST

START_TEST(racing_openers_make_one_block) {
  char name[64], path[512];
  th_gate g;
  mc_proc *p[4];
  fresh(name, path, "race");
  th_gate_open(&g, "frace");
  for (int i = 0; i < 4; i++)
    p[i] = th_spawn("file_open_report", path, name, g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, 4, WAIT_MS);
  th_gate_release(&g);
  int creators = 0;
  for (int i = 0; i < 4; i++) {
    int code = th_wait(p[i], WAIT_MS);
    ck_assert_msg(code == 10 || code == 11, "helper %d failed with %d", i, code);
    creators += code == 11;
  }
  ck_assert_int_eq(creators, 1);
  th_gate_close(&g);
  remove(path);
}
END_TEST

/* The writer flushed pattern 1, then died holding the write guard halfway through pattern 2:
   a reader finds the bytes it stored (processes share one page cache; flush is about the
   disk) and is told the writer died. */
static void check_after_death(mc_shm *shm) {
  unsigned char *d;
  TH_EXPECT(mc_shm_acquire(shm, MC_READ, WAIT_MS, (void **)&d), MC_EOWNERDEAD);
  ck_assert_int_eq(mismatch(d, 0, BLOCK / 2, 2), -1);
  ck_assert_int_eq(mismatch(d, BLOCK / 2, BLOCK / 2, 1), -1);
  TH_OK(mc_shm_release(shm));
}

START_TEST(writer_killed_after_flush_while_others_hold) {
  char name[64], path[512];
  th_gate g;
  fresh(name, path, "kill");
  mc_shm *shm;
  mc_shm_options o = file_opts(path, BLOCK);
  TH_OK(mc_shm_open(name, &o, &shm)); /* created here; the writer opens it */
  mc_proc *p = start_writer(path, name, "die_writing", &g);
  th_kill(p);
  check_after_death(shm);
  /* Until a writer takes it, every reader is told; a writer repairs and clears it. */
  check_after_death(shm);
  TH_EXPECT(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, NULL), MC_EOWNERDEAD);
  TH_OK(mc_shm_release(shm));
  TH_OK(mc_shm_acquire(shm, MC_READ, 0, NULL));
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  th_gate_close(&g);
  remove(path);
}
END_TEST

START_TEST(writer_killed_then_reopened_after_everyone_exited) {
  char name[64], path[512];
  th_gate g;
  fresh(name, path, "kill2");
  mc_proc *p = start_writer(path, name, "die_writing", &g);
  th_kill(p); /* its only holder: nobody has the block now */
  mc_shm *shm;
  mc_shm_options o = {.path = path, .flags = MC_SHM_OPEN};
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 0);
  check_after_death(shm);
  mc_shm_close(shm);
  /* Still so on the next run: the death is news until a writer has taken the guard. */
  TH_OK(mc_shm_open(name, &o, &shm));
  check_after_death(shm);
  mc_shm_close(shm);
  th_gate_close(&g);
  remove(path);
}
END_TEST

/* What a reboot leaves: tokens of processes of another boot, which may name live processes
   of this one. Written here as the token of this very process, which is certainly alive: the
   first opener, alone with the file, must not believe them. */
START_TEST(tokens_from_an_earlier_boot_are_not_trusted) {
  char name[64], path[512];
  fresh(name, path, "boot");
  mc_shm *shm;
  mc_shm_options o = file_opts(path, BLOCK);
  TH_OK(mc_shm_open(name, &o, &shm));
  mc_shm_close(shm);
  uint64_t live = mc__plat_self_token();
  file_poke(path, MC__LIFETIME_LOCK, &live, sizeof live);
  file_poke(path, offsetof(mc__region_hdr, attach) + 8 * 5, &live, sizeof live);
  file_poke(path, MC__STATE_OFFSET + offsetof(mc__swmr_shared, lock), &live, sizeof live);
  file_poke(path, MC__STATE_OFFSET + offsetof(mc__swmr_shared, writer), &live, sizeof live);
  file_poke(path, MC__STATE_OFFSET + offsetof(mc__swmr_shared, readers) + 8 * 3, &live,
            sizeof live);
  mc_shm_options op = {.path = path, .flags = MC_SHM_OPEN, .timeout_ms = 2000};
  TH_OK(mc_shm_open(name, &op, &shm));
  TH_EXPECT(mc_shm_acquire(shm, MC_WRITE, 0, NULL), MC_EOWNERDEAD); /* the writer it names */
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  uint64_t slot = 1;
  file_peek(path, offsetof(mc__region_hdr, attach) + 8 * 5, &slot, sizeof slot);
  ck_assert_uint_eq(slot, 0);
  remove(path);
}
END_TEST

START_TEST(a_file_that_is_not_a_block_is_left_alone) {
  char name[64], path[512];
  fresh(name, path, "alien");
  static unsigned char text[3 * 4096 + 17], back[sizeof text];
  for (size_t i = 0; i < sizeof text; i++) text[i] = (unsigned char)("not memchan's\n"[i % 14]);
  FILE *f = fopen(path, "wb");
  ck_assert(f != NULL);
  ck_assert_uint_eq(fwrite(text, 1, sizeof text, f), sizeof text);
  fclose(f);
  mc_shm *shm;
  mc_shm_options o = file_opts(path, BLOCK);
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ECORRUPT);
  o.flags = MC_SHM_OPEN;
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ECORRUPT);
  o.flags = MC_SHM_CREATE;
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EEXIST);
  ck_assert_int_eq(file_size(path), (long)sizeof text);
  file_peek(path, 0, back, sizeof back);
  ck_assert_int_eq(memcmp(text, back, sizeof text), 0);
  /* Shorter than a header: the same. */
  f = fopen(path, "wb");
  ck_assert(f != NULL);
  ck_assert_uint_eq(fwrite(text, 1, 100, f), 100);
  fclose(f);
  o.flags = 0;
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ECORRUPT);
  ck_assert_int_eq(file_size(path), 100);
  remove(path);
}
END_TEST

/* A block file whose header was scribbled on while nobody held it: refused, not repaired
   over, and not changed. */
START_TEST(a_scribbled_block_file_is_refused_untouched) {
  char name[64], path[512];
  fresh(name, path, "scrib");
  mc_shm *shm;
  mc_shm_options o = file_opts(path, BLOCK);
  TH_OK(mc_shm_open(name, &o, &shm));
  mc_shm_close(shm);
  uint64_t lie = 1ull << 50;
  file_poke(path, offsetof(mc__region_hdr, reserve), &lie, sizeof lie);
  static unsigned char before[MC__HEADER_BYTES], after[MC__HEADER_BYTES];
  long size = file_size(path);
  file_peek(path, 0, before, sizeof before);
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ECORRUPT);
  o.flags = MC_SHM_OPEN;
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ECORRUPT);
  ck_assert_int_eq(file_size(path), size);
  file_peek(path, 0, after, sizeof after);
  ck_assert_int_eq(memcmp(before, after, sizeof before), 0);
  remove(path);
}
END_TEST

START_TEST(an_empty_file_becomes_a_block) {
  char name[64], path[512];
  fresh(name, path, "empty");
  FILE *f = fopen(path, "wb");
  ck_assert(f != NULL);
  fclose(f);
  mc_shm *shm;
  mc_shm_options o = file_opts(path, BLOCK);
  o.flags = MC_SHM_OPEN; /* no block yet */
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ENOENT);
  o.flags = 0;
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  mc_shm_close(shm);
  remove(path);
  o.flags = MC_SHM_OPEN; /* and no file at all */
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ENOENT);
}
END_TEST

START_TEST(growth_is_kept_in_the_file) {
  char name[64], path[512];
  fresh(name, path, "grow");
  mc_shm *shm;
  mc_shm_options o = {.size = 4096, .max_size = 8u << 20, .path = path};
  TH_OK(mc_shm_open(name, &o, &shm));
  unsigned char *d;
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 0, (void **)&d));
  TH_OK(mc_shm_resize(shm, 3u << 20));
  ck_assert_uint_eq(mc_shm_size(shm), 3u << 20);
  TH_OK(mc_shm_release(shm));
  TH_OK(mc_shm_acquire(shm, MC_WRITE, 0, (void **)&d));
  fill(d, (3u << 20) - 4096, 4096, 5);
  TH_OK(mc_shm_release(shm));
  TH_OK(mc_shm_flush(shm));
  mc_shm_close(shm);
  mc_shm_options op = {.path = path};
  TH_OK(mc_shm_open(name, &op, &shm));
  ck_assert_uint_eq(mc_shm_size(shm), 3u << 20);
  ck_assert_uint_eq(mc_shm_max_size(shm), 8u << 20);
  TH_OK(mc_shm_acquire(shm, MC_READ, 0, (void **)&d));
  ck_assert_int_eq(mismatch(d, (3u << 20) - 4096, 4096, 5), -1);
  TH_OK(mc_shm_release(shm));
  mc_shm_close(shm);
  /* Opened again with other sizes: refused, as any block of other geometry is. */
  mc_shm_options wrong = {.size = 4096, .path = path};
  TH_EXPECT(mc_shm_open(name, &wrong, &shm), MC_EMISMATCH);
  remove(path);
}
END_TEST

START_TEST(flush_and_bad_arguments) {
  char name[64], path[512];
  TH_EXPECT(mc_shm_flush(NULL), MC_EINVAL);
  mc_shm *mem = th_open_block("mem", 4096, 0, 0, name, sizeof name);
  TH_OK(mc_shm_flush(mem)); /* a memory block: nothing to do */
  mc_shm_close(mem);
  fresh(name, path, "args");
  mc_shm *shm;
  mc_shm_options o = file_opts("", BLOCK);
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = file_opts(path, BLOCK);
  TH_EXPECT(mc_shm_open(NULL, &o, &shm), MC_EINVAL); /* openers need the name */
#ifdef _WIN32
  char dir[MAX_PATH + 1];
  GetTempPathA(sizeof dir, dir);
  o = file_opts(dir, BLOCK);
#else
  o = file_opts("/tmp", BLOCK);
#endif
  int rc = mc_shm_open(name, &o, &shm);
  ck_assert_msg(rc == MC_EACCES || rc == MC_EINVAL, "a directory: %s", mc_err_name(rc));
  /* A failing flush says so. */
  o = file_opts(path, BLOCK);
  TH_OK(mc_shm_open(name, &o, &shm));
  TH_OK(th_fail_flush(1));
  TH_EXPECT(mc_shm_flush(shm), MC_ESYS);
  TH_OK(th_fail_flush(0));
  TH_OK(mc_shm_flush(shm));
  mc_shm_close(shm);
  remove(path);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("shm_file");
  TCase *tc = th_tcase(s, "file", 120);
  tcase_add_test(tc, data_outlives_every_process);
  tcase_add_test(tc, same_path_and_name_share_bytes);
  tcase_add_test(tc, racing_openers_make_one_block);
  tcase_add_test(tc, writer_killed_after_flush_while_others_hold);
  tcase_add_test(tc, writer_killed_then_reopened_after_everyone_exited);
  tcase_add_test(tc, tokens_from_an_earlier_boot_are_not_trusted);
  tcase_add_test(tc, a_file_that_is_not_a_block_is_left_alone);
  tcase_add_test(tc, a_scribbled_block_file_is_refused_untouched);
  tcase_add_test(tc, an_empty_file_becomes_a_block);
  tcase_add_test(tc, growth_is_kept_in_the_file);
  tcase_add_test(tc, flush_and_bad_arguments);
  return s;
}

static const th_helper helpers[] = {{"file_writer", helper_file_writer},
                                    {"file_open_report", helper_file_open_report},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
