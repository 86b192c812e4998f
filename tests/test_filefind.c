/* examples/filefind end to end: the client's listing of a generated tree equals an
 * independent listing of the same tree by find(1), for both channel kinds, with patterns,
 * errors for unreadable directories, a missing root, and a server that dies mid-stream.
 *
 * tests/filefind/run.sh builds the tree and find's listings in $FILEFIND_WORK before it
 * runs this suite (Wine cannot wait for a Linux program, so the Windows build could not run
 * find itself). Under Wine the client is the Windows build and sees the tree through Z:;
 * the reference is adjusted for what Windows shows of POSIX symbolic links (expected_kind). */
#include "harness.h"
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if !defined(FILEFIND_BIN) || !defined(HOSTILE_SERVER_BIN)
#error "FILEFIND_BIN and HOSTILE_SERVER_BIN come from tests/CMakeLists.txt"
#endif

#define WAIT_MS    120000
#define EPOCH_DIFF 11644473600ll

/* ---- paths: the tree is in /tmp; Windows programs see /x/y as Z:\x\y ------------------- */

static void native(const char *unix_path, char *out, size_t cap) {
  if (!TH_WINDOWS) {
    snprintf(out, cap, "%s", unix_path);
    return;
  }
  snprintf(out, cap, "Z:%s", unix_path);
  for (char *p = out; *p; p++)
    if (*p == '/') *p = '\\';
}

static char tree[300], tree_native[320], work[256];

static int run(const char *const argv[]) {
  mc_proc *p;
  int code = -1;
  TH_OK(mc_proc_spawn(argv, &p));
  TH_OK(mc_proc_wait(p, WAIT_MS, &code));
  mc_proc_free(p);
  return code;
}

/* ---- listings -------------------------------------------------------------------------- */

typedef struct entry {
  char *path;
  char type[8];         /* file, dir, link, other, error */
  uint64_t size, mtime; /* FILETIME ticks */
  int compare_size, compare_mtime;
} entry;

typedef struct listing {
  entry *e;
  size_t n, cap;
} listing;

static entry *add(listing *l) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->e = realloc(l->e, l->cap * sizeof *l->e);
    ck_assert_ptr_nonnull(l->e);
  }
  entry *e = &l->e[l->n++];
  memset(e, 0, sizeof *e);
  e->compare_size = e->compare_mtime = 1;
  return e;
}

static void drop(listing *l) {
  for (size_t i = 0; i < l->n; i++) free(l->e[i].path);
  free(l->e);
  memset(l, 0, sizeof *l);
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static char *slurp(const char *unix_path) {
  char path[300];
  native(unix_path, path, sizeof path);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  ck_assert_int_eq(fread(s, 1, (size_t)n, f), n);
  s[n] = '\0';
  fclose(f);
  return s;
}

/* find's %T@ ("seconds.fraction") as FILETIME ticks. */
static uint64_t ticks(const char *t) {
  char *dot;
  long long sec = strtoll(t, &dot, 10);
  uint64_t frac = 0, scale = 1000000;
  if (*dot == '.')
    for (const char *p = dot + 1; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
      frac += (uint64_t)(*p - '0') * scale;
  return (uint64_t)(sec + EPOCH_DIFF) * 10000000ull + frac;
}

/* One find line: path \t type \t followed type \t size \t mtime. */
typedef struct find_line {
  char *path, y, Y;
  uint64_t size, mtime;
} find_line;

static int split(char *line, find_line *f) {
  char *fields[5];
  for (int i = 0; i < 5; i++) {
    fields[i] = line;
    line = strchr(line, '\t');
    if (!line && i < 4) return 0;
    if (line) *line++ = '\0';
  }
  f->path = fields[0];
  f->y = fields[1][0];
  f->Y = fields[2][0];
  f->size = strtoull(fields[3], NULL, 10);
  f->mtime = ticks(fields[4]);
  return 1;
}

/* What the client should report for a find entry, or NULL when it should not appear. Under
   Wine, POSIX symbolic links look like Windows sees them: a link to a file is that file, a
   link to a directory is a reparse point (a link), and links that dangle or loop are not
   shown at all. */
static const char *expected_kind(const find_line *f) {
  switch (f->y) {
  case 'f':
    return "file";
  case 'd':
    return "dir";
  case 'l':
    if (!TH_WINDOWS) return "link";
    return f->Y == 'f' ? "file" : f->Y == 'd' ? "link" : NULL;
  default:
    return "other";
  }
}

/* The reference listing (find, then find -L for followed links under Wine) and the paths
   find could not read. */
static listing reference, reference_errors;

/* Whether find -L, which follows links, found `path` to be a link still: a link that loops
   (to one of its own ancestors). Windows does not show those. */
static int loops(const char *follow, const char *path) {
  size_t len = strlen(path);
  for (const char *q = strstr(follow, path); q; q = strstr(q + 1, path))
    if ((q == follow || q[-1] == '\n') && q[len] == '\t') return q[len + 1] == 'l';
  return 0;
}

static void load_reference(void) {
  char f1[300], f2[300], e1[300];
  snprintf(f1, sizeof f1, "%s/find.txt", work);
  snprintf(f2, sizeof f2, "%s/find-l.txt", work);
  snprintf(e1, sizeof e1, "%s/find-errors.txt", work);
  char *plain = slurp(f1), *follow = slurp(f2), *errors = slurp(e1);
  char *follow_copy = strdup(follow);
  for (char *line = strtok(plain, "\n"); line; line = strtok(NULL, "\n")) {
    find_line f;
    if (!split(line, &f)) continue;
    const char *kind = expected_kind(&f);
    if (!kind || (TH_WINDOWS && f.y == 'l' && loops(follow_copy, f.path))) continue;
    entry *e = add(&reference);
    e->path = strdup(f.path);
    strcpy(e->type, kind);
    e->size = strcmp(kind, "dir") == 0 ? 0 : f.size;
    e->mtime = f.mtime;
    if (f.y == 'l' && TH_WINDOWS) {
      e->compare_mtime = 0; /* Windows shows the target's times, see below */
      e->compare_size = strcmp(kind, "file") == 0;
    }
  }
  /* Links shown as files take their target's size and times: from find -L. */
  for (char *line = strtok(follow, "\n"); line; line = strtok(NULL, "\n")) {
    find_line f;
    if (!split(line, &f)) continue;
    for (size_t i = 0; i < reference.n && TH_WINDOWS; i++) {
      entry *e = &reference.e[i];
      if (!e->compare_mtime && strcmp(e->type, "file") == 0 && strcmp(e->path, f.path) == 0) {
        e->size = f.size;
        e->mtime = f.mtime;
        e->compare_mtime = 1;
      }
    }
  }
  /* "find: 'tree/locked': Permission denied" */
  for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n")) {
    char *at = strstr(line, "'tree/"), *end;
    if (!at || !strstr(line, "Permission denied") || !(end = strchr(at + 1, '\''))) continue;
    *end = '\0';
    entry *e = add(&reference_errors);
    e->path = strdup(at + 6);
    strcpy(e->type, "error");
    e->compare_size = e->compare_mtime = 0; /* an error has neither */
  }
  free(plain);
  free(follow);
  free(follow_copy);
  free(errors);
  qsort(reference.e, reference.n, sizeof *reference.e, by_path);
  qsort(reference_errors.e, reference_errors.n, sizeof *reference_errors.e, by_path);
}

/* Extracts a JSON string field of our own output (escapes: \" \\ \u00XX). */
static int json_string(const char *line, const char *key, char *out, size_t cap) {
  char pat[32];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(line, pat);
  if (!p) return 0;
  p += strlen(pat);
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap) {
    if (*p == '\\' && p[1] == 'u') {
      out[n++] = (char)strtol((char[]){p[4], p[5], 0}, NULL, 16);
      p += 6;
    } else {
      if (*p == '\\') p++;
      out[n++] = *p++;
    }
  }
  out[n] = '\0';
  return 1;
}

static uint64_t json_number(const char *line, const char *key) {
  char pat[32];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(line, pat);
  return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

/* Parses the client's --json listing into entries and errors; checks the summary line. */
static void load_client(const char *unix_path, listing *out, listing *errors) {
  char *text = slurp(unix_path), buf[8192];
  int summary = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "{\"summary\":", 11) == 0) {
      summary = 1;
      continue;
    }
    ck_assert_msg(!summary, "records after the summary line");
    entry *e;
    ck_assert_msg(json_string(line, "type", buf, sizeof buf), "bad line: %s", line);
    e = add(strcmp(buf, "error") == 0 ? errors : out);
    strcpy(e->type, buf);
    ck_assert(json_string(line, "path", buf, sizeof buf));
    e->path = strdup(buf);
    e->size = json_number(line, "size");
    e->mtime = json_number(line, "write_time");
  }
  ck_assert_msg(summary, "no summary line at the end");
  free(text);
  qsort(out->e, out->n, sizeof *out->e, by_path);
  qsort(errors->e, errors->n, sizeof *errors->e, by_path);
}

/* Compares the client's listing with the expected one, naming the first difference. */
static void same_listing(const listing *want, const listing *got) {
  size_t i = 0, j = 0;
  while (i < want->n || j < got->n) {
    int c = i == want->n ? 1 : j == got->n ? -1 : strcmp(want->e[i].path, got->e[j].path);
    ck_assert_msg(c >= 0, "missing from the client's listing: %s", want->e[i].path);
    ck_assert_msg(c <= 0, "not in the reference listing: %s", got->e[j].path);
    const entry *w = &want->e[i], *g = &got->e[j];
    ck_assert_msg(strcmp(w->type, g->type) == 0, "%s: type %s, expected %s", w->path, g->type,
                  w->type);
    if (w->compare_size)
      ck_assert_msg(w->size == g->size, "%s: size %llu, expected %llu", w->path,
                    (unsigned long long)g->size, (unsigned long long)w->size);
    if (w->compare_mtime && strcmp(w->type, "error") != 0)
      ck_assert_msg(w->mtime == g->mtime, "%s: write time %llu, expected %llu", w->path,
                    (unsigned long long)g->mtime, (unsigned long long)w->mtime);
    i++, j++;
  }
}

/* ---- running the client ---------------------------------------------------------------- */

/* Runs the client with extra arguments; its listing goes to work/NAME.json and its
   messages to work/NAME.log. Returns its exit status. */
static int client(const char *name, const char *const *extra, const char *root) {
  char bin[512], out[300], log[300], out_n[320], log_n[320];
  const char *argv[32];
  int n = 0;
  native(FILEFIND_BIN, bin, sizeof bin);
  snprintf(out, sizeof out, "%s/%s.json", work, name);
  snprintf(log, sizeof log, "%s/%s.log", work, name);
  native(out, out_n, sizeof out_n);
  native(log, log_n, sizeof log_n);
  argv[n++] = bin;
  argv[n++] = "-o";
  argv[n++] = out_n;
  argv[n++] = "--log";
  argv[n++] = log_n;
  while (extra && *extra) argv[n++] = *extra++;
  argv[n++] = root;
  argv[n] = NULL;
  return run(argv);
}

static void listing_matches(const char *kind) {
  listing got = {0}, errors = {0};
  const char *extra[] = {"--json", "--dirs", "--channel", kind, NULL};
  ck_assert_int_eq(client(kind, extra, tree_native), 0);
  char out[300];
  snprintf(out, sizeof out, "%s/%s.json", work, kind);
  load_client(out, &got, &errors);
  same_listing(&reference, &got);
  same_listing(&reference_errors, &errors);
  drop(&got);
  drop(&errors);
}

/* ---- fixture: one tree for the whole suite ---------------------------------------------- */

static void load_tree(void) {
  const char *w = getenv("FILEFIND_WORK");
  ck_assert_msg(w != NULL, "run this suite through tests/filefind/run.sh");
  snprintf(work, sizeof work, "%s", w);
  snprintf(tree, sizeof tree, "%s/tree", work);
  native(tree, tree_native, sizeof tree_native);
  load_reference();
}

static void drop_reference(void) {
  drop(&reference);
  drop(&reference_errors);
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(the_tree_is_what_the_test_needs) {
  size_t files = 0, deep = 0, big = 0;
  for (size_t i = 0; i < reference.n; i++) {
    const entry *e = &reference.e[i];
    files += strcmp(e->type, "file") == 0;
    deep += strstr(e->path, "level 9/") != NULL;
    big += e->size > (1ull << 32);
  }
  ck_assert_uint_ge(files, 2000);
  ck_assert_uint_ge(deep, 1);
  ck_assert_uint_eq(big, 1); /* the sparse file: its size needs nFileSizeHigh */
  /* The locked directory is unreadable here (see run-nodac.sh). */
  ck_assert_uint_eq(reference_errors.n, 1);
  ck_assert_str_eq(reference_errors.e[0].path, "locked");
}
END_TEST

START_TEST(ring_listing_equals_find) {
  listing_matches("ring");
}
END_TEST

START_TEST(slot_listing_equals_find) {
  listing_matches("slot");
}
END_TEST

START_TEST(patterns) {
  /* Against find -iname (run.sh), which implements the same wildcards case-insensitively;
     "*.*" and "*." follow Windows (every name; names without a dot). */
  char path[300];
  snprintf(path, sizeof path, "%s/patterns.txt", work);
  char *all = slurp(path), *next = all;
  int k = 0;
  /* Not strtok: the loop body parses listings with it. */
  for (char *p = all; *p; p = next, k++) {
    next = strchr(p, '\n');
    next = next ? (*next = '\0', next + 1) : p + strlen(p);
    char tag[32];
    snprintf(tag, sizeof tag, "pattern%d", k);
    snprintf(path, sizeof path, "%s/%s.names", work, tag);
    char *list = slurp(path);
    listing want = {0}, got = {0}, errors = {0};
    for (size_t i = 0; i < reference.n; i++) {
      const entry *e = &reference.e[i];
      if (strcmp(e->type, "dir") == 0) continue;
      size_t len = strlen(e->path);
      int hit = 0; /* is e->path one of find's lines? */
      for (const char *q = strstr(list, e->path); q && !hit; q = strstr(q + 1, e->path))
        hit = (q == list || q[-1] == '\n') && (q[len] == '\n' || q[len] == '\0');
      if (!hit) continue;
      entry *w = add(&want);
      *w = *e;
      w->path = strdup(e->path);
    }
    free(list);
    const char *copy = p;
    const char *extra[] = {"--json", "--pattern", copy, NULL};
    ck_assert_int_eq(client(tag, extra, tree_native), 0);
    snprintf(path, sizeof path, "%s/%s.json", work, tag);
    load_client(path, &got, &errors);
    ck_assert_msg(want.n > 0, "pattern %s matches nothing: a useless case", copy);
    same_listing(&want, &got);
    drop(&want);
    drop(&got);
    drop(&errors);
  }
  ck_assert_int_ge(k, 8);
  free(all);
}
END_TEST

START_TEST(directories_only_when_asked) {
  listing got = {0}, errors = {0};
  const char *extra[] = {"--json", "--pattern", "level*", "--dirs", NULL};
  ck_assert_int_eq(client("dirs", extra, tree_native), 0);
  char out[300];
  snprintf(out, sizeof out, "%s/dirs.json", work);
  load_client(out, &got, &errors);
  ck_assert_uint_eq(got.n, 10); /* the ten "level N" directories, nothing else */
  for (size_t i = 0; i < got.n; i++) ck_assert_str_eq(got.e[i].type, "dir");
  drop(&got);
  drop(&errors);
}
END_TEST

/* The "directories" figure of a --json run's summary line. */
static uint64_t summary_directories(const char *name) {
  char out[300];
  snprintf(out, sizeof out, "%s/%s.json", work, name);
  char *text = slurp(out), *line = strstr(text, "{\"summary\":");
  ck_assert_msg(line != NULL, "no summary in %s", out);
  uint64_t n = json_number(line, "directories");
  free(text);
  return n;
}

/* The summary counts the directories walked whether or not they are listed; --help is a
   success (its text goes to stdout). */
START_TEST(summary_counts_directories_walked) {
  listing got = {0}, errors = {0};
  const char *listed[] = {"--json", "--dirs", NULL}, *unlisted[] = {"--json", NULL};
  ck_assert_int_eq(client("withdirs", listed, tree_native), 0);
  ck_assert_int_eq(client("nodirs", unlisted, tree_native), 0);
  uint64_t with = summary_directories("withdirs"), without = summary_directories("nodirs");
  ck_assert_uint_gt(with, 0);
  ck_assert_uint_eq(without, with);
  char out[300];
  snprintf(out, sizeof out, "%s/nodirs.json", work);
  load_client(out, &got, &errors);
  for (size_t i = 0; i < got.n; i++) ck_assert_str_ne(got.e[i].type, "dir");
  drop(&got);
  drop(&errors);
  const char *help[] = {"--help", NULL};
  ck_assert_int_eq(client("help", help, tree_native), 0);
}
END_TEST

START_TEST(missing_root_is_exit_2) {
  char missing[360];
  snprintf(missing, sizeof missing, "%s%cno-such-dir", tree_native, TH_WINDOWS ? '\\' : '/');
  ck_assert_int_eq(client("missing", NULL, missing), 2);
  char log[300];
  snprintf(log, sizeof log, "%s/missing.log", work);
  char *text = slurp(log);
  ck_assert_msg(strstr(text, "cannot read") && strstr(text, "no-such-dir"), "message: %s", text);
  free(text);
}
END_TEST

static void server_dies(const char *kind) {
  const char *extra[] = {"--quiet", "--channel", kind, "--die-after", "300", NULL};
  uint64_t t0 = mc__plat_now_ns();
  int code = client("dies", extra, tree_native);
  uint64_t ms = (mc__plat_now_ns() - t0) / 1000000;
  ck_assert_int_eq(code, 3);
  /* "within a second or so": generous for a loaded machine; it takes a few ms here. */
  ck_assert_msg(ms < 5000, "the client took %llu ms to notice", (unsigned long long)ms);
  char log[300];
  snprintf(log, sizeof log, "%s/dies.log", work);
  char *text = slurp(log);
  ck_assert_msg(strstr(text, "died mid-stream, after 300 records"), "message: %s", text);
  free(text);
}

START_TEST(server_killed_mid_stream) {
  server_dies("ring");
  server_dies("slot");
}
END_TEST

/* A server that sends a name without its NUL, or a kind nobody knows: the client copies the
   record out, checks the copy and uses only it - a bounded name, or a refusal. */
START_TEST(hostile_records_are_copied_and_checked) {
  char server[512], out[300];
  native(HOSTILE_SERVER_BIN, server, sizeof server);
  const char *extra[] = {"--json", "--server", server, NULL};
  ck_assert_int_eq(client("hostile-name", extra, "name"), 0);
  snprintf(out, sizeof out, "%s/hostile-name.json", work);
  char *text = slurp(out), *name = strstr(text, "\"name\":\"");
  ck_assert_msg(name != NULL, "output: %s", text);
  name += 8;
  size_t n = strcspn(name, "\"");
  ck_assert_msg(n == 259, "the name printed is %lu characters (MAX_PATH - 1 expected)",
                (unsigned long)n);
  free(text);
  ck_assert_int_eq(client("hostile-kind", extra, "kind"), 4);
  char log[300];
  snprintf(log, sizeof log, "%s/hostile-kind.log", work);
  text = slurp(log);
  ck_assert_msg(strstr(text, "malformed record"), "message: %s", text);
  free(text);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("filefind");
  TCase *tc = th_tcase(s, "filefind", 240);
  tcase_add_unchecked_fixture(tc, load_tree, drop_reference);
  tcase_add_test(tc, the_tree_is_what_the_test_needs);
  tcase_add_test(tc, ring_listing_equals_find);
  tcase_add_test(tc, slot_listing_equals_find);
  tcase_add_test(tc, patterns);
  tcase_add_test(tc, directories_only_when_asked);
  tcase_add_test(tc, summary_counts_directories_walked);
  tcase_add_test(tc, missing_root_is_exit_2);
  tcase_add_test(tc, server_killed_mid_stream);
  tcase_add_test(tc, hostile_records_are_copied_and_checked);
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
