/* Command-line options, the profiles (--quick, --smoke) and the list of cases they give. */
#ifndef MB_OPTIONS_H
#define MB_OPTIONS_H

#include <stdio.h>

#include "bench.h"

#define MB_MAX_SIZES 16
#define MB_MAX_TRS   32

typedef struct mb_opts {
  unsigned patterns, modes, paths, kinds; /* MB_BIT() sets */
  int cpus[MB_NCPUS], ncpus;              /* placements, in the order given */
  const mb_transport *trs[MB_MAX_TRS];
  int ntrs;
  size_t sizes[MB_MAX_SIZES];
  int nsizes;
  uint64_t samples, warmup;               /* ping-pong round trips */
  uint64_t stream_msgs, stream_bytes;     /* stream: at most msgs, and about bytes */
  uint64_t stress_msgs;                   /* stress: per sender */
  int senders, gap_us;
  const char *csv, *json;
  int progress;
  const char *profile;                    /* "full", "quick" or "smoke" */
} mb_opts;

/* Parses argv (after the program name). 0: run; 1: --help was printed; -1: bad usage
   (message printed). */
int mb_parse_options(int argc, char **argv, mb_opts *o);
void mb_usage(FILE *f);

/* The cases the options ask for, in run order; *n receives how many. Free with free(). */
mb_case *mb_plan(const mb_opts *o, int *n);

#endif
