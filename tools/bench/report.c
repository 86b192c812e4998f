/* Machine-readable output: CSV and JSON, one record per measurement, with the field names
 * documented in --help (options.c). Both writers go through one list of fields, so the
 * two files always agree. */
#include "output.h"

#include <stdarg.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

/* A field's value, rendered once: text (quoted in both formats) or a number (bare; empty in
   CSV and null in JSON when not applicable). */
typedef struct field {
  const char *name;
  int is_text, present;
  char val[256];
} field;

#define NFIELDS 29

static void set(field *f, const char *name, int is_text, int present, const char *fmt, ...) {
  va_list ap;
  f->name = name;
  f->is_text = is_text;
  f->present = present;
  va_start(ap, fmt);
  vsnprintf(f->val, sizeof f->val, fmt, ap);
  va_end(ap);
}

static void fields(const mb_result *x, field *f) {
  const mb_case *c = &x->c;
  int mc = strncmp(c->tr->name, "memchan", 7) == 0, ok = x->status == MB_OK;
  int lat = ok && c->pattern != MB_STREAM && x->lat.count > 0, st = c->pattern == MB_STRESS;
  static const char *const status[] = {"ok", "skipped", "failed"};
  int k = 0;
  set(&f[k++], "pattern", 1, 1, "%s", mb_pattern_names[c->pattern]);
  set(&f[k++], "transport", 1, 1, "%s", c->tr->name);
  set(&f[k++], "kind", 1, mc, "%s", mc ? mb_kind_names[c->kind] : "");
  set(&f[k++], "mode", 1, mc, "%s", mc ? mb_mode_names[c->mode] : "");
  set(&f[k++], "path", 1, mc, "%s", mc ? mb_path_names[c->path] : "");
  set(&f[k++], "cpus", 1, 1, "%s", mb_cpus_names[c->cpus]);
  set(&f[k++], "size", 0, 1, "%zu", c->size);
  set(&f[k++], "status", 1, 1, "%s", status[x->status]);
  set(&f[k++], "samples", 0, 1, "%llu", (unsigned long long)c->count);
  set(&f[k++], "warmup", 0, 1, "%llu", (unsigned long long)c->warmup);
  set(&f[k++], "senders", 0, st, "%d", c->senders);
  set(&f[k++], "gap_us", 0, st, "%d", c->gap_us);
  set(&f[k++], "min_ns", 0, lat, "%llu", (unsigned long long)x->lat.min);
  set(&f[k++], "p50_ns", 0, lat, "%llu", (unsigned long long)x->lat.p50);
  set(&f[k++], "p90_ns", 0, lat, "%llu", (unsigned long long)x->lat.p90);
  set(&f[k++], "p99_ns", 0, lat, "%llu", (unsigned long long)x->lat.p99);
  set(&f[k++], "p999_ns", 0, lat, "%llu", (unsigned long long)x->lat.p999);
  set(&f[k++], "max_ns", 0, lat, "%llu", (unsigned long long)x->lat.max);
  set(&f[k++], "mean_ns", 0, lat, "%.1f", x->lat.mean);
  set(&f[k++], "messages", 0, ok, "%llu", (unsigned long long)x->messages);
  set(&f[k++], "elapsed_ns", 0, ok, "%llu", (unsigned long long)x->elapsed_ns);
  set(&f[k++], "msgs_per_s", 0, ok, "%.1f", x->msgs_per_s);
  set(&f[k++], "gbytes_per_s", 0, ok && !(c->tr->floor && c->pattern == MB_PINGPONG), "%.4f",
      x->gbytes_per_s);
  set(&f[k++], "floor", 1, x->floor_name != NULL, "%s", x->floor_name ? x->floor_name : "");
  set(&f[k++], "floor_ratio", 0, x->floor_name != NULL, "%.4f", x->floor_ratio);
  set(&f[k++], "best_baseline", 1, x->best_name != NULL, "%s", x->best_name ? x->best_name : "");
  set(&f[k++], "best_baseline_ratio", 0, x->best_name != NULL, "%.4f", x->best_ratio);
  set(&f[k++], "platform", 1, 1, "%s%s", mb_platform(), mb_under_wine() ? "-wine" : "");
  set(&f[k++], "note", 1, 1, "%s", x->note);
}

static FILE *open_out(const char *path) {
  FILE *f = fopen(path, "wb"); /* "\n" line ends on every platform */
  if (!f) fprintf(stderr, "memchan-bench: cannot write %s\n", path);
  return f;
}

static int finish(FILE *f, const char *path) {
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "memchan-bench: writing %s failed\n", path);
    return -1;
  }
  return 0;
}

int mb_write_csv(const char *path, const mb_result *r, int n) {
  FILE *f = open_out(path);
  if (!f) return -1;
  field fl[NFIELDS];
  fields(&r[0 < n ? 0 : 0], fl); /* names only, for the header */
  for (int k = 0; k < NFIELDS; k++) fprintf(f, "%s%s", k ? "," : "", fl[k].name);
  fputc('\n', f);
  for (int i = 0; i < n; i++) {
    fields(&r[i], fl);
    for (int k = 0; k < NFIELDS; k++) {
      if (k) fputc(',', f);
      if (!fl[k].present) continue;
      if (!fl[k].is_text) {
        fputs(fl[k].val, f);
        continue;
      }
      fputc('"', f); /* RFC 4180: quotes doubled inside a quoted field */
      for (const char *s = fl[k].val; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s == '\n' ? ' ' : *s, f);
      }
      fputc('"', f);
    }
    fputc('\n', f);
  }
  return finish(f, path);
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

int mb_write_json(const char *path, const mb_result *r, int n) {
  FILE *f = open_out(path);
  if (!f) return -1;
  fprintf(f, "{\n  \"tool\": \"memchan-bench\",\n  \"version\": ");
  json_string(f, mc_version());
  fprintf(f, ",\n  \"platform\": \"%s\",\n  \"indicative\": %s,\n  \"records\": [", mb_platform(),
          mb_under_wine() || strcmp(mb_platform(), "win32") == 0 ? "true" : "false");
  field fl[NFIELDS];
  for (int i = 0; i < n; i++) {
    fields(&r[i], fl);
    fprintf(f, "%s\n    {", i ? "," : "");
    for (int k = 0; k < NFIELDS; k++) {
      fprintf(f, "%s\"%s\": ", k ? ", " : "", fl[k].name);
      if (!fl[k].present)
        fputs("null", f);
      else if (fl[k].is_text)
        json_string(f, fl[k].val);
      else
        fputs(fl[k].val, f);
    }
    fputc('}', f);
  }
  fprintf(f, "\n  ]\n}\n");
  return finish(f, path);
}
