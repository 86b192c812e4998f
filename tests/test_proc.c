/* mc_proc: spawning, exit codes, waiting with timeouts, killing, argument quoting. */
#include "harness.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static int helper_exit(int argc, char **argv) {
  return argc > 0 ? atoi(argv[0]) : 0;
}

/* argv: N, then N arguments, then the same N hex-encoded: the child checks that the raw ones
   arrived exactly as the parent sent them. Returns 0, or 10 + the index of the first bad one. */
static int helper_args(int argc, char **argv) {
  if (argc < 1) return 2;
  int n = atoi(argv[0]);
  if (argc != 1 + 2 * n) return 3;
  for (int i = 0; i < n; i++) {
    const char *raw = argv[1 + i], *hex = argv[1 + n + i];
    size_t len = strlen(hex) / 2;
    if (strlen(raw) != len) return 10 + i;
    for (size_t k = 0; k < len; k++) {
      unsigned v;
      if (sscanf(hex + 2 * k, "%2x", &v) != 1 || (unsigned char)raw[k] != v) return 10 + i;
    }
  }
  return 0;
}

/* Sleeps on a futex word nobody changes: only a kill ends it. */
static int helper_block(int argc, char **argv) {
  static mc__futex_word word;
  mc__objname n;
  mc__plat_futex f;
  if (argc < 1 || mc__name_parse(argv[0], &n) != MC_OK) return 2;
  mc__plat_futex_bind(&f, &word, &n, 0);
  for (;;) mc__plat_futex_wait(&f, 0, MC__NO_DEADLINE);
}

/* ---- tests ---- */

START_TEST(spawn_exit_codes) {
  const char *codes[] = {"0", "1", "7", "42", "255"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    mc_proc *p = th_spawn("exit", codes[i], NULL);
    ck_assert_int_eq(th_wait(p, 20000), atoi(codes[i]));
  }
}
END_TEST

START_TEST(wait_timeout_then_kill) {
  char name[64];
  th_name(name, sizeof name, "block");
  mc_proc *p = th_spawn("block", name, NULL);
  int code = -1;
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_proc_wait(p, 200, &code), MC_ETIMEDOUT);
  uint64_t waited = (mc__plat_now_ns() - t0) / 1000000;
  ck_assert_msg(waited >= 200, "returned after %llu ms, before its timeout",
                (unsigned long long)waited);
  TH_EXPECT(mc_proc_wait(p, 0, &code), MC_ETIMEDOUT);
  TH_OK(mc_proc_kill(p));
  TH_OK(mc_proc_wait(p, 10000, &code));
  ck_assert_int_eq(code, 137); /* 128 + SIGKILL; TerminateProcess(137) on Windows */
  /* Waiting again, and killing the dead, are fine. */
  TH_OK(mc_proc_wait(p, 0, &code));
  ck_assert_int_eq(code, 137);
  TH_OK(mc_proc_kill(p));
  th_wait(p, 1000);
}
END_TEST

static void hex(const char *s, char *out) {
  for (; *s; s++, out += 2) sprintf(out, "%02x", (unsigned char)*s);
  *out = '\0';
}

START_TEST(arguments_survive) {
  const char *args[] = {"plain",
                        "with space",
                        "",
                        "\"quoted\"",
                        "say \"hi\" there",
                        "back\\slash",
                        "trailing\\",
                        "trailing space\\",
                        "\\\"",
                        "a\\\\\"b",
                        "tab\there",
                        "  lead and trail  ",
                        "semi;colon&amp|pipe<>",
                        "'single'",
                        "%PATH% $HOME *?",
                        "\xc3\xa9t\xc3\xa9 \xe2\x82\xac"};
  enum { N = sizeof args / sizeof args[0] };
  static char enc[N][128];
  const char *argv[3 + 1 + 2 * N + 1];
  char count[8];
  snprintf(count, sizeof count, "%d", N);
  char self[4096];
  TH_OK(mc_self_path(self, sizeof self));
  int k = 0;
  argv[k++] = self;
  argv[k++] = "--helper";
  argv[k++] = "args";
  argv[k++] = count;
  for (int i = 0; i < N; i++) argv[k++] = args[i];
  for (int i = 0; i < N; i++) {
    hex(args[i], enc[i]);
    argv[k++] = enc[i];
  }
  argv[k] = NULL;
  mc_proc *p = NULL;
  TH_OK(mc_proc_spawn(argv, &p));
  int code = -1;
  TH_OK(mc_proc_wait(p, 20000, &code));
  mc_proc_free(p);
  ck_assert_msg(code == 0, "argument %d did not survive (exit %d)", code - 10, code);
}
END_TEST

START_TEST(bad_arguments) {
  mc_proc *p = (mc_proc *)1;
  const char *empty[] = {NULL};
  const char *blank[] = {"", NULL};
  const char *missing[] = {"/no/such/program-memchan", NULL};
  TH_EXPECT(mc_proc_spawn(NULL, &p), MC_EINVAL);
  ck_assert_ptr_null(p);
  TH_EXPECT(mc_proc_spawn(empty, &p), MC_EINVAL);
  TH_EXPECT(mc_proc_spawn(blank, &p), MC_EINVAL);
  TH_EXPECT(mc_proc_spawn(missing, NULL), MC_EINVAL);
  int rc = mc_proc_spawn(missing, &p);
  ck_assert_msg(rc == MC_ENOENT || rc == MC_ESYS, "missing program: %s", mc_err_name(rc));
  ck_assert_ptr_null(p);
  TH_EXPECT(mc_proc_wait(NULL, 0, NULL), MC_EINVAL);
  TH_EXPECT(mc_proc_kill(NULL), MC_EINVAL);
  mc_proc_free(NULL);
  char small[2];
  TH_EXPECT(mc_self_path(NULL, 10), MC_EINVAL);
  TH_EXPECT(mc_self_path(small, sizeof small), MC_ENOSPC);
  p = th_spawn("exit", "3", NULL);
  TH_EXPECT(mc_proc_wait(p, -2, NULL), MC_EINVAL);
  ck_assert_int_eq(th_wait(p, 20000), 3);
}
END_TEST

START_TEST(self_path_is_this_program) {
  char path[4096];
  TH_OK(mc_self_path(path, sizeof path));
  ck_assert_msg(strstr(path, "test_proc") != NULL, "self path %s", path);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("proc");
  TCase *tc = th_tcase(s, "spawn", 60);
  tcase_add_test(tc, spawn_exit_codes);
  tcase_add_test(tc, wait_timeout_then_kill);
  tcase_add_test(tc, arguments_survive);
  tcase_add_test(tc, bad_arguments);
  tcase_add_test(tc, self_path_is_this_program);
  return s;
}

static const th_helper helpers[] = {
    {"exit", helper_exit}, {"args", helper_args}, {"block", helper_block}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
