/* memchan-bench-check CSV JSON: checks that a run's --csv and --json outputs parse and agree,
 * for the smoke test (no python on a fresh machine, so the checker is C).
 *
 * JSON: the whole document is parsed (RFC 8259 syntax); it must be an object whose
 * "records" array holds objects with every documented field. CSV: the header must be the
 * documented field list, every row must have as many fields (RFC 4180 quoting), and numeric
 * fields must be numbers or empty. Both must hold the same number of records, and each
 * pattern must have at least one record with status "ok". Nothing about speed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fields[] = {"pattern",     "transport",     "kind",
                                     "mode",        "path",          "cpus",
                                     "size",        "status",        "samples",
                                     "warmup",      "senders",       "gap_us",
                                     "min_ns",      "p50_ns",        "p90_ns",
                                     "p99_ns",      "p999_ns",       "max_ns",
                                     "mean_ns",     "messages",      "elapsed_ns",
                                     "msgs_per_s",  "gbytes_per_s",  "floor",
                                     "floor_ratio", "best_baseline", "best_baseline_ratio",
                                     "platform",    "note"};
#define NF (int)(sizeof fields / sizeof fields[0])
static const int text_field[NF] = {1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1};
static const char *const patterns[] = {"pingpong", "stream", "stress"};

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
  int records, depth, in_record, keys_seen[NF], ok_pattern[3];
  char last_status[16], last_pattern[16];
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
  if (record) memset(j->keys_seen, 0, sizeof j->keys_seen), j->records++;
  j->p++;
  ws(j);
  if (*j->p == '}') return j->p++, record ? -1 : 0;
  for (;;) {
    char key[64];
    ws(j);
    if (string(j, key, sizeof key) != 0) return -1;
    ws(j);
    if (*j->p++ != ':') return -1;
    if (record)
      for (int k = 0; k < NF; k++)
        if (strcmp(key, fields[k]) == 0) j->keys_seen[k]++;
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
    for (int k = 0; k < NF; k++)
      if (j->keys_seen[k] != 1) return fprintf(stderr, "record lacks %s\n", fields[k]), -1;
    for (int k = 0; k < 3; k++)
      if (strcmp(j->last_pattern, patterns[k]) == 0 && strcmp(j->last_status, "ok") == 0)
        j->ok_pattern[k] = 1;
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
  int rc;
  j->depth++;
  if (*j->p == '{') {
    rc = object(j);
  } else if (*j->p == '[') {
    rc = array(j);
  } else if (*j->p == '"') {
    char s[256];
    rc = string(j, s, sizeof s);
    s[15] = '\0'; /* status and pattern names are short */
    if (rc == 0 && key && strcmp(key, "status") == 0) memcpy(j->last_status, s, 16);
    if (rc == 0 && key && strcmp(key, "pattern") == 0) memcpy(j->last_pattern, s, 16);
  } else if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
    j->p += 4, rc = 0;
  } else if (strncmp(j->p, "false", 5) == 0) {
    j->p += 5, rc = 0;
  } else {
    rc = number(j);
  }
  j->depth--;
  return rc;
}

static int check_json(const char *text, int *records) {
  js j;
  memset(&j, 0, sizeof j);
  j.p = text;
  ws(&j);
  if (*j.p != '{' || value(&j, NULL) != 0) return fail("JSON does not parse near", j.p);
  ws(&j);
  if (*j.p) return fail("JSON: text after the document", j.p);
  if (j.records == 0) return fail("JSON: no records", NULL);
  for (int k = 0; k < 3; k++)
    if (!j.ok_pattern[k]) return fail("JSON: no successful record for", patterns[k]);
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

static int check_csv(char *text, int *records) {
  char *p = text, *f[NF + 1];
  if (csv_row(&p, f, NF + 1) != NF) return fail("CSV: header has the wrong number of fields", NULL);
  for (int k = 0; k < NF; k++)
    if (strcmp(f[k], fields[k]) != 0) return fail("CSV: unexpected header field", f[k]);
  int rows = 0, ok[3] = {0, 0, 0};
  while (*p) {
    int n = csv_row(&p, f, NF + 1);
    if (n != NF) return fail("CSV: a row has the wrong number of fields", NULL);
    rows++;
    for (int k = 0; k < NF; k++)
      if (!text_field[k] && !numeric(f[k])) return fail("CSV: not a number", f[k]);
    for (int k = 0; k < 3; k++)
      if (strcmp(f[0], patterns[k]) == 0 && strcmp(f[7], "ok") == 0) ok[k] = 1;
  }
  for (int k = 0; k < 3; k++)
    if (!ok[k]) return fail("CSV: no successful record for", patterns[k]);
  *records = rows;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) return fail("usage: memchan-bench-check FILE.csv FILE.json", NULL);
  char *csv = slurp(argv[1]), *json = slurp(argv[2]);
  if (!csv || !json) return fail("cannot read", !csv ? argv[1] : argv[2]);
  int nc = 0, nj = 0;
  int rc = check_csv(csv, &nc) || check_json(json, &nj);
  if (!rc && nc != nj) rc = fail("CSV and JSON hold different numbers of records", NULL);
  if (!rc) printf("memchan-bench-check: %d records, CSV and JSON agree\n", nc);
  free(csv);
  free(json);
  return rc;
}
