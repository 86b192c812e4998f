/* filefind-server: walks a directory tree and sends one find record per entry over a
 * memchan channel created by the client (which starts this program).
 *
 *   filefind-server --channel NAME --root DIR [--pattern P] [--dirs] [--exclude NAME]...
 *
 * Exit status: 0 done (end of stream sent), 2 the root cannot be read (an error record for
 * it was sent), 3 the client went away, 4 the channel could not be opened, 1 bad usage.
 * --die-after N (for tests) ends the process abruptly after N records, as a crash would. */
#include "walk.h"

#include <memchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#endif

#define MAX_EXCLUDES 64

typedef struct server {
  mc_chan *ch;
  uint64_t sent;
  uint64_t die_after; /* 0: never */
} server;

static void die_now(void) {
#ifdef _WIN32
  TerminateProcess(GetCurrentProcess(), 137);
#else
  raise(SIGKILL);
#endif
}

static int emit(void *ctx, const findrec *rec, size_t len) {
  server *s = ctx;
  int rc = mc_chan_send(s->ch, rec, len, MC_INFINITE);
  if (rc != MC_OK) {
    fprintf(stderr, "filefind-server: send: %s\n", mc_strerror(rc));
    return 3; /* the client is gone: stop walking */
  }
  if (++s->sent == s->die_after) die_now();
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: filefind-server --channel NAME --root DIR [--pattern P] [--dirs]"
                  " [--exclude NAME]...\n");
  return 1;
}

int main(int argc, char **argv) {
  const char *chan = NULL, *root = NULL, *excludes[MAX_EXCLUDES];
  server s = {0};
  ff_walk w = {0};
  if (mc_args_utf8(&argc, &argv) != MC_OK) return 1;
  w.exclude = excludes;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--dirs") == 0) {
      w.dirs = 1;
      continue;
    }
    if (!v) return usage();
    if (strcmp(a, "--channel") == 0)
      chan = v;
    else if (strcmp(a, "--root") == 0)
      root = v;
    else if (strcmp(a, "--pattern") == 0)
      w.pattern = v;
    else if (strcmp(a, "--exclude") == 0 && w.n_exclude < MAX_EXCLUDES)
      excludes[w.n_exclude++] = v;
    else if (strcmp(a, "--die-after") == 0)
      s.die_after = strtoull(v, NULL, 10);
    else
      return usage();
    i++;
  }
  if (!chan || !root) return usage();
  int rc = mc_chan_open(chan, MC_CHAN_SEND, 10000, &s.ch);
  if (rc != MC_OK) {
    fprintf(stderr, "filefind-server: cannot open channel %s: %s\n", chan, mc_strerror(rc));
    return 4;
  }
  w.emit = emit;
  w.ctx = &s;
  rc = ff_walk_tree(&w, root);
  mc_chan_close(s.ch); /* end of stream: the client's recv ends with MC_ECLOSED */
  return rc;
}
