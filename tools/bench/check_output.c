/* memchan-bench-check [--soak] CSV JSON: checks that a run's --csv and --json outputs parse
 * and agree, for the smoke tests (no python on a fresh machine, so the checker is C).
 *
 * JSON: the whole document is parsed (RFC 8259 syntax); it must be an object whose
 * "records" array holds objects with every documented field. CSV: the header must be the
 * documented field list, every row must have as many fields (RFC 4180 quoting), and numeric
 * fields must be numbers or empty. Both must hold the same number of records, and each
 * record of either passes the same checks. Measurements: each pattern must have at least one
 * record with status "ok", and every record a known mode (or none); nothing about speed.
 * Soak (--soak): a "total" record; in every record status "ok", every failure count and names_left
 * 0, messages delivered, and delivered = committed + inflight - rx_lost; kills in the total when
 * kills were asked for and the run lasted ten kill intervals. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const bench_fields[] = {"pattern",     "transport",     "kind",
                                           "mode",        "path",          "cpus",
                                           "size",        "status",        "samples",
                                           "warmup",      "senders",       "gap_us",
                                           "min_ns",      "p50_ns",        "p90_ns",
                                           "p99_ns",      "p999_ns",       "max_ns",
                                           "mean_ns",     "messages",      "elapsed_ns",
                                           "msgs_per_s",  "gbytes_per_s",  "floor",
                                           "floor_ratio", "best_baseline", "best_baseline_ratio",
                                           "platform",    "note",          "receivers",
                                           "work_ns",     "dropped"};
static const int bench_text[] = {1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0};
#define NPATTERNS 5
static const char *const patterns[NPATTERNS] = {"pingpong", "stream", "stress", "fanout", "share"};

static const char *const soak_fields[] = {
    "channel",   "senders",    "elapsed_ns", "kill_every_ms", "max_size",      "delivered",
    "committed", "inflight",   "rx_lost",    "msgs_per_s",    "kills_senders", "kills_receivers",
    "restarts",  "hangs",      "losses",     "duplicates",    "reorders",      "invented",
    "errors",    "names_left", "status",     "platform"};
static const int soak_text[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};

#define MAXF 32
#define VAL  64

/* What the files must hold: the fields (and which are text), and the checks of each record
   (vals: the fields' values as text, "" when empty or null) and of the whole. */
typedef struct schema {
  const char *const *fields;
  const int *text;
  int n;
  int (*record)(struct schema *sc, char vals[][VAL]); /* 0, or a message printed and 1 */
  int (*end)(struct schema *sc, const char *file);    /* the same, after the last record */
  int ok_pattern[NPATTERNS], totals;                  /* what the checks saw */
} schema;

static int field_index(const schema *sc, const char *name) {
  for (int k = 0; k < sc->n; k++)
    if (strcmp(sc->fields[k], name) == 0) return k;
  return -1;
}

static const char *val(const schema *sc, char vals[][VAL], const char *name) {
  return vals[field_index(sc, name)];
}

static unsigned long long num(const schema *sc, char vals[][VAL], const char *name) {
  return strtoull(val(sc, vals, name), NULL, 10);
}

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "memchan-bench-check: %s%s%.60s\n", what, detail ? ": " : "",
          detail ? detail : "");
  return 1;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t k;
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) {
      char *b = realloc(buf, 2 * cap + 1);
      if (!b) free(buf);
      buf = b;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* ---- JSON ---- */
typedef struct js {
  const char *p;
  schema *sc;
  int records, depth, keys_seen[MAXF], current; /* current: the field whose value is read */
  int judged;                                   /* a record failed its checks (said why) */
  char vals[MAXF][VAL];
} js;

static void ws(js *j) {
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t') j->p++;
}

static int value(js *j, const char *key);

/* A string into out (truncated to cap), escapes checked. */
static int string(js *j, char *out, size_t cap) {
  size_t n = 0;
  if (*j->p++ != '"') return -1;
  for (;;) {
    unsigned char c = (unsigned char)*j->p++;
    if (c == '"') break;
    if (c < 0x20) return -1;
    if (c == '\\') {
      c = (unsigned char)*j->p++;
      if (c == 'u') {
        for (int i = 0; i < 4; i++)
          if (!isxdigit((unsigned char)*j->p++)) return -1;
        c = '?';
      } else if (!strchr("\"\\/bfnrt", c)) {
        return -1;
      }
    }
    if (n + 1 < cap) out[n++] = (char)c;
  }
  if (cap) out[n] = '\0';
  return 0;
}

static int number(js *j) {
  const char *s = j->p;
  if (*s == '-') s++;
  if (!isdigit((unsigned char)*s)) return -1;
  if (*s == '0')
    s++;
  else
    while (isdigit((unsigned char)*s)) s++;
  if (*s == '.') {
    if (!isdigit((unsigned char)*++s)) return -1;
    while (isdigit((unsigned char)*s)) s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!isdigit((unsigned char)*s)) return -1;
    while (isdigit((unsigned char)*s)) s++;
  }
  j->p = s;
  return 0;
}

static int object(js *j) {
  int record = j->depth == 3; /* top object (1) > records array (2) > record (3) */
  if (record) {
    memset(j->keys_seen, 0, sizeof j->keys_seen);
    memset(j->vals, 0, sizeof j->vals);
    j->records++;
  }
  j->p++;
  ws(j);
  if (*j->p == '}') return j->p++, record ? -1 : 0;
  for (;;) {
    char key[64];
    ws(j);
    if (string(j, key, sizeof key) != 0) return -1;
    ws(j);
    if (*j->p++ != ':') return -1;
    j->current = record ? field_index(j->sc, key) : -1;
    if (j->current >= 0) j->keys_seen[j->current]++;
    if (value(j, key) != 0) return -1;
    ws(j);
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    if (*j->p++ != '}') return -1;
    break;
  }
  if (record) {
    for (int k = 0; k < j->sc->n; k++)
      if (j->keys_seen[k] != 1) return fprintf(stderr, "record lacks %s\n", j->sc->fields[k]), -1;
    if (j->sc->record(j->sc, j->vals) != 0) return j->judged = 1, -1;
  }
  return 0;
}

static int array(js *j) {
  j->p++;
  ws(j);
  if (*j->p == ']') return j->p++, 0;
  for (;;) {
    if (value(j, NULL) != 0) return -1;
    ws(j);
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    return *j->p++ == ']' ? 0 : -1;
  }
}

static int value(js *j, const char *key) {
  ws(j);
  int rc, field = key && j->depth == 3 ? j->current : -1; /* a field of a record */
  const char *start = j->p;
  j->current = -1;
  j->depth++;
  if (*j->p == '{') {
    rc = object(j);
  } else if (*j->p == '[') {
    rc = array(j);
  } else if (*j->p == '"') {
    char s[256];
    rc = string(j, s, sizeof s);
    if (rc == 0 && field >= 0) snprintf(j->vals[field], VAL, "%.*s", VAL - 1, s);
  } else if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
    j->p += 4, rc = 0;
  } else if (strncmp(j->p, "false", 5) == 0) {
    j->p += 5, rc = 0;
  } else {
    rc = number(j);
    if (rc == 0 && field >= 0) snprintf(j->vals[field], VAL, "%.*s", (int)(j->p - start), start);
  }
  j->depth--;
  return rc;
}

static int check_json(schema *sc, const char *text, int *records) {
  static js j;
  memset(&j, 0, sizeof j);
  j.p = text;
  j.sc = sc;
  j.current = -1;
  ws(&j);
  if (*j.p != '{' || value(&j, NULL) != 0)
    return j.judged ? 1 : fail("JSON does not parse near", j.p);
  ws(&j);
  if (*j.p) return fail("JSON: text after the document", j.p);
  if (j.records == 0) return fail("JSON: no records", NULL);
  if (sc->end(sc, "JSON") != 0) return 1;
  *records = j.records;
  return 0;
}

/* ---- CSV ---- */

/* Splits one record at *p into fields (unquoted in place); returns the count or -1. */
static int csv_row(char **p, char **out, int max) {
  int n = 0;
  char *s = *p;
  for (;;) {
    char *w = s, *start = s;
    if (*s == '"') {
      s++;
      for (;;) {
        if (!*s) return -1;
        if (*s == '"' && s[1] == '"')
          *w++ = '"', s += 2;
        else if (*s == '"')
          break;
        else
          *w++ = *s++;
      }
      s++;
    } else {
      while (*s && *s != ',' && *s != '\n' && *s != '\r') w++, s++;
    }
    if (*s == '\r' && s[1] == '\n') s++; /* CRLF line ends are fine too */
    char end = *s;
    *w = '\0';
    if (n < max) out[n] = start;
    n++;
    if (end == ',') {
      s++;
      continue;
    }
    if (end == '\n')
      s++;
    else if (end)
      return -1;
    break;
  }
  *p = s;
  return n;
}

static int numeric(const char *s) {
  if (!*s) return 1;
  char *end;
  strtod(s, &end);
  return *end == '\0';
}

static int check_csv(schema *sc, char *text, int *records) {
  char *p = text, *f[MAXF + 1], vals[MAXF][VAL];
  int nf = sc->n;
  if (csv_row(&p, f, MAXF + 1) != nf)
    return fail("CSV: header has the wrong number of fields", NULL);
  for (int k = 0; k < nf; k++)
    if (strcmp(f[k], sc->fields[k]) != 0) return fail("CSV: unexpected header field", f[k]);
  int rows = 0;
  while (*p) {
    int n = csv_row(&p, f, MAXF + 1);
    if (n != nf) return fail("CSV: a row has the wrong number of fields", NULL);
    rows++;
    for (int k = 0; k < nf; k++) {
      if (!sc->text[k] && !numeric(f[k])) return fail("CSV: not a number", f[k]);
      snprintf(vals[k], VAL, "%s", f[k]);
    }
    if (sc->record(sc, vals) != 0) return 1;
  }
  if (sc->end(sc, "CSV") != 0) return 1;
  *records = rows;
  return 0;
}

/* ---- what the records must say ---- */

/* The memchan waiting modes (empty for the other transports). */
static const char *const modes[] = {"", "spin", "block", "hybrid", "poll", "timed"};

static int bench_record(schema *sc, char vals[][VAL]) {
  int known = 0;
  for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++)
    known |= strcmp(val(sc, vals, "mode"), modes[k]) == 0;
  if (!known) return fail("unknown mode", val(sc, vals, "mode"));
  for (int k = 0; k < NPATTERNS; k++)
    if (strcmp(val(sc, vals, "pattern"), patterns[k]) == 0 &&
        strcmp(val(sc, vals, "status"), "ok") == 0)
      sc->ok_pattern[k] = 1;
  return 0;
}

static int bench_end(schema *sc, const char *file) {
  for (int k = 0; k < NPATTERNS; k++)
    if (!sc->ok_pattern[k]) {
      fprintf(stderr, "memchan-bench-check: %s: no successful record for %s\n", file, patterns[k]);
      return 1;
    }
  return 0;
}

static int soak_record(schema *sc, char vals[][VAL]) {
  static const char *const zero[] = {"hangs",    "losses", "duplicates", "reorders",
                                     "invented", "errors", "names_left"};
  const char *ch = val(sc, vals, "channel");
  for (size_t k = 0; k < sizeof zero / sizeof zero[0]; k++)
    if (strcmp(val(sc, vals, zero[k]), "0") != 0) {
      fprintf(stderr, "memchan-bench-check: soak %s: %s is %s\n", ch, zero[k],
              val(sc, vals, zero[k]));
      return 1;
    }
  if (strcmp(val(sc, vals, "status"), "ok") != 0) return fail("soak: status not ok for", ch);
  unsigned long long d = num(sc, vals, "delivered"), c = num(sc, vals, "committed");
  unsigned long long in = num(sc, vals, "inflight"), lost = num(sc, vals, "rx_lost");
  if (d == 0) return fail("soak: nothing delivered in", ch);
  if (d + lost != c + in) return fail("soak: delivered != committed + inflight - rx_lost in", ch);
  if (strcmp(ch, "total") != 0) return 0;
  sc->totals++;
  unsigned long long every = num(sc, vals, "kill_every_ms"), ns = num(sc, vals, "elapsed_ns");
  unsigned long long kills = num(sc, vals, "kills_senders") + num(sc, vals, "kills_receivers");
  if (every && ns >= 10 * every * 1000000ull && kills == 0) return fail("soak: no kills", NULL);
  return 0;
}

static int soak_end(schema *sc, const char *file) {
  if (sc->totals == 1) return 0;
  fprintf(stderr, "memchan-bench-check: %s: %d \"total\" records, expected 1\n", file, sc->totals);
  return 1;
}

#define SCHEMA(f, t, rec, end)                                                                     \
  { f, t, (int)(sizeof f / sizeof f[0]), rec, end, {0}, 0 }

int main(int argc, char **argv) {
  schema bench = SCHEMA(bench_fields, bench_text, bench_record, bench_end);
  schema soak = SCHEMA(soak_fields, soak_text, soak_record, soak_end);
  int is_soak = argc == 4 && strcmp(argv[1], "--soak") == 0;
  if (argc != 3 && !is_soak)
    return fail("usage: memchan-bench-check [--soak] FILE.csv FILE.json", NULL);
  char *csv = slurp(argv[1 + is_soak]), *json = slurp(argv[2 + is_soak]);
  if (!csv || !json) return fail("cannot read", !csv ? argv[1 + is_soak] : argv[2 + is_soak]);
  int nc = 0, nj = 0;
  schema sc_csv = is_soak ? soak : bench, sc_json = sc_csv;
  int rc = check_csv(&sc_csv, csv, &nc) || check_json(&sc_json, json, &nj);
  if (!rc && nc != nj) rc = fail("CSV and JSON hold different numbers of records", NULL);
  if (!rc) printf("memchan-bench-check: %d records, CSV and JSON agree\n", nc);
  free(csv);
  free(json);
  return rc;
}
