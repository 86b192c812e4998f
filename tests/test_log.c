/* The diagnostic log: a callback hears of each failed call once (the outermost), with the
 * call, the object, the code, the reason and the OS error; MEMCHAN_LOG prints the same to
 * stderr; with neither, nothing is printed. */
#include "harness.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SEEN 16
typedef struct seen {
  int n;
  mc_log_record rec[MAX_SEEN];
  char call[MAX_SEEN][64], object[MAX_SEEN][MC_NAME_MAX + 1], detail[MAX_SEEN][256];
} seen;

static void collect(void *ctx, const mc_log_record *r) {
  seen *s = ctx;
  if (s->n >= MAX_SEEN) return;
  int i = s->n++;
  s->rec[i] = *r;
  snprintf(s->call[i], sizeof s->call[i], "%s", r->call);
  snprintf(s->object[i], sizeof s->object[i], "%s", r->object);
  snprintf(s->detail[i], sizeof s->detail[i], "%s", r->detail);
}

START_TEST(a_failed_call_is_logged_once) {
  seen s = {0};
  char name[64];
  mc_chan *rx, *ch;
  th_name(name, sizeof name, "lognone");
  mc_set_log(collect, &s);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &ch), MC_ENOENT);
  ck_assert_int_eq(s.n, 1);
  ck_assert_str_eq(s.call[0], "mc_chan_open");
  ck_assert_str_eq(s.object[0], name);
  ck_assert_int_eq(s.rec[0].error, MC_ENOENT);
  /* A call made inside another (send reserves) is reported as the outer call only. */
  th_name(name, sizeof name, "logrx");
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &rx));
  ck_assert_int_eq(s.n, 1); /* successes say nothing */
  TH_EXPECT(mc_chan_send(rx, "x", 1, 0), MC_ESTATE);
  ck_assert_int_eq(s.n, 2);
  ck_assert_str_eq(s.call[1], "mc_chan_send");
  ck_assert_str_eq(s.object[1], name);
  TH_EXPECT(mc_chan_recv(rx, NULL, 0, NULL, 0), MC_ETIMEDOUT);
  ck_assert_int_eq(s.n, 3);
  ck_assert_str_eq(s.call[2], "mc_chan_recv");
  mc_chan_close(rx);
  mc_set_log(NULL, NULL);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &ch), MC_ENOENT);
  ck_assert_int_eq(s.n, 3); /* uninstalled: nothing more */
}
END_TEST

/* An OS failure comes with its OS error and the system call behind it. */

START_TEST(an_os_failure_says_why) {
  seen s = {0};
  char name[64];
  mc_shm *shm;
  mc_shm_options o = {.size = 64};
  th_name(name, sizeof name, "logos");
  mc_set_log(collect, &s);
  TH_OK(th_fail_map_call(1));
  int rc = mc_shm_open(name, &o, &shm);
  th_fail_map_call(0);
  mc_set_log(NULL, NULL);
  ck_assert_int_eq(rc, MC_ESYS);
  ck_assert_int_eq(s.n, 1);
  ck_assert_str_eq(s.call[0], "mc_shm_open");
  ck_assert_str_eq(s.object[0], name);
  ck_assert_int_eq(s.rec[0].os_error, TH_FAIL_OSERR);
  ck_assert_msg(strstr(s.detail[0], TH_FAIL_CALL) != NULL, "detail: %s", s.detail[0]);
}
END_TEST

/* log_to FILE NAME: stderr to FILE, then an open of the missing channel NAME. */
static int helper_log_to(int argc, char **argv) {
  if (argc < 2 || !freopen(argv[0], "w", stderr)) return 2;
  mc_chan *ch;
  return mc_chan_open(argv[1], MC_CHAN_SEND, 0, &ch) == MC_ENOENT ? 0 : 3;
}

static void set_env(const char *v) {
#ifdef _WIN32
  char buf[64];
  snprintf(buf, sizeof buf, "MEMCHAN_LOG=%s", v ? v : "");
  _putenv(buf);
#else
  if (v)
    setenv("MEMCHAN_LOG", v, 1);
  else
    unsetenv("MEMCHAN_LOG");
#endif
}

static char *slurp(const char *path) {
  static char text[4096];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = '\0';
  return text;
}

START_TEST(the_environment_prints_to_stderr_and_only_when_asked) {
  char name[64], file[96];
  th_name(name, sizeof name, "logenv");
  snprintf(file, sizeof file, "%s.log", name);
  set_env("1");
  ck_assert_int_eq(th_wait(th_spawn("log_to", file, name, NULL), 30000), 0);
  set_env(NULL);
  char *text = slurp(file);
  ck_assert_msg(strstr(text, "mc_chan_open") && strstr(text, name) && strstr(text, "MC_ENOENT"),
                "stderr: %s", text);
  ck_assert_int_eq(th_wait(th_spawn("log_to", file, name, NULL), 30000), 0);
  ck_assert_str_eq(slurp(file), ""); /* nobody asked: not a byte */
  remove(file);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("log");
  TCase *tc = th_tcase(s, "log", 60);
  tcase_add_test(tc, a_failed_call_is_logged_once);
  tcase_add_test(tc, an_os_failure_says_why);
  tcase_add_test(tc, the_environment_prints_to_stderr_and_only_when_asked);
  return s;
}

static const th_helper helpers[] = {{"log_to", helper_log_to}, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
