/* memchan-bench --soak: the driver (soak.h says what the accounting relies on).
 *
 * For each lane it creates the report block and the channel, which it holds itself
 * (MC_CHAN_NONE) so that the channel lives through every kill, and starts the receiver and
 * the senders: this program again, with --soak-peer. Then, in rounds of a few ms until the
 * time is up or enough messages were delivered, in each lane: it kills a sender or the
 * receiver at random moments and starts the replacement at once (a sender with a new id; a
 * receiver once the old one is gone), replaces processes that ended by themselves, settles
 * dead senders, and counts a hang when nothing was delivered for HANG_MS (then it replaces
 * all of the lane's processes). At the end it stops the senders, lets the receiver drain the
 * channel to its end, settles every sender, closes everything and checks that the run's
 * names are gone. */
#define MB_SOAK_FILE 0 /* failures recorded here say so */
#include "soak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sys.h"

#define MAX_SENDERS 3
#define HANG_MS     20000 /* a lane that delivers nothing for this long hangs */
#define REAP_MS     10000 /* a killed process is gone by then */
#define FINISH_MS   30000 /* senders, then the receiver, end within this once told */
#define MAX_DEAD    256   /* dead senders not yet settled, per lane */
#define ROUND_US    5000  /* the driver's round */
#define NS_PER_MS   UINT64_C(1000000)

typedef struct dead_tx {
  uint32_t id;   /* a sender that is gone */
  uint32_t mark; /* the first id given out after it died */
} dead_tx;

typedef struct lane {
  int kind, senders;
  char chan[64], rep_name[80];
  mc_chan *hold; /* MC_CHAN_NONE: the channel outlives every kill */
  mc_shm *shm;
  mb_soak_rep *rep;
  mc_proc *rx, *tx[MAX_SENDERS];
  uint32_t tx_id[MAX_SENDERS], next_id;
  dead_tx dead[MAX_DEAD];
  int ndead, shown; /* shown: its first failure was printed */
  uint64_t next_kill, last_ops, last_progress;
  mb_soak_fig fig;                 /* settled senders, kills, restarts */
  unsigned char busy[MB_SOAK_IDS]; /* slots whose sender is not settled */
} lane;

typedef struct soak {
  const mb_opts *o;
  char self[4096], max_arg[16];
  lane *lanes[MB_NLANES];
  int nlanes;
  uint64_t x; /* random state: kill times and victims */
} soak;

static uint64_t rnd(soak *s) { /* splitmix64 */
  uint64_t z = (s->x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static const char *lname(const lane *l) {
  return mb_lane_names[l->kind];
}

/* ---- processes ---- */

static mc_proc *spawn(soak *s, lane *l, int tx, uint32_t id) {
  char idarg[16];
  snprintf(idarg, sizeof idarg, "%u", id);
  const char *argv[] = {s->self,     "--soak-peer", tx ? "tx" : "rx",  l->chan,
                        l->rep_name, s->max_arg,    tx ? idarg : NULL, NULL};
  mc_proc *p = NULL;
  int rc = mc_proc_spawn(argv, &p);
  if (rc != MC_OK) {
    MB_SOAK_FAIL(l->rep, MB_SF_ERROR, 1, rc, id, 0, 100);
    fprintf(stderr, "memchan-bench soak: %s: mc_proc_spawn: %s\n", lname(l), mc_err_name(rc));
    return NULL;
  }
  return p;
}

/* A process that ended other than by our kill: its exit code 3 says the failure is in the
   report already; any other (a crash, a signal, 0 before being told) is one more. */
static void ended_itself(lane *l, const char *role, uint32_t id, int code) {
  if (code == 3) return;
  MB_SOAK_FAIL(l->rep, MB_SF_ERROR, 1, code, id, 0, 101);
  fprintf(stderr, "memchan-bench soak: %s: %s %u ended with exit code %d\n", lname(l), role, id,
          code);
}

/* Kills p and waits until it is gone (so that, for a receiver, the next one is alone). */
static void kill_reap(lane *l, mc_proc *p, const char *role, uint32_t id) {
  int code = -1;
  mc_proc_kill(p);
  if (mc_proc_wait(p, REAP_MS, &code) != MC_OK) {
    MB_SOAK_FAIL(l->rep, MB_SF_ERROR, 1, MC_ETIMEDOUT, id, 0, 102);
    fprintf(stderr, "memchan-bench soak: %s: %s %u still there %d ms after its kill\n", lname(l),
            role, id, REAP_MS);
  } else if (code != 137) { /* 137: mc_proc_kill's mark on every platform */
    ended_itself(l, role, id, code);
  }
  mc_proc_free(p);
}

/* Gives sender place i a new id, with a clean slot, and starts it. */
static void start_sender(soak *s, lane *l, int i) {
  uint32_t id = l->next_id;
  for (uint32_t tries = 0; l->busy[id % MB_SOAK_IDS]; tries++, id++)
    if (tries == MB_SOAK_IDS) return; /* every slot waits to be settled: try next round */
  l->next_id = id + 1;
  mb_soak_slot *slot = &l->rep->slots[id % MB_SOAK_IDS];
  atomic_store(&slot->committed, 0);
  atomic_store(&slot->rx, 0);
  atomic_store(&slot->owner, (uint64_t)id + 1); /* before the sender exists: it checks */
  l->busy[id % MB_SOAK_IDS] = 1;
  l->tx_id[i] = id;
  l->tx[i] = spawn(s, l, 1, id);
  if (!l->tx[i]) /* never ran: it settles with nothing sent */
    l->dead[l->ndead++] = (dead_tx){id, l->next_id};
}

/* Sender place i's process is gone: it waits to be settled. */
static void sender_gone(lane *l, int i) {
  l->dead[l->ndead++] = (dead_tx){l->tx_id[i], l->next_id};
  l->tx[i] = NULL;
}

/* Sender places with a process, and dead senders not yet settled, are at most MAX_DEAD
   together: the dead-sender list can always take every live sender. */
static int room_for_sender(const lane *l) {
  int live = 0;
  for (int i = 0; i < l->senders; i++) live += l->tx[i] != NULL;
  return l->ndead + live < MAX_DEAD;
}

/* Processes that ended by themselves are replaced, and missing ones started. */
static void poll_lane(soak *s, lane *l) {
  int code;
  for (int i = 0; i < l->senders; i++)
    if (l->tx[i] && mc_proc_wait(l->tx[i], 0, &code) == MC_OK) {
      mc_proc_free(l->tx[i]);
      ended_itself(l, "sender", l->tx_id[i], code);
      sender_gone(l, i);
    }
  if (l->rx && mc_proc_wait(l->rx, 0, &code) == MC_OK) {
    mc_proc_free(l->rx);
    l->rx = NULL;
    ended_itself(l, "receiver", 0, code);
  }
  if (!l->rx) l->rx = spawn(s, l, 0, 0);
  for (int i = 0; i < l->senders; i++)
    if (!l->tx[i] && room_for_sender(l)) start_sender(s, l, i);
}

/* Kills a sender or the receiver, at random (a sender place without a process: the
   receiver). */
static void kill_one(soak *s, lane *l) {
  int v = (int)(rnd(s) % (uint64_t)(l->senders + 1));
  if (v < l->senders && !l->tx[v]) v = l->senders;
  if (v == l->senders) {
    if (!l->rx) return;
    kill_reap(l, l->rx, "receiver", 0);
    l->rx = NULL;
    l->fig.kills_rx++;
  } else {
    kill_reap(l, l->tx[v], "sender", l->tx_id[v]);
    sender_gone(l, v);
    l->fig.kills_tx++;
  }
}

/* ---- accounting ---- */

/* Closes out sender id's stream: its delivered count against what it committed. */
static void settle_slot(lane *l, uint32_t id) {
  mb_soak_slot *slot = &l->rep->slots[id % MB_SOAK_IDS];
  uint64_t c = atomic_load(&slot->committed), w = atomic_load(&slot->rx);
  uint64_t n = mb_rx_next(w), lost = mb_rx_lost(w);
  int maybe = (w & MB_RX_MAYBE) != 0;
  l->fig.delivered += n - lost;
  l->fig.committed += c;
  if (n == c + 1) {
    l->fig.inflight++; /* its last commit did not return before it was killed */
  } else if (n + 1 == c && maybe) {
    lost++; /* its last message died with a receiver */
  } else if (n < c) {
    lost += (uint64_t)maybe;
    MB_SOAK_FAIL(l->rep, MB_SF_LOSS, c - n - (uint64_t)maybe, 0, id, n, c);
  } else if (n > c + 1) {
    MB_SOAK_FAIL(l->rep, MB_SF_INVENTED, n - c - 1, 0, id, n, c);
  }
  l->fig.rx_lost += lost;
  atomic_store(&slot->owner, ((uint64_t)id + 1) | MB_OWNER_SETTLED); /* later ones: late */
  l->busy[id % MB_SOAK_IDS] = 0;
}

/* Settles the dead senders of which nothing can still be queued: the receivers took a
   message of a sender started after the death (every channel delivers in one order); or
   all of them, once the channel is drained. */
static void settle(lane *l, int all) {
  uint64_t seen = atomic_load_explicit(&l->rep->max_seen, memory_order_acquire);
  int k = 0;
  for (int i = 0; i < l->ndead; i++)
    if (all || seen > l->dead[i].mark)
      settle_slot(l, l->dead[i].id);
    else
      l->dead[k++] = l->dead[i];
  l->ndead = k;
}

static void add_slot(lane *l, uint32_t id, mb_soak_fig *f) {
  mb_soak_slot *slot = &l->rep->slots[id % MB_SOAK_IDS];
  uint64_t w = atomic_load(&slot->rx);
  f->delivered += mb_rx_next(w) - mb_rx_lost(w);
  f->rx_lost += mb_rx_lost(w);
  f->committed += atomic_load(&slot->committed);
}

/* The lane's figures now: settled senders, plus what the others have so far. */
static void figures(lane *l, mb_soak_fig *f) {
  *f = l->fig;
  if (!l->rep) return; /* it never opened */
  for (int i = 0; i < l->senders; i++)
    if (l->tx[i]) add_slot(l, l->tx_id[i], f);
  for (int i = 0; i < l->ndead; i++) add_slot(l, l->dead[i].id, f);
  f->delivered -= atomic_load(&l->rep->skipped);
  for (int k = 0; k < MB_SF_COUNT; k++) f->fails[k] = atomic_load(&l->rep->fails[k]);
}

static void add_fig(mb_soak_fig *t, const mb_soak_fig *f) {
  t->delivered += f->delivered;
  t->committed += f->committed;
  t->inflight += f->inflight;
  t->rx_lost += f->rx_lost;
  t->kills_tx += f->kills_tx;
  t->kills_rx += f->kills_rx;
  t->restarts += f->restarts;
  for (int k = 0; k < MB_SF_COUNT; k++) t->fails[k] += f->fails[k];
}

static void total(soak *s, mb_soak_fig *t) {
  memset(t, 0, sizeof *t);
  for (int i = 0; i < s->nlanes; i++) {
    mb_soak_fig f;
    figures(s->lanes[i], &f);
    add_fig(t, &f);
  }
}

/* The first failure of a lane, once, as soon as it is seen. */
static void show_first(lane *l) {
  mb_soak_rep *r = l->rep;
  uint64_t cls = atomic_load(&r->first[0]);
  if (l->shown || cls == 0 || cls > MB_SF_COUNT) return;
  l->shown = 1;
  int code = (int)(int64_t)atomic_load(&r->first[2]);
  uint64_t where = atomic_load(&r->first[1]);
  printf("soak: %s: first failure: %s (%s line %llu, %s), sender %llu seq %llu (detail %llu)\n",
         lname(l), mb_soak_fail_names[cls - 1], mb_soak_files[(where >> 16) & 1],
         (unsigned long long)(where & 0xffff), code < 0 ? mc_err_name(code) : "no error code",
         (unsigned long long)atomic_load(&r->first[3]),
         (unsigned long long)atomic_load(&r->first[4]),
         (unsigned long long)atomic_load(&r->first[5]));
}

/* No message delivered for HANG_MS: a hang; every process of the lane is replaced. */
static void watch(lane *l, uint64_t now) {
  uint64_t ops = atomic_load(&l->rep->ops);
  if (ops != l->last_ops || !l->last_progress) {
    l->last_ops = ops;
    l->last_progress = now;
    return;
  }
  if (now - l->last_progress < HANG_MS * NS_PER_MS) return;
  MB_SOAK_FAIL(l->rep, MB_SF_HANG, 1, MC_ETIMEDOUT, 0, ops, 103);
  printf("soak: %s: nothing delivered for %d s (after %llu messages): restarting its "
         "processes\n",
         lname(l), HANG_MS / 1000, (unsigned long long)ops);
  for (int i = 0; i < l->senders; i++)
    if (l->tx[i]) {
      kill_reap(l, l->tx[i], "sender", l->tx_id[i]);
      sender_gone(l, i);
    }
  if (l->rx) kill_reap(l, l->rx, "receiver", 0);
  l->rx = NULL;
  l->fig.restarts++;
  l->last_progress = now;
}

/* ---- the run ---- */

static int lane_open(soak *s, lane *l, int kind, const char *prefix) {
  l->kind = kind;
  l->senders = mb_soak_lane_senders(kind);
  snprintf(l->chan, sizeof l->chan, "%s%s", prefix, mb_lane_names[kind]);
  snprintf(l->rep_name, sizeof l->rep_name, "%s-rep", l->chan);
  l->rep = mb_soak_rep_open(l->rep_name, 1, &l->shm);
  if (!l->rep) return -1;
  atomic_store(&l->rep->beat, mb_now_ns());
  mc_chan_options co = mb_soak_chan_options(kind, s->o->soak_max);
  int rc = mc_chan_create(l->chan, &co, MC_CHAN_NONE, &l->hold);
  if (rc != MC_OK) {
    fprintf(stderr, "memchan-bench soak: mc_chan_create %s: %s\n", l->chan, mc_err_name(rc));
    return -1;
  }
  return 0;
}

static void schedule_kill(soak *s, lane *l, uint64_t now) {
  uint64_t mean = (uint64_t)s->o->soak_kill_ms * NS_PER_MS;
  l->next_kill = now + mean / 2 + rnd(s) % (mean + 1);
}

/* Rounds until the time or the message count is reached (or Ctrl-C). */
static void run(soak *s, uint64_t t0) {
  const mb_opts *o = s->o;
  uint64_t next_line = t0 + (uint64_t)o->soak_report_s * 1000 * NS_PER_MS;
  for (int i = 0; i < s->nlanes; i++)
    if (o->soak_kill_ms) schedule_kill(s, s->lanes[i], t0);
  for (;;) {
    uint64_t now = mb_now_ns();
    mb_soak_fig t;
    for (int i = 0; i < s->nlanes; i++) {
      lane *l = s->lanes[i];
      atomic_store(&l->rep->beat, now);
      poll_lane(s, l);
      if (o->soak_kill_ms && now >= l->next_kill) {
        kill_one(s, l);
        poll_lane(s, l); /* the replacement, at once */
        schedule_kill(s, l, now);
      }
      settle(l, 0);
      watch(l, now);
      show_first(l);
    }
    total(s, &t);
    if (o->soak_report_s && now >= next_line) {
      mb_soak_line(stdout, now - t0, &t);
      next_line += (uint64_t)o->soak_report_s * 1000 * NS_PER_MS;
    }
    if ((o->soak_ms && now - t0 >= o->soak_ms * NS_PER_MS) ||
        (o->soak_msgs && t.delivered >= o->soak_msgs) || mb_interrupted())
      break;
    mb_sleep_us(ROUND_US);
  }
}

/* Waits for p to end by itself; kills it if it does not (a hang). */
static void await_end(lane *l, mc_proc *p, const char *role, uint32_t id) {
  int code = -1;
  if (mc_proc_wait(p, FINISH_MS, &code) == MC_OK) {
    if (code != 0) ended_itself(l, role, id, code);
    mc_proc_free(p);
    return;
  }
  MB_SOAK_FAIL(l->rep, MB_SF_HANG, 1, MC_ETIMEDOUT, id, 0, 104);
  printf("soak: %s: %s %u did not end within %d s of being told\n", lname(l), role, id,
         FINISH_MS / 1000);
  kill_reap(l, p, role, id);
}

/* The end: senders stop (all lanes at once), then receivers drain to the end of stream,
   then every sender is settled. */
static void finish(soak *s) {
  for (int i = 0; i < s->nlanes; i++) atomic_store(&s->lanes[i]->rep->stop, 1);
  for (int i = 0; i < s->nlanes; i++) {
    lane *l = s->lanes[i];
    for (int k = 0; k < l->senders; k++)
      if (l->tx[k]) {
        await_end(l, l->tx[k], "sender", l->tx_id[k]);
        sender_gone(l, k);
      }
  }
  for (int i = 0; i < s->nlanes; i++) {
    lane *l = s->lanes[i];
    atomic_store(&l->rep->drain, 1);
    if (!l->rx) l->rx = spawn(s, l, 0, 0);
  }
  for (int i = 0; i < s->nlanes; i++) {
    lane *l = s->lanes[i];
    if (l->rx) await_end(l, l->rx, "receiver", 0);
    l->rx = NULL;
    settle(l, 1);
    show_first(l);
  }
}

static void lane_close(lane *l) {
  mc_chan_close(l->hold);
  mc_shm_close(l->shm);
}

/* The run's names still there at the end and not at the start (on POSIX the sets of
   entries with the prefix are compared; on Win32 the names themselves are tried). */
static void check_names(const soak *s, mb_soak_result *r, int before, uint64_t hash_before) {
  const char *names[3 * MB_NLANES];
  char buf[3 * MB_NLANES][96];
  int n = 0;
  for (int i = 0; i < s->nlanes; i++) {
    const lane *l = s->lanes[i];
    snprintf(buf[n], sizeof buf[n], "%s", l->chan), names[n] = buf[n], n++;
    snprintf(buf[n], sizeof buf[n], "%s$new", l->chan), names[n] = buf[n], n++;
    snprintf(buf[n], sizeof buf[n], "%s", l->rep_name), names[n] = buf[n], n++;
  }
  uint64_t hash;
  int after = mb_shm_names(r->prefix, names, n, &hash, r->left_name, sizeof r->left_name);
  if (after < 0 || before < 0)
    r->names_left = -1;
  else if (after != before || hash != hash_before)
    r->names_left = after > before ? after - before : 1;
  else
    r->names_left = 0;
}

int mb_soak(const mb_opts *o) {
  static soak s;
  static mb_soak_result r;
  memset(&s, 0, sizeof s);
  memset(&r, 0, sizeof r);
  s.o = o;
  s.x = mb_now_ns() ^ (uint64_t)mb_pid();
  snprintf(s.max_arg, sizeof s.max_arg, "%zu", o->soak_max);
  snprintf(r.prefix, sizeof r.prefix, "mcsoak%ld-", mb_pid());
  r.kill_ms = o->soak_kill_ms;
  r.max = o->soak_max;
  if (mc_self_path(s.self, sizeof s.self) != MC_OK) {
    fprintf(stderr, "memchan-bench soak: cannot find my own path\n");
    return 1;
  }
  uint64_t hash_before;
  char first[128];
  int before = mb_shm_names(r.prefix, NULL, 0, &hash_before, first, sizeof first);
  mb_catch_interrupt();
  int failed = 0;
  for (int k = 0; k < MB_NLANES; k++) {
    if (!(o->soak_lanes & MB_BIT(k))) continue;
    lane *l = calloc(1, sizeof *l);
    if (!l) {
      failed = 1;
      break;
    }
    s.lanes[s.nlanes++] = l;
    r.lane[r.nlanes++] = k;
    if (lane_open(&s, l, k, r.prefix) != 0) failed = 1;
  }
  mb_soak_header(stdout, &r, o, before);
  uint64_t t0 = mb_now_ns();
  if (!failed) {
    run(&s, t0);
    finish(&s);
  }
  r.elapsed_ns = mb_now_ns() - t0;
  r.interrupted = mb_interrupted();
  for (int i = 0; i < s.nlanes; i++) {
    figures(s.lanes[i], &r.fig[i]);
    add_fig(&r.total, &r.fig[i]);
    lane_close(s.lanes[i]);
  }
  check_names(&s, &r, before, hash_before);
  for (int i = 0; i < s.nlanes; i++) free(s.lanes[i]);
  mb_soak_table(stdout, &r);
  if (o->csv && mb_soak_write_csv(o->csv, &r) != 0) failed = 1;
  if (o->json && mb_soak_write_json(o->json, &r) != 0) failed = 1;
  return failed || !mb_soak_passed(&r) ? 1 : 0;
}
