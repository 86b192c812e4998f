/* Command-line options and the profiles (see --help, printed by mb_usage). */
#include "options.h"

#include <stdlib.h>
#include <string.h>

#include "soak.h"

void mb_usage(FILE *f) {
  fputs("usage: memchan-bench [options]\n"
        "Handoff latency and throughput of memchan channels, side by side with floors (what the\n"
        "hardware and kernel cost without a library) and baselines (other IPC), in one run.\n"
        "\n"
        "profiles (default: the full run, which takes tens of minutes):\n"
        "  --quick             a complete but short run (under a minute on 2 cores)\n"
        "  --smoke             every pattern for a fraction of a second (for tests; no figures)\n"
        "selection (comma-separated lists; 'all' selects everything):\n"
        "  --patterns LIST     pingpong, stream, stress, fanout, share\n"
        "  --transports LIST   names below, or the groups memchan, floors, baselines\n"
        "  --sizes LIST        message bytes, with K/M suffixes: 8,64,256,1K,4K,64K,1M\n"
        "  --stress-sizes LIST sizes for the stress pattern (default: --sizes; quick: 64)\n"
        "  --fan-sizes LIST    sizes for fanout and share (default 64 and 4K; quick: 64)\n"
        "  --modes LIST        memchan waiting: spin (spin_us 1000000), block (spin_us -1),\n"
        "                      hybrid (spin_us 0: the library default); and on the plain ring,\n"
        "                      ping-pong and stream only, spin_us -1 with: poll (receive with\n"
        "                      timeout 0, then sleep in poll(2) on the end's OS handle; POSIX\n"
        "                      only), timed (every call with a 1 s timeout, in a loop)\n"
        "  --paths LIST        memchan API: copy (send/recv), zc (reserve/commit, peek/consume)\n"
        "  --kinds LIST        memchan channel kinds: ring, slot, bcast (broadcast ring),\n"
        "                      bcast-drop (broadcast, drop-oldest), share (MULTI_RECV ring)\n"
        "  --cpus LIST         different (the two processes pinned to two CPUs), same (both on\n"
        "                      one CPU), none (not pinned); default different,same\n"
        "counts:\n"
        "  --samples N         ping-pong round trips measured (full 100000, quick 2000; quick\n"
        "                      takes fewer for large sizes: about 256 MiB each way)\n"
        "  --warmup N          ping-pong round trips before measuring (10% of samples)\n"
        "  --stream-ms N       stream: measure for N ms (full 2000, quick 100; 0: by count)\n"
        "  --messages N        stream: at most N messages measured\n"
        "  --bytes N           stream and stress: at most about N bytes per case\n"
        "  --stress-messages N stress: messages per sender (full 50000, quick 2000)\n"
        "  --senders N         stress: sender processes (default 4)\n"
        "  --gap-us LIST       stress: pause between a sender's messages, in us; one stress\n"
        "                      case per value (default 0,50: saturated, and paced)\n"
        "  --receivers LIST    fanout, share: receiver processes, 1..16, one case per value\n"
        "                      (default 1,2,4; the plain ring always has one)\n"
        "  --work-ns N         share: CPU work per message after receiving it (default 1000)\n"
        "  --modes and --paths also choose the fan-out cases' variants; without them, the\n"
        "  quick profile runs those in hybrid copy only, and poll and timed at 64 B copy only\n"
        "  (also without --sizes)\n"
        "output:\n"
        "  --csv FILE          one line per measurement (fields below)\n"
        "  --json FILE         {\"tool\", \"version\", \"platform\", \"indicative\", \"records\": "
        "[...]}\n"
        "  --no-progress       no progress line on stderr\n"
        "soak (instead of the measurements; see docs/performance.md, \"Soak\"):\n"
        "  --soak DURATION     checked message streams between processes that are killed and\n"
        "                      restarted at random: 90s, 30m, 2h (a bare number: seconds)\n"
        "  --soak-messages N   stop once N messages were delivered (alone: no time limit)\n"
        "  --soak-channels LIST ring (1 sender), multi (multi-sender ring, 3 senders), slot\n"
        "                      (slot channel, 3 senders); default all, run side by side\n"
        "  --soak-kill-every MS a kill in each channel every MS ms on average (uniformly\n"
        "                      0.5..1.5 x MS), of a sender or the receiver; 0: none (default 200)\n"
        "  --soak-max-size N   largest message, 16 .. 64K (default 4K; most are much smaller)\n"
        "  --soak-report-every S a progress line every S seconds (default 5; 0: none)\n"
        "  A line, then the table: delivered and committed messages, delivered/s, kills, and\n"
        "  the failures: hangs, losses, duplicates, reorders, invented (or corrupt) messages,\n"
        "  other errors; then whether the run's shared-memory names are gone. Exit status 0\n"
        "  only if every failure count is 0 and no name is left. --csv and --json write one\n"
        "  record per channel and a total (fields: channel senders elapsed_ns kill_every_ms\n"
        "  max_size delivered committed inflight rx_lost msgs_per_s kills_senders\n"
        "  kills_receivers restarts hangs losses duplicates reorders invented errors\n"
        "  names_left status platform).\n"
        "\n"
        "patterns:\n"
        "  pingpong  round trip parent -> peer -> parent; percentiles from a log-bucket histogram\n"
        "            (<= 0.8% relative error)\n"
        "  stream    one sender, one receiver: msg/s and GB/s (10^9 bytes/s) at the receiver\n"
        "  stress    N senders, one receiver (memchan: multi-sender ring); latency from a send\n"
        "            timestamp carried in each message (monotonic clock) to its receipt\n"
        "  fanout    one sender, N receivers that each get every message (memchan-bcast,\n"
        "            memchan-bcast-drop; memchan-ring with one receiver to compare): msg/s of\n"
        "            the slowest receiver, and the messages the receivers dropped\n"
        "  share     one sender, N receivers sharing the messages (memchan-share; memchan-ring\n"
        "            with one), each doing --work-ns of CPU work per message: total msg/s\n"
        "  fanout and share place the processes round-robin over all CPUs (cpus different)\n"
        "fair rule: a sender produces each message with one copy from its buffer (inside send,\n"
        "or into the reserved space); the receiver reads a word of every 64-byte line where the\n"
        "API delivers it (its buffer, or in place for zero-copy) and checks the header.\n"
        "\n"
        "record fields (CSV header and JSON keys; times in ns; empty/null when not applicable):\n"
        "  pattern transport kind mode path cpus size status samples warmup senders gap_us\n"
        "  min_ns p50_ns p90_ns p99_ns p999_ns max_ns mean_ns messages elapsed_ns msgs_per_s\n"
        "  gbytes_per_s floor floor_ratio best_baseline best_baseline_ratio platform note\n"
        "  receivers work_ns dropped\n"
        "  status: ok, skipped or failed (note says why). floor_ratio: latency p50 / floor p50\n"
        "  (cache-line floor for spin and hybrid, futex floor for block, poll, timed and\n"
        "  baselines) or\n"
        "  GB/s / memcpy GB/s of the same size. best_baseline_ratio: p50 / the lowest baseline\n"
        "  p50, or msg/s / the highest baseline msg/s, same pattern, placement and size.\n"
        "  fanout and share: floor is memchan-ring (its one receiver) in the same variant,\n"
        "  placement and size, floor_ratio msg/s / its msg/s. dropped: messages the receivers\n"
        "  lost (drop-oldest), all together.\n"
        "\n"
        "transports in this build:\n",
        f);
  for (int i = 0; mb_transports[i]; i++)
    fprintf(f, "  %-16s %s\n", mb_transports[i]->name, mb_transports[i]->about);
  for (int i = 0; mb_not_built[i][0]; i++)
    fprintf(f, "  %-16s (%s)\n", mb_not_built[i][0], mb_not_built[i][1]);
}

static int bad(const char *what, const char *s) {
  fprintf(stderr, "memchan-bench: bad %s '%s' (see --help)\n", what, s);
  return -1;
}

/* Parses a comma list of names into a bit set. */
static int parse_set(const char *s, const char *const *names, int n, unsigned *out,
                     const char *what) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  *out = 0;
  for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
    if (strcmp(t, "all") == 0) {
      *out = (1u << n) - 1;
      continue;
    }
    int k = mb_name_index(names, n, t);
    if (k < 0) return bad(what, t);
    *out |= MB_BIT(k);
  }
  return *out ? 0 : bad(what, s);
}

static int parse_gaps(const char *s, mb_opts *o) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  o->ngaps = 0;
  for (char *t = strtok(buf, ","); t && o->ngaps < 4; t = strtok(NULL, ",")) {
    char *end;
    long v = strtol(t, &end, 10);
    if (end == t || *end || v < 0 || v > 10000000) return bad("gap (0 .. 10000000 us)", t);
    o->gaps[o->ngaps++] = (int)v;
  }
  return o->ngaps ? 0 : bad("gap", s);
}

static int parse_receivers(const char *s, mb_opts *o) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  o->nreceivers = 0;
  for (char *t = strtok(buf, ","); t && o->nreceivers < MB_MAX_RECEIVERS; t = strtok(NULL, ",")) {
    char *end;
    long v = strtol(t, &end, 10);
    if (end == t || *end || v < 1 || v > MB_MAX_RECEIVERS) return bad("receivers (1 .. 16)", t);
    o->receivers[o->nreceivers++] = (int)v;
  }
  return o->nreceivers ? 0 : bad("receivers", s);
}

static int parse_cpus(const char *s, mb_opts *o) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", s);
  o->ncpus = 0;
  for (char *t = strtok(buf, ","); t && o->ncpus < MB_NCPUS; t = strtok(NULL, ",")) {
    int k = mb_name_index(mb_cpus_names, MB_NCPUS, t);
    if (k < 0) return bad("placement", t);
    o->cpus[o->ncpus++] = k;
  }
  return o->ncpus ? 0 : bad("placement", s);
}

static int add_tr(mb_opts *o, const mb_transport *t) {
  for (int i = 0; i < o->ntrs; i++)
    if (o->trs[i] == t) return 0;
  if (o->ntrs < MB_MAX_TRS) o->trs[o->ntrs++] = t;
  return 0;
}

static int parse_transports(const char *s, mb_opts *o) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", s);
  o->ntrs = 0;
  for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
    int group = 0;
    for (int i = 0; mb_transports[i]; i++) {
      const mb_transport *x = mb_transports[i];
      int member = strcmp(t, "all") == 0 || (strcmp(t, "floors") == 0 && x->floor) ||
                   (strcmp(t, "baselines") == 0 && x->baseline) ||
                   (strcmp(t, "memchan") == 0 && strncmp(x->name, "memchan", 7) == 0);
      if (member) group = 1, add_tr(o, x);
    }
    if (group) continue;
    const mb_transport *x = mb_transport_find(t);
    if (x) {
      add_tr(o, x);
      continue;
    }
    int known = 0; /* a real baseline this build lacks: said at the end, not an error */
    for (int i = 0; mb_not_built[i][0]; i++) known |= strcmp(mb_not_built[i][0], t) == 0;
    if (!known) return bad("transport", t);
  }
  return 0;
}

static int parse_size(const char *t, size_t *out) {
  char *end;
  unsigned long long v = strtoull(t, &end, 10);
  if (end == t) return -1;
  if (*end == 'K' || *end == 'k')
    v <<= 10, end++;
  else if (*end == 'M' || *end == 'm')
    v <<= 20, end++;
  if (*end == 'B' || *end == 'b') end++;
  if (*end || v < 8 || v > (64u << 20)) return -1; /* the 8-byte header must fit */
  *out = (size_t)v;
  return 0;
}

static int parse_sizes(const char *s, size_t *sizes, int *n) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  *n = 0;
  for (char *t = strtok(buf, ","); t && *n < MB_MAX_SIZES; t = strtok(NULL, ","))
    if (parse_size(t, &sizes[(*n)++]) != 0) return bad("size (8 B .. 64 MiB)", t);
  return *n ? 0 : bad("size", s);
}

/* 90s, 30m, 2h, 500ms; a bare number is seconds. */
static int parse_duration(const char *s, uint64_t *ms) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  uint64_t unit = 1000;
  if (end == s) return bad("duration", s);
  if (strcmp(end, "ms") == 0)
    unit = 1;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    unit = 60000;
  else if (strcmp(end, "h") == 0)
    unit = 3600000;
  else if (*end && strcmp(end, "s") != 0)
    return bad("duration (90s, 30m, 2h)", s);
  if (v == 0 || v > UINT64_MAX / 3600000) return bad("duration", s);
  *ms = v * unit;
  return 0;
}

static int parse_count(const char *s, uint64_t *out, uint64_t min) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *end || v < min) return bad("count", s);
  *out = v;
  return 0;
}

/* An int in [min, max]; what names it in the message. */
static int parse_int(const char *s, int min, int max, int *out, const char *what) {
  char *end;
  unsigned long long n = strtoull(s, &end, 10); /* "-1" comes out huge: over max */
  if (end == s || *end || n < (unsigned long long)min || n > (unsigned long long)max)
    return bad(what, s);
  *out = (int)n;
  return 0;
}

/* The profiles: full (default), quick and smoke. Later options override them. */
static void profile(mb_opts *o, const char *name) {
  static const size_t all_sizes[] = {8, 64, 256, 1024, 4096, 65536, 1048576};
  o->profile = name;
  o->patterns = MB_BIT(MB_NPATTERNS) - 1;
  o->modes = MB_BIT(MB_NMODES) - 1;
  o->paths = MB_BIT(MB_NPATHS) - 1;
  o->kinds = MB_BIT(MB_NKINDS) - 1;
  o->ncpus = 2;
  o->cpus[0] = MB_CPUS_DIFFERENT;
  o->cpus[1] = MB_CPUS_SAME;
  o->senders = 4;
  o->ngaps = 2;
  o->gaps[0] = 0;
  o->gaps[1] = 50;
  o->ntrs = 0;
  parse_transports("all", o);
  o->nsizes = 7;
  memcpy(o->sizes, all_sizes, sizeof all_sizes);
  o->nstress_sizes = 0;
  o->nfan_sizes = 2;
  o->fan_sizes[0] = 64, o->fan_sizes[1] = 4096;
  o->nreceivers = 3;
  o->receivers[0] = 1, o->receivers[1] = 2, o->receivers[2] = 4;
  o->work_ns = 1000;
  o->fan_modes = o->modes, o->fan_paths = o->paths;
  o->evloop_paths = o->paths, o->evloop_max_size = 0;
  o->pp_bytes = 0;
  if (strcmp(name, "full") == 0) {
    o->samples = 100000;
    o->stream_ms = 2000;
    o->stream_msgs = 100000000;
    o->bytes = (uint64_t)64 << 30;
    o->stress_msgs = 50000;
  } else if (strcmp(name, "quick") == 0) {
    o->samples = 2000;
    o->pp_bytes = (uint64_t)256 << 20;
    o->stream_ms = 100;
    o->stream_msgs = 10000000;
    o->bytes = (uint64_t)1 << 30;
    o->stress_msgs = 2000;
    o->nsizes = 3;
    o->sizes[0] = 64, o->sizes[1] = 4096, o->sizes[2] = 1048576;
    o->nstress_sizes = 1;
    o->stress_sizes[0] = 64;
    o->nfan_sizes = 1;
    o->fan_modes = MB_BIT(MB_MODE_HYBRID), o->fan_paths = MB_BIT(MB_PATH_COPY);
    o->evloop_paths = MB_BIT(MB_PATH_COPY), o->evloop_max_size = 64;
  } else { /* smoke: every pattern, a few transports, tiny counts; figures mean nothing */
    o->samples = 200;
    o->stream_ms = 0;
    o->stream_msgs = 500;
    o->bytes = 1 << 20;
    o->stress_msgs = 100;
    o->senders = 2;
    o->ngaps = 1;
    o->nsizes = 1;
    o->sizes[0] = 64;
    o->modes = MB_BIT(MB_MODE_HYBRID) | MB_BIT(MB_MODE_BLOCK) | MB_BIT(MB_MODE_POLL) |
               MB_BIT(MB_MODE_TIMED);
    o->ncpus = 1;
    o->cpus[0] = MB_CPUS_DIFFERENT;
    parse_transports("floor-cacheline,floor-memcpy,memchan,pipe", o);
    o->nfan_sizes = 1;
    o->nreceivers = 2;
    o->fan_modes = o->modes;
  }
  o->warmup = o->samples / 10;
  o->soak_lanes = MB_BIT(MB_NLANES) - 1;
  o->soak_kill_ms = 200;
  o->soak_report_s = 5;
  o->soak_max = 4096;
}

int mb_parse_options(int argc, char **argv, mb_opts *o) {
  memset(o, 0, sizeof *o);
  o->progress = 1;
  profile(o, "full");
  int warmup_set = 0, stress_sizes_set = 0, fan_sizes_set = 0;
  for (int i = 0; i < argc; i++) /* profiles first, so that other options refine them */
    if (strcmp(argv[i], "--quick") == 0 || strcmp(argv[i], "--smoke") == 0) profile(o, argv[i] + 2);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0, takes = 1;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      mb_usage(stdout);
      return 1;
    } else if (strcmp(a, "--quick") == 0 || strcmp(a, "--smoke") == 0) {
      takes = 0;
    } else if (strcmp(a, "--no-progress") == 0) {
      o->progress = 0, takes = 0;
    } else if (!v) {
      fprintf(stderr, "memchan-bench: unknown option or missing value: %s (see --help)\n", a);
      return -1;
    } else if (strcmp(a, "--patterns") == 0) {
      rc = parse_set(v, mb_pattern_names, MB_NPATTERNS, &o->patterns, "pattern");
    } else if (strcmp(a, "--modes") == 0) {
      rc = parse_set(v, mb_mode_names, MB_NMODES, &o->modes, "mode");
      o->fan_modes = o->modes, o->evloop_max_size = 0;
    } else if (strcmp(a, "--paths") == 0) {
      rc = parse_set(v, mb_path_names, MB_NPATHS, &o->paths, "path");
      o->fan_paths = o->evloop_paths = o->paths;
    } else if (strcmp(a, "--kinds") == 0) {
      rc = parse_set(v, mb_kind_names, MB_NKINDS, &o->kinds, "kind");
    } else if (strcmp(a, "--cpus") == 0) {
      rc = parse_cpus(v, o);
    } else if (strcmp(a, "--transports") == 0) {
      rc = parse_transports(v, o);
    } else if (strcmp(a, "--sizes") == 0) {
      rc = parse_sizes(v, o->sizes, &o->nsizes), o->evloop_max_size = 0;
      if (!stress_sizes_set) o->nstress_sizes = 0; /* stress follows --sizes */
      if (!fan_sizes_set) o->nfan_sizes = 0;       /* and so do the fan-out patterns */
    } else if (strcmp(a, "--stress-sizes") == 0) {
      rc = parse_sizes(v, o->stress_sizes, &o->nstress_sizes), stress_sizes_set = 1;
    } else if (strcmp(a, "--fan-sizes") == 0) {
      rc = parse_sizes(v, o->fan_sizes, &o->nfan_sizes), fan_sizes_set = 1;
    } else if (strcmp(a, "--receivers") == 0) {
      rc = parse_receivers(v, o);
    } else if (strcmp(a, "--work-ns") == 0) {
      rc = parse_int(v, 0, 1000000, &o->work_ns, "work (0 .. 1000000 ns)");
    } else if (strcmp(a, "--samples") == 0) {
      rc = parse_count(v, &o->samples, 1), o->pp_bytes = 0; /* exactly what was asked */
    } else if (strcmp(a, "--warmup") == 0) {
      rc = parse_count(v, &o->warmup, 0), warmup_set = 1;
    } else if (strcmp(a, "--messages") == 0) {
      rc = parse_count(v, &o->stream_msgs, 1);
    } else if (strcmp(a, "--stream-ms") == 0) {
      rc = parse_count(v, &o->stream_ms, 0);
    } else if (strcmp(a, "--bytes") == 0) {
      rc = parse_count(v, &o->bytes, 1);
    } else if (strcmp(a, "--stress-messages") == 0) {
      rc = parse_count(v, &o->stress_msgs, 1);
    } else if (strcmp(a, "--senders") == 0) {
      rc = parse_int(v, 1, 64, &o->senders, "number of senders (1..64)");
    } else if (strcmp(a, "--gap-us") == 0) {
      rc = parse_gaps(v, o);
    } else if (strcmp(a, "--soak") == 0) {
      rc = parse_duration(v, &o->soak_ms), o->soak = 1;
    } else if (strcmp(a, "--soak-messages") == 0) {
      rc = parse_count(v, &o->soak_msgs, 1), o->soak = 1;
    } else if (strcmp(a, "--soak-channels") == 0) {
      rc = parse_set(v, mb_lane_names, MB_NLANES, &o->soak_lanes, "soak channel");
    } else if (strcmp(a, "--soak-kill-every") == 0) {
      rc = parse_int(v, 0, 3600000, &o->soak_kill_ms, "kill interval (0 .. 3600000 ms)");
    } else if (strcmp(a, "--soak-max-size") == 0) {
      rc = parse_size(v, &o->soak_max);
      if (rc != 0 || o->soak_max < MB_SOAK_MIN_MSG || o->soak_max > MB_SOAK_MAX_MSG)
        rc = bad("largest soak message (16 .. 64K)", v);
    } else if (strcmp(a, "--soak-report-every") == 0) {
      rc = parse_int(v, 0, 86400, &o->soak_report_s, "report interval (0 .. 86400 s)");
    } else if (strcmp(a, "--csv") == 0) {
      o->csv = v;
    } else if (strcmp(a, "--json") == 0) {
      o->json = v;
    } else {
      fprintf(stderr, "memchan-bench: unknown option %s (see --help)\n", a);
      return -1;
    }
    if (rc != 0) return -1;
    i += takes;
  }
  if (!warmup_set) o->warmup = o->samples / 10;
  return 0;
}
