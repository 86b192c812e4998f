/* The crash matrix: for every crash point (core/crash.h) and every scenario role that passes
 * it, a run in which that process dies there - at the first pass and at the last - while
 * the others carry on, and then the checks: no survivor waits past its deadline; every
 * committed message is delivered exactly once, in per-sender order, and none is invented; a
 * new sender or receiver attaches and the channel works on, without anyone deleting it; the
 * next taker of a lock gets it (or learns its holder died) in time; and once everyone has
 * closed, no name is left behind. A clean run of each scenario first counts which points its
 * victim passes (the trace). At the end every point must have been killed at at least once,
 * and the table point x outcome is printed (`test_crash --list` lists the points).
 *
 * The processes are tests/crash/roles.c; each run has names of its own and a report block
 * where every process records what it finds (tests/crash/report.h). */
#include "harness.h"
#include "roles.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#endif

#define RUN_WAIT_MS 60000
#define MAX_ROWS    1024

/* ---- one run ----------------------------------------------------------------------------------
 */

typedef struct run {
  char base[64], rep_name[80];
  mc_shm *rep_shm;
  report *rep;
  const char *crash; /* the victim's crash point, "-" for the trace */
  int victim_code;   /* the victim's exit code: 137 when it died at its point */
} run;

static mc_proc *spawn(const char *role, const char *a1, const char *a2, const char *a3,
                      const char *a4, const char *a5, const char *a6, const char *a7) {
  return th_spawn(role, a1, a2, a3, a4, a5, a6, a7, NULL);
}

/* Waits for a survivor: it must end by itself, successfully. */
static void finish(run *r, mc_proc *p) {
  int code = -1;
  int rc = th_reap(p, RUN_WAIT_MS, &code);
  if (rc != MC_OK)
    FAIL(r->rep, FAIL_HANG, rc);
  else if (code != 0 && atomic_load(&r->rep->fail) == (uint64_t)FAIL_NONE)
    FAIL(r->rep, FAIL_ERROR, code);
}

/* Waits for the victim: it dies at its point (137), or lives (0: the point was not reached
   at that pass). */
static void finish_victim(run *r, mc_proc *p) {
  int code = -1;
  int rc = th_reap(p, RUN_WAIT_MS, &code);
  if (rc != MC_OK)
    FAIL(r->rep, FAIL_HANG, rc);
  else if (code != 0 && code != 137 && atomic_load(&r->rep->fail) == (uint64_t)FAIL_NONE)
    FAIL(r->rep, FAIL_ERROR, code);
  r->victim_code = code;
}

/* Waits until `n` processes have said they are running, or the one we wait for ended. */
static void await_ready(run *r, uint64_t n, mc_proc *p) {
  uint64_t t0 = mc__plat_now_ns();
  int code;
  while (atomic_load(&r->rep->ready) < n && atomic_load(&r->rep->fail) == (uint64_t)FAIL_NONE) {
    if (mc_proc_wait(p, 0, &code) == MC_OK) return; /* it died (or failed) before */
    if (th_ms_since(t0) > RUN_WAIT_MS) {
      FAIL(r->rep, FAIL_HANG, 0);
      return;
    }
    mc__plat_yield();
  }
}

static void stop(run *r) {
  atomic_store(&r->rep->stop, 1);
}

/* ---- scenarios --------------------------------------------------------------------------------
 */

static const char *num(char *buf, int v) {
  sprintf(buf, "%d", v);
  return buf;
}

/* Holds a channel of this kind open for a scenario (MC_CHAN_NONE; MULTI_SEND and `flags`);
   NULL after recording why not. */
static mc_chan *hold_chan(run *r, int kind, unsigned flags) {
  mc_chan *hold;
  mc_chan_options o = role_chan_options(kind, MC_CHAN_MULTI_SEND | flags);
  int rc = mc_chan_create(r->base, &o, MC_CHAN_NONE, &hold);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    return NULL;
  }
  return hold;
}

/* Victim a sender: a receiver (which creates the channel) takes everything; a sender that
   died after stamping (ring) or holding the slot lock (slot) goes first, so the victim takes
   over from it; a survivor sends alongside (several senders), and a new sender comes after
   the victim. */
static void senders_scenario(run *r, int kind, unsigned flags) {
  char k[8], f[8];
  num(k, kind);
  num(f, (int)flags);
  mc_proc *rx = spawn("rx", r->base, r->rep_name, "0", "-", k, f, NULL);
  await_ready(r, 1, rx);
  const char *first_death = kind == MC_CHAN_SLOT ? "slot.locked:3" : "ring.stamped:5";
  finish_victim(r, spawn("tx", r->base, r->rep_name, "3", "40", first_death, NULL, NULL));
  if (r->victim_code != 137) FAIL(r->rep, FAIL_ERROR, r->victim_code);
  uint64_t ready = atomic_load(&r->rep->ready);
  mc_proc *victim = spawn("tx", r->base, r->rep_name, "1", "40", r->crash, NULL, NULL);
  mc_proc *other = NULL;
  if (flags & MC_CHAN_MULTI_SEND) {
    await_ready(r, ready + 1, victim); /* the victim first: it is the one to take over */
    other = spawn("tx", r->base, r->rep_name, "0", "200", "-", NULL, NULL);
  }
  finish_victim(r, victim);
  finish(r, spawn("tx", r->base, r->rep_name, "2", "20", "-", NULL, NULL));
  if (other) finish(r, other);
  stop(r);
  finish(r, rx);
  role_check_delivery(r->rep);
}

/* Victim the receiver: a sender sends 80 messages; the victim takes 40 of them, a new
   receiver the rest. Before them another sender died after its first message. We hold the
   channel meanwhile (MC_CHAN_NONE). */
static void receiver_scenario(run *r, int kind, unsigned flags) {
  int code = -1;
  mc_chan *hold = hold_chan(r, kind, flags);
  if (!hold) return;
  /* First a sender that dies after its first message: the victim, the only receiver then,
     takes the message and is the one to find its sender dead. */
  const char *death = kind == MC_CHAN_SLOT ? "slot.full:1" : "ring.stamped:1";
  mc_proc *dying = spawn("tx", r->base, r->rep_name, "3", "10", death, NULL, NULL);
  if (th_reap(dying, RUN_WAIT_MS, &code) != MC_OK || code != 137) FAIL(r->rep, FAIL_ERROR, code);
  mc_proc *victim = spawn("rx", r->base, r->rep_name, "40", r->crash, NULL, NULL, NULL);
  await_ready(r, 2, victim);
  mc_proc *tx = spawn("tx", r->base, r->rep_name, "0", "80", "-", NULL, NULL);
  finish_victim(r, victim);
  mc_proc *rx = spawn("rx", r->base, r->rep_name, "0", "-", NULL, NULL, NULL);
  finish(r, tx);
  stop(r);
  finish(r, rx);
  mc_chan_close(hold);
  role_check_delivery(r->rep);
}

/* Victim a sender that ends the stream with mc_chan_abort after 20 messages: the receiver
   takes them all and then the end - MC_EABORTED once the abort was marked (whether or not the
   victim lived to count itself closed), MC_EPEERDEAD when it died before. A victim that died
   opening is followed by a sender that closes (the receiver waits for a first sender). */
static void abort_sender(run *r) {
  char k[8], f[8];
  mc_proc *rx = spawn("rx", r->base, r->rep_name, "0", "-", num(k, MC_CHAN_RING), num(f, 0), NULL);
  await_ready(r, 1, rx);
  finish_victim(r, spawn("tx_abort", r->base, r->rep_name, "1", "20", r->crash, NULL, NULL));
  int opened = atomic_load(&r->rep->ready) >= 2;
  if (!opened) finish(r, spawn("tx", r->base, r->rep_name, "2", "5", "-", NULL, NULL));
  stop(r);
  finish(r, rx);
  role_check_delivery(r->rep);
  int64_t ended = -(int64_t)atomic_load(&r->rep->ended);
  if (!opened) { /* the follow-up closed; the victim may have registered before it died */
    if (ended != MC_ECLOSED && ended != MC_EPEERDEAD) FAIL(r->rep, FAIL_ERROR, (int)ended);
    return;
  }
  /* Marked: the abort returned, or the victim died inside it after the mark. */
  static const char *const after_mark[] = {"chan.aborting:", "chan.closing:", "chan.closed:"};
  int marked = atomic_load(&r->rep->aborted) != 0;
  for (int i = 0; i < 3; i++)
    if (strncmp(r->crash, after_mark[i], strlen(after_mark[i])) == 0) marked = 1;
  if (ended != (marked ? MC_EABORTED : MC_EPEERDEAD)) FAIL(r->rep, FAIL_ERROR, (int)ended);
}

/* Victim a sender that fills the ring before any receiver is there, so that its last try
   always finds it full and waits for room (ring.want, wait.announced: timing decides whether
   the other scenarios' senders ever wait); a receiver then takes everything, and a sender
   after it ends the stream. We hold the channel meanwhile. */
static void full_sender(run *r) {
  mc_chan *hold = hold_chan(r, MC_CHAN_RING, 0);
  if (!hold) return;
  finish_victim(r, spawn("tx", r->base, r->rep_name, "1", "fill", r->crash, NULL, NULL));
  mc_proc *rx = spawn("rx", r->base, r->rep_name, "0", "-", NULL, NULL, NULL);
  finish(r, spawn("tx", r->base, r->rep_name, "2", "20", "-", NULL, NULL));
  stop(r);
  finish(r, rx);
  mc_chan_close(hold);
  role_check_delivery(r->rep);
}

static void ring_sender(run *r) {
  senders_scenario(r, MC_CHAN_RING, 0);
}
static void multi_sender(run *r) {
  senders_scenario(r, MC_CHAN_RING, MC_CHAN_MULTI_SEND);
}
static void slot_sender(run *r) {
  senders_scenario(r, MC_CHAN_SLOT, MC_CHAN_MULTI_SEND);
}
static void ring_receiver(run *r) {
  receiver_scenario(r, MC_CHAN_RING, 0);
}
static void slot_receiver(run *r) {
  receiver_scenario(r, MC_CHAN_SLOT, 0);
}
/* Shared work: the victim may die holding the receivers' lock, and a peeked message with it:
   the next receiver takes the lock over, and the message. */
static void share_receiver(run *r) {
  receiver_scenario(r, MC_CHAN_RING, MC_CHAN_MULTI_RECV);
}

/* Broadcast, victim a second receiver beside the checked one: it joins, takes 40 of the 80
   messages and closes - or dies anywhere on the way, holding the senders back with its
   cursor (or a cursor still joining), until a sender finds it dead. The checked receiver
   gets every message. */
static void bcast_receiver(run *r) {
  mc_chan *hold = hold_chan(r, MC_CHAN_RING, MC_CHAN_BROADCAST);
  if (!hold) return;
  mc_proc *rx = spawn("rx", r->base, r->rep_name, "0", "-", NULL, NULL, NULL);
  await_ready(r, 1, rx);
  mc_proc *victim = spawn("rx_side", r->base, r->rep_name, "40", r->crash, "plain", NULL, NULL);
  await_ready(r, 2, victim);
  mc_proc *tx = spawn("tx", r->base, r->rep_name, "0", "80", "-", NULL, NULL);
  finish_victim(r, victim);
  finish(r, tx);
  stop(r);
  finish(r, rx);
  mc_chan_close(hold);
  role_check_delivery(r->rep);
}

/* DROP_OLDEST, victim a sender (then another sends after it): the one receiver reads nothing
   until both are done, so every send past the first ring moves it on. It then gets the
   newest messages, and what it received plus what it was told it dropped is what was
   committed: exactly, but for the one message a sender may not have lived to count, and -
   when the victim died between moving the receiver and counting (ring.dropped) - that
   move's messages, which go uncounted. */
static void drop_sender(run *r) {
  mc_chan *hold = hold_chan(r, MC_CHAN_RING, MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST);
  if (!hold) return;
  mc_proc *rx = spawn("rx_side", r->base, r->rep_name, "0", "-", "drop", NULL, NULL);
  await_ready(r, 1, rx);
  finish_victim(r, spawn("tx", r->base, r->rep_name, "1", "60", r->crash, NULL, NULL));
  finish(r, spawn("tx", r->base, r->rep_name, "2", "30", "-", NULL, NULL));
  stop(r);
  finish(r, rx);
  mc_chan_close(hold);
  uint64_t committed = atomic_load(&r->rep->committed[1]) + atomic_load(&r->rep->committed[2]);
  uint64_t seen = atomic_load(&r->rep->side_got) + atomic_load(&r->rep->dropped);
  int uncounted = strncmp(r->crash, "ring.dropped:", 13) == 0;
  if (seen > committed + 1 || (seen < committed && !uncounted)) {
    fprintf(stderr, "drop/sender at %s: %llu committed, %llu received + %llu dropped\n", r->crash,
            (unsigned long long)committed, (unsigned long long)atomic_load(&r->rep->side_got),
            (unsigned long long)atomic_load(&r->rep->dropped));
    FAIL(r->rep, FAIL_LOSS, 0);
  }
}

/* Victim a creator: it creates and closes the channel five times; then the next run's create
   must work at once and the channel carry a message. */
static void creator(run *r) {
  finish_victim(r, spawn("mk", r->base, r->rep_name, "5", r->crash, NULL, NULL, NULL));
  mc_chan *rx, *tx;
  char buf[8];
  size_t n;
  mc_chan_options o = role_chan_options(MC_CHAN_RING, 0);
  int rc = mc_chan_create(r->base, &o, MC_CHAN_RECV, &rx);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    return;
  }
  rc = mc_chan_open(r->base, MC_CHAN_SEND, ROLE_WAIT_MS, &tx);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
  } else {
    if ((rc = mc_chan_send(tx, "ok", 2, ROLE_WAIT_MS)) != MC_OK ||
        (rc = mc_chan_recv(rx, buf, sizeof buf, &n, ROLE_WAIT_MS)) != MC_OK)
      FAIL(r->rep, FAIL_ERROR, rc);
    mc_chan_close(tx);
  }
  mc_chan_close(rx);
}

static void die_first(run *r, const char *what, const char *crash) {
  int code = -1;
  mc_proc *d = spawn("die", r->base, what, crash, NULL, NULL, NULL, NULL);
  if (th_reap(d, RUN_WAIT_MS, &code) != MC_OK || code != 137) FAIL(r->rep, FAIL_ERROR, code);
}

static const mc_shm_options block_options = {
    .size = 4096, .max_size = 65536, .timeout_ms = ROLE_WAIT_MS};

/* The block is usable after the run: its next writer gets it in time. */
static void block_usable(run *r) {
  mc_shm *shm;
  void *data;
  int rc = mc_shm_open(r->base, &block_options, &shm);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    return;
  }
  rc = mc_shm_acquire(shm, MC_WRITE, ROLE_WAIT_MS, &data);
  if (rc != MC_OK && rc != MC_EOWNERDEAD) FAIL(r->rep, FAIL_LOCK, rc);
  mc_shm_close(shm);
}

/* Victim a block user, next to a peer. First a creator died initialising: the victim takes
   its object over. */
static void block_takeover(run *r) {
  die_first(r, "create", "region.state");
  mc_proc *victim = spawn("blk", r->base, r->rep_name, "6", r->crash, NULL, NULL, NULL);
  await_ready(r, 1, victim);
  mc_proc *peer = spawn("blk_peer", r->base, r->rep_name, NULL, NULL, NULL, NULL, NULL);
  finish_victim(r, victim);
  stop(r);
  finish(r, peer);
  block_usable(r);
}

/* The same, but first a writer died holding the block (which we keep alive meanwhile): the
   victim is told, and frees the dead writer's place. */
static void block_reclaim(run *r) {
  mc_shm *hold;
  int rc = mc_shm_open(r->base, &block_options, &hold);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    return;
  }
  die_first(r, "write", "shm.acquired");
  mc_proc *victim = spawn("blk", r->base, r->rep_name, "6", r->crash, NULL, NULL, NULL);
  await_ready(r, 1, victim);
  mc_shm_close(hold);
  mc_proc *peer = spawn("blk_peer", r->base, r->rep_name, NULL, NULL, NULL, NULL, NULL);
  finish_victim(r, victim);
  stop(r);
  finish(r, peer);
  block_usable(r);
}

/* The same for a file-backed block, whose only holder, a writer, died holding it: the
   victim finds the file unheld, repairs it (region.recovered) and is told of the death. */
static void block_file(run *r) {
  char path[512];
  role_block_file(r->base, path, sizeof path);
  remove(path);
  die_first(r, "file_write", "shm.acquired");
  mc_proc *victim = spawn("blk", r->base, r->rep_name, "6", r->crash, "file", NULL, NULL);
  await_ready(r, 1, victim);
  mc_proc *peer = spawn("blk_peer", r->base, r->rep_name, "file", NULL, NULL, NULL, NULL);
  finish_victim(r, victim);
  stop(r);
  finish(r, peer);
  mc_shm *shm;
  mc_shm_options o = block_options;
  o.path = path;
  int rc = mc_shm_open(r->base, &o, &shm);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
  } else {
    rc = mc_shm_acquire(shm, MC_WRITE, ROLE_WAIT_MS, NULL);
    if (rc != MC_OK && rc != MC_EOWNERDEAD) FAIL(r->rep, FAIL_LOCK, rc);
    mc_shm_close(shm);
  }
  remove(path);
}

/* Victim a user of a mutex, a guard, a semaphore and an event, next to a peer; a mutex
   holder died first (we keep the objects alive meanwhile), so the victim takes the mutex
   over. */
static void sync_user(run *r) {
  char n[MC_NAME_MAX + 1];
  mc_mutex *mx;
  mc_swmr *g;
  snprintf(n, sizeof n, "%s-m", r->base);
  int rc = mc_mutex_open(n, &mx);
  if (rc != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    return;
  }
  snprintf(n, sizeof n, "%s-g", r->base);
  if ((rc = mc_swmr_open(n, &g)) != MC_OK) {
    FAIL(r->rep, FAIL_ATTACH, rc);
    mc_mutex_close(mx);
    return;
  }
  die_first(r, "mutex", "mutex.held");
  mc_proc *victim = spawn("sync", r->base, r->rep_name, "20", r->crash, NULL, NULL, NULL);
  await_ready(r, 1, victim);
  mc_proc *peer = spawn("sync_peer", r->base, r->rep_name, NULL, NULL, NULL, NULL, NULL);
  finish_victim(r, victim);
  stop(r);
  finish(r, peer);
  rc = mc_mutex_lock(mx, ROLE_WAIT_MS);
  if (rc == MC_OK || rc == MC_EOWNERDEAD)
    mc_mutex_unlock(mx);
  else
    FAIL(r->rep, FAIL_LOCK, rc);
  rc = mc_swmr_lock_write(g, ROLE_WAIT_MS);
  if (rc == MC_OK || rc == MC_EOWNERDEAD)
    mc_swmr_unlock(g);
  else
    FAIL(r->rep, FAIL_LOCK, rc);
  mc_mutex_close(mx);
  mc_swmr_close(g);
}

typedef struct scenario {
  const char *name; /* kind/victim role */
  void (*fn)(run *r);
} scenario;

static const scenario scenarios[] = {
    {"ring/sender", ring_sender},       {"multi/sender", multi_sender},
    {"slot/sender", slot_sender},       {"ring/receiver", ring_receiver},
    {"slot/receiver", slot_receiver},   {"chan/creator", creator},
    {"block/takeover", block_takeover}, {"block/reclaim", block_reclaim},
    {"block/file", block_file},
    {"sync/user", sync_user},           {"ring/aborter", abort_sender},
    {"share/receiver", share_receiver}, {"bcast/receiver", bcast_receiver},
    {"drop/sender", drop_sender},       {"ring/full", full_sender},
};
#define NSCEN ((int)(sizeof scenarios / sizeof scenarios[0]))

/* ---- names left behind ---------------------------------------------------------------------- */

/* 1 if an OS object whose name starts with `base` still exists. */
static int names_left(const char *base) {
#ifdef _WIN32
  /* Win32 frees a kernel object with its last handle: once every process of the run has
     ended, only the run's own main objects could still be held. */
  static const char *const suffixes[] = {"", "-m", "-g", "-s", "-e", "-f", "$new"};
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    char full[200];
    wchar_t w[200];
    snprintf(full, sizeof full, "Local\\%s%s", base, suffixes[i]);
    MultiByteToWideChar(CP_UTF8, 0, full, -1, w, 200);
    HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, w);
    if (h) {
      CloseHandle(h);
      return 1;
    }
  }
  return 0;
#else
  DIR *d = opendir("/dev/shm");
  int left = 0;
  if (!d) return 0;
  size_t len = strlen(base);
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strncmp(e->d_name, base, len) == 0) left = 1;
  closedir(d);
  return left;
#endif
}

/* ---- the driver ------------------------------------------------------------------------------ */

typedef struct row {
  int point, scenario;
  uint64_t pass;
  int outcome; /* FAIL_*, or -1: the victim lived (the point was not reached at that pass) */
  int line, code;
  uint64_t ms;
} row;

static row rows[MAX_ROWS];
static int nrows;

/* One run of scenario s with the victim armed at `crash`; fills passes (the victim's, when it
   lived) and returns the outcome. */
static row one_run(int s, int point, uint64_t pass, uint64_t *passes) {
  run r;
  static unsigned counter;
  row out = {point, s, pass, FAIL_NONE, 0, 0, 0};
  char crash[96];
  memset(&r, 0, sizeof r);
  th_name(r.base, sizeof r.base, "cm");
  snprintf(r.base + strlen(r.base), sizeof r.base - strlen(r.base), "%u", ++counter);
  snprintf(r.rep_name, sizeof r.rep_name, "%s-rep", r.base);
  if (point >= 0)
    snprintf(crash, sizeof crash, "%s:%llu", mc__crash_name(point), (unsigned long long)pass);
  else
    strcpy(crash, "+"); /* the trace: the victim lives and reports its passes */
  r.crash = crash;
  r.rep = report_open(r.rep_name, &r.rep_shm);
  ck_assert_ptr_nonnull(r.rep);
  uint64_t t0 = mc__plat_now_ns();
  scenarios[s].fn(&r);
  out.ms = th_ms_since(t0);
  if (passes)
    for (int i = 0; i < MC__CP_COUNT; i++) passes[i] = atomic_load(&r.rep->passes[i]);
  out.outcome = (int)atomic_load(&r.rep->fail);
  out.line = (int)atomic_load(&r.rep->line);
  out.code = -(int)(int64_t)atomic_load(&r.rep->code);
  mc_shm_close(r.rep_shm);
  if (out.outcome == FAIL_NONE && names_left(r.base)) out.outcome = FAIL_LEAK;
  if (out.outcome == FAIL_NONE && point >= 0 && r.victim_code == 0) out.outcome = -1;
  return out;
}

static void add_row(row r) {
  if (nrows < MAX_ROWS) rows[nrows++] = r;
}

/* Points the Win32 backend never passes: it has no lifetime lock (the kernel counts
   handles), its events and semaphores are kernel objects, and a creator that dies while it
   initialises takes the section with it (nobody else has it open while it holds "N$init"),
   so there is nothing to take over. */
static int passed_on_this_platform(int point) {
  static const char *const posix_only[] = {"region.takeover",      "region.join.locked",
                                           "region.join.attached", "region.unlinked",
                                           "region.close.locked",  "region.close.detached",
                                           "region.reaped",        "region.grow.locked",
                                           "event.registered",     "event.released",
                                           "event.latched",        "event.taken",
                                           "sem.posted",           "sem.taken"};
  if (!TH_WINDOWS) return 1;
  for (size_t i = 0; i < sizeof posix_only / sizeof posix_only[0]; i++)
    if (strcmp(mc__crash_name(point), posix_only[i]) == 0) return 0;
  return 1;
}

static void print_table(FILE *f, int *killed, uint64_t kills, int failures) {
  fprintf(f, "%-24s %-14s %6s  %-10s %6s\n", "point", "scenario", "pass", "outcome", "ms");
  for (int p = 0; p < MC__CP_COUNT; p++) {
    int any = 0;
    for (int i = 0; i < nrows; i++) {
      if (rows[i].point != p) continue;
      const row *w = &rows[i];
      const char *out = w->outcome < 0 ? "not-reached" : fail_names[w->outcome];
      fprintf(f, "%-24s %-14s %6llu  %-10s %6llu", mc__crash_name(p), scenarios[w->scenario].name,
              (unsigned long long)w->pass, out, (unsigned long long)w->ms);
      if (w->outcome > 0) fprintf(f, "  (line %d, %s)", w->line, mc_err_name(w->code));
      fputc('\n', f);
      any = 1;
    }
    if (!any && passed_on_this_platform(p))
      fprintf(f, "%-24s %-14s %6s  %-10s\n", mc__crash_name(p), "-", "-", "NOT COVERED");
  }
  for (int i = 0; i < nrows; i++) /* failed traces */
    if (rows[i].point < 0)
      fprintf(f, "%-24s %-14s %6s  %-10s %6llu  (line %d, %s)\n", "(trace)",
              scenarios[rows[i].scenario].name, "-", fail_names[rows[i].outcome],
              (unsigned long long)rows[i].ms, rows[i].line, mc_err_name(rows[i].code));
  int covered = 0, expected = 0;
  for (int p = 0; p < MC__CP_COUNT; p++) {
    expected += passed_on_this_platform(p);
    covered += killed[p] > 0;
  }
  fprintf(f,
          "crash matrix: %d points (%d on this platform), %d killed at, %d runs, %llu kills, %d "
          "failures\n",
          MC__CP_COUNT, expected, covered, nrows, (unsigned long long)kills, failures);
}

START_TEST(crash_matrix) {
  ck_assert_msg(mc__crash_enabled(), "the tests' library has no crash points");
  int killed[MC__CP_COUNT] = {0}, failures = 0;
  uint64_t kills = 0;
  const char *only = getenv("CRASH_SCENARIOS"); /* while working on one: "bcast/,drop/" */
  for (int s = 0; s < NSCEN; s++) {
    uint64_t passes[MC__CP_COUNT];
    if (only && !strstr(only, scenarios[s].name)) continue;
    row trace = one_run(s, -1, 0, passes);
    if (trace.outcome != FAIL_NONE) {
      add_row(trace);
      failures++;
      continue;
    }
    for (int p = 0; p < MC__CP_COUNT; p++) {
      if (!passes[p]) continue;
      uint64_t which[2] = {1, passes[p]};
      for (int k = 0; k < (passes[p] > 1 ? 2 : 1); k++) {
        row w = one_run(s, p, which[k], NULL);
        add_row(w);
        if (getenv("CRASH_MATRIX_VERBOSE"))
          fprintf(stderr, "%-24s %-14s %4llu %s %llu ms\n", mc__crash_name(p), scenarios[s].name,
                  (unsigned long long)which[k],
                  w.outcome < 0 ? "not-reached" : fail_names[w.outcome], (unsigned long long)w.ms);
        if (w.outcome > 0) failures++;
        if (w.outcome == FAIL_NONE) {
          killed[p]++;
          kills++;
        }
      }
    }
  }
  int missing = 0;
  for (int p = 0; p < MC__CP_COUNT; p++)
    if (passed_on_this_platform(p) && !killed[p]) missing++;
  print_table(stdout, killed, kills, failures);
  FILE *f = fopen("crash-matrix.txt", "w");
  if (f) {
    print_table(f, killed, kills, failures);
    fclose(f);
  }
  fflush(stdout);
  ck_assert_msg(failures == 0, "%d runs failed (crash-matrix.txt)", failures);
  if (!only) ck_assert_msg(missing == 0, "%d points were never killed at (crash-matrix.txt)", missing);
}
END_TEST

static Suite *crash_suite(void) {
  Suite *s = suite_create("crash");
  TCase *tc = th_tcase(s, "matrix", 1800);
  tcase_add_test(tc, crash_matrix);
  return s;
}

static const th_helper helpers[] = {ROLE_HELPERS, {NULL, NULL}};

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (int i = 0; i < MC__CP_COUNT; i++)
      printf("%-24s %s\n", mc__crash_name(i), mc__crash_what(i));
    return 0;
  }
  return th_main(argc, argv, crash_suite(), helpers);
}
