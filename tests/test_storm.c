/* The kill storm: senders and receivers of a ring, a multi-sender ring, a slot channel and
 * a broadcast ring are killed (SIGKILL / TerminateProcess) at random moments and replaced at
 * once, over and over, while the stream goes on. (Broadcast: the checked receiver lives
 * throughout; the victims are the senders and two more receivers, which join, read and die
 * beside it.) Each sender has an id of its own; every process records
 * what it commits and takes in the run's report (tests/crash/). At the end the stream is
 * drained and the counts must say: no hang, no committed message lost, none delivered
 * twice or out of order, none invented. STORM_KILLS sets the kills per channel (default:
 * 1000 on Linux, 200 under Wine, where a process takes ~70 ms to start); STORM_CHANNELS
 * (a list such as "multi,slot") runs only those channels' storms. */
#include "harness.h"
#include "msgstream.h"
#include "roles.h"

#include <stdlib.h>
#include <string.h>

#define SENDERS_MAX  3
#define PROGRESS_MS  20000 /* the stream must move this often, or it hangs */
#define MAX_PROGRESS 64    /* messages between two kills: 1..this, at random */
#define SIDE_MAX     2     /* broadcast: receivers killed beside the checked one */

typedef struct storm {
  char name[64], rep_name[80], ids[SENDERS_MAX][16];
  report *rep;
  mc_proc *rx, *tx[SENDERS_MAX], *side[SIDE_MAX];
  int senders, sides;
  uint32_t next_id;
  uint64_t kills_rx, kills_tx;
} storm;

static mc_proc *start_rx(storm *s) {
  return th_spawn("rx", s->name, s->rep_name, "0", "-", NULL);
}

static mc_proc *start_side(storm *s) {
  return th_spawn("rx_side", s->name, s->rep_name, "0", "-", "plain", NULL);
}

static mc_proc *start_tx(storm *s, int i) {
  snprintf(s->ids[i], sizeof s->ids[i], "%u", s->next_id++);
  return th_spawn("tx", s->name, s->rep_name, s->ids[i], "0", "-", NULL);
}

/* Kills p; a process that ended by itself first is a failure (it found something wrong). */
static void kill_one(storm *s, mc_proc *p) {
  int code = -1;
  mc_proc_kill(p);
  if (th_reap(p, 10000, &code) != MC_OK) FAIL(s->rep, FAIL_HANG, MC_ETIMEDOUT);
  if (code != 137 && atomic_load(&s->rep->fail) == (uint64_t)FAIL_NONE)
    FAIL(s->rep, FAIL_ERROR, code);
}

/* Waits until `n` more messages have been taken. */
static void await_progress(storm *s, uint64_t n) {
  uint64_t want = atomic_load(&s->rep->ops) + n, t0 = mc__plat_now_ns();
  while (atomic_load(&s->rep->ops) < want) {
    if (th_ms_since(t0) > PROGRESS_MS) {
      FAIL(s->rep, FAIL_HANG, MC_ETIMEDOUT);
      return;
    }
    mc__plat_yield();
  }
}

/* Whether STORM_CHANNELS (unset: all) names this storm. */
static int wanted(const char *label) {
  const char *v = getenv("STORM_CHANNELS"), *p = v;
  size_t n = strlen(label);
  if (!v) return 1;
  while ((p = strstr(p, label)) != NULL) {
    if ((p == v || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return 1;
    p += n;
  }
  return 0;
}

static void run_storm(const char *label, int kind, unsigned flags, int senders, int kills) {
  storm s;
  if (!wanted(label)) {
    printf("kill storm: %-6s not run (STORM_CHANNELS=%s)\n", label, getenv("STORM_CHANNELS"));
    return;
  }
  mc_shm *rep_shm;
  mc_chan *hold;
  memset(&s, 0, sizeof s);
  th_name(s.name, sizeof s.name, "storm");
  snprintf(s.rep_name, sizeof s.rep_name, "%s-rep", s.name);
  s.rep = report_open(s.rep_name, &rep_shm);
  ck_assert_ptr_nonnull(s.rep);
  s.senders = senders;
  s.sides = (flags & MC_CHAN_BROADCAST) ? SIDE_MAX : 0;
  mc_chan_options o = role_chan_options(kind, flags);
  o.spin_us = 0; /* the default: the storm is about volume */
  o.capacity = 4096;
  TH_OK(mc_chan_create(s.name, &o, MC_CHAN_NONE, &hold)); /* outlives every kill */
  s.rx = start_rx(&s);
  /* Broadcast: a receiver gets what is committed after it joined - here, everything. */
  uint64_t t_join = mc__plat_now_ns();
  while (s.sides && atomic_load(&s.rep->ready) == 0 && th_ms_since(t_join) < PROGRESS_MS)
    mc__plat_yield();
  for (int i = 0; i < senders; i++) s.tx[i] = start_tx(&s, i);
  for (int i = 0; i < s.sides; i++) s.side[i] = start_side(&s);
  uint64_t x = mc__plat_now_ns(), t0 = mc__plat_now_ns();
  for (int k = 0; k < kills && atomic_load(&s.rep->fail) == (uint64_t)FAIL_NONE; k++) {
    x = ms_mix(x);
    await_progress(&s, 1 + x % MAX_PROGRESS);
    x = ms_mix(x);
    /* senders, then the receiver - or, broadcast, the side receivers */
    int victim = (int)(x % (uint64_t)(senders + (s.sides ? s.sides : 1)));
    if (victim >= senders && s.sides) {
      kill_one(&s, s.side[victim - senders]);
      s.side[victim - senders] = start_side(&s);
      s.kills_rx++;
    } else if (victim == senders) {
      kill_one(&s, s.rx);
      s.rx = start_rx(&s);
      s.kills_rx++;
    } else {
      kill_one(&s, s.tx[victim]);
      s.tx[victim] = start_tx(&s, victim);
      s.kills_tx++;
    }
  }
  atomic_store(&s.rep->stop, 1);
  int code;
  for (int i = 0; i < senders; i++)
    if (th_reap(s.tx[i], 60000, &code) != MC_OK || code != 0) FAIL(s.rep, FAIL_HANG, code);
  if (th_reap(s.rx, 60000, &code) != MC_OK || code != 0) FAIL(s.rep, FAIL_HANG, code);
  for (int i = 0; i < s.sides; i++)
    if (th_reap(s.side[i], 60000, &code) != MC_OK || code != 0) FAIL(s.rep, FAIL_HANG, code);
  mc_chan_close(hold);
  role_check_delivery(s.rep);
  uint64_t messages = 0;
  for (uint32_t id = 0; id < s.next_id; id++) messages += atomic_load(&s.rep->delivered[id]);
  printf("kill storm: %-6s %llu kills (%llu senders, %llu receivers), %llu messages from %u "
         "senders in %llu ms; hangs %llu, losses %llu, duplicates %llu, reorders %llu, "
         "invented %llu, other %llu\n",
         label, (unsigned long long)(s.kills_rx + s.kills_tx), (unsigned long long)s.kills_tx,
         (unsigned long long)s.kills_rx, (unsigned long long)messages, s.next_id,
         (unsigned long long)th_ms_since(t0), (unsigned long long)s.rep->counts[FAIL_HANG],
         (unsigned long long)s.rep->counts[FAIL_LOSS], (unsigned long long)s.rep->counts[FAIL_DUP],
         (unsigned long long)s.rep->counts[FAIL_ORDER],
         (unsigned long long)s.rep->counts[FAIL_INVENTED],
         (unsigned long long)(s.rep->counts[FAIL_ATTACH] + s.rep->counts[FAIL_LOCK] +
                              s.rep->counts[FAIL_ERROR]));
  fflush(stdout);
  int fail = (int)atomic_load(&s.rep->fail);
  int line = (int)atomic_load(&s.rep->line);
  mc_shm_close(rep_shm);
  ck_assert_msg(fail == FAIL_NONE, "%s storm: %s (line %d)", label, fail_names[fail], line);
}

static int kills(void) {
  const char *v = getenv("STORM_KILLS");
  return v && atoi(v) > 0 ? atoi(v) : TH_WINDOWS ? 200 : 1000;
}

START_TEST(storm_ring) {
  run_storm("ring", MC_CHAN_RING, 0, 1, kills());
}
END_TEST

START_TEST(storm_multi_ring) {
  run_storm("multi", MC_CHAN_RING, MC_CHAN_MULTI_SEND, SENDERS_MAX, kills());
}
END_TEST

START_TEST(storm_slot) {
  run_storm("slot", MC_CHAN_SLOT, MC_CHAN_MULTI_SEND, SENDERS_MAX, kills());
}
END_TEST

START_TEST(storm_broadcast) {
  run_storm("bcast", MC_CHAN_RING, MC_CHAN_BROADCAST | MC_CHAN_MULTI_SEND, SENDERS_MAX, kills());
}
END_TEST

static Suite *storm_suite(void) {
  Suite *s = suite_create("storm");
  TCase *tc = th_tcase(s, "storm", 900);
  tcase_add_test(tc, storm_ring);
  tcase_add_test(tc, storm_multi_ring);
  tcase_add_test(tc, storm_slot);
  tcase_add_test(tc, storm_broadcast);
  return s;
}

static const th_helper helpers[] = {ROLE_HELPERS, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, storm_suite(), helpers);
}
