/* What the soak reports: the header, the progress line, the final table and verdict, and the
 * CSV and JSON records (one per channel and a total; fields in --help). */
#include "soak.h"

#include <string.h>

#include "bench.h"
#include "output.h"
#include "sys.h"

uint64_t mb_soak_failures(const mb_soak_fig *f) {
  uint64_t n = 0;
  for (int k = 0; k < MB_SF_COUNT; k++) n += f->fails[k];
  return n;
}

static int posix_names(void) {
  return strcmp(mb_platform(), "linux") == 0;
}

void mb_soak_header(FILE *f, const mb_soak_result *r, const mb_opts *o, int names_before) {
  char size[MB_SIZE_LABEL];
  mb_size_label(r->max, size, sizeof size);
  fprintf(f, "memchan-bench %s soak, %s%s:", mc_version(), mb_platform(),
          mb_under_wine() ? " (Wine)" : "");
  for (int i = 0; i < r->nlanes; i++) {
    int k = r->lane[i], n = mb_soak_lane_senders(k);
    fprintf(f, "%s %s (%d sender%s)", i ? "," : "", mb_lane_names[k], n, n > 1 ? "s" : "");
  }
  fprintf(f, "%s\n  ", r->nlanes > 1 ? ", side by side" : "");
  if (o->soak_ms) fprintf(f, "for %.0f s", (double)o->soak_ms / 1000);
  if (o->soak_ms && o->soak_msgs) fprintf(f, " or ");
  if (o->soak_msgs) fprintf(f, "until %llu messages", (unsigned long long)o->soak_msgs);
  if (r->kill_ms)
    fprintf(f, "; a kill every ~%d ms in each channel", r->kill_ms);
  else
    fprintf(f, "; no kills");
  fprintf(f, "; messages of 16 B .. %s\n", size);
  if (posix_names())
    fprintf(f, "  names: %d entries of /dev/shm start with %s at the start\n", names_before,
            r->prefix);
  fflush(f);
}

static void failures(FILE *f, const mb_soak_fig *t) {
  for (int k = 0; k < MB_SF_COUNT; k++)
    fprintf(f, " %s %llu", mb_soak_fail_names[k], (unsigned long long)t->fails[k]);
}

void mb_soak_line(FILE *f, uint64_t elapsed_ns, const mb_soak_fig *t) {
  double s = (double)elapsed_ns / 1e9;
  fprintf(f,
          "[%8.1f s] delivered %llu committed %llu (%.0f/s) kills %llu (%llu senders, %llu "
          "receivers)",
          s, (unsigned long long)t->delivered, (unsigned long long)t->committed,
          s > 0 ? (double)t->delivered / s : 0.0, (unsigned long long)(t->kills_tx + t->kills_rx),
          (unsigned long long)t->kills_tx, (unsigned long long)t->kills_rx);
  failures(f, t);
  fputc('\n', f);
  fflush(f);
}

static double rate(const mb_soak_result *r, const mb_soak_fig *x) {
  return r->elapsed_ns ? (double)x->delivered * 1e9 / (double)r->elapsed_ns : 0.0;
}

/* delivered = committed + in-flight - rx-lost: what the counts must say when nothing failed
   (each term exact: see soak.h). */
static int balanced(const mb_soak_fig *x) {
  return x->delivered + x->rx_lost == x->committed + x->inflight;
}

static void row(FILE *f, const char *name, int senders, const mb_soak_result *r,
                const mb_soak_fig *x) {
  fprintf(f, "%-8s %7d %13llu %13llu %9llu %8llu %10.0f %9llu %9llu %8llu", name, senders,
          (unsigned long long)x->delivered, (unsigned long long)x->committed,
          (unsigned long long)x->inflight, (unsigned long long)x->rx_lost, rate(r, x),
          (unsigned long long)x->kills_tx, (unsigned long long)x->kills_rx,
          (unsigned long long)x->restarts);
  for (int k = 0; k < MB_SF_COUNT; k++) fprintf(f, " %10llu", (unsigned long long)x->fails[k]);
  fputc('\n', f);
}

int mb_soak_passed(const mb_soak_result *r) {
  for (int i = 0; i < r->nlanes; i++)
    if (!balanced(&r->fig[i])) return 0;
  return mb_soak_failures(&r->total) == 0 && r->names_left == 0;
}

void mb_soak_table(FILE *f, const mb_soak_result *r) {
  int senders = 0, unbalanced = 0;
  fprintf(f, "\n== soak: %.1f s%s ==\n", (double)r->elapsed_ns / 1e9,
          r->interrupted ? " (interrupted)" : "");
  fprintf(f, "channel  senders     delivered     committed in-flight  rx-lost      msg/s  kills "
             "tx  kills rx restarts");
  for (int k = 0; k < MB_SF_COUNT; k++) fprintf(f, " %10s", mb_soak_fail_names[k]);
  fputc('\n', f);
  for (int i = 0; i < r->nlanes; i++) {
    int n = mb_soak_lane_senders(r->lane[i]);
    senders += n;
    row(f, mb_lane_names[r->lane[i]], n, r, &r->fig[i]);
    unbalanced += !balanced(&r->fig[i]);
  }
  row(f, "total", senders, r, &r->total);
  fprintf(f, "\nsenders: at once (each killed sender is replaced by one with a new id). in-flight:"
             " delivered\nalthough their sender was killed before its commit returned. "
             "rx-lost: consumed by a\nreceiver that was killed before it could account for "
             "them (each such death explains one).\n");
  fprintf(f, "delivered = committed + in-flight - rx-lost: %s\n",
          unbalanced ? "does NOT hold (see the failures)" : "holds for every channel");
  if (r->names_left < 0)
    fprintf(f, "names: could not be looked at\n");
  else if (posix_names())
    fprintf(f, "names: the entries of /dev/shm that start with %s are %s\n", r->prefix,
            r->names_left ? "not those of the start" : "those of the start: clean");
  else
    fprintf(f, "names: %s\n", r->names_left ? "some still open" : "none opens any more: clean");
  if (r->names_left > 0) fprintf(f, "  left: %s (and %d more)\n", r->left_name, r->names_left - 1);
  fprintf(f, "soak: %s\n", mb_soak_passed(r) ? "PASSED (no failure, no name left)" : "FAILED");
  fflush(f);
}

/* ---- records ---- */

#define NFIELDS 22

static void fields(const void *ctx, int i, mb_field *f) {
  const mb_soak_result *r = ctx;
  int is_total = i >= r->nlanes, senders = 0, k = 0;
  const mb_soak_fig *x = is_total ? &r->total : &r->fig[i];
  for (int j = 0; j < r->nlanes; j++) senders += mb_soak_lane_senders(r->lane[j]);
  if (!is_total) senders = mb_soak_lane_senders(r->lane[i]);
  int ok = mb_soak_failures(x) == 0 && r->names_left == 0 && balanced(x);
  mb_field_set(&f[k++], "channel", 1, 1, "%s", is_total ? "total" : mb_lane_names[r->lane[i]]);
  mb_field_set(&f[k++], "senders", 0, 1, "%d", senders);
  mb_field_set(&f[k++], "elapsed_ns", 0, 1, "%llu", (unsigned long long)r->elapsed_ns);
  mb_field_set(&f[k++], "kill_every_ms", 0, 1, "%d", r->kill_ms);
  mb_field_set(&f[k++], "max_size", 0, 1, "%zu", r->max);
  mb_field_set(&f[k++], "delivered", 0, 1, "%llu", (unsigned long long)x->delivered);
  mb_field_set(&f[k++], "committed", 0, 1, "%llu", (unsigned long long)x->committed);
  mb_field_set(&f[k++], "inflight", 0, 1, "%llu", (unsigned long long)x->inflight);
  mb_field_set(&f[k++], "rx_lost", 0, 1, "%llu", (unsigned long long)x->rx_lost);
  mb_field_set(&f[k++], "msgs_per_s", 0, 1, "%.1f", rate(r, x));
  mb_field_set(&f[k++], "kills_senders", 0, 1, "%llu", (unsigned long long)x->kills_tx);
  mb_field_set(&f[k++], "kills_receivers", 0, 1, "%llu", (unsigned long long)x->kills_rx);
  mb_field_set(&f[k++], "restarts", 0, 1, "%llu", (unsigned long long)x->restarts);
  mb_field_set(&f[k++], "hangs", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_HANG]);
  mb_field_set(&f[k++], "losses", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_LOSS]);
  mb_field_set(&f[k++], "duplicates", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_DUP]);
  mb_field_set(&f[k++], "reorders", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_ORDER]);
  mb_field_set(&f[k++], "invented", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_INVENTED]);
  mb_field_set(&f[k++], "errors", 0, 1, "%llu", (unsigned long long)x->fails[MB_SF_ERROR]);
  mb_field_set(&f[k++], "names_left", 0, 1, "%d", r->names_left);
  mb_field_set(&f[k++], "status", 1, 1, "%s", ok ? "ok" : "failed");
  mb_field_set(&f[k++], "platform", 1, 1, "%s%s", mb_platform(), mb_under_wine() ? "-wine" : "");
}

int mb_soak_write_csv(const char *path, const mb_soak_result *r) {
  return mb_write_records_csv(path, r->nlanes + 1, NFIELDS, fields, r);
}

int mb_soak_write_json(const char *path, const mb_soak_result *r) {
  return mb_write_records_json(path, "soak", r->nlanes + 1, NFIELDS, fields, r);
}
