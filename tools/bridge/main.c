/* memchan-bridge: the command line. docs/bridge.md is the manual. */
#include "bridge.h"
#include "heap.h"
#include "sys.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: memchan-bridge out [options] CHANNEL URL\n"
    "       memchan-bridge in  [options] URL CHANNEL\n"
    "Carries a channel's stream to a channel on another host, over nng.\n"
    "  out  receives CHANNEL's messages (it is the channel's receiver) and sends them to\n"
    "       URL, dialling it, and again after a lost connection\n"
    "  in   listens at URL and sends what arrives into CHANNEL (its only sender), making\n"
    "       the channel when it does not exist\n"
    "URL: nng's, e.g. tcp://host:port, tcp://0.0.0.0:port (in: every address), ipc:///path,\n"
    "tls+tcp://host:port where nng was built with TLS. Every message arrives once, in order;\n"
    "the end of the stream (closed, aborted with its code, or its producer's death) ends\n"
    "the far channel the same way; either bridge may be killed and restarted and the\n"
    "connection may drop: the state kept beside each channel (CHANNEL.bridge-out,\n"
    "CHANNEL.bridge-in) carries the stream on.\n"
    "\n"
    "options:\n"
    "  --window N        out: messages sent and not yet acknowledged, at most (default 256);\n"
    "                    a stream's window stays what it began with\n"
    "  --state NAME      the state block's name (default CHANNEL.bridge-out / -in)\n"
    "  --state-dir DIR   keep the state block in the file DIR/NAME.mcblk (DIR made when\n"
    "                    missing), which outlives a clean reboot (not flushed per message: a\n"
    "                    power cut may lose its last writes); default: a memory block on\n"
    "                    POSIX, which outlives the bridge but not a reboot, and a file in\n"
    "                    %LOCALAPPDATA%\\memchan\\bridge on Windows\n"
    "  --open-timeout MS how long to wait for CHANNEL to exist (default 10000)\n"
    "  --max-msg N       in: largest message of a channel it makes (default 64 KiB)\n"
    "  --capacity N      in: ring bytes of a channel it makes (default 1 MiB)\n"
    "  --linger MS       in: after the end, how long to wait for the out side to come back\n"
    "                    for its acknowledgement (default 2000)\n"
    "  --stats S         a stats line on stderr every S seconds (and always at the end)\n"
    "  --quiet           no stats line at the end\n"
    "  -h, --help        this text\n"
    "\n"
    "exit status: 0 the stream ended and the far side has all of it; 1 a failure (the\n"
    "message says which; the state is kept, so a restart carries on); 2 bad command line;\n"
    "3 (in) the stream ended with its producer's death, passed on as this sender's.\n";

static int number(const char *s, uint64_t min, uint64_t max, uint64_t *out);

uint64_t mb_now_ms(void) {
  return mb_now_ns() / 1000000u;
}

void mb_log(const char *side, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "memchan-bridge %s: %s\n", side, line);
}

void mb_die_point(const mb_opts *o, int where, uint64_t seq) {
  if (o->die_where == where && o->die_seq == seq) {
    mb_log("-", "dying as MEMCHAN_BRIDGE_DIE asks, at message %" PRIu64, seq);
    mb_die_now();
  }
}

/* MEMCHAN_BRIDGE_DIE=out-copied:SEQ (copied into the window, not consumed), in-pending:SEQ
   (recorded as being committed, not committed), in-committed:SEQ (committed, not recorded as
   delivered): the crash points of the test (tests/bridge/run.sh). */
static int die_from_env(mb_opts *o) {
  const char *e = getenv("MEMCHAN_BRIDGE_DIE");
  static const char *const names[] = {"", "out-copied:", "in-pending:", "in-committed:"};
  if (!e || !*e) return 0;
  for (int i = 1; i < 4; i++) {
    size_t n = strlen(names[i]);
    if (!strncmp(e, names[i], n) && number(e + n, 0, UINT64_MAX, &o->die_seq) == 0) {
      o->die_where = i;
      return 0;
    }
  }
  return -1;
}

static int number(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int bad(const char *what, const char *arg) {
  fprintf(stderr, "memchan-bridge: %s%s%s\n(memchan-bridge --help tells the usage)\n", what,
          arg ? ": " : "", arg ? arg : "");
  return MB_EXIT_USAGE;
}

int main(int argc, char **argv) {
  mb_heap_setup();
  /* Names and paths as UTF-8, as memchan takes them (Windows: from the wide command line). */
  if (mc_args_utf8(&argc, &argv) != MC_OK) {
    fprintf(stderr, "memchan-bridge: the command line is not valid text\n");
    return MB_EXIT_USAGE;
  }
  mb_opts o = {.window = 256, .open_ms = 10000, .linger_ms = 2000};
  const char *pos[3];
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    uint64_t v;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return MB_EXIT_OK;
    }
    if (!strcmp(a, "--quiet")) {
      o.quiet = 1;
      continue;
    }
    if (a[0] == '-' && a[1] == '-') {
      const char *val = i + 1 < argc ? argv[i + 1] : NULL;
      if (!strcmp(a, "--state")) {
        if (!val) return bad("--state needs a name", NULL);
        o.state = val;
      } else if (!strcmp(a, "--state-dir")) {
        if (!val || !*val) return bad("--state-dir needs a folder", NULL);
        o.state_dir = val;
      } else if (!strcmp(a, "--window")) {
        if (number(val, 1, 1u << 20, &v)) return bad("--window needs 1 to 1048576", val);
        o.window = (uint32_t)v;
      } else if (!strcmp(a, "--open-timeout")) {
        if (number(val, 0, 86400000, &v)) return bad("--open-timeout needs milliseconds", val);
        o.open_ms = (int)v;
      } else if (!strcmp(a, "--max-msg")) {
        if (number(val, 1, 1u << 30, &v)) return bad("--max-msg needs 1 to 1 GiB", val);
        o.max_msg = (uint32_t)v;
      } else if (!strcmp(a, "--capacity")) {
        if (number(val, 1, 1ull << 40, &v)) return bad("--capacity needs a byte count", val);
        o.capacity = v;
      } else if (!strcmp(a, "--linger")) {
        if (number(val, 0, 3600000, &v)) return bad("--linger needs milliseconds", val);
        o.linger_ms = (int)v;
      } else if (!strcmp(a, "--stats")) {
        if (number(val, 1, 86400, &v)) return bad("--stats needs seconds", val);
        o.stats_s = (int)v;
      } else {
        return bad("unknown option", a);
      }
      i++;
      continue;
    }
    if (npos == 3) return bad("too many arguments", a);
    pos[npos++] = a;
  }
  if (npos != 3) return bad("a direction, a channel and a URL are needed", NULL);
  int out = !strcmp(pos[0], "out");
  if (!out && strcmp(pos[0], "in")) return bad("the direction is `out` or `in`", pos[0]);
  o.channel = out ? pos[1] : pos[2];
  o.url = out ? pos[2] : pos[1];
  if (!strstr(o.url, "://")) return bad("not an nng URL (tcp://host:port, ipc:///path ...)", o.url);
  if (strstr(o.channel, "://")) return bad("the channel comes where a URL was found", o.channel);
  if (die_from_env(&o) != 0) return bad("MEMCHAN_BRIDGE_DIE is not WHERE:SEQ", getenv("MEMCHAN_BRIDGE_DIE"));
  return out ? mb_out(&o) : mb_in(&o);
}
