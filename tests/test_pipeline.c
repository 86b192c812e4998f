/* examples/pipeline end to end: a full run checks every record; a run whose middle stage is
 * killed ends with every other stage saying what it saw; the next run under the same names
 * works. The supervisor's --summary file says how each stage ended. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PIPELINE_BIN
#error "PIPELINE_BIN: the path of examples/pipeline's program"
#endif

#define RUN_MS 120000

/* Runs the pipeline with the given arguments (NULL-terminated); its exit code. */
static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
               const char *a6, const char *a7, const char *a8) {
  const char *argv[] = {PIPELINE_BIN, a1, a2, a3, a4, a5, a6, a7, a8, NULL};
  mc_proc *p;
  int code = -1;
  TH_OK(mc_proc_spawn(argv, &p));
  TH_OK(mc_proc_wait(p, RUN_MS, &code));
  mc_proc_free(p);
  return code;
}

/* The value of `key` in a summary file; fails the test if it is missing. */
static void summary_value(const char *file, const char *key, char *out, size_t cap) {
  char line[256];
  size_t klen = strlen(key);
  FILE *f = fopen(file, "r");
  ck_assert_msg(f != NULL, "no summary %s", file);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
      line[strcspn(line, "\r\n")] = '\0';
      snprintf(out, cap, "%s", line + klen + 1);
      fclose(f);
      return;
    }
  }
  fclose(f);
  ck_abort_msg("summary %s has no %s", file, key);
}

static long long summary_int(const char *file, const char *key) {
  char v[64];
  summary_value(file, key, v, sizeof v);
  return atoll(v);
}

START_TEST(a_full_run_checks_every_record) {
  char name[64], file[96];
  th_name(name, sizeof name, "pl");
  snprintf(file, sizeof file, "%s.summary", name);
  ck_assert_int_eq(run("--producers", "3", "--records", "20000", "--name", name, "--summary", file),
                   0);
  ck_assert_int_eq(summary_int(file, "consumed"), 60000);
  char end[32];
  summary_value(file, "consumer_end", end, sizeof end);
  ck_assert_str_eq(end, "MC_ECLOSED");
  remove(file);
}
END_TEST

/* The transformer killed mid-stream: the consumer drains what it passed on and reports that
   upstream died; the producers stop (or finish, when all they had fitted in); nothing waits
   for ever; and the next run under the same names works at once. */
START_TEST(killing_the_middle_stage) {
  char name[64], file[96];
  th_name(name, sizeof name, "plk");
  snprintf(file, sizeof file, "%s.summary", name);
  ck_assert_int_eq(run("--records", "200000", "--kill-middle-after", "5000", "--name", name,
                       "--summary", file),
                   3);
  ck_assert_int_eq(summary_int(file, "transformer"), 137);
  ck_assert_int_eq(summary_int(file, "consumer"), 3);
  char end[32];
  summary_value(file, "consumer_end", end, sizeof end);
  ck_assert_str_eq(end, "MC_EPEERDEAD");
  for (int p = 0; p < 3; p++) {
    char key[16];
    snprintf(key, sizeof key, "producer%d", p);
    long long code = summary_int(file, key);
    ck_assert_msg(code == 0 || code == 3, "%s exited %lld", key, code);
  }
  long long consumed = summary_int(file, "consumed"), passed = summary_int(file, "transformed");
  ck_assert_int_ge(consumed, 5000);
  /* Every record the transformer passed on was delivered (the one it sent as it died too). */
  ck_assert_msg(consumed == passed || consumed == passed + 1, "consumed %lld, passed on %lld",
                consumed, passed);
  remove(file);
  ck_assert_int_eq(run("--records", "1000", "--name", name, "--summary", file, NULL, NULL), 0);
  ck_assert_int_eq(summary_int(file, "consumed"), 3000);
  remove(file);
}
END_TEST

START_TEST(arguments) {
  ck_assert_int_eq(run("--help", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 0);
  ck_assert_int_eq(run("--producers", "0", NULL, NULL, NULL, NULL, NULL, NULL), 1);
  ck_assert_int_eq(run("--records", NULL, NULL, NULL, NULL, NULL, NULL, NULL), 1);
  ck_assert_int_eq(run("--bogus", "1", NULL, NULL, NULL, NULL, NULL, NULL), 1);
  ck_assert_int_eq(run("--name", "bad name", NULL, NULL, NULL, NULL, NULL, NULL), 1);
  ck_assert_int_eq(run("--stage", "produce", NULL, NULL, NULL, NULL, NULL, NULL), 1);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("pipeline");
  TCase *tc = th_tcase(s, "pipeline", 240);
  tcase_add_test(tc, a_full_run_checks_every_record);
  tcase_add_test(tc, killing_the_middle_stage);
  tcase_add_test(tc, arguments);
  return s;
}

static const th_helper helpers[] = {{NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
