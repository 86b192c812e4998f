/* Inspection (mc_inspect, mc_list, mc_remove) and the `memchan` command over it: live channels
 * of every kind with their ends in other processes, checked field by field; stale objects
 * after a kill, and gc; rm refusing a live object; corrupt objects; watch's refreshes. The
 * command is run as a user runs it (tools/memchan beside this binary's folder), its output
 * read through a pipe. */
#include "chan_procs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define popen  _popen
#define pclose _pclose
#else
#include <sys/wait.h>
#endif

#define MSG 64 /* every message here: a record of 80 bytes in a ring */

/* ---- helpers (other processes) --------------------------------------------------------- */

static uint32_t self_pid(void) {
  return (uint32_t)mc__plat_self_token();
}

/* end NAME send|recv COUNT PIDS SLOT READY TAG: opens the channel with that role, writes its
   pid to u64 slot SLOT of block PIDS, posts READY; sends (or receives) COUNT messages of MSG
   bytes, posts READY again; then holds its end until killed. */
static int helper_end(int argc, char **argv) {
  HELPER_CHECK(argc == 7);
  int send = strcmp(argv[1], "send") == 0;
  long count = atol(argv[2]);
  mc_shm *pshm;
  _Atomic uint64_t *pids = open_counters(argv[3], &pshm);
  HELPER_CHECK(pids != NULL);
  mc_chan *ch;
  HELPER_OK(mc_chan_open(argv[0], send ? MC_CHAN_SEND : MC_CHAN_RECV, WAIT_MS, &ch));
  atomic_store(&pids[atol(argv[4])], self_pid());
  HELPER_OK(th_signal(argv[5]));
  unsigned char buf[MSG] = {0};
  size_t n;
  for (long i = 0; i < count; i++) {
    if (send)
      HELPER_OK(mc_chan_send(ch, buf, sizeof buf, WAIT_MS));
    else
      HELPER_OK(mc_chan_recv(ch, buf, sizeof buf, &n, WAIT_MS));
  }
  HELPER_OK(th_signal(argv[5]));
  return th_block_forever(argv[6]);
}

/* stream NAME send|recv READY: opens, posts READY, then sends (receives) until killed. */
static int helper_stream(int argc, char **argv) {
  HELPER_CHECK(argc == 3);
  int send = strcmp(argv[1], "send") == 0;
  mc_chan *ch;
  HELPER_OK(mc_chan_open(argv[0], send ? MC_CHAN_SEND : MC_CHAN_RECV, WAIT_MS, &ch));
  HELPER_OK(th_signal(argv[2]));
  unsigned char buf[MSG] = {0};
  size_t n;
  for (;;) {
    int rc = send ? mc_chan_send(ch, buf, sizeof buf, 1000)
                  : mc_chan_recv(ch, buf, sizeof buf, &n, 1000);
    HELPER_CHECK(rc == MC_OK || rc == MC_ETIMEDOUT);
  }
}

/* hold NAME READY TAG: creates the ring channel NAME (receiver) and the block NAME-blk,
   posts READY and holds both until killed. */
static int helper_hold(int argc, char **argv) {
  HELPER_CHECK(argc == 3);
  char blk[96];
  mc_chan *ch;
  mc_shm *shm;
  snprintf(blk, sizeof blk, "%s-blk", argv[0]);
  mc_shm_options o = {.size = 8192, .flags = MC_SHM_CREATE};
  HELPER_OK(mc_chan_create(argv[0], NULL, MC_CHAN_RECV, &ch));
  HELPER_OK(mc_shm_open(blk, &o, &shm));
  HELPER_OK(th_signal(argv[1]));
  return th_block_forever(argv[2]);
}

/* ---- running the command ----------------------------------------------------------------- */

/* The command's path: tools/memchan beside this binary's folder (tests/). */
static void cli_path(char *buf, size_t cap) {
  char self[900];
  TH_OK(mc_self_path(self, sizeof self));
  char *end = strrchr(self, TH_WINDOWS ? '\\' : '/');
  ck_assert_ptr_nonnull(end);
  *end = '\0';
  end = strrchr(self, TH_WINDOWS ? '\\' : '/');
  ck_assert_ptr_nonnull(end);
  *end = '\0';
  int len = snprintf(buf, cap, "%s%stools%smemchan%s", self, TH_WINDOWS ? "\\" : "/",
                     TH_WINDOWS ? "\\" : "/", TH_WINDOWS ? ".exe" : "");
  ck_assert(len > 0 && (size_t)len < cap);
}

/* Runs `memchan ARGS` (stderr into stdout); its output in out (NUL-terminated), its exit
   status returned. */
static int run_cli(char *out, size_t cap, const char *args) {
  char cmd[2048], path[1024];
  cli_path(path, sizeof path);
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", path, args);
  fflush(NULL);
  /* Wine's _popen (a cmd.exe started for the command) fails now and then on a loaded
     machine: a few attempts, each failure reported. */
  FILE *f = NULL;
  for (int attempt = 0; attempt < 3 && !f; attempt++) {
    f = popen(cmd, "r");
    if (!f) fprintf(stderr, "popen %s: %s\n", cmd, strerror(errno));
  }
  ck_assert_msg(f != NULL, "popen %s failed three times", cmd);
  size_t n = 0, got;
  while (n + 1 < cap && (got = fread(out + n, 1, cap - 1 - n, f)) > 0) n += got;
  out[n] = '\0';
  int st = pclose(f);
#ifndef _WIN32
  ck_assert_msg(WIFEXITED(st), "memchan %s: ended by a signal (%d)", args, st);
  st = WEXITSTATUS(st);
#endif
  return st;
}

#define CONTAINS(hay, needle)                                                                      \
  ck_assert_msg(strstr(hay, needle) != NULL, "no \"%s\" in:\n%s", needle, hay)
#define LACKS(hay, needle) ck_assert_msg(strstr(hay, needle) == NULL, "\"%s\" in:\n%s", needle, hay)

/* The part of a th_name name shared by every name this test process makes: "t<pid>x". */
static void prefix_of(const char *name, char *buf, size_t cap) {
  const char *x = strchr(name, 'x');
  ck_assert_ptr_nonnull(x);
  snprintf(buf, cap, "%.*s", (int)(x - name + 1), name);
}

/* ---- bad input ------------------------------------------------------------------------- */

static int count_cb(const char *name, void *ctx) {
  (void)name;
  ++*(int *)ctx;
  return 0;
}

START_TEST(bad_input) {
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  TH_EXPECT(mc_inspect(NULL, i), MC_EINVAL);
  TH_EXPECT(mc_inspect("ok-name", NULL), MC_EINVAL);
  TH_EXPECT(mc_inspect("", i), MC_EINVAL);
  TH_EXPECT(mc_inspect("bad name", i), MC_EINVAL);
  TH_EXPECT(mc_inspect("a$", i), MC_EINVAL);
  TH_EXPECT(mc_inspect("a$b$c", i), MC_EINVAL);
  char name[64];
  th_name(name, sizeof name, "nothing");
  TH_EXPECT(mc_inspect(name, i), MC_ENOENT);
  TH_EXPECT(mc_list(NULL, NULL), MC_EINVAL);
  TH_EXPECT(mc_remove(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_remove("x y", 0), MC_EINVAL);
  TH_EXPECT(mc_remove(name, 1u << 7), MC_EINVAL);
  TH_EXPECT(mc_remove(name, 0), TH_WINDOWS ? MC_ENOTSUP : MC_ENOENT);
  int n = 0;
  TH_OK(mc_list(count_cb, &n));
  free(i);
  char out[4096];
  ck_assert_int_eq(run_cli(out, sizeof out, ""), 2);
  ck_assert_int_eq(run_cli(out, sizeof out, "frobnicate"), 2);
  CONTAINS(out, "no such command");
  ck_assert_int_eq(run_cli(out, sizeof out, "stat"), 2);
  ck_assert_int_eq(run_cli(out, sizeof out, "stat --bogus x"), 2);
  ck_assert_int_eq(run_cli(out, sizeof out, "watch --count 0 x"), 2);
  ck_assert_int_eq(run_cli(out, sizeof out, "stat \"bad name\""), 2);
  snprintf(out, sizeof out, "stat %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, out), 3);
  ck_assert_int_eq(run_cli(out, sizeof out, "--help"), 0);
  CONTAINS(out, "exit status");
  static const char *cmds[] = {"ls", "stat", "watch", "rm", "gc"};
  for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++) {
    char args[64], want[64];
    snprintf(args, sizeof args, "%s --help", cmds[k]);
    snprintf(want, sizeof want, "usage: memchan %s", cmds[k]);
    ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
    CONTAINS(out, want);
  }
}
END_TEST

/* ---- live channels of every kind --------------------------------------------------------- */

typedef struct scenario {
  const char *tag;
  int kind;
  unsigned flags;
  int senders, receivers;
  long sent_each, recv_each; /* messages each sender sends, each receiver receives */
  const char *kind_text;     /* what ls and stat call it */
} scenario;

static const scenario scenarios[] = {
    {"i-ring", MC_CHAN_RING, 0, 1, 1, 10, 6, "ring"},
    {"i-slot", MC_CHAN_SLOT, 0, 1, 1, 3, 3, "slot"},
    {"i-multi", MC_CHAN_RING, MC_CHAN_MULTI_SEND, 2, 1, 4, 5, "multi-send ring"},
    {"i-bcast", MC_CHAN_RING, MC_CHAN_BROADCAST | MC_CHAN_MULTI_SEND, 2, 2, 3, 6, "broadcast"},
    {"i-share", MC_CHAN_RING, MC_CHAN_MULTI_RECV, 1, 2, 10, 5, "shared work"},
};

static const mc_end_info *find_end(const mc_chan_info *ci, uint32_t pid, int role) {
  for (int k = 0; k < ci->nends; k++)
    if (ci->ends[k].pid == pid && ci->ends[k].role == role) return &ci->ends[k];
  return NULL;
}

static int holds(const mc_obj_info *i, uint32_t pid) {
  for (int k = 0; k < i->nholders; k++)
    if (i->holders[k].pid == pid && i->holders[k].alive) return 1;
  return 0;
}

/* The inspection of scenario s after its helpers did their counts, field by field. */
static void check_inspection(const scenario *s, const mc_obj_info *i, const uint32_t *pids) {
  int ends = s->senders + s->receivers;
  uint64_t sent = (uint64_t)s->senders * (uint64_t)s->sent_each;
  uint64_t received = (uint64_t)s->receivers * (uint64_t)s->recv_each;
  ck_assert_int_eq(i->kind, s->kind == MC_CHAN_SLOT ? MC_OBJ_SLOT : MC_OBJ_RING);
  ck_assert_int_eq(i->state, MC_OBJ_READY);
  ck_assert_int_eq(i->stale, 0);
  ck_assert_uint_eq(i->layout_version, 3);
  ck_assert_uint_eq(i->creator_pid, self_pid());
  ck_assert_int_eq(i->creator_alive, 1);
  ck_assert_int_eq(i->nholders, 1 + ends);
  ck_assert_int_eq(i->live_holders, 1 + ends);
  ck_assert(holds(i, self_pid()));
  ck_assert_uint_gt(i->created_ms, 0);
  const mc_chan_info *ci = &i->chan;
  ck_assert_int_eq(ci->kind, s->kind);
  ck_assert_uint_eq(ci->flags, s->flags);
  ck_assert_uint_eq(ci->max_msg, 256);
  ck_assert_uint_eq(ci->capacity, s->kind == MC_CHAN_SLOT ? 0 : 8192);
  ck_assert_int_eq(ci->nends, ends);
  ck_assert_int_eq(ci->senders, s->senders);
  ck_assert_int_eq(ci->receivers, s->receivers);
  ck_assert_uint_eq(ci->senders_closed, 0);
  ck_assert_uint_eq(ci->senders_died, 0);
  if (s->kind == MC_CHAN_SLOT) {
    ck_assert_int_eq(ci->slot_full, 0);
    ck_assert_uint_eq(ci->used, 0);
  } else if (!(s->flags & MC_CHAN_BROADCAST)) {
    ck_assert_uint_eq(ci->head, sent * 80);
    ck_assert_uint_eq(ci->tail, received * 80);
    ck_assert_uint_eq(ci->used, (sent - received) * 80);
  } else {
    ck_assert_uint_eq(ci->head, sent * 80);
  }
  for (int k = 0; k < ends; k++) {
    int send = k < s->senders;
    ck_assert(holds(i, pids[k]));
    const mc_end_info *e = find_end(ci, pids[k], send ? MC_CHAN_SEND : MC_CHAN_RECV);
    ck_assert_msg(e != NULL, "%s: no end of pid %u", s->tag, pids[k]);
    ck_assert_int_eq(e->state, MC_END_OPEN);
    ck_assert_int_eq(e->alive, 1);
    ck_assert_int_eq(e->counted, 1);
    uint64_t msgs = (uint64_t)(send ? s->sent_each : s->recv_each);
    ck_assert_uint_eq(e->messages, msgs);
    ck_assert_uint_eq(e->bytes, msgs * MSG);
    ck_assert_uint_eq(e->dropped, 0);
    ck_assert_uint_eq(e->backlog, 0);
  }
}

/* What stat --json says of the same: the same figures, spelt as docs/cli.md says. */
static void check_cli(const scenario *s, const char *name, const uint32_t *pids) {
  char out[32768], args[256], want[256];
  snprintf(args, sizeof args, "--json stat %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  snprintf(want, sizeof want,
           "{\"name\":\"%s\",\"layout_version\":3,\"kind\":\"%s\",\"state\":\"ready\"", name,
           s->kind == MC_CHAN_SLOT ? "slot" : "ring");
  CONTAINS(out, want);
  snprintf(want, sizeof want, "\"live_holders\":%d", 1 + s->senders + s->receivers);
  CONTAINS(out, want);
  snprintf(want, sizeof want, "\"senders\":%d,\"receivers\":%d", s->senders, s->receivers);
  CONTAINS(out, want);
  for (int k = 0; k < s->senders + s->receivers; k++) {
    int send = k < s->senders;
    long msgs = send ? s->sent_each : s->recv_each;
    snprintf(want, sizeof want,
             "\"role\":\"%s\",\"index\":%%d,\"state\":\"open\",\"pid\":%u,\"alive\":true,"
             "\"counted\":true,\"messages\":%ld,\"bytes\":%ld,",
             send ? "send" : "recv", pids[k], msgs, msgs * MSG);
    /* the index is the end's place, which the test does not choose: match around it */
    char *at = strstr(want, "%d");
    char head[128], tail[200];
    snprintf(head, sizeof head, "%.*s", (int)(at - want), want);
    snprintf(tail, sizeof tail, "%s", at + 2);
    const char *p = strstr(out, head);
    int found = 0;
    for (; p && !found; p = strstr(p + 1, head)) {
      const char *q = p + strlen(head);
      while (*q >= '0' && *q <= '9') q++;
      found = strncmp(q, tail, strlen(tail)) == 0;
    }
    ck_assert_msg(found, "%s: no end %s...%s in\n%s", s->tag, head, tail, out);
  }
  /* ls: one line, with the kind, the holders and the state */
  char prefix[64];
  prefix_of(name, prefix, sizeof prefix);
  snprintf(args, sizeof args, "ls %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  CONTAINS(out, name);
  CONTAINS(out, s->kind_text);
  snprintf(want, sizeof want, " %d/%d ", 1 + s->senders + s->receivers,
           1 + s->senders + s->receivers);
  CONTAINS(out, want);
  CONTAINS(out, "ready");
  snprintf(args, sizeof args, "--json ls %s", prefix);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  snprintf(want, sizeof want, "{\"name\":\"%s\",", name);
  CONTAINS(out, want);
  /* stat for people */
  snprintf(args, sizeof args, "stat %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  CONTAINS(out, s->kind_text);
  snprintf(want, sizeof want, "%d sender(s), %d receiver(s) attached", s->senders, s->receivers);
  CONTAINS(out, want);
}

/* The block helpers write their pids to (the "end" helper's PIDS), named in pn. */
static _Atomic uint64_t *open_pids(char *pn, size_t cap, mc_shm **shm) {
  th_name(pn, cap, "pids");
  _Atomic uint64_t *pids = open_counters(pn, shm);
  ck_assert_ptr_nonnull(pids);
  return pids;
}

static void run_scenario(const scenario *s) {
  char name[64], pn[64], tag[80], slot[16];
  mc_shm *pshm;
  th_gate g;
  _Atomic uint64_t *pids_shared = open_pids(pn, sizeof pn, &pshm);
  th_gate_open(&g, "insp");
  mc_chan *hold =
      create_chan(s->tag, s->kind, 256, 8192, s->flags, MC_CHAN_NONE, name, sizeof name);
  snprintf(tag, sizeof tag, "%s-h", name);
  mc_proc *procs[8];
  int n = 0;
  char count[24];
  /* Receivers first (a broadcast receiver gets what is sent after it joined), then the
     senders; each posts once when its end is open and once when its count is done. */
  for (int k = 0; k < s->receivers; k++) {
    snprintf(slot, sizeof slot, "%d", s->senders + k);
    snprintf(count, sizeof count, "%ld", s->recv_each);
    procs[n++] = th_spawn("end", name, "recv", count, pn, slot, g.ready_name, tag, NULL);
  }
  th_gate_wait(&g, s->receivers, WAIT_MS);
  for (int k = 0; k < s->senders; k++) {
    snprintf(slot, sizeof slot, "%d", k);
    snprintf(count, sizeof count, "%ld", s->sent_each);
    procs[n++] = th_spawn("end", name, "send", count, pn, slot, g.ready_name, tag, NULL);
  }
  th_gate_wait(&g, s->senders + n, WAIT_MS);
  uint32_t pids[8];
  for (int k = 0; k < n; k++) pids[k] = (uint32_t)atomic_load(&pids_shared[k]);
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  TH_OK(mc_inspect(name, i));
  check_inspection(s, i, pids);
  check_cli(s, name, pids);
  /* Looking changed nothing: the same again. */
  TH_OK(mc_inspect(name, i));
  check_inspection(s, i, pids);
  free(i);
  for (int k = 0; k < n; k++) th_kill(procs[k]);
  mc_chan_close(hold);
  mc_shm_close(pshm);
  th_gate_close(&g);
}

START_TEST(live_channels_field_by_field) {
  run_scenario(&scenarios[_i]);
}
END_TEST

/* Inspecting is not holding: the last real holder's close removes the object, as always. */
START_TEST(inspection_does_not_hold) {
  char name[64];
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  mc_chan *ch = create_chan("nohold", MC_CHAN_RING, 256, 4096, 0, MC_CHAN_RECV, name, sizeof name);
  TH_OK(mc_inspect(name, i));
  ck_assert_int_eq(i->nholders, 1);
  ck_assert_int_eq(i->chan.nends, 1);
  ck_assert_int_eq(i->chan.ends[0].counted, 1);
  ck_assert_uint_eq(i->chan.ends[0].messages, 0);
  mc_chan_close(ch);
  TH_EXPECT(mc_inspect(name, i), MC_ENOENT);
  free(i);
}
END_TEST

/* ---- stale objects, gc and rm ------------------------------------------------------------ */

typedef struct lookfor {
  const char *want;
  int found;
} lookfor;

static int has_name(const char *name, void *ctx) {
  lookfor *l = ctx;
  l->found += strcmp(name, l->want) == 0;
  return 0;
}

/* How many times mc_list reports the name. */
static int listed(const char *name) {
  lookfor l = {name, 0};
  TH_OK(mc_list(has_name, &l));
  return l.found;
}

START_TEST(stale_after_kill_and_gc) {
  char name[64], blk[96], prefix[64], out[16384], args[256], want[256];
  th_gate g;
  th_name(name, sizeof name, "stale");
  prefix_of(name, prefix, sizeof prefix);
  snprintf(blk, sizeof blk, "%s-blk", name);
  th_gate_open(&g, "stale");
  char tag[96];
  snprintf(tag, sizeof tag, "%s-h", name);
  mc_proc *p = th_spawn("hold", name, g.ready_name, tag, NULL);
  th_gate_wait(&g, 1, WAIT_MS);
  /* A live object beside it, which gc must leave alone. */
  char live[64];
  mc_chan *keep = create_chan("alive", MC_CHAN_RING, 256, 4096, 0, MC_CHAN_RECV, live, sizeof live);
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  TH_OK(mc_inspect(name, i));
  ck_assert_int_eq(i->stale, 0);
  uint32_t pid = i->creator_pid;
  ck_assert_int_eq(listed(name), 1);
  ck_assert_int_eq(listed(blk), 1);
  th_kill(p); /* SIGKILL / TerminateProcess: nothing closed */
  if (TH_WINDOWS) {
    /* The kernel closed its handles: the objects are gone with it, and not listed. */
    TH_EXPECT(mc_inspect(name, i), MC_ENOENT);
    TH_EXPECT(mc_inspect(blk, i), MC_ENOENT);
    ck_assert_int_eq(listed(name), 0);
    ck_assert_int_eq(listed(blk), 0);
  } else {
    TH_OK(mc_inspect(name, i));
    ck_assert_int_eq(i->stale, 1);
    ck_assert_int_eq(i->state, MC_OBJ_READY);
    ck_assert_int_eq(i->live_holders, 0);
    ck_assert_int_eq(i->nholders, 1);
    ck_assert_uint_eq(i->holders[0].pid, pid);
    ck_assert_int_eq(i->holders[0].alive, 0);
    ck_assert_int_eq(i->creator_alive, 0);
    ck_assert_int_eq(i->chan.nends, 1);
    ck_assert_int_eq(i->chan.ends[0].role, MC_CHAN_RECV);
    ck_assert_int_eq(i->chan.ends[0].alive, 0);
    ck_assert_int_eq(i->chan.receivers, 0);
    TH_OK(mc_inspect(blk, i));
    ck_assert_int_eq(i->kind, MC_OBJ_BLOCK);
    ck_assert_int_eq(i->stale, 1);
    snprintf(args, sizeof args, "ls %s", prefix);
    ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
    CONTAINS(out, name);
    CONTAINS(out, "stale");
    snprintf(args, sizeof args, "--json stat %s", name);
    ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
    CONTAINS(out, "\"state\":\"stale\",\"stale\":true");
  }
  snprintf(args, sizeof args, "gc %s", prefix);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  if (!TH_WINDOWS) {
    snprintf(want, sizeof want, "%s: removed (stale)", name);
    CONTAINS(out, want);
    snprintf(want, sizeof want, "%s: removed (stale)", blk);
    CONTAINS(out, want);
  }
  LACKS(out, live);
  TH_EXPECT(mc_inspect(name, i), MC_ENOENT);
  TH_EXPECT(mc_inspect(blk, i), MC_ENOENT);
  ck_assert_int_eq(listed(name), 0);
  TH_OK(mc_inspect(live, i)); /* the live one stays */
  ck_assert_int_eq(i->stale, 0);
  /* Nothing stale is left under the prefix: a second gc removes nothing. */
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  LACKS(out, "removed");
  mc_chan_close(keep);
  free(i);
  th_gate_close(&g);
}
END_TEST

START_TEST(rm_refuses_live_unless_forced) {
  char name[64], pn[64], tag[96], out[8192], args[256], want[128];
  mc_shm *pshm;
  th_gate g;
  _Atomic uint64_t *pids = open_pids(pn, sizeof pn, &pshm);
  th_gate_open(&g, "rm");
  mc_chan *rx = create_chan("rm", MC_CHAN_RING, 256, 4096, 0, MC_CHAN_RECV, name, sizeof name);
  snprintf(tag, sizeof tag, "%s-h", name);
  mc_proc *p = th_spawn("end", name, "send", "2", pn, "0", g.ready_name, tag, NULL);
  th_gate_wait(&g, 2, WAIT_MS);
  uint32_t helper = (uint32_t)atomic_load(&pids[0]);
  snprintf(args, sizeof args, "rm %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 5);
  snprintf(want, sizeof want, "held by pid %u, %u", self_pid(), helper);
  CONTAINS(out, want);
  CONTAINS(out, "--force");
  snprintf(args, sizeof args, "--json rm %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 5);
  CONTAINS(out, "\"removed\":false");
  snprintf(want, sizeof want, "\"live_holders\":[%u,%u]", self_pid(), helper);
  CONTAINS(out, want);
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  TH_OK(mc_inspect(name, i)); /* still there, untouched */
  ck_assert_int_eq(i->chan.senders, 1);
  ck_assert_uint_eq(i->chan.used, 2 * 80);
  char th[64];
  th_name(th, sizeof th, "absent");
  snprintf(args, sizeof args, "rm %s %s", th, name);
  ck_assert_int_eq(run_cli(out, sizeof out, args),
                   5); /* the highest: refused (5) over absent (3) */
  CONTAINS(out, "no such object");
  snprintf(args, sizeof args, "rm --force %s", name);
  if (TH_WINDOWS) {
    ck_assert_int_eq(run_cli(out, sizeof out, args), 1); /* lives until its last handle */
    TH_OK(mc_inspect(name, i));
  } else {
    ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
    snprintf(want, sizeof want, "%s: removed", name);
    CONTAINS(out, want);
    TH_EXPECT(mc_inspect(name, i), MC_ENOENT);
    /* Its holders keep what they have: the messages are still there to receive. */
    unsigned char buf[MSG];
    size_t n;
    TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
    ck_assert_uint_eq(n, MSG);
  }
  th_kill(p);
  mc_chan_close(rx);
  free(i);
  mc_shm_close(pshm);
  th_gate_close(&g);
}
END_TEST

/* ---- corrupt objects --------------------------------------------------------------------- */

typedef struct scribble {
  long offset;
  uint64_t value;
  size_t len;
  int want; /* what mc_inspect says */
} scribble;

static const scribble scribbles[] = {
    {248, 0x0123456789abcdefull, 8, MC_ECORRUPT}, /* header: the second guard */
    {12, 99, 4, MC_ECORRUPT},                     /* header: an unknown kind */
    {64, 1ull << 40, 8, MC_ECORRUPT},             /* header: committed past reserve */
    {96, 12345, 8, MC_ECORRUPT},                  /* header: capacity not a power of 2 */
    {16, 7, 4, MC_ECORRUPT},                      /* header: an unknown state */
    {1536 + 0, 2048, 8, MC_ECORRUPT},             /* control: capacity copy disagrees */
    {1536 + 64, 8, 8, MC_ECORRUPT},               /* control: head off a record boundary */
    {1536 + 64, 1ull << 20, 8, MC_ECORRUPT},      /* control: head a ring past tail */
    {1536 + 512 + 8, 9, 4, MC_ECORRUPT},          /* control: a sender's state */
    {1536 + 320 + 8, 5, 4, MC_ECORRUPT},          /* control: the receiver's state */
    {8, 77, 4, MC_EMISMATCH},                     /* header: another layout version */
};

START_TEST(corrupt_object_is_reported) {
  const scribble *sc = &scribbles[_i];
  char name[64], out[8192], args[256];
  mc_chan *rx = create_chan("corrupt", MC_CHAN_RING, 256, 4096, 0, MC_CHAN_RECV, name, sizeof name);
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  TH_OK(mc_inspect(name, i));
  ck_assert_int_eq(th_raw_write(name, sc->offset, &sc->value, sc->len), 0);
  int rc = mc_inspect(name, i);
  ck_assert_msg(rc == sc->want, "scribble at %ld: %s, expected %s", sc->offset, mc_err_name(rc),
                mc_err_name(sc->want));
  if (rc == MC_EMISMATCH) ck_assert_uint_eq(i->layout_version, 77);
  ck_assert_str_eq(i->name, name);
  snprintf(args, sizeof args, "stat %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), rc == MC_ECORRUPT ? 4 : 6);
  CONTAINS(out, rc == MC_ECORRUPT ? "corrupt" : "layout version 77");
  snprintf(args, sizeof args, "--json stat %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), rc == MC_ECORRUPT ? 4 : 6);
  CONTAINS(out, rc == MC_ECORRUPT ? "\"error\":\"MC_ECORRUPT\"" : "\"error\":\"MC_EMISMATCH\"");
  snprintf(args, sizeof args, "ls %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  CONTAINS(out, rc == MC_ECORRUPT ? "corrupt" : "layout version 77");
  /* rm does not trust it either: only with --force (POSIX). */
  snprintf(args, sizeof args, "rm %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 5);
  mc_chan_close(rx);
  mc_remove(name, 0); /* a scribbled state may have kept its last close from removing it */
  free(i);
}
END_TEST

/* Random bytes anywhere in the header page but the lifetime lock (which only makes a close
   wait): every inspection ends with an answer, never a fault. */
START_TEST(scribbled_at_random_never_crashes) {
  char name[64];
  mc_chan *rx = create_chan("random", MC_CHAN_RING, 256, 4096, MC_CHAN_BROADCAST, MC_CHAN_RECV,
                            name, sizeof name);
  mc_obj_info *i = malloc(sizeof *i);
  ck_assert_ptr_nonnull(i);
  uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)self_pid();
  int seen[3] = {0};
  for (int k = 0; k < 400; k++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    long off = (long)((seed >> 33) % 4096);
    if (off >= 256 && off < 288) continue;
    unsigned char b = (unsigned char)(seed >> 24);
    ck_assert_int_eq(th_raw_write(name, off, &b, 1), 0);
    int rc = mc_inspect(name, i);
    ck_assert_msg(rc == MC_OK || rc == MC_ECORRUPT || rc == MC_EMISMATCH, "%s", mc_err_name(rc));
    seen[rc == MC_OK ? 0 : rc == MC_ECORRUPT ? 1 : 2]++;
  }
  ck_assert_int_gt(seen[1], 0); /* it did find the damage */
  mc_chan_close(rx);
  mc_remove(name, 0);
  free(i);
}
END_TEST

/* ---- watch --------------------------------------------------------------------------------- */

/* The number after key in s, or -1. */
static double number_after(const char *s, const char *key) {
  const char *p = strstr(s, key);
  return p ? strtod(p + strlen(key), NULL) : -1;
}

START_TEST(watch_refreshes) {
  char name[64], out[65536], args[256];
  th_gate g;
  th_gate_open(&g, "watch");
  mc_chan *hold = create_chan("watch", MC_CHAN_RING, 256, 8192, 0, MC_CHAN_NONE, name, sizeof name);
  mc_proc *rx = th_spawn("stream", name, "recv", g.ready_name, NULL);
  mc_proc *tx = th_spawn("stream", name, "send", g.ready_name, NULL);
  th_gate_wait(&g, 2, WAIT_MS);
  snprintf(args, sizeof args, "--json watch --count 3 --interval 100 %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  /* One JSON object a line; from the second on, rates over the interval, which the streaming
     pair keeps busy. */
  char *line = out;
  for (int k = 1; k <= 3; k++) {
    char *nl = strchr(line, '\n');
    ck_assert_msg(nl != NULL, "refresh %d missing in:\n%s", k, out);
    *nl = '\0';
    char want[32];
    snprintf(want, sizeof want, "{\"refresh\":%d,", k);
    ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "line %d: %s", k, line);
    CONTAINS(line, "\"object\":{\"name\":");
    const char *rates = strstr(line, "\"rates\":[");
    ck_assert_ptr_nonnull(rates);
    const char *send = strstr(rates, "\"role\":\"send\"");
    const char *recv = strstr(rates, "\"role\":\"recv\"");
    ck_assert_ptr_nonnull(send);
    ck_assert_ptr_nonnull(recv);
    double sent = number_after(send, "\"messages_per_s\":");
    double got = number_after(recv, "\"messages_per_s\":");
    if (k == 1) {
      ck_assert(sent == 0 && got == 0); /* nothing to compare with yet */
    } else {
      ck_assert_msg(sent > 0 && got > 0, "refresh %d: %.1f sent/s, %.1f received/s", k, sent, got);
      /* bytes are 64 a message. The counts of a busy end are read while it stores them,
         without a sequence word (channel/inspect.c): a reading may pair a message count
         with the bytes of a moment before or after, so the two rates agree only roughly -
         within a quarter, and two messages' bytes in 0.1 s. */
      double bytes = number_after(send, "\"bytes_per_s\":");
      ck_assert_msg(bytes >= sent * MSG * 0.75 - 2 * MSG * 10 &&
                        bytes <= sent * MSG * 1.25 + 2 * MSG * 10,
                    "refresh %d: %.1f messages/s but %.1f bytes/s", k, sent, bytes);
    }
    line = nl + 1;
  }
  ck_assert_str_eq(line, "");
  snprintf(args, sizeof args, "watch --plain --count 3 --interval 50 %s", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 0);
  CONTAINS(out, "(refresh 1, every");
  CONTAINS(out, "(refresh 2, every");
  CONTAINS(out, "(refresh 3, every");
  LACKS(out, "(refresh 4,");
  LACKS(out, "\033[");
  CONTAINS(out, "MSGS/S");
  CONTAINS(out, "  send ");
  CONTAINS(out, "  recv ");
  th_kill(tx);
  th_kill(rx);
  snprintf(args, sizeof args, "watch --count 2 --interval 10 %s-absent", name);
  ck_assert_int_eq(run_cli(out, sizeof out, args), 3);
  mc_chan_close(hold);
  th_gate_close(&g);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("inspect");
  TCase *tc = th_tcase(s, "api", 60);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, inspection_does_not_hold);
  tc = th_tcase(s, "live", 120);
  tcase_add_loop_test(tc, live_channels_field_by_field, 0,
                      (int)(sizeof scenarios / sizeof *scenarios));
  tc = th_tcase(s, "lifetime", 120);
  tcase_add_test(tc, stale_after_kill_and_gc);
  tcase_add_test(tc, rm_refuses_live_unless_forced);
  tc = th_tcase(s, "hostile", 120);
  tcase_add_loop_test(tc, corrupt_object_is_reported, 0,
                      (int)(sizeof scribbles / sizeof *scribbles));
  tcase_add_test(tc, scribbled_at_random_never_crashes);
  tc = th_tcase(s, "watch", 120);
  tcase_add_test(tc, watch_refreshes);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS,
                                    {"end", helper_end},
                                    {"stream", helper_stream},
                                    {"hold", helper_hold},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
