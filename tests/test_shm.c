/* mc_shm life cycle: first owner, validation, lifetime. */
#include "harness.h"

START_TEST(placeholder_open_close) {
  char name[64];
  mc_shm *shm = NULL;
  mc_shm_options o = {.size = 4096};
  th_name(name, sizeof name, "basic");
  TH_OK(mc_shm_open(name, &o, &shm));
  ck_assert_int_eq(mc_shm_created(shm), 1);
  mc_shm_close(shm);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("shm");
  TCase *tc = th_tcase(s, "life", 60);
  tcase_add_test(tc, placeholder_open_close);
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
