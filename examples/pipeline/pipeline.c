/* examples/pipeline: the supervisor. It creates the two channels and the progress block,
 * holding them (MC_CHAN_NONE) so that no stage's exit removes them early, starts the stages
 * as processes of this same program, waits for them, and reports how each ended and the
 * rate. Run `pipeline --help`; docs/tutorial.md explains every step. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#endif

static double now_seconds(void) { /* a monotonic-enough wall clock for a rate */
#ifdef _WIN32
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)f.QuadPart;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

typedef struct options {
  const char *prefix, *summary;
  uint32_t producers;
  uint64_t records, kill_after;
} options;

static int usage(FILE *f, int code) {
  fprintf(f,
          "usage: pipeline [--producers N] [--records M] [--name PREFIX] [--kill-middle-after K]\n"
          "                [--summary FILE]\n"
          "  N producers (default 3, at most %d) each send M records (default 100000) to a\n"
          "  transformer, which passes them on to a consumer that checks every one.\n"
          "  --name PREFIX         channels PREFIX-a and PREFIX-b, block PREFIX-progress\n"
          "                        (default \"pipeline\")\n"
          "  --kill-middle-after K kill the transformer once it has passed K records on: the\n"
          "                        other stages report what they saw\n"
          "  --summary FILE        also write the outcome as key=value lines\n"
          "exit status: 0 every stage did its part; 1 bad arguments or setup; 3 a stage failed\n"
          "and the others stopped cleanly.\n",
          PL_MAX_PRODUCERS);
  return code;
}

int pl_names_for(const char *prefix, pl_names *n) {
  size_t len = strlen(prefix);
  if (len == 0 || len + sizeof "-progress" > sizeof n->a) return MC_EINVAL;
  snprintf(n->a, sizeof n->a, "%s-a", prefix);
  snprintf(n->b, sizeof n->b, "%s-b", prefix);
  snprintf(n->progress, sizeof n->progress, "%s-progress", prefix);
  snprintf(n->go, sizeof n->go, "%s-go", prefix);
  return MC_OK;
}

pl_progress *pl_progress_open(const char *name, mc_shm **shm, int create) {
  void *data;
  mc_shm_options o = {.size = sizeof(pl_progress),
                      .flags = MC_SHM_UNPROTECTED | (create ? MC_SHM_CREATE : MC_SHM_OPEN)};
  int rc = mc_shm_open(name, &o, shm);
  if (rc == MC_OK) rc = mc_shm_acquire(*shm, MC_WRITE, 0, &data);
  if (rc != MC_OK) {
    fprintf(stderr, "pipeline: block %s: %s (%s)\n", name, mc_strerror(rc), mc_err_name(rc));
    return NULL;
  }
  return data;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* 0, or the usage exit code; *help when --help was asked for. */
static int parse(int argc, char **argv, options *o, int *help) {
  uint64_t v;
  *help = 0;
  for (int i = 1; i < argc; i += 2) { /* options come in pairs: name, value */
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      *help = 1;
      return 0;
    }
    if (!val) return 1;
    if (strcmp(a, "--producers") == 0 && parse_u64(val, 1, PL_MAX_PRODUCERS, &v) == 0)
      o->producers = (uint32_t)v;
    else if (strcmp(a, "--records") == 0 && parse_u64(val, 0, UINT64_MAX / 2, &v) == 0)
      o->records = v;
    else if (strcmp(a, "--kill-middle-after") == 0 && parse_u64(val, 1, UINT64_MAX / 2, &v) == 0)
      o->kill_after = v;
    else if (strcmp(a, "--name") == 0)
      o->prefix = val;
    else if (strcmp(a, "--summary") == 0)
      o->summary = val;
    else
      return 1;
  }
  return 0;
}

/* ---- starting and watching the stages ---------------------------------------------------- */

typedef struct stage {
  char label[32];
  mc_proc *proc;
  int code; /* exit code; -1 while unknown */
} stage;

static int start(stage *s, const char *label, const char *const args[]) {
  char self[4096];
  const char *argv[8] = {self, "--stage"};
  int i = 2;
  snprintf(s->label, sizeof s->label, "%s", label);
  s->code = -1;
  s->proc = NULL;
  if (mc_self_path(self, sizeof self) != MC_OK) return -1;
  for (int k = 0; args[k] && i < 7; k++) argv[i++] = args[k];
  argv[i] = NULL;
  int rc = mc_proc_spawn(argv, &s->proc);
  if (rc != MC_OK) fprintf(stderr, "pipeline: cannot start %s: %s\n", label, mc_strerror(rc));
  return rc == MC_OK ? 0 : -1;
}

/* Waits until all `n` producers are attached to channel a (or one of them ended first). A
   stream with several senders ends when none is attached and one has closed: a producer that
   finished before the last one attached would end it for everyone. So they all attach,
   then wait for "go". */
static int await_producers(mc_chan *a, stage *producers, uint32_t n) {
  mc_chan_ends e;
  int code;
  for (;;) {
    if (mc_chan_get_ends(a, &e) != MC_OK) return -1;
    if ((uint32_t)e.senders >= n) return 0;
    for (uint32_t i = 0; i < n; i++)
      if (mc_proc_wait(producers[i].proc, 0, &code) == MC_OK) return -1;
    mc_proc_wait(producers[0].proc, 1, &code); /* a millisecond's pause */
  }
}

/* Kills the transformer once it has passed `after` records on (or ended by itself). */
static void kill_middle(stage *mid, pl_progress *pg, uint64_t after) {
  int code;
  while (atomic_load_explicit(&pg->transformed, memory_order_relaxed) < after)
    if (mc_proc_wait(mid->proc, 1, &code) == MC_OK) return; /* it ended first */
  mc_proc_kill(mid->proc);
}

static const char *outcome(int code) {
  switch (code) {
  case PL_OK: return "did its part";
  case PL_USAGE: return "could not start its part";
  case PL_PEER_ENDED: return "stopped: a neighbour ended";
  case PL_BAD_DATA: return "found a bad record";
  case PL_ERROR: return "failed";
  case 137: return "killed";
  default: return "ended abnormally";
  }
}

static void write_summary(const options *o, stage *st, int n, const pl_progress *pg, double s) {
  FILE *f = fopen(o->summary, "w");
  if (!f) {
    fprintf(stderr, "pipeline: cannot write %s\n", o->summary);
    return;
  }
  for (int i = 0; i < n; i++) fprintf(f, "%s=%d\n", st[i].label, st[i].code);
  long long end = (long long)atomic_load(&pg->consumer_end);
  fprintf(f, "consumed=%llu\ntransformed=%llu\nconsumer_end=%s\nabort_code=%lld\nseconds=%.3f\n",
          (unsigned long long)atomic_load(&pg->consumed),
          (unsigned long long)atomic_load(&pg->transformed),
          end ? mc_err_name((int)end) : "none", (long long)atomic_load(&pg->abort_code), s);
  fclose(f);
}

static int supervise(const options *o) {
  pl_names n;
  mc_chan *a = NULL, *b = NULL;
  mc_shm *shm;
  stage st[PL_MAX_PRODUCERS + 2];
  char num[3][24];
  if (pl_names_for(o->prefix, &n) != MC_OK) return usage(stderr, PL_USAGE);
  /* Create everything before any stage starts, and hold it: the channels then live until we
     close them, whichever stage comes, goes or crashes. A crashed earlier run left nothing
     that stops us: a stale object of these names is replaced by the creates below. */
  pl_progress *pg = pl_progress_open(n.progress, &shm, 1);
  if (!pg) return PL_USAGE;
  mc_event *go;
  if (mc_event_open(n.go, 1, 0, &go) != MC_OK) {
    mc_shm_close(shm);
    return PL_USAGE;
  }
  mc_chan_options ao = {.max_msg = sizeof(pl_record), .flags = MC_CHAN_MULTI_SEND};
  mc_chan_options bo = {.max_msg = sizeof(pl_record)};
  int rc = mc_chan_create(n.a, &ao, MC_CHAN_NONE, &a);
  if (rc == MC_OK) rc = mc_chan_create(n.b, &bo, MC_CHAN_NONE, &b);
  if (rc != MC_OK) {
    fprintf(stderr, "pipeline: cannot create the channels of \"%s\": %s%s\n", o->prefix,
            mc_strerror(rc), rc == MC_EEXIST ? " (is a pipeline of that name running?)" : "");
    mc_chan_close(a);
    mc_event_close(go);
    mc_shm_close(shm);
    return PL_USAGE;
  }
  /* Downstream first, so that each stage finds its reader already there. */
  snprintf(num[0], sizeof num[0], "%u", (unsigned)o->producers);
  snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)o->records);
  const char *consume[] = {"consume", o->prefix, num[0], num[1], NULL};
  const char *transform[] = {"transform", o->prefix, NULL};
  int started = 0, failed = 0;
  double t0 = now_seconds();
  failed |= start(&st[started++], "consumer", consume);
  failed |= start(&st[started++], "transformer", transform);
  for (uint32_t p = 0; p < o->producers && !failed; p++) {
    char label[32];
    snprintf(num[2], sizeof num[2], "%u", (unsigned)p);
    snprintf(label, sizeof label, "producer%u", (unsigned)p);
    const char *produce[] = {"produce", o->prefix, num[2], num[1], NULL};
    failed |= start(&st[started++], label, produce);
  }
  if (!failed && await_producers(a, &st[2], o->producers) != 0) failed = 1;
  if (!failed) mc_event_set(go);
  if (o->kill_after && !failed) kill_middle(&st[1], pg, o->kill_after);
  int status = failed ? PL_USAGE : PL_OK;
  for (int i = 0; i < started; i++) {
    if (!st[i].proc) continue;
    if (failed) mc_proc_kill(st[i].proc); /* a half-started pipeline is taken down */
    mc_proc_wait(st[i].proc, MC_INFINITE, &st[i].code);
    mc_proc_free(st[i].proc);
    if (st[i].code != PL_OK && status == PL_OK) status = PL_PEER_ENDED;
  }
  double secs = now_seconds() - t0;
  uint64_t got = atomic_load(&pg->consumed);
  for (int i = 0; i < started; i++)
    printf("%-12s exit %3d: %s\n", st[i].label, st[i].code, outcome(st[i].code));
  printf("consumed %llu of %llu records in %.3f s (%.0f records/s)\n", (unsigned long long)got,
         (unsigned long long)(o->records * o->producers), secs, secs > 0 ? (double)got / secs : 0.0);
  if (o->summary) write_summary(o, st, started, pg, secs);
  mc_chan_close(b);
  mc_chan_close(a);
  mc_event_close(go);
  mc_shm_close(shm);
  return status;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int run_stage(int argc, char **argv) {
  pl_names n;
  uint64_t id, count;
  if (argc < 4 || pl_names_for(argv[3], &n) != MC_OK) return PL_USAGE;
  const char *kind = argv[2];
  if (strcmp(kind, "transform") == 0) return pl_transformer(&n);
  if (argc < 6 || parse_u64(argv[4], 0, PL_MAX_PRODUCERS, &id) != 0 ||
      parse_u64(argv[5], 0, UINT64_MAX / 2, &count) != 0)
    return PL_USAGE;
  if (strcmp(kind, "produce") == 0) return pl_producer(&n, (uint32_t)id, count);
  if (strcmp(kind, "consume") == 0 && id > 0) return pl_consumer(&n, (uint32_t)id, count);
  return PL_USAGE;
}

int main(int argc, char **argv) {
  options o = {.prefix = "pipeline", .producers = 3, .records = 100000};
  int help;
  if (mc_args_utf8(&argc, &argv) != MC_OK) return PL_USAGE;
  if (argc > 1 && strcmp(argv[1], "--stage") == 0) return run_stage(argc, argv);
  if (parse(argc, argv, &o, &help)) return usage(stderr, PL_USAGE);
  if (help) return usage(stdout, PL_OK);
  return supervise(&o);
}
