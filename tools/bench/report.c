/* Machine-readable output: CSV and JSON, one record per measurement, with the field names
 * documented in --help (options.c). Both writers go through one list of fields, so the
 * two files always agree; the soak's records (soak_out.c) go through the same writers. */
#include "output.h"

#include <stdarg.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

#define NFIELDS 32

void mb_field_set(mb_field *f, const char *name, int is_text, int present, const char *fmt, ...) {
  va_list ap;
  f->name = name;
  f->is_text = is_text;
  f->present = present;
  va_start(ap, fmt);
  vsnprintf(f->val, sizeof f->val, fmt, ap);
  va_end(ap);
}

static void fields(const void *ctx, int i, mb_field *f) {
  const mb_result *x = (const mb_result *)ctx + i;
  const mb_case *c = &x->c;
  int mc = strncmp(c->tr->name, "memchan", 7) == 0, ok = x->status == MB_OK;
  int lat = ok && c->pattern != MB_STREAM && x->lat.count > 0, st = c->pattern == MB_STRESS;
  static const char *const status[] = {"ok", "skipped", "failed"};
  int k = 0;
  mb_field_set(&f[k++], "pattern", 1, 1, "%s", mb_pattern_names[c->pattern]);
  mb_field_set(&f[k++], "transport", 1, 1, "%s", c->tr->name);
  mb_field_set(&f[k++], "kind", 1, mc, "%s", mc ? mb_kind_names[c->kind] : "");
  mb_field_set(&f[k++], "mode", 1, mc, "%s", mc ? mb_mode_names[c->mode] : "");
  mb_field_set(&f[k++], "path", 1, mc, "%s", mc ? mb_path_names[c->path] : "");
  mb_field_set(&f[k++], "cpus", 1, 1, "%s", mb_cpus_names[c->cpus]);
  mb_field_set(&f[k++], "size", 0, 1, "%zu", c->size);
  mb_field_set(&f[k++], "status", 1, 1, "%s", status[x->status]);
  mb_field_set(&f[k++], "samples", 0, 1, "%llu", (unsigned long long)c->count);
  mb_field_set(&f[k++], "warmup", 0, 1, "%llu", (unsigned long long)c->warmup);
  mb_field_set(&f[k++], "senders", 0, st, "%d", c->senders);
  mb_field_set(&f[k++], "gap_us", 0, st, "%d", c->gap_us);
  mb_field_set(&f[k++], "min_ns", 0, lat, "%llu", (unsigned long long)x->lat.min);
  mb_field_set(&f[k++], "p50_ns", 0, lat, "%llu", (unsigned long long)x->lat.p50);
  mb_field_set(&f[k++], "p90_ns", 0, lat, "%llu", (unsigned long long)x->lat.p90);
  mb_field_set(&f[k++], "p99_ns", 0, lat, "%llu", (unsigned long long)x->lat.p99);
  mb_field_set(&f[k++], "p999_ns", 0, lat, "%llu", (unsigned long long)x->lat.p999);
  mb_field_set(&f[k++], "max_ns", 0, lat, "%llu", (unsigned long long)x->lat.max);
  mb_field_set(&f[k++], "mean_ns", 0, lat, "%.1f", x->lat.mean);
  mb_field_set(&f[k++], "messages", 0, ok, "%llu", (unsigned long long)x->messages);
  mb_field_set(&f[k++], "elapsed_ns", 0, ok, "%llu", (unsigned long long)x->elapsed_ns);
  mb_field_set(&f[k++], "msgs_per_s", 0, ok, "%.1f", x->msgs_per_s);
  mb_field_set(&f[k++], "gbytes_per_s", 0, ok && !(c->tr->floor && c->pattern == MB_PINGPONG),
               "%.4f", x->gbytes_per_s);
  mb_field_set(&f[k++], "floor", 1, x->floor_name != NULL, "%s",
               x->floor_name ? x->floor_name : "");
  mb_field_set(&f[k++], "floor_ratio", 0, x->floor_name != NULL, "%.4f", x->floor_ratio);
  mb_field_set(&f[k++], "best_baseline", 1, x->best_name != NULL, "%s",
               x->best_name ? x->best_name : "");
  mb_field_set(&f[k++], "best_baseline_ratio", 0, x->best_name != NULL, "%.4f", x->best_ratio);
  mb_field_set(&f[k++], "platform", 1, 1, "%s%s", mb_platform(), mb_under_wine() ? "-wine" : "");
  mb_field_set(&f[k++], "note", 1, 1, "%s", x->note);
  /* Added with the fan-out patterns: at the end, so that the fields before keep their
     places for scripts that count them. */
  int fan = MB_IS_FAN(c->pattern);
  mb_field_set(&f[k++], "receivers", 0, fan, "%d", c->receivers);
  mb_field_set(&f[k++], "work_ns", 0, c->pattern == MB_SHARE, "%d", c->work_ns);
  mb_field_set(&f[k++], "dropped", 0, fan && ok, "%llu", (unsigned long long)x->dropped);
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

int mb_write_records_csv(const char *path, int n, int nfields, mb_fields_fn fill, const void *ctx) {
  FILE *f = open_out(path);
  if (!f) return -1;
  mb_field fl[MB_MAX_FIELDS];
  if (nfields > MB_MAX_FIELDS) nfields = MB_MAX_FIELDS;
  fill(ctx, 0, fl); /* names only, for the header */
  for (int k = 0; k < nfields; k++) fprintf(f, "%s%s", k ? "," : "", fl[k].name);
  fputc('\n', f);
  for (int i = 0; i < n; i++) {
    fill(ctx, i, fl);
    for (int k = 0; k < nfields; k++) {
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

int mb_write_records_json(const char *path, const char *mode, int n, int nfields, mb_fields_fn fill,
                          const void *ctx) {
  FILE *f = open_out(path);
  if (!f) return -1;
  fprintf(f, "{\n  \"tool\": \"memchan-bench\",\n");
  if (mode) fprintf(f, "  \"mode\": \"%s\",\n", mode);
  fprintf(f, "  \"version\": ");
  json_string(f, mc_version());
  fprintf(f, ",\n  \"platform\": \"%s\",\n  \"indicative\": %s,\n  \"records\": [", mb_platform(),
          mb_under_wine() || strcmp(mb_platform(), "win32") == 0 ? "true" : "false");
  mb_field fl[MB_MAX_FIELDS];
  if (nfields > MB_MAX_FIELDS) nfields = MB_MAX_FIELDS;
  for (int i = 0; i < n; i++) {
    fill(ctx, i, fl);
    fprintf(f, "%s\n    {", i ? "," : "");
    for (int k = 0; k < nfields; k++) {
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

int mb_write_csv(const char *path, const mb_result *r, int n) {
  return mb_write_records_csv(path, n, NFIELDS, fields, r);
}

int mb_write_json(const char *path, const mb_result *r, int n) {
  return mb_write_records_json(path, NULL, n, NFIELDS, fields, r);
}
