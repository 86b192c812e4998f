/* mc_shm life cycle within one process: creating and opening, names, sizes and kinds,
 * arguments, unique names, corrupt headers and objects that are not memchan's. */
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define BLOCK   8192
#define WAIT_MS 30000
/* ---- basic life cycle --------------------------------------------------------------------- */

START_TEST(create_then_open) {
  char name[64];
  mc_shm *a, *b;
  th_name(name, sizeof name, "basic");
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &a));
  ck_assert_int_eq(mc_shm_created(a), 1);
  ck_assert_uint_eq(mc_shm_size(a), BLOCK);
  ck_assert_uint_eq(mc_shm_max_size(a), 0);
  ck_assert_str_eq(mc_shm_name(a), name);
  TH_OK(mc_shm_open(name, NULL, &b)); /* size from the block */
  ck_assert_int_eq(mc_shm_created(b), 0);
  ck_assert_uint_eq(mc_shm_size(b), BLOCK);
  mc_shm_close(b);
  mc_shm_options r = {.size = 100, .max_size = 1 << 20};
  char rname[64];
  th_name(rname, sizeof rname, "resizable");
  TH_OK(mc_shm_open(rname, &r, &b));
  ck_assert_uint_eq(mc_shm_size(b), 100);
  ck_assert_uint_eq(mc_shm_max_size(b), 1 << 20);
  mc_shm_close(b);
  mc_shm_close(a);
  /* A resizable block may start empty. */
  mc_shm_options e = {.size = 0, .max_size = 4096, .flags = MC_SHM_CREATE};
  TH_OK(mc_shm_open(rname, &e, &b));
  ck_assert_uint_eq(mc_shm_size(b), 0);
  mc_shm_close(b);
}
END_TEST

START_TEST(prefixed_names_are_the_same_block) {
  char name[64], alias[80];
  mc_shm *a, *b;
  th_name(name, sizeof name, "alias");
  snprintf(alias, sizeof alias, "%s%s", TH_WINDOWS ? "Local\\" : "/", name);
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &a));
  TH_OK(mc_shm_open(alias, &o, &b));
  ck_assert_int_eq(mc_shm_created(b), 0);
  ck_assert_str_eq(mc_shm_name(b), name);
  mc_shm_close(b);
  mc_shm_close(a);
}
END_TEST

START_TEST(create_exists_open_missing) {
  char name[64];
  mc_shm *a, *b = (mc_shm *)1;
  th_name(name, sizeof name, "exists");
  mc_shm_options c = {.size = BLOCK, .flags = MC_SHM_CREATE};
  mc_shm_options op = {.flags = MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(name, &op, &b), MC_ENOENT);
  ck_assert_ptr_null(b);
  TH_OK(mc_shm_open(name, &c, &a));
  TH_EXPECT(mc_shm_open(name, &c, &b), MC_EEXIST);
  TH_OK(mc_shm_open(name, &op, &b));
  ck_assert_int_eq(mc_shm_created(b), 0);
  mc_shm_close(b);
  mc_shm_close(a);
  /* Create-or-open without sizes can only open. */
  TH_EXPECT(mc_shm_open(name, NULL, &b), MC_EINVAL);
}
END_TEST

START_TEST(size_mismatch) {
  char name[64], rname[64];
  mc_shm *a, *b, *c;
  th_name(name, sizeof name, "fixed");
  th_name(rname, sizeof rname, "resz");
  mc_shm_options fixed = {.size = BLOCK};
  mc_shm_options resz = {.size = 100, .max_size = 65536};
  TH_OK(mc_shm_open(name, &fixed, &a));
  TH_OK(mc_shm_open(rname, &resz, &b));
  mc_shm_options o = {.size = BLOCK + 1};
  TH_EXPECT(mc_shm_open(name, &o, &c), MC_EMISMATCH);
  o = (mc_shm_options){.size = BLOCK, .max_size = 2 * BLOCK};
  TH_EXPECT(mc_shm_open(name, &o, &c), MC_EMISMATCH);
  o = (mc_shm_options){.max_size = 65537};
  TH_EXPECT(mc_shm_open(rname, &o, &c), MC_EMISMATCH);
  o = (mc_shm_options){.size = 100};
  TH_EXPECT(mc_shm_open(rname, &o, &c), MC_EMISMATCH); /* asks for a fixed block */
  o = (mc_shm_options){.size = 5000, .max_size = 65536};
  TH_OK(mc_shm_open(rname, &o, &c)); /* a resizable block's size is its current one */
  ck_assert_uint_eq(mc_shm_size(c), 100);
  mc_shm_close(c);
  o = (mc_shm_options){.flags = MC_SHM_OPEN};
  TH_OK(mc_shm_open(rname, &o, &c));
  ck_assert_uint_eq(mc_shm_max_size(c), 65536);
  mc_shm_close(c);
  mc_shm_close(b);
  mc_shm_close(a);
}
END_TEST

START_TEST(another_kind_is_a_mismatch) {
  char name[64];
  mc_event *ev;
  mc_shm *shm;
  mc_mutex *mx;
  th_name(name, sizeof name, "kind");
  TH_OK(mc_event_open(name, 0, 0, &ev));
  mc_shm_options o = {.size = BLOCK};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EMISMATCH);
  TH_EXPECT(mc_shm_open(name, NULL, &shm), MC_EMISMATCH);
  TH_EXPECT(mc_mutex_open(name, &mx), MC_EMISMATCH);
  mc_event_close(ev);
}
END_TEST

START_TEST(invalid_arguments) {
  char name[64];
  mc_shm *shm = (mc_shm *)1;
  th_name(name, sizeof name, "inval");
  mc_shm_options ok = {.size = BLOCK};
  TH_EXPECT(mc_shm_open(name, &ok, NULL), MC_EINVAL);
  TH_EXPECT(mc_shm_open("bad name", &ok, &shm), MC_EINVAL);
  ck_assert_ptr_null(shm);
  TH_EXPECT(mc_shm_open("", &ok, &shm), MC_EINVAL);
  TH_EXPECT(mc_shm_open("a$b", &ok, &shm), MC_EINVAL);
  mc_shm_options o = {.size = 0, .max_size = 0, .flags = MC_SHM_CREATE};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  TH_EXPECT(mc_shm_open(name, NULL, &shm), MC_EINVAL); /* nothing to open, nothing to create */
  o = (mc_shm_options){.size = BLOCK, .flags = MC_SHM_CREATE | MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = BLOCK, .flags = 1u << 20};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = BLOCK, .mode = 01777};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = BLOCK, .timeout_ms = -5};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = 200, .max_size = 100};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = 1ull << 62};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_EINVAL);
  o = (mc_shm_options){.size = BLOCK, .flags = MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(NULL, &o, &shm), MC_EINVAL); /* a unique name is always created */
  TH_EXPECT(mc_shm_open(NULL, NULL, &shm), MC_EINVAL);
  TH_EXPECT(mc_shm_unlink(NULL), MC_EINVAL);
  TH_EXPECT(mc_shm_unlink("bad name"), MC_EINVAL);
  ck_assert_ptr_null(shm);
  /* NULL handles are harmless. */
  mc_shm_close(NULL);
  ck_assert_str_eq(mc_shm_name(NULL), "");
  ck_assert_int_eq(mc_shm_created(NULL), 0);
  ck_assert_uint_eq(mc_shm_size(NULL), 0);
  ck_assert_uint_eq(mc_shm_max_size(NULL), 0);
  /* Nothing was left behind by the refused calls. */
  o = (mc_shm_options){.flags = MC_SHM_OPEN};
  TH_EXPECT(mc_shm_open(name, &o, &shm), MC_ENOENT);
}
END_TEST

START_TEST(unique_names_never_collide) {
  enum { N = 1000 };
  mc_shm **all = calloc(N, sizeof *all);
  ck_assert_ptr_nonnull(all);
  mc_shm_options o = {.size = 64};
  for (int i = 0; i < N; i++) {
    TH_OK(mc_shm_open(NULL, &o, &all[i]));
    ck_assert_int_eq(mc_shm_created(all[i]), 1);
    ck_assert_int_gt(strlen(mc_shm_name(all[i])), 0);
  }
  /* Distinct: each name opens its own block (created == 0 there, same size). */
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) ck_assert_str_ne(mc_shm_name(all[i]), mc_shm_name(all[j]));
  mc_shm *again;
  TH_OK(mc_shm_open(mc_shm_name(all[N / 2]), NULL, &again));
  ck_assert_int_eq(mc_shm_created(again), 0);
  mc_shm_close(again);
  for (int i = 0; i < N; i++) mc_shm_close(all[i]);
  free(all);
}
END_TEST

/* ---- corruption ------------------------------------------------------------------------- */

static void expect_open(const char *name, int want, int which) {
  mc_shm *shm = NULL;
  int rc = mc_shm_open(name, NULL, &shm);
  if (shm) mc_shm_close(shm);
  ck_assert_msg(rc == want, "case %d: open gave %s, expected %s", which, mc_err_name(rc),
                mc_err_name(want));
}

START_TEST(corrupt_header_is_refused) {
  struct {
    long offset;
    uint64_t value;
    size_t len;
    int want;
  } cases[] = {
      {0, 0x4141414141414141ull, 8, MC_ECORRUPT},  /* guard 1 */
      {248, 0, 8, MC_ECORRUPT},                    /* guard 2 */
      {8, MC__REGION_VERSION - 1, 4, MC_ECORRUPT}, /* an older layout version */
      {8, MC__REGION_VERSION + 1, 4, MC_ECORRUPT}, /* a newer layout version */
      {8, 0xffffffffu, 4, MC_ECORRUPT},            /* layout version */
      {12, 99, 4, MC_ECORRUPT},                    /* kind: no such kind */
      {12, MC__KIND_EVENT, 4, MC_EMISMATCH},       /* kind: another kind */
      {32, 8192, 8, MC_ECORRUPT},                  /* header size */
      {40, 1ull << 40, 8, MC_ECORRUPT},            /* size past the reservation */
      {56, 1ull << 45, 8, MC_ECORRUPT},            /* reservation */
      {64, 1ull << 44, 8, MC_ECORRUPT},            /* committed past the reservation */
      {24, 0xff00, 4, MC_ECORRUPT},                /* unknown flags */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[64];
    mc_shm *keep;
    th_name(name, sizeof name, "corrupt");
    mc_shm_options o = {.size = BLOCK};
    TH_OK(mc_shm_open(name, &o, &keep));
    expect_open(name, MC_OK, (int)i);
    ck_assert_int_eq(th_raw_write(name, cases[i].offset, &cases[i].value, cases[i].len), 0);
    expect_open(name, cases[i].want, (int)i);
    mc_shm_close(keep);
  }
}
END_TEST

START_TEST(garbage_object_is_refused) {
  char name[64];
  mc_shm *keep;
  unsigned char junk[512];
  th_name(name, sizeof name, "junk");
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 37 + 11);
  mc_shm_options o = {.size = BLOCK};
  TH_OK(mc_shm_open(name, &o, &keep));
  ck_assert_int_eq(th_raw_write(name, 0, junk, sizeof junk), 0);
  expect_open(name, MC_ECORRUPT, -1);
  mc_shm_options c = {.size = BLOCK, .flags = MC_SHM_CREATE};
  mc_shm *shm;
  TH_EXPECT(mc_shm_open(name, &c, &shm), MC_EEXIST); /* corrupt, but the name is taken */
  mc_shm_close(keep);
}
END_TEST

/* The header says whether the block was made for every user (mode with group or other bits),
   and every opener learns it from there, whatever its own mode (Win32 gives the objects it
   makes the same descriptor: test_win_security). */
START_TEST(the_header_records_a_block_open_to_all) {
  unsigned modes[] = {0600, 0640, 0604, 0666, 0700};
  for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    char name[64];
    mc_shm *shm;
    uint32_t flags = 0;
    int open = (modes[i] & 077) != 0;
    th_name(name, sizeof name, "openflag");
    mc_shm_options o = {.size = BLOCK, .flags = MC_SHM_CREATE, .mode = modes[i]};
    TH_OK(mc_shm_open(name, &o, &shm));
    ck_assert_int_eq(th_raw_read(name, 24, &flags, sizeof flags), 0); /* mc__region_hdr.flags */
    ck_assert_int_eq((flags & MC__RF_OPEN) != 0, open);
    mc__objname n;
    TH_OK(mc__name_parse(name, &n));
    mc__region_spec spec = {0};
    spec.kind = MC__KIND_SHM;
    spec.how = MC__MAP_OPEN_ONLY;
    spec.mode = open ? 0600 : 0666;
    spec.deadline = mc__deadline_ms(5000);
    mc__region r;
    TH_OK(mc__region_open(&n, &spec, &r));
    ck_assert_int_eq(r.name.everyone, open);
    mc__region_close(&r);
    mc_shm_close(shm);
  }
}
END_TEST

/* A block larger than this process can map - a 64-bit process's 8 GiB reserve, seen from a
   32-bit one - is MC_ENOMEM, made or opened, and leaves the name as it was. The seam plays
   the system that cannot fit the whole object: Windows refuses the whole-section view
   (ERROR_NOT_ENOUGH_MEMORY; Wine says ERROR_INVALID_PARAMETER), POSIX's mmap says ENOMEM;
   a first page still maps (the bitness peer shows the real thing). */
#ifdef _WIN32
static DWORD too_big_error;
static LPVOID WINAPI whole_view_too_big(HANDLE h, DWORD access, DWORD hi, DWORD lo, SIZE_T len) {
  if (len == 0) {
    SetLastError(too_big_error);
    return NULL;
  }
  return MapViewOfFile(h, access, hi, lo, len);
}
#define TOO_BIG_CALL "MapViewOfFile"
#define TOO_BIG_FN   whole_view_too_big
#define TOO_BIG_WAYS 2 /* Windows' error, then Wine's */
static void too_big_way(int way) {
  too_big_error = way == 0 ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER;
}
#else
static void *mmap_too_big(void *a, size_t len, int prot, int flags, int fd, off_t off) {
  if (len > 4096) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  return mmap(a, len, prot, flags, fd, off);
}
#define TOO_BIG_CALL "mmap"
#define TOO_BIG_FN   mmap_too_big
#define TOO_BIG_WAYS 1
static void too_big_way(int way) {
  MC__UNUSED(way);
}
#endif

START_TEST(a_block_too_large_to_map_is_enomem) {
  for (int way = 0; way < TOO_BIG_WAYS; way++) {
    too_big_way(way);
    char name[64];
    mc_shm *shm = NULL, *held;
    th_name(name, sizeof name, "toobig");
    mc_shm_options o = {.size = BLOCK, .max_size = 4 * BLOCK, .flags = MC_SHM_CREATE};
    TH_OK(mc__plat_syscall_override(TOO_BIG_CALL, (void (*)(void))TOO_BIG_FN));
    ck_assert_int_eq(mc_shm_open(name, &o, &shm), MC_ENOMEM);
    ck_assert_ptr_null(shm);
    TH_OK(mc__plat_syscall_override(TOO_BIG_CALL, NULL));
    /* Nothing was left under the name: it is made afresh. */
    TH_OK(mc_shm_open(name, &o, &held));
    ck_assert(mc_shm_created(held));
    TH_OK(mc_shm_acquire(held, MC_WRITE, 5000, NULL));
    TH_OK(mc_shm_set_u64(held, 8, 0x5eed));
    TH_OK(mc_shm_release(held));
    /* Opened by a process that cannot fit it: refused, and the block is untouched. */
    mc_shm_options oo = {.flags = MC_SHM_OPEN};
    TH_OK(mc__plat_syscall_override(TOO_BIG_CALL, (void (*)(void))TOO_BIG_FN));
    ck_assert_int_eq(mc_shm_open(name, &oo, &shm), MC_ENOMEM);
    ck_assert_ptr_null(shm);
    TH_OK(mc__plat_syscall_override(TOO_BIG_CALL, NULL));
    TH_OK(mc_shm_open(name, &oo, &shm));
    uint64_t v = 0;
    TH_OK(mc_shm_acquire(shm, MC_READ, 5000, NULL));
    TH_OK(mc_shm_get_u64(shm, 8, &v));
    ck_assert_uint_eq(v, 0x5eed);
    TH_OK(mc_shm_release(shm));
    mc_shm_close(shm);
    mc_shm_close(held);
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("shm");
  TCase *tc = th_tcase(s, "life", 60);
  tcase_add_test(tc, create_then_open);
  tcase_add_test(tc, the_header_records_a_block_open_to_all);
  tcase_add_test(tc, prefixed_names_are_the_same_block);
  tcase_add_test(tc, create_exists_open_missing);
  tcase_add_test(tc, size_mismatch);
  tcase_add_test(tc, another_kind_is_a_mismatch);
  tcase_add_test(tc, invalid_arguments);
  tcase_add_test(tc, unique_names_never_collide);
  tcase_add_test(tc, a_block_too_large_to_map_is_enomem);
  tc = th_tcase(s, "corruption", 60);
  tcase_add_test(tc, corrupt_header_is_refused);
  tcase_add_test(tc, garbage_object_is_refused);
  return s;
}

static const th_helper helpers[] = {{NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
