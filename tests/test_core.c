/* Errors, version and name validation. */
#include "harness.h"
#include "internal.h"

#include <string.h>

static const int all_codes[] = {MC_OK,      MC_EINVAL,    MC_ENOMEM,     MC_ENOENT,    MC_EEXIST,
                                MC_EACCES,  MC_ETIMEDOUT, MC_EMISMATCH,  MC_ECORRUPT,  MC_ENOSPC,
                                MC_ERANGE,  MC_ESTATE,    MC_EOWNERDEAD, MC_EPEERDEAD, MC_ECLOSED,
                                MC_ENOTSUP, MC_ESYS,      MC_EABORTED,   MC_EBUSY};
#define NCODES (int)(sizeof all_codes / sizeof all_codes[0])

START_TEST(error_table_complete) {
  ck_assert_int_eq(NCODES, 19);
  for (int i = 0; i < NCODES; i++) {
    ck_assert_int_eq(all_codes[i], -i); /* the API's numbering, without gaps */
    const char *name = mc_err_name(all_codes[i]);
    const char *text = mc_strerror(all_codes[i]);
    ck_assert_ptr_nonnull(name);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strncmp(name, "MC_", 3) == 0, "%s", name);
    ck_assert_str_ne(text, "unknown error");
    for (int j = 0; j < i; j++) {
      ck_assert_str_ne(name, mc_err_name(all_codes[j]));
      ck_assert_str_ne(text, mc_strerror(all_codes[j]));
    }
  }
  ck_assert_str_eq(mc_err_name(MC_ETIMEDOUT), "MC_ETIMEDOUT");
  ck_assert_str_eq(mc_err_name(MC_OK), "MC_OK");
  ck_assert_str_eq(mc_err_name(MC_ESYS), "MC_ESYS");
  ck_assert_int_eq(MC_EABORTED, -17); /* API.md fixes these two */
  ck_assert_int_eq(MC_EBUSY, -18);
}
END_TEST

START_TEST(error_unknown_codes) {
  const int odd[] = {1, 42, -19, -1000, 2147483647, -2147483647 - 1};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    ck_assert_str_eq(mc_err_name(odd[i]), "MC_E?");
    ck_assert_str_eq(mc_strerror(odd[i]), "unknown error");
  }
}
END_TEST

START_TEST(version_string) {
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", MC_VERSION_MAJOR, MC_VERSION_MINOR, MC_VERSION_PATCH);
  ck_assert_str_eq(mc_version(), want);
}
END_TEST

/* An OS failure is MC_ESYS (or its own code) and mc_os_error() tells the OS error. */

START_TEST(os_error_is_kept) {
  char name[64];
  mc_shm *shm = NULL;
  mc_shm_options o = {.size = 100};
  th_name(name, sizeof name, "oserr");
  TH_OK(th_fail_map_call(1));
  int rc = mc_shm_open(name, &o, &shm);
  th_fail_map_call(0);
  ck_assert_int_eq(rc, MC_ESYS);
  ck_assert_ptr_null(shm);
  ck_assert_int_eq(mc_os_error(), TH_FAIL_OSERR);
  /* And the real call works again. */
  TH_OK(mc_shm_open(name, &o, &shm));
  mc_shm_close(shm);
  TH_EXPECT(mc__plat_syscall_override("no_such_call", NULL), MC_ENOENT);
}
END_TEST

#ifdef _WIN32
#include <windows.h>
static DWORD open_process_error;
static HANDLE WINAPI failing_open_process(DWORD access, BOOL inherit, DWORD pid) {
  (void)access, (void)inherit, (void)pid;
  SetLastError(open_process_error);
  return NULL;
}

/* Only "no such process" makes a process dead: any other failure to open it says nothing
   about it (Wine fails process calls now and then under load), and taking a live peer for
   dead would end its stream. */
START_TEST(a_failed_process_lookup_is_not_a_death) {
  uint64_t me = mc__plat_self_token();
  ck_assert_int_eq(mc__plat_token_alive(me), 1);
  TH_OK(mc__plat_syscall_override("OpenProcess", (void (*)(void))failing_open_process));
  open_process_error = ERROR_NOT_ENOUGH_MEMORY;
  int transient = mc__plat_token_alive(me);
  open_process_error = ERROR_INTERNAL_ERROR;
  int internal = mc__plat_token_alive(me);
  open_process_error = ERROR_INVALID_PARAMETER;
  int gone = mc__plat_token_alive(me);
  TH_OK(mc__plat_syscall_override("OpenProcess", NULL));
  ck_assert_int_eq(transient, 1);
  ck_assert_int_eq(internal, 1);
  ck_assert_int_eq(gone, 0);
  ck_assert_int_eq(mc__plat_token_alive(me), 1);
}
END_TEST
#endif

/* ---- names ---- */

static int parse(const char *name) {
  mc__objname n;
  return mc__name_parse(name, &n);
}

START_TEST(names_valid) {
  char longest[MC_NAME_MAX + 1];
  memset(longest, 'a', MC_NAME_MAX);
  longest[MC_NAME_MAX] = '\0';
  const char *ok[] = {"a", "A", "0", "abc.DEF_012-xyz", "...a", "-", "_", longest};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    ck_assert_msg(parse(ok[i]) == MC_OK, "'%s' should be valid", ok[i]);
  mc__objname n;
  TH_OK(mc__name_parse("abc", &n));
  ck_assert_str_eq(n.base, "abc");
  ck_assert_str_eq(n.ns, TH_WINDOWS ? "Local\\" : "");
}
END_TEST

START_TEST(names_invalid) {
  char toolong[MC_NAME_MAX + 2];
  memset(toolong, 'a', MC_NAME_MAX + 1);
  toolong[MC_NAME_MAX + 1] = '\0';
  const char *bad[] = {"",     "a b",  "a/b", "a\\b", "a$b", "a:b", "\xc3\xa9",
                       "a\tb", "a\nb", "a*",  "//a",  ".",   "..",  toolong,
                       "a%b",  "a?",   "a\"", "a'",   "a@b", "a#b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(parse(bad[i]) == MC_EINVAL, "'%s' should be invalid", bad[i]);
  TH_EXPECT(mc__name_parse(NULL, NULL), MC_EINVAL);
}
END_TEST

START_TEST(names_platform_prefixes) {
  mc__objname n;
  if (TH_WINDOWS) {
    TH_OK(mc__name_parse("Local\\abc", &n));
    ck_assert_str_eq(n.ns, "Local\\");
    ck_assert_str_eq(n.base, "abc");
    TH_OK(mc__name_parse("Global\\abc", &n));
    ck_assert_str_eq(n.ns, "Global\\");
    ck_assert_str_eq(n.base, "abc");
    TH_EXPECT(mc__name_parse("Local\\", &n), MC_EINVAL);
    TH_EXPECT(mc__name_parse("Other\\abc", &n), MC_EINVAL);
    TH_EXPECT(mc__name_parse("local\\abc", &n), MC_EINVAL);
  } else {
    TH_EXPECT(mc__name_parse("Global\\abc", &n), MC_EINVAL); /* no such namespace here */
  }
  /* The same name spelt three ways, on both systems. */
  const char *same[] = {"abc", "/abc", "Local\\abc", "Local\\/abc"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    TH_OK(mc__name_parse(same[i], &n));
    ck_assert_str_eq(n.base, "abc");
    ck_assert_str_eq(n.ns, TH_WINDOWS ? "Local\\" : "");
  }
  const char *bad[] = {"/", "Local\\", "Local\\/", "//abc", "/.", "/..", "Local\\.."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(parse(bad[i]) == MC_EINVAL, "'%s' should be invalid", bad[i]);
  /* A prefix does not count towards the 200 characters, and the name is still checked. */
  char buf[MC_NAME_MAX + 16];
  snprintf(buf, sizeof buf, "%s", TH_WINDOWS ? "Global\\" : "/");
  size_t p = strlen(buf);
  memset(buf + p, 'z', MC_NAME_MAX);
  buf[p + MC_NAME_MAX] = '\0';
  TH_OK(mc__name_parse(buf, &n));
  ck_assert_uint_eq(strlen(n.base), MC_NAME_MAX);
}
END_TEST

START_TEST(names_os_spelling) {
  mc__objname n;
  char buf[300];
  TH_OK(mc__name_parse("abc", &n));
  TH_OK(mc__plat_os_name(&n, "$lock", buf, sizeof buf));
  ck_assert_str_eq(buf, TH_WINDOWS ? "Local\\abc$lock" : "/abc$lock");
  TH_EXPECT(mc__plat_os_name(&n, "$lock", buf, 5), MC_EINVAL);
}
END_TEST

START_TEST(names_unique) {
  mc__objname a, b;
  TH_OK(mc__name_unique(&a));
  TH_OK(mc__name_unique(&b));
  ck_assert_str_ne(a.base, b.base);
  ck_assert_int_eq(parse(a.base), MC_OK); /* a unique name is a valid name */
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("core");
  TCase *tc = th_tcase(s, "errors", 10);
  tcase_add_test(tc, error_table_complete);
  tcase_add_test(tc, error_unknown_codes);
  tcase_add_test(tc, version_string);
  tcase_add_test(tc, os_error_is_kept);
#ifdef _WIN32
  tcase_add_test(tc, a_failed_process_lookup_is_not_a_death);
#endif
  tc = th_tcase(s, "names", 10);
  tcase_add_test(tc, names_valid);
  tcase_add_test(tc, names_invalid);
  tcase_add_test(tc, names_platform_prefixes);
  tcase_add_test(tc, names_os_spelling);
  tcase_add_test(tc, names_unique);
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
