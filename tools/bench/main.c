/* memchan-bench: handoff latency and throughput of memchan against floors and baselines,
 * or (--soak) a long kill-and-restart run with every message checked. Usage in --help
 * (options.c). Run with --peer it is instead one of a case's peer processes (run.c), with
 * --soak-peer one of the soak's processes (soak_peer.c), started by the parent through
 * mc_self_path + mc_proc_spawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "memchan.h"
#include "options.h"
#include "output.h"
#include "soak.h"
#include "sys.h"

static void progress(const mb_opts *o, int i, int n, const mb_case *c, uint64_t t0) {
  if (!o->progress) return;
  char size[MB_SIZE_LABEL], var[32];
  mb_size_label(c->size, size, sizeof size);
  mb_variant_label(c, var, sizeof var);
  double s = (double)(mb_now_ns() - t0) / 1e9;
  /* On a terminal one line rewritten in place; in a log one line per case. */
  int tty = mb_stderr_is_tty();
  fprintf(stderr, "%s[%d/%d %5.1fs] %-8s %-9s %-16s %-12s %s%s", tty ? "\r" : "", i + 1, n, s,
          mb_pattern_names[c->pattern], mb_cpus_names[c->cpus], c->tr->name,
          strcmp(var, "-") ? var : "", size, tty ? "\033[K" : "\n");
  fflush(stderr);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--peer") == 0) return mb_peer_main(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "--soak-peer") == 0)
    return mb_soak_peer_main(argc - 2, argv + 2);
  setvbuf(stdout, NULL, _IOLBF, 0);
  mb_opts o;
  int rc = mb_parse_options(argc - 1, argv + 1, &o);
  if (rc != 0) return rc > 0 ? 0 : 2;
  if (o.soak) return mb_soak(&o);
  int n = 0;
  mb_case *cases = mb_plan(&o, &n);
  if (n == 0) {
    fprintf(stderr, "memchan-bench: nothing to run for this selection\n");
    free(cases);
    return 2;
  }
  mb_result *res = calloc((size_t)n, sizeof *res);
  if (!res) {
    fprintf(stderr, "memchan-bench: out of memory\n");
    return 1;
  }
  printf("memchan-bench %s (%s profile), %s, %d cases\n", mc_version(), o.profile, mb_platform(),
         n);
  mb_print_notes(stdout);
  uint64_t t0 = mb_now_ns();
  int failed = 0;
  for (int i = 0; i < n; i++) {
    progress(&o, i, n, &cases[i], t0);
    if (mb_run_case(&cases[i], &res[i]) == MB_FAILED) {
      failed++;
      if (o.progress && mb_stderr_is_tty()) fputc('\n', stderr);
      fprintf(stderr, "memchan-bench: %s %s failed: %s\n", mb_pattern_names[cases[i].pattern],
              cases[i].tr->name, res[i].note);
    }
  }
  if (o.progress && mb_stderr_is_tty()) fputc('\n', stderr);
  mb_compare(res, n);
  mb_print_table(stdout, res, n);
  printf("\n%d cases in %.1f s", n, (double)(mb_now_ns() - t0) / 1e9);
  printf("%s\n", failed ? "; some FAILED (see above)" : "");
  mb_print_notes(stdout);
  if (o.csv && mb_write_csv(o.csv, res, n) != 0) failed++;
  if (o.json && mb_write_json(o.json, res, n) != 0) failed++;
  free(res);
  free(cases);
  return failed ? 1 : 0;
}
