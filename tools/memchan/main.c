/* `memchan`: list, inspect, watch and clean up memchan's objects in shared memory. The
 * command line and the help; docs/cli.md is the manual. */
#include "memchan_cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
    "usage: memchan [--json] COMMAND [options] [NAME...]\n"
    "List, inspect, watch and clean up memchan's shared-memory objects (blocks, channels,\n"
    "events, mutexes, semaphores). Looking never attaches: memchan is not a holder, takes\n"
    "no lock and changes nothing, so it cannot disturb or slow down what it looks at.\n"
    "\n"
    "commands:\n"
    "  ls [--all] [PREFIX] every memchan object (whose name begins with PREFIX): kind, size,\n"
    "                      holders alive/total, creator, age, state (ready, stale, dead,\n"
    "                      initialising); --all also shows derived objects (NAME$new)\n"
    "  stat NAME...        everything an object's header and control block say, validated\n"
    "                      as an opener validates them; for a channel its kind, options,\n"
    "                      fill level and each end with pid, liveness and counters\n"
    "  watch NAME          a channel's rates (messages/s, bytes/s, waits/s, wake-ups/s per\n"
    "                      end), refreshed in place; --plain, --count, --interval\n"
    "  rm [--force] NAME...  remove objects by name; one that live processes hold is\n"
    "                      refused (and they are named) unless --force\n"
    "  gc [PREFIX]         remove every stale object (all its holders died: a crashed run),\n"
    "                      or those whose names begin with PREFIX\n"
    "  help [COMMAND]      this text, or a command's\n"
    "\n"
    "options:\n"
    "  --json              machine-readable output (one JSON document; watch: one per line)\n"
    "  -h, --help          help (after a command: that command's)\n"
    "\n"
    "exit status:\n"
    "  0 success; 1 an operation failed; 2 bad command line; 3 no such object;\n"
    "  4 an object is corrupt; 5 rm refused an object in use; 6 an object has another\n"
    "  layout version (made by another memchan build).\n"
    "  With several names, the highest of their statuses.\n"
    "\n"
    "Names are memchan names (1-200 of A-Z a-z 0-9 . _ -; Windows: optional Local\\ or\n"
    "Global\\). On Linux objects are found in /dev/shm; Windows cannot list named objects,\n"
    "so memchan processes note their objects' names in a registry block of their own\n"
    "(see docs/cli.md).\n";

static const char usage_ls[] =
    "usage: memchan ls [--all] [--json] [PREFIX]\n"
    "Lists every memchan object (with PREFIX: those whose names begin with it), one a\n"
    "line: NAME, KIND (a channel's kind: ring, multi-send ring, shared work, broadcast,\n"
    "slot ...), SIZE (data bytes), HOLDERS (processes alive / attached), CREATOR (pid;\n"
    "\"(dead)\" once it ended), AGE, STATE:\n"
    "  ready         in use, or ready to be\n"
    "  stale         every holder died without closing: left by a crashed run; the next\n"
    "                open replaces it, `memchan gc` removes it\n"
    "  dead          removed, its name still there (its remover died between the steps)\n"
    "  initialising  its creator is still filling it in\n"
    "An object that fails validation is listed as corrupt. Files in /dev/shm that are not\n"
    "memchan's are left out. --all also lists derived objects (NAME$new: the event a\n"
    "channel's openers wait on).\n";

static const char usage_stat[] =
    "usage: memchan stat [--json] NAME...\n"
    "Shows what an object's header says: kind, state, size, creator and age, holders with\n"
    "their liveness; for a channel its kind and options, capacity, fill level, senders\n"
    "closed or dead, and each end (role, place, pid, state, alive) with its counters:\n"
    "messages, bytes, waits (calls that blocked) and wake-ups it issued, as of its last\n"
    "message. The object is validated as an opener validates it: a corrupt one is\n"
    "reported as such (exit status 4) and nothing of it is trusted.\n";

static const char usage_watch[] =
    "usage: memchan watch [--plain] [--json] [--count N] [--interval MS] NAME\n"
    "Shows an object every MS milliseconds (default 1000): for a channel, each end's\n"
    "messages/s, bytes/s, waits/s and wake-ups/s since the previous refresh, the fill level\n"
    "and the totals. On a terminal the screen is redrawn in place (quit with Ctrl-C);\n"
    "--plain prints one block per refresh instead, --json one JSON object per line.\n"
    "--count N stops after N refreshes. It only reads: it never slows a channel down.\n";

static const char usage_rm[] =
    "usage: memchan rm [--force] [--json] NAME...\n"
    "Removes objects by name. An object that live processes hold is refused (exit status\n"
    "5), naming them; --force removes it anyway: its holders keep what they have mapped,\n"
    "and the name is free for a new object. A corrupt object is removed only with --force.\n"
    "Windows: an object ends with its last handle; rm cannot remove it (exit status 1).\n";

static const char usage_gc[] =
    "usage: memchan gc [--json] [PREFIX]\n"
    "Removes every stale object (with PREFIX: of those whose names begin with it): one whose "
    "holders all died without closing (a crashed\n"
    "run's), never finished by a creator that died, or dead with its name left. Each is\n"
    "checked again under its own lock before it goes, so an object opened meanwhile stays.\n"
    "Live objects are never touched.\n";

static const char *command_help(const char *cmd) {
  if (!cmd) return usage_main;
  if (strcmp(cmd, "ls") == 0) return usage_ls;
  if (strcmp(cmd, "stat") == 0) return usage_stat;
  if (strcmp(cmd, "watch") == 0) return usage_watch;
  if (strcmp(cmd, "rm") == 0) return usage_rm;
  if (strcmp(cmd, "gc") == 0) return usage_gc;
  return NULL;
}

static int bad_usage(const char *cmd, const char *msg, const char *arg) {
  fprintf(stderr, "memchan%s%s: %s%s%s\n", cmd ? " " : "", cmd ? cmd : "", msg, arg ? ": " : "",
          arg ? arg : "");
  fprintf(stderr, "(memchan %s--help for help)\n", cmd ? cmd : "");
  return EXIT_USAGE;
}

/* A whole number in [lo, hi]; 0 if it is not. */
static int number(const char *s, long lo, long hi, long *v) {
  char *end;
  if (!s || !*s) return 0;
  *v = strtol(s, &end, 10);
  return *end == '\0' && *v >= lo && *v <= hi;
}

/* Options may come anywhere after the command; "--" ends them. The names are gathered in
   argv order into names[]. */
static int parse(cli *c, const char *cmd, int argc, char **argv, char **names, int *nnames) {
  int opts = 1;
  *nnames = 0;
  for (int k = 0; k < argc; k++) {
    const char *a = argv[k];
    long v;
    if (opts && strcmp(a, "--") == 0) {
      opts = 0;
    } else if (opts && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      fputs(command_help(cmd), stdout);
      return -1;
    } else if (opts && strcmp(a, "--json") == 0) {
      c->json = 1;
    } else if (opts && strcmp(cmd, "ls") == 0 &&
               (strcmp(a, "--all") == 0 || strcmp(a, "-a") == 0)) {
      c->all = 1;
    } else if (opts && strcmp(cmd, "rm") == 0 &&
               (strcmp(a, "--force") == 0 || strcmp(a, "-f") == 0)) {
      c->force = 1;
    } else if (opts && strcmp(cmd, "watch") == 0 && strcmp(a, "--plain") == 0) {
      c->plain = 1;
    } else if (opts && strcmp(cmd, "watch") == 0 && strcmp(a, "--count") == 0) {
      if (!number(k + 1 < argc ? argv[++k] : NULL, 1, 1000000000, &v))
        return bad_usage(cmd, "--count needs a number from 1", NULL);
      c->count = (int)v;
    } else if (opts && strcmp(cmd, "watch") == 0 && strcmp(a, "--interval") == 0) {
      if (!number(k + 1 < argc ? argv[++k] : NULL, 10, 3600000, &v))
        return bad_usage(cmd, "--interval needs milliseconds, 10 to 3600000", NULL);
      c->interval_ms = (int)v;
    } else if (opts && a[0] == '-' && a[1]) {
      return bad_usage(cmd, "unknown option", a);
    } else {
      names[(*nnames)++] = argv[k];
    }
  }
  return 0;
}

static int run(cli *c, const char *cmd, int n, char **names) {
  if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "gc") == 0) {
    if (n > 1) return bad_usage(cmd, "takes one PREFIX at most", names[1]);
    const char *prefix = n ? names[0] : NULL;
    return cmd[0] == 'l' ? cli_ls(c, prefix) : cli_gc(c, prefix);
  }
  if (n == 0) return bad_usage(cmd, "needs a NAME", NULL);
  if (strcmp(cmd, "stat") == 0) return cli_stat(c, n, names);
  if (strcmp(cmd, "rm") == 0) return cli_rm(c, n, names);
  if (n > 1) return bad_usage(cmd, "watches one NAME", names[1]);
  return cli_watch(c, names[0]);
}

int main(int argc, char **argv) {
  cli c = {0};
  c.out = stdout;
  c.interval_ms = 1000;
  mc_args_utf8(&argc, &argv); /* Windows: names as typed; elsewhere nothing */
  int k = 1;
  for (; k < argc && argv[k][0] == '-'; k++) { /* options before the command */
    if (strcmp(argv[k], "--json") == 0) {
      c.json = 1;
    } else if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
      fputs(usage_main, stdout);
      return EXIT_DONE;
    } else if (strcmp(argv[k], "--version") == 0) {
      printf("memchan %s\n", mc_version());
      return EXIT_DONE;
    } else {
      return bad_usage(NULL, "unknown option", argv[k]);
    }
  }
  if (k == argc) {
    fputs(usage_main, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[k++];
  if (strcmp(cmd, "help") == 0) {
    const char *text = command_help(k < argc ? argv[k] : NULL);
    if (!text) return bad_usage(NULL, "no such command", argv[k]);
    fputs(text, stdout);
    return EXIT_DONE;
  }
  if (!command_help(cmd)) return bad_usage(NULL, "no such command", cmd);
  char **names = malloc(sizeof *names * (size_t)(argc > 0 ? argc : 1));
  if (!names) return EXIT_FAILED;
  int n, rc = parse(&c, cmd, argc - k, argv + k, names, &n);
  if (rc == 0)
    rc = run(&c, cmd, n, names);
  else if (rc < 0)
    rc = EXIT_DONE; /* help was asked for */
  free(names);
  return rc;
}
