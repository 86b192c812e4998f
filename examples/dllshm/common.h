/* What the two programs of examples/dllshm share: exit codes, and printing a failed call. */
#ifndef DLLSHM_COMMON_H
#define DLLSHM_COMMON_H

#include <memchan.h>
#include <stdio.h>

enum { EXIT_USAGE = 1, EXIT_LIB = 2, EXIT_WRONG = 3 };

/* 0 when rc is MC_OK; else says which call failed and returns EXIT_LIB. */
static inline int dllshm_check(const char *prog, const char *what, int rc) {
  if (rc == MC_OK) return 0;
  fprintf(stderr, "%s: %s: %s\n", prog, what, mc_err_name(rc));
  return EXIT_LIB;
}

#endif
