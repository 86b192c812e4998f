/* Comparisons and the text table. */
#include "output.h"

#include <string.h>

#include "memchan.h"
#include "sys.h"

void mb_size_label(size_t size, char *buf, size_t cap) {
  if (size >= (1u << 20) && size % (1u << 20) == 0)
    snprintf(buf, cap, "%zu MiB", size >> 20);
  else if (size >= 1024 && size % 1024 == 0)
    snprintf(buf, cap, "%zu KiB", size >> 10);
  else
    snprintf(buf, cap, "%zu B", size);
}

static int is_memchan(const mb_case *c) {
  return strncmp(c->tr->name, "memchan", 7) == 0;
}

static const mb_result *find(const mb_result *r, int n, const char *tr, int pattern, int cpus,
                             size_t size) {
  for (int i = 0; i < n; i++)
    if (r[i].status == MB_OK && strcmp(r[i].c.tr->name, tr) == 0 && r[i].c.pattern == pattern &&
        (cpus < 0 || r[i].c.cpus == cpus) && (size == 0 || r[i].c.size == size))
      return &r[i];
  return NULL;
}

/* The fan-out patterns' comparison: the plain ring, its one receiver, same variant. */
static const mb_result *one_receiver(const mb_result *r, int n, const mb_case *c) {
  for (int i = 0; i < n; i++) {
    const mb_case *y = &r[i].c;
    if (r[i].status == MB_OK && strcmp(y->tr->name, "memchan-ring") == 0 &&
        y->pattern == c->pattern && y->cpus == c->cpus && y->size == c->size &&
        y->mode == c->mode && y->path == c->path)
      return &r[i];
  }
  return NULL;
}

static int same_group(const mb_case *a, const mb_case *b) {
  return a->pattern == b->pattern && a->cpus == b->cpus && a->size == b->size &&
         a->senders == b->senders && a->gap_us == b->gap_us;
}

void mb_compare(mb_result *r, int n) {
  for (int i = 0; i < n; i++) {
    mb_result *x = &r[i];
    if (x->status != MB_OK || x->c.tr->floor) continue;
    const mb_result *fl = NULL;
    if (x->c.pattern == MB_PINGPONG) {
      int futex = !is_memchan(&x->c) || x->c.mode == MB_MODE_BLOCK || MB_MODE_EVLOOP(x->c.mode);
      fl = find(r, n, futex ? "floor-futex" : "floor-cacheline", MB_PINGPONG, x->c.cpus, 0);
      if (fl && fl->lat.p50) x->floor_ratio = (double)x->lat.p50 / (double)fl->lat.p50;
    } else if (x->c.pattern == MB_STREAM) {
      fl = find(r, n, "floor-memcpy", MB_STREAM, -1, x->c.size);
      if (fl && fl->gbytes_per_s > 0) x->floor_ratio = x->gbytes_per_s / fl->gbytes_per_s;
    } else if (MB_IS_FAN(x->c.pattern)) {
      fl = one_receiver(r, n, &x->c);
      if (fl && fl->msgs_per_s > 0) x->floor_ratio = x->msgs_per_s / fl->msgs_per_s;
    }
    if (fl && x->floor_ratio > 0) x->floor_name = fl->c.tr->name;
    const mb_result *best = NULL;
    for (int j = 0; j < n; j++) {
      const mb_result *y = &r[j];
      if (y->status != MB_OK || !y->c.tr->baseline || !same_group(&x->c, &y->c)) continue;
      if (!best || (x->c.pattern == MB_STREAM ? y->msgs_per_s > best->msgs_per_s
                                              : y->lat.p50 < best->lat.p50))
        best = y;
    }
    if (!best) continue;
    if (x->c.pattern == MB_STREAM && best->msgs_per_s > 0)
      x->best_ratio = x->msgs_per_s / best->msgs_per_s;
    else if (x->c.pattern != MB_STREAM && best->lat.p50 > 0)
      x->best_ratio = (double)x->lat.p50 / (double)best->lat.p50;
    if (x->best_ratio > 0) x->best_name = best->c.tr->name;
  }
}

static void us(char *buf, size_t cap, uint64_t ns) {
  double v = (double)ns / 1000.0;
  snprintf(buf, cap, v < 100 ? "%.2f" : v < 1000 ? "%.1f" : "%.0f", v);
}

static void ratio(char *buf, size_t cap, double x, const char *name) {
  if (!name || x <= 0) {
    snprintf(buf, cap, "-");
    return;
  }
  const char *dash = strchr(name, '-'); /* "floor-futex" -> "futex" */
  snprintf(buf, cap, "%.2fx %s", x, strncmp(name, "floor-", 6) == 0 && dash ? dash + 1 : name);
}

static void rate(char *buf, size_t cap, double v) {
  if (v >= 1e6)
    snprintf(buf, cap, "%.2fM", v / 1e6);
  else if (v >= 1e3)
    snprintf(buf, cap, "%.1fk", v / 1e3);
  else
    snprintf(buf, cap, "%.0f", v);
}

static void row(FILE *f, const mb_result *x) {
  char size[MB_SIZE_LABEL], var[32], fr[32], br[32], p[6][16], m[16];
  mb_size_label(x->c.size, size, sizeof size);
  mb_variant_label(&x->c, var, sizeof var);
  ratio(fr, sizeof fr, x->floor_ratio, x->floor_name);
  ratio(br, sizeof br, x->best_ratio, x->best_name);
  if (MB_IS_FAN(x->c.pattern)) {
    rate(m, sizeof m, x->msgs_per_s);
    fprintf(f, "%-8s %-18s %-12s %3d %9s %8.3f  %-15s %s\n", size, x->c.tr->name, var,
            x->c.receivers, m, x->gbytes_per_s, x->floor_name ? fr : "-", x->note);
    return;
  }
  if (x->c.pattern == MB_STREAM) {
    rate(m, sizeof m, x->msgs_per_s);
    fprintf(f, "%-8s %-16s %-12s %9s %8.3f  %-17s %s\n", size, x->c.tr->name, var, m,
            x->gbytes_per_s, fr, br);
    return;
  }
  us(p[0], 16, x->lat.p50);
  us(p[1], 16, x->lat.p90);
  us(p[2], 16, x->lat.p99);
  us(p[3], 16, x->lat.p999);
  us(p[4], 16, x->lat.max);
  us(p[5], 16, (uint64_t)x->lat.mean);
  fprintf(f, "%-8s %-16s %-12s %8s %8s %8s %8s %8s %8s", size, x->c.tr->name, var, p[0], p[1], p[2],
          p[3], p[4], p[5]);
  if (x->c.pattern == MB_STRESS) {
    rate(m, sizeof m, x->msgs_per_s);
    fprintf(f, " %9s  %s\n", m, br);
  } else {
    fprintf(f, "  %-17s %s\n", fr, br);
  }
}

static void header(FILE *f, int pattern, int cpus, const mb_result *first) {
  static const char *const what[MB_NPATTERNS] = {
      "ping-pong round trip, latency in us", "streaming throughput, one sender",
      "stress handoff latency in us (send timestamp -> receipt)",
      "fan-out: one sender, every receiver gets every message; msg/s of the slowest receiver",
      "shared work: one sender, each message to one receiver"};
  fprintf(f, "\n== %s; cpus %s", what[pattern], mb_cpus_names[cpus]);
  if (pattern == MB_STRESS)
    fprintf(f, "; %d senders, gap %d us%s", first->c.senders, first->c.gap_us,
            first->c.gap_us ? "" : " (saturated: includes queueing)");
  if (pattern == MB_SHARE) fprintf(f, " that works %d ns on it; total msg/s", first->c.work_ns);
  fprintf(f, " ==\n");
  if (MB_IS_FAN(pattern))
    fprintf(f, "%-8s %-18s %-12s %3s %9s %8s  %-15s %s\n", "size", "transport", "variant", "rx",
            "msg/s", "GB/s", "vs 1-rx ring", "remarks");
  else if (pattern == MB_STREAM)
    fprintf(f, "%-8s %-16s %-12s %9s %8s  %-17s %s\n", "size", "transport", "variant", "msg/s",
            "GB/s", "vs floor", "vs best baseline");
  else
    fprintf(f, "%-8s %-16s %-12s %8s %8s %8s %8s %8s %8s%s\n", "size", "transport", "variant",
            "p50", "p90", "p99", "p99.9", "max", "mean",
            pattern == MB_STRESS ? "     msg/s  vs best baseline"
                                 : "  vs floor          vs best baseline");
}

/* Skipped cases, one line per transport and reason, with the sizes it concerns. */
static void skipped(FILE *f, const mb_result *r, int n) {
  int any = 0;
  for (int i = 0; i < n; i++) {
    if (r[i].status != MB_SKIPPED) continue;
    int seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = r[j].status == MB_SKIPPED && r[j].c.tr == r[i].c.tr &&
             r[j].c.pattern == r[i].c.pattern && strcmp(r[j].note, r[i].note) == 0;
    if (seen) continue;
    if (!any++) fprintf(f, "\nskipped:\n");
    fprintf(f, "  %-8s %-14s", mb_pattern_names[r[i].c.pattern], r[i].c.tr->name);
    for (int j = i; j < n; j++) {
      int same = r[j].status == MB_SKIPPED && r[j].c.tr == r[i].c.tr &&
                 r[j].c.pattern == r[i].c.pattern && strcmp(r[j].note, r[i].note) == 0;
      for (int k = i; k < j && same; k++) /* each size once, whatever the placements */
        same = !(r[k].status == MB_SKIPPED && r[k].c.tr == r[j].c.tr &&
                 r[k].c.pattern == r[j].c.pattern && r[k].c.size == r[j].c.size);
      if (!same) continue;
      char s[MB_SIZE_LABEL];
      mb_size_label(r[j].c.size, s, sizeof s);
      fprintf(f, " %s", s);
    }
    fprintf(f, ": %s\n", r[i].note);
  }
  for (int i = 0; mb_not_built[i][0]; i++) {
    if (!any++) fprintf(f, "\nskipped:\n");
    fprintf(f, "  %-8s %-14s %s\n", "all", mb_not_built[i][0], mb_not_built[i][1]);
  }
}

void mb_print_table(FILE *f, const mb_result *r, int n) {
  /* Results come in plan order: a section per placement, pattern and (stress) gap. */
  const mb_result *last = NULL;
  for (int i = 0; i < n; i++) {
    const mb_case *c = &r[i].c;
    if (r[i].status != MB_OK) continue;
    if (!last || last->c.cpus != c->cpus || last->c.pattern != c->pattern ||
        last->c.gap_us != c->gap_us)
      header(f, c->pattern, c->cpus, &r[i]);
    row(f, &r[i]);
    last = &r[i];
  }
  fprintf(f, "\nvs floor: latency = p50 / the floor's p50 (cacheline for spin and hybrid, futex\n"
             "for block, poll, timed and baselines; lower is better); throughput = GB/s /\n"
             "memcpy GB/s of the same size (higher is better). vs best baseline: p50 / the\n"
             "lowest baseline p50, or msg/s / the highest baseline msg/s, same placement and\n"
             "size. vs 1-rx ring (fan-out): msg/s / the plain ring's with one receiver, same\n"
             "variant.\n");
  skipped(f, r, n);
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (r[i].status != MB_FAILED) continue;
    char size[MB_SIZE_LABEL], var[32];
    mb_size_label(r[i].c.size, size, sizeof size);
    mb_variant_label(&r[i].c, var, sizeof var);
    if (!failed++) fprintf(f, "\nFAILED:\n");
    fprintf(f, "  %s %s %s %s cpus %s: %s\n", mb_pattern_names[r[i].c.pattern], r[i].c.tr->name,
            var, size, mb_cpus_names[r[i].c.cpus], r[i].note);
  }
}

void mb_print_notes(FILE *f) {
  int cpus[8];
  if (strcmp(mb_platform(), "win32") == 0)
    fprintf(f,
            "note: Win32 build%s: figures are only indicative; the POSIX-only floors and "
            "baselines are not built in.\n",
            mb_under_wine() ? " running under Wine" : "");
  if (mb_cpus_allowed(cpus, 8) < 2)
    fprintf(f, "note: only one CPU is available: 'different' placements share it.\n");
}
