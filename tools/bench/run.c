/* Running one case: the parent creates the transport, starts its peers (this program again,
 * with --peer), meets them at a gate, runs its side of the pattern and collects them.
 *
 * The gate is memchan's own named objects: peers post "ready" (a semaphore) once their
 * endpoint is open, wait for "go" (a manual-reset event) so that stress senders start
 * together, and after their last message wait for "done" before closing, so that no
 * transport can drop messages still queued when a sender closes (ZeroMQ, nng). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

#define MAX_PEERS 64
#define GATE_MS   30000 /* how long one side waits for the other to reach the gate */
#define FINISH_MS 30000 /* how long peers may take to end after the parent is done */

_Static_assert(sizeof(mb_ctl) + 63 <= MB_CTL_BYTES, "mb_ctl must fit its block");

typedef struct gate {
  char name[80];
  mc_sem *ready;
  mc_event *go, *done;
  mc_shm *shm; /* holds the mb_ctl */
  mb_ctl *ctl;
} gate;

/* The parent creates the gate's objects, peers open them. */
static int gate_open(gate *g, const char *prefix, int create) {
  memset(g, 0, sizeof *g);
  snprintf(g->name, sizeof g->name, "%s-ready", prefix);
  int rc = mc_sem_open(g->name, 0, 0x7fffffff, &g->ready);
  snprintf(g->name, sizeof g->name, "%s-go", prefix);
  if (rc == MC_OK) rc = mc_event_open(g->name, 1, 0, &g->go);
  snprintf(g->name, sizeof g->name, "%s-done", prefix);
  if (rc == MC_OK) rc = mc_event_open(g->name, 1, 0, &g->done);
  snprintf(g->name, sizeof g->name, "%s-ctl", prefix);
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.size = create ? MB_CTL_BYTES : 0;
  o.flags = MC_SHM_UNPROTECTED | (create ? MC_SHM_CREATE : MC_SHM_OPEN);
  void *data = NULL;
  if (rc == MC_OK) rc = mc_shm_open(g->name, &o, &g->shm);
  if (rc == MC_OK) rc = mc_shm_acquire(g->shm, MC_WRITE, 0, &data);
  if (rc != MC_OK) return mb_fail("gate %s: %s", g->name, mc_err_name(rc));
  /* A new block reads as zeros: stop = 0. */
  g->ctl = (mb_ctl *)(((uintptr_t)data + 63) & ~(uintptr_t)63);
  return 0;
}

static void gate_close(gate *g) {
  mc_sem_close(g->ready);
  mc_event_close(g->go);
  mc_event_close(g->done);
  mc_shm_close(g->shm);
}

/* CPU of process `who` (0 = the parent, 1.. = peers) for a case's placement; -1: not
   pinned. Peers share the CPUs the parent does not use; in the fan-out patterns, where the
   parent is one sender among many receivers, all the processes share all the CPUs. */
static int cpu_for(const mb_case *c, int who) {
  static int list[256], n = -1;
  if (n < 0) n = mb_cpus_allowed(list, 256);
  if (c->cpus == MB_CPUS_NONE || n <= 0) return -1;
  if (c->cpus == MB_CPUS_SAME || n == 1) return list[0];
  if (MB_IS_FAN(c->pattern)) return list[who % n];
  return who == 0 ? list[0] : list[1 + (who - 1) % (n - 1)];
}

static int spawn_peer(const mb_case *c, const char *prefix, const char *arg, int index,
                      mc_proc **out) {
  char self[4096], f[14][24];
  if (mc_self_path(self, sizeof self) != MC_OK) return mb_fail("cannot find my own path");
  snprintf(f[0], sizeof f[0], "%d", c->pattern);
  snprintf(f[1], sizeof f[1], "%d", c->kind);
  snprintf(f[2], sizeof f[2], "%d", c->mode);
  snprintf(f[3], sizeof f[3], "%d", c->path);
  snprintf(f[4], sizeof f[4], "%d", c->cpus);
  snprintf(f[5], sizeof f[5], "%d", cpu_for(c, 1 + index));
  snprintf(f[6], sizeof f[6], "%zu", c->size);
  snprintf(f[7], sizeof f[7], "%llu", (unsigned long long)c->count);
  snprintf(f[8], sizeof f[8], "%llu", (unsigned long long)c->warmup);
  snprintf(f[9], sizeof f[9], "%d", c->senders);
  snprintf(f[10], sizeof f[10], "%d", c->gap_us);
  snprintf(f[11], sizeof f[11], "%d", index);
  snprintf(f[12], sizeof f[12], "%d", c->receivers);
  snprintf(f[13], sizeof f[13], "%d", c->work_ns);
  const char *argv[] = {self,  "--peer", c->tr->name, f[0],   f[1], f[2], f[3],
                        f[4],  f[5],     f[6],        f[7],   f[8], f[9], f[10],
                        f[11], f[12],    f[13],       prefix, arg,  NULL};
  int rc = mc_proc_spawn(argv, out);
  return rc == MC_OK ? 0 : mb_fail("mc_proc_spawn: %s", mc_err_name(rc));
}

/* Collects the peers; kills those that do not end in time. Returns 0 if all exited 0. */
static int reap(mc_proc **peers, int n, int timeout_ms, char *why, size_t cap) {
  int bad = 0;
  for (int i = 0; i < n; i++) {
    int code = -1;
    if (mc_proc_wait(peers[i], timeout_ms, &code) != MC_OK) {
      mc_proc_kill(peers[i]);
      mc_proc_wait(peers[i], 10000, &code);
      if (!bad) snprintf(why, cap, "peer %d did not finish (killed)", i);
      bad = 1;
    } else if (code != 0) {
      if (!bad) snprintf(why, cap, "peer %d exited with %d (its stderr says why)", i, code);
      bad = 1;
    }
    mc_proc_free(peers[i]);
    peers[i] = NULL;
  }
  return bad ? -1 : 0;
}

static unsigned watchdog_s(const mb_case *c) {
  /* Generous: a case normally ends in seconds; this only turns a hang into a failure. */
  return (unsigned)(120 + (c->count + c->warmup) * (uint64_t)c->senders / 2000);
}

static volatile uint64_t local_sink; /* what a local floor read: keeps the reads alive */

static int run_local(const mb_case *c, mb_result *r) {
  uint64_t sink = 0;
  mb_pin(cpu_for(c, 0));
  int rc = c->tr->local(c, &r->elapsed_ns, &r->messages, &sink);
  mb_pin(-1);
  if (rc != 0) return -1;
  local_sink ^= sink;
  r->msgs_per_s = mb_rate_per_s(r->messages, r->elapsed_ns);
  r->gbytes_per_s = mb_gbytes_per_s(r->messages, c->size, r->elapsed_ns);
  return 0;
}

static int run_peers(const mb_case *c, mb_result *r) {
  static unsigned counter;
  char prefix[64], arg[MB_ARG_MAX];
  mc_proc *peers[MAX_PEERS] = {0};
  int npeers = c->pattern == MB_STRESS ? c->senders : MB_IS_FAN(c->pattern) ? c->receivers : 1;
  int started = 0, rc = -1;
  mb_ep *ep = NULL;
  gate g;
  if (npeers < 1 || npeers > MAX_PEERS) return mb_fail("senders must be 1..%d", MAX_PEERS);
  snprintf(prefix, sizeof prefix, "mcb%ldx%u", mb_pid(), ++counter);
  if (gate_open(&g, prefix, 1) != 0) {
    gate_close(&g);
    return -1;
  }
  if (c->tr->create(c, &ep, arg, sizeof arg) != 0) goto out;
  for (; started < npeers; started++)
    if (spawn_peer(c, prefix, arg, started, &peers[started]) != 0) goto out;
  if (c->tr->spawned) c->tr->spawned(ep);
  for (int i = 0; i < npeers; i++) {
    int w = mc_sem_wait(g.ready, GATE_MS);
    if (w != MC_OK) {
      mb_fail("only %d of %d peers became ready (%s)", i, npeers, mc_err_name(w));
      goto out;
    }
  }
  mb_pin(cpu_for(c, 0));
  mb_watchdog(watchdog_s(c));
  mc_event_set(g.go);
  rc = mb_pattern_parent(c, ep, g.ctl, r);
  mb_watchdog(0);
out:
  mc_event_set(g.go); /* peers that wait at the gate must not wait for ever on a failure */
  mc_event_set(g.done);
  char why[200] = "";
  int peers_ok = reap(peers, started, rc == 0 ? FINISH_MS : 2000, why, sizeof why);
  if (rc == 0 && peers_ok != 0)
    rc = mb_fail("%s", why);
  else if (rc == 0 && MB_IS_FAN(c->pattern))
    rc = mb_fan_collect(c, g.ctl, r); /* what the receivers, now gone, measured */
  else if (rc != 0 && why[0]) {
    char first[300];
    snprintf(first, sizeof first, "%s; %s", mb_last_error(), why);
    mb_fail("%s", first);
  }
  if (ep) c->tr->close(ep);
  gate_close(&g);
  mb_pin(-1);
  return rc;
}

int mb_run_case(const mb_case *c, mb_result *r) {
  char why[240];
  memset(r, 0, sizeof *r);
  r->c = *c;
  const char *s = c->tr->skip ? c->tr->skip(c, why, sizeof why) : NULL;
  if (s) {
    r->status = MB_SKIPPED;
    snprintf(r->note, sizeof r->note, "%s", s);
    return r->status;
  }
  int rc = c->tr->local ? run_local(c, r) : run_peers(c, r);
  if (rc != 0) {
    r->status = MB_FAILED;
    snprintf(r->note, sizeof r->note, "%s", mb_last_error());
  }
  return r->status;
}

/* ---- the peer ---- */

/* argv: transport pattern kind mode path cpus cpu size count warmup senders gap index
   receivers work_ns prefix arg */
int mb_peer_main(int argc, char **argv) {
  if (argc != 17) {
    fprintf(stderr, "memchan-bench --peer: %d arguments, expected 17\n", argc);
    return 2;
  }
  mb_case c;
  memset(&c, 0, sizeof c);
  c.tr = mb_transport_find(argv[0]);
  if (!c.tr || !c.tr->open) {
    fprintf(stderr, "memchan-bench --peer: unknown transport %s\n", argv[0]);
    return 2;
  }
  c.pattern = atoi(argv[1]);
  c.kind = atoi(argv[2]);
  c.mode = atoi(argv[3]);
  c.path = atoi(argv[4]);
  c.cpus = atoi(argv[5]);
  int cpu = atoi(argv[6]);
  c.size = (size_t)strtoull(argv[7], NULL, 10);
  c.count = strtoull(argv[8], NULL, 10);
  c.warmup = strtoull(argv[9], NULL, 10);
  c.senders = atoi(argv[10]);
  c.gap_us = atoi(argv[11]);
  int index = atoi(argv[12]);
  c.receivers = atoi(argv[13]);
  c.work_ns = atoi(argv[14]);
  if (cpu >= 0) mb_pin(cpu); /* best effort: an unpinned peer still measures */
  gate g;
  if (gate_open(&g, argv[15], 0) != 0) {
    gate_close(&g);
    fprintf(stderr, "memchan-bench peer: %s\n", mb_last_error());
    return 1;
  }
  mb_ep *ep = NULL;
  int rc = c.tr->open(&c, argv[16], index, &ep);
  if (rc == 0) rc = mc_sem_post(g.ready, 1) == MC_OK ? 0 : mb_fail("posting ready failed");
  if (rc == 0 && mc_event_wait(g.go, GATE_MS) != MC_OK) rc = mb_fail("no go from the parent");
  mb_watchdog(rc == 0 ? watchdog_s(&c) : 0);
  if (rc == 0) rc = mb_pattern_peer(&c, ep, g.ctl, index);
  mb_watchdog(0);
  /* Keep the endpoint until the parent has everything (see the top of this file). */
  if (rc == 0 && mc_event_wait(g.done, FINISH_MS) != MC_OK)
    rc = mb_fail("the parent did not finish");
  if (ep) c.tr->close(ep);
  gate_close(&g);
  if (rc != 0) {
    fprintf(stderr, "memchan-bench peer %d (%s %s): %s\n", index, argv[0],
            mb_pattern_names[c.pattern % MB_NPATTERNS], mb_last_error());
    return 1;
  }
  return 0;
}
