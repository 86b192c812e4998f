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
  size_t sizes[MB_MAX_SIZES], stress_sizes[MB_MAX_SIZES], fan_sizes[MB_MAX_SIZES];
  int nsizes, nstress_sizes, nfan_sizes; /* 0: stress / fan-out use sizes */
  uint64_t samples, warmup;              /* ping-pong round trips */
  uint64_t pp_bytes;                     /* ping-pong: fewer samples past this (0: never) */
  uint64_t stream_ms, stream_msgs;       /* stream: time budget (0: none), most messages */
  uint64_t bytes;                        /* stream, stress: about this much per case */
  uint64_t stress_msgs;                  /* stress: per sender */
  int senders;
  int gaps[4], ngaps;                          /* stress: --gap-us values */
  int receivers[MB_MAX_RECEIVERS], nreceivers; /* fan-out: --receivers values */
  int work_ns;                                 /* share: work per message */
  unsigned fan_modes, fan_paths;               /* fan-out kinds and patterns (MB_BIT sets) */
  unsigned evloop_paths;  /* the poll and timed modes: their paths (MB_BIT set) */
  size_t evloop_max_size; /* and their largest size (0: every size) */
  const char *csv, *json;
  int progress;
  const char *profile; /* "full", "quick" or "smoke" */
  /* --soak (soak.c) instead of the cases: */
  int soak;                    /* 1: run the soak */
  uint64_t soak_ms, soak_msgs; /* stop after this long / this many delivered (0: no limit) */
  unsigned soak_lanes;         /* MB_BIT(MB_LANE_*) */
  int soak_kill_ms;            /* mean time between two kills in a lane; 0: no kills */
  int soak_report_s;           /* seconds between two progress lines; 0: none */
  size_t soak_max;             /* largest message */
} mb_opts;

/* Parses argv (after the program name). 0: run; 1: --help was printed; -1: bad usage
   (message printed). */
int mb_parse_options(int argc, char **argv, mb_opts *o);
void mb_usage(FILE *f);

/* The cases the options ask for, in run order; *n receives how many. Free with free(). */
mb_case *mb_plan(const mb_opts *o, int *n);

#endif
