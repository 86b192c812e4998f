/* filefind: lists a directory tree, the way the Win32 sample did - it creates a channel,
 * starts the server as a child process, and prints each file the server finds - with a
 * summary, JSON output, patterns, and a clear end whatever the server does.
 *
 *   filefind [--channel ring|slot] [--pattern P] [--dirs] [--quiet | --json] [-o FILE]
 *            [--log FILE] [--exclude NAME]... [--server PATH] [ROOT]
 *
 * Exit status: 0 done (unreadable directories are reported, and the walk goes on), 1 bad
 * usage, 2 ROOT cannot be read, 3 the server died mid-stream, 4 another failure. */
#include "output.h"

#include <memchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#define SERVER_NAME "filefind-server.exe"
#else
#define SERVER_NAME "filefind-server"
#endif
#define MAX_ARGS 160
/* How often a waiting client looks whether its server has ended without a word. */
#define POLL_MS 200

typedef struct options {
  int kind;
  const char *pattern, *root, *out_path, *log_path, *server;
  int dirs, quiet, json;
  const char *excludes[64];
  int n_exclude;
  const char *die_after; /* passed to the server (tests) */
} options;

typedef struct counts {
  uint64_t files, dirs, links, other, errors, bytes;
} counts;

static double now_seconds(void) {
#ifdef _WIN32
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)f.QuadPart;
#else
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

static int usage(FILE *f, int code) {
  fprintf(f,
          "usage: filefind [--channel ring|slot] [--pattern P] [--dirs] [--quiet | --json]\n"
          "                [-o FILE] [--log FILE] [--exclude NAME]... [--server PATH] [ROOT]\n"
          "Lists ROOT (default .) through a server process and a memchan channel.\n"
          "  --pattern P   FindFirstFile-style: '*', '?', case-insensitive ('*.c', 'a?c*')\n"
          "  --dirs        list directories too\n"
          "  --quiet       only the summary;  --json  one JSON object per entry\n"
          "  -o FILE       the listing to FILE;  --log FILE  messages to FILE, not stderr\n"
          "  --exclude N   skip directories named N (repeatable)\n"
          "The summary counts every directory walked, listed or not.\n");
  return code;
}

static int parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->kind = MC_CHAN_RING;
  o->root = ".";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      return usage(stdout, -1); /* asked for help: printed */
    else if (strcmp(a, "--dirs") == 0)
      o->dirs = 1;
    else if (strcmp(a, "--quiet") == 0)
      o->quiet = 1;
    else if (strcmp(a, "--json") == 0)
      o->json = 1;
    else if (a[0] == '-' && a[1] && !v)
      return usage(stderr, 1);
    else if (strcmp(a, "--channel") == 0 && strcmp(v, "ring") == 0)
      o->kind = MC_CHAN_RING, i++;
    else if (strcmp(a, "--channel") == 0 && strcmp(v, "slot") == 0)
      o->kind = MC_CHAN_SLOT, i++;
    else if (strcmp(a, "--pattern") == 0)
      o->pattern = v, i++;
    else if (strcmp(a, "-o") == 0)
      o->out_path = v, i++;
    else if (strcmp(a, "--log") == 0)
      o->log_path = v, i++;
    else if (strcmp(a, "--server") == 0)
      o->server = v, i++;
    else if (strcmp(a, "--die-after") == 0)
      o->die_after = v, i++;
    else if (strcmp(a, "--exclude") == 0 && o->n_exclude < 64)
      o->excludes[o->n_exclude++] = v, i++;
    else if (a[0] == '-' && a[1])
      return usage(stderr, 1);
    else
      o->root = a;
  }
  if (o->quiet && o->json) return usage(stderr, 1);
  return 0;
}

/* The server sits next to this program, unless told otherwise. */
static int server_path(const options *o, char *buf, size_t cap) {
  if (o->server) return snprintf(buf, cap, "%s", o->server) < (int)cap ? MC_OK : MC_ENOSPC;
  int rc = mc_self_path(buf, cap);
  if (rc != MC_OK) return rc;
  char *slash = strrchr(buf, '/'), *bslash = strrchr(buf, '\\');
  char *dir_end = slash > bslash ? slash : bslash;
  size_t at = dir_end ? (size_t)(dir_end - buf) + 1 : 0;
  return snprintf(buf + at, cap - at, "%s", SERVER_NAME) < (int)(cap - at) ? MC_OK : MC_ENOSPC;
}

static mc_proc *start_server(const options *o, const char *chan) {
  static char path[4096];
  const char *argv[MAX_ARGS];
  int n = 0;
  if (server_path(o, path, sizeof path) != MC_OK) return NULL;
  argv[n++] = path;
  argv[n++] = "--channel";
  argv[n++] = chan;
  argv[n++] = "--root";
  argv[n++] = o->root;
  if (o->pattern) argv[n++] = "--pattern", argv[n++] = o->pattern;
  if (o->dirs) argv[n++] = "--dirs";
  for (int i = 0; i < o->n_exclude; i++) argv[n++] = "--exclude", argv[n++] = o->excludes[i];
  if (o->die_after) argv[n++] = "--die-after", argv[n++] = o->die_after;
  argv[n] = NULL;
  mc_proc *p = NULL;
  int rc = mc_proc_spawn(argv, &p);
  if (rc != MC_OK) fprintf(stderr, "filefind: cannot start %s: %s\n", path, mc_strerror(rc));
  return p;
}

/* A record from the channel is another process's bytes in shared memory: copied out first
   (so that nothing can change between the check and the use), then checked, then used - the
   copy only. Its names are cut at their arrays' ends, NUL or not. */
static const findrec *copy_record(const void *msg, size_t len, findrec *copy) {
  if (len < sizeof *copy || len > FF_RECORD_MAX) return NULL;
  memcpy(copy, msg, len);
  if (copy->kind < FF_FILE || copy->kind > FF_ERROR || copy->path_len != len - sizeof *copy ||
      copy->path_len > FF_PATH_MAX || (copy->flags & ~FF_LISTED) ||
      (!(copy->flags & FF_LISTED) && copy->kind != FF_DIR))
    return NULL;
  size_t nname = sizeof copy->fd.cFileName / sizeof copy->fd.cFileName[0];
  size_t nalt = sizeof copy->fd.cAlternateFileName / sizeof copy->fd.cAlternateFileName[0];
  copy->fd.cFileName[nname - 1] = 0;
  copy->fd.cAlternateFileName[nalt - 1] = 0;
  return copy;
}

static void count(counts *c, const findrec *r) {
  switch (r->kind) {
  case FF_FILE:
    c->files++, c->bytes += ff_size(&r->fd);
    break;
  case FF_DIR:
    c->dirs++;
    break;
  case FF_LINK:
    c->links++;
    break;
  case FF_OTHER:
    c->other++;
    break;
  default:
    c->errors++;
    break;
  }
}

static void summary(FILE *out, const options *o, const counts *c, double secs) {
  uint64_t records = c->files + c->dirs + c->links + c->other + c->errors;
  double rate = secs > 0 ? (double)records / secs : 0;
  if (o->json) {
    fprintf(out,
            "{\"summary\":{\"files\":%llu,\"directories\":%llu,\"links\":%llu,\"other\":%llu,"
            "\"errors\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"records_per_second\":%.0f}}\n",
            (unsigned long long)c->files, (unsigned long long)c->dirs, (unsigned long long)c->links,
            (unsigned long long)c->other, (unsigned long long)c->errors,
            (unsigned long long)c->bytes, secs, rate);
  } else {
    fprintf(out,
            "Summary: %llu files, %llu directories, %llu links, %llu errors, %llu bytes in "
            "%.3f s (%.0f records/s)\n",
            (unsigned long long)c->files, (unsigned long long)c->dirs, (unsigned long long)c->links,
            (unsigned long long)c->errors, (unsigned long long)c->bytes, secs, rate);
  }
}

/* Receives until the end of the stream. Returns the exit status. */
static int receive(mc_chan *ch, mc_proc *server, const options *o, FILE *out, counts *c) {
  int server_ended = 0, code = 0;
  static union {
    findrec rec;
    unsigned char bytes[FF_RECORD_MAX];
  } copy;
  for (;;) {
    const void *msg;
    size_t len;
    int rc = mc_chan_peek(ch, &msg, &len, server_ended ? 0 : POLL_MS);
    if (rc == MC_OK) {
      const findrec *r = copy_record(msg, len, &copy.rec);
      mc_chan_consume(ch); /* the copy is all we use */
      if (!r) {
        fprintf(stderr, "filefind: malformed record from the server\n");
        return 4;
      }
      count(c, r);
      if (r->kind == FF_ERROR) {
        char text[256];
        ff_error_text(r->error, text, sizeof text);
        if (r->path_len == 0) { /* the root itself */
          fprintf(stderr, "filefind: cannot read %s: %s\n", o->root, text);
          return 2;
        }
        if (!o->json)
          fprintf(stderr, "filefind: cannot read %.*s: %s\n", (int)r->path_len, r->path, text);
      }
      if (!(r->flags & FF_LISTED)) continue; /* a directory walked, counted only */
      if (o->json)
        ff_print_json(out, r);
      else if (!o->quiet)
        ff_print_text(out, r);
      continue;
    }
    if (rc == MC_ECLOSED) return 0;
    uint64_t n = c->files + c->dirs + c->links + c->other + c->errors;
    if (rc == MC_EPEERDEAD) {
      fprintf(stderr, "filefind: the server died mid-stream, after %llu records\n",
              (unsigned long long)n);
      return 3;
    }
    if (rc != MC_ETIMEDOUT) {
      fprintf(stderr, "filefind: receiving: %s\n", mc_strerror(rc));
      return 4;
    }
    if (server_ended) { /* drained, and it never ended the stream */
      fprintf(stderr,
              "filefind: the server ended (status %d) without finishing, after %llu "
              "records\n",
              code, (unsigned long long)n);
      return code == 2 ? 2 : 3;
    }
    /* Nothing for a while: a server that never connected wakes nobody when it ends. */
    if (mc_proc_wait(server, 0, &code) == MC_OK) server_ended = 1;
  }
}

int main(int argc, char **argv) {
  options o;
  counts c = {0};
  if (mc_args_utf8(&argc, &argv) != MC_OK) return 1;
  int parsed = parse(argc, argv, &o);
  if (parsed) return parsed < 0 ? 0 : 1; /* --help: printed to stdout, success */
  if (o.log_path && !freopen(o.log_path, "w", stderr)) return 4;
#ifdef _WIN32
  SetConsoleOutputCP(CP_UTF8); /* names are printed in UTF-8 */
#endif
  FILE *out = o.out_path ? fopen(o.out_path, "wb") : stdout;
  if (!out) {
    perror(o.out_path);
    return 4;
  }
  setvbuf(out, NULL, _IOFBF, 1 << 16);
  mc_chan *ch;
  mc_chan_options co = {.kind = o.kind, .max_msg = (uint32_t)FF_RECORD_MAX};
  int rc = mc_chan_create(NULL, &co, MC_CHAN_RECV, &ch);
  if (rc != MC_OK) {
    fprintf(stderr, "filefind: cannot create a channel: %s\n", mc_strerror(rc));
    return 4;
  }
  double t0 = now_seconds();
  mc_proc *server = start_server(&o, mc_chan_name(ch));
  int status = server ? receive(ch, server, &o, out, &c) : 4;
  double secs = now_seconds() - t0;
  if (server) {
    int code;
    if (mc_proc_wait(server, 5000, &code) != MC_OK) { /* stuck: we are done with it */
      mc_proc_kill(server);
      mc_proc_wait(server, 5000, &code);
    }
    mc_proc_free(server);
  }
  mc_chan_close(ch);
  if (status == 0 || status == 3) summary(out, &o, &c, secs);
  if (out != stdout)
    fclose(out);
  else
    fflush(out);
  return status;
}
