/* memchan-bridge-peer: the two ends of a bridged pipeline for the bridge's test
 * (tests/bridge/run.sh) and benchmark (tools/bridge/bench.sh), and nng push/pull alone as
 * the benchmark's baseline.
 *   produce CHAN N MIN MAX [--abort CODE] [--die] [--fast]   checked messages (msgstream.h)
 *   consume CHAN N MIN MAX [--progress NAME] [--expect closed|aborted:CODE|peerdead] [--fast]
 *   wait NAME COUNT TIMEOUT_MS       until the consumer with --progress NAME has COUNT
 *   window STATE FILL TIMEOUT_MS     until an out bridge's window holds FILL unacknowledged
 *   hold CHAN                        holds the channel open (role none) until killed
 *   silent URL NAME [--listen]       a connection that stays open and silent (progress NAME: 1
 *                                    once connected, 2 once the far side closed it)
 *   nng-pull URL N SIZE / nng-push URL N SIZE                         the baselines:
 *   nng-pair-recv URL N SIZE / nng-pair-send URL N SIZE               nng alone
 * --fast makes and checks only each message's sequence number (the benchmark's messages);
 * otherwise every byte is checked. consume prints the rate from its first message to its
 * last. A consumer whose sender dies (an in bridge killed) waits for the next sender. */
#include <memchan.h>
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "sys.h"
#include "msgstream.h"

static double now_s(void) {
  return (double)mb_now_ns() / 1e9;
}

static int die(const char *what, int rc) {
  fprintf(stderr, "peer: %s: %s\n", what, rc <= 0 ? mc_err_name(rc) : nng_strerror(rc));
  return 1;
}

static size_t make(int fast, uint64_t seq, size_t min, size_t max, unsigned char *buf) {
  if (!fast) return ms_make(0, seq, min, max, buf);
  memcpy(buf, &seq, sizeof seq);
  return max;
}

static int check(int fast, uint64_t seq, size_t min, size_t max, const unsigned char *m,
                 size_t len, unsigned char *scratch) {
  uint64_t s;
  if (!fast) return ms_check(0, seq, min, max, m, len, scratch);
  memcpy(&s, m, sizeof s);
  return len == max && s == seq;
}

typedef struct args {
  const char *name, *progress, *expect;
  uint64_t n;
  size_t min, max;
  int fast, die, abort_code, abort;
} args;

/* After the in bridge (recv: its sender) or the out bridge (its receiver) died: wait for
   its successor to open the channel. */
static int await_peer(mc_chan *ch, int senders, double deadline) {
  mc_waitset *ws;
  int rc = mc_waitset_create(&ws);
  if (rc != MC_OK) return rc;
  if ((rc = mc_waitset_add_chan(ws, ch, ch)) != MC_OK) goto out;
  rc = MC_ETIMEDOUT;
  while (now_s() < deadline) {
    mc_chan_ends e;
    if ((rc = mc_chan_get_ends(ch, &e)) != MC_OK) break;
    if ((senders ? e.senders : e.receivers) > 0) break;
    rc = MC_ETIMEDOUT;
    void *ready;
    int n;
    /* A joining peer makes the end ready; 10 ms bounds a miss. An end whose peer died stays
       ready until the next one comes: then a millisecond's pause, not a busy loop that
       takes the CPU from the successor starting up. */
    if (mc_waitset_wait(ws, &ready, 1, &n, 10) == MC_OK) mb_sleep_ms(1);
  }
out:
  mc_waitset_free(ws);
  return rc;
}

static int produce(const args *a) {
  mc_chan *tx;
  mc_chan_options o = {.max_msg = (uint32_t)(a->max < 65536 ? 65536 : a->max)};
  int rc = mc_chan_create(a->name, &o, MC_CHAN_SEND, &tx);
  if (rc != MC_OK) return die("mc_chan_create", rc);
  double deadline = now_s() + 600;
  /* The receiver (an out bridge) first: a producer that ended before anyone opened the
     channel would take the channel, and what it sent, with it. */
  if ((rc = await_peer(tx, 0, deadline)) != MC_OK) return die("waiting for a receiver", rc);
  for (uint64_t seq = 0; seq < a->n; seq++) {
    void *buf;
    /* Our receiver, an out bridge, was killed: its successor takes its place. */
    while ((rc = mc_chan_reserve(tx, a->max, &buf, 60000)) == MC_EPEERDEAD)
      if ((rc = await_peer(tx, 0, deadline)) != MC_OK) return die("waiting for a receiver", rc);
    if (rc != MC_OK) return die("reserve", rc);
    size_t len = make(a->fast, seq, a->min, a->max, buf);
    if ((rc = mc_chan_commit(tx, len)) != MC_OK) return die("commit", rc);
  }
  if (a->die) _exit(0); /* a producer that dies: its receivers see MC_EPEERDEAD */
  if (a->abort) mc_chan_abort(tx, a->abort_code);
  mc_chan_close(tx);
  printf("produce: %llu messages\n", (unsigned long long)a->n);
  return 0;
}

/* The progress block: a count the consumer stores and an event it sets as it goes. */
typedef struct progress {
  mc_shm *shm;
  mc_event *ev;
  _Atomic uint64_t *count;
} progress;

static int progress_open(progress *p, const char *name, int create) {
  char evname[MC_NAME_MAX + 8];
  void *data;
  mc_shm_options o = {.size = 64, .flags = MC_SHM_UNPROTECTED | (create ? 0 : MC_SHM_OPEN)};
  int rc = mc_shm_open(name, &o, &p->shm);
  if (rc != MC_OK) return rc;
  snprintf(evname, sizeof evname, "%s-ev", name);
  if ((rc = mc_event_open(evname, 0, 0, &p->ev)) != MC_OK) return rc;
  if ((rc = mc_shm_acquire(p->shm, MC_WRITE, 0, &data)) != MC_OK) return rc;
  p->count = data;
  return MC_OK;
}

static int consume(const args *a) {
  mc_chan *rx;
  mc_chan_options o = {.max_msg = (uint32_t)(a->max < 65536 ? 65536 : a->max)};
  int rc = mc_chan_create(a->name, &o, MC_CHAN_RECV, &rx);
  if (rc == MC_EEXIST) rc = mc_chan_open(a->name, MC_CHAN_RECV, 5000, &rx); /* the in bridge made it */
  if (rc != MC_OK) return die("mc_chan_create", rc);
  progress p = {0};
  if (a->progress && (rc = progress_open(&p, a->progress, 1)) != MC_OK)
    return die("progress block", rc);
  unsigned char *scratch = malloc(a->max + 16);
  uint64_t seq = 0, restarts = 0;
  double t0 = 0, t1 = 0, deadline = now_s() + 600;
  for (;;) {
    const void *m;
    size_t len;
    rc = mc_chan_peek(rx, &m, &len, 60000);
    if (rc == MC_EPEERDEAD && seq < a->n) { /* our sender, an in bridge, was killed */
      restarts++;
      if ((rc = await_peer(rx, 1, deadline)) != MC_OK) return die("waiting for a new sender", rc);
      continue;
    }
    if (rc != MC_OK) break;
    if (seq >= a->n || !check(a->fast, seq, a->min, a->max, m, len, scratch)) {
      fprintf(stderr, "consume: message %llu is wrong (len %zu)\n", (unsigned long long)seq, len);
      return 1;
    }
    mc_chan_consume(rx);
    if (seq == 0) t0 = now_s();
    seq++;
    if (seq == a->n) t1 = now_s();
    if (p.count && (seq % 1000 == 0 || seq == a->n)) {
      atomic_store(p.count, seq);
      mc_event_set(p.ev);
    }
  }
  mc_chan_ends e = {0};
  mc_chan_get_ends(rx, &e);
  char end[64];
  if (rc == MC_EABORTED) snprintf(end, sizeof end, "aborted:%d", e.abort_code);
  else if (rc == MC_ECLOSED) snprintf(end, sizeof end, "closed");
  /* A death outranks a close (docs/channels.md): once an in bridge was killed, a close
     passed on later still reads as MC_EPEERDEAD; the close count tells them apart. An in
     bridge closes only at the end, so a close is the last one ending the stream, whether or
     not this consumer saw the earlier ones die (a successor that attached before the
     channel ran dry hides the death from its receiver). */
  else if (rc == MC_EPEERDEAD && e.senders_closed > 0) snprintf(end, sizeof end, "closed");
  else if (rc == MC_EPEERDEAD) snprintf(end, sizeof end, "peerdead");
  else return die("peek", rc);
  double dt = t1 > t0 ? t1 - t0 : 1e-9;
  printf("consume: %llu messages checked, end %s (%s), %llu sender restarts, %.0f msg/s, "
         "%.1f MB/s\n", (unsigned long long)seq, end, mc_err_name(rc),
         (unsigned long long)restarts, (double)(seq > 1 ? seq - 1 : 0) / dt,
         (double)(seq > 1 ? seq - 1 : 0) * (double)a->max / dt / 1e6);
  mc_chan_close(rx);
  if (p.shm) {
    mc_event_close(p.ev);
    mc_shm_close(p.shm);
  }
  free(scratch);
  if (seq != a->n) {
    fprintf(stderr, "consume: %llu messages, %llu expected\n", (unsigned long long)seq,
            (unsigned long long)a->n);
    return 1;
  }
  if (a->expect && strcmp(a->expect, end) != 0) {
    fprintf(stderr, "consume: the stream ended %s, %s expected\n", end, a->expect);
    return 1;
  }
  return 0;
}

static int wait_progress(const char *name, uint64_t want, int timeout_ms) {
  progress p;
  double deadline = now_s() + timeout_ms / 1000.0;
  int rc;
  while ((rc = progress_open(&p, name, 0)) == MC_ENOENT && now_s() < deadline)
    mb_sleep_ms(1); /* the consumer has not made it yet: a bounded poll for its creation */
  if (rc != MC_OK) return die("progress block", rc);
  while (atomic_load(p.count) < want) {
    if (now_s() >= deadline) {
      fprintf(stderr, "wait: %llu of %llu by the deadline\n",
              (unsigned long long)atomic_load(p.count), (unsigned long long)want);
      return 1;
    }
    mc_event_wait(p.ev, 100);
  }
  return 0;
}

/* The out bridge's window (its state block's header, bridge.h): next at 32, acked at 40. */
static int wait_window(const char *name, uint64_t fill, int timeout_ms) {
  mc_shm *shm;
  void *data;
  mc_shm_options o = {.flags = MC_SHM_OPEN | MC_SHM_UNPROTECTED};
  double deadline = now_s() + timeout_ms / 1000.0;
  int rc = mc_shm_open(name, &o, &shm);
  if (rc != MC_OK) return die("state block", rc);
  if ((rc = mc_shm_acquire(shm, MC_READ, 0, &data)) != MC_OK) return die("state block", rc);
  _Atomic uint64_t *w = (_Atomic uint64_t *)data;
  while (atomic_load(&w[4]) - atomic_load(&w[5]) < fill) {
    if (now_s() >= deadline) {
      fprintf(stderr, "window: %llu in flight by the deadline\n",
              (unsigned long long)(atomic_load(&w[4]) - atomic_load(&w[5])));
      return 1;
    }
    mb_sleep_ms(1); /* the state block has no event: a bounded poll */
  }
  mc_shm_close(shm);
  return 0;
}

static atomic_int peer_gone;
static void on_rem(nng_pipe p, nng_pipe_ev ev, void *arg) {
  (void)p, (void)ev, (void)arg;
  atomic_store(&peer_gone, 1);
}

static atomic_int peer_added;
static void on_add(nng_pipe p, nng_pipe_ev ev, void *arg) {
  (void)p, (void)ev, (void)arg;
  atomic_store(&peer_added, 1);
}

/* A connection that stays open and says nothing, as one whose peer vanished without closing
   it: dials URL with pair0 (listens there, with listen), counts 1 in the progress block NAME
   once connected, then waits until the far side closes the connection (counted 2; exit 0)
   or a minute has passed (exit 1). */
static int silent(const char *url, const char *name, int listen) {
  nng_socket s;
  progress p;
  int rv = nng_pair0_open(&s);
  if (rv != 0) return die("nng open", rv);
  nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 100);
  nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, on_add, NULL);
  nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, on_rem, NULL);
  rv = listen ? nng_listen(s, url, NULL, 0) : nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK);
  if (rv != 0) return die(listen ? "nng_listen" : "nng_dial", rv);
  if ((rv = progress_open(&p, name, 1)) != MC_OK) return die("progress block", rv);
  double deadline = now_s() + 60;
  while (!atomic_load(&peer_added) && now_s() < deadline) mb_sleep_ms(1);
  atomic_store(p.count, 1);
  mc_event_set(p.ev);
  while (!atomic_load(&peer_gone) && now_s() < deadline) mb_sleep_ms(1);
  if (atomic_load(&peer_gone)) {
    atomic_store(p.count, 2);
    mc_event_set(p.ev);
  }
  printf("silent: %s\n", atomic_load(&peer_gone) ? "closed by the far side" : "never closed");
  fflush(stdout);
  if (listen && atomic_load(&peer_gone)) for (;;) mb_sleep_ms(60000); /* holds the port */
  return atomic_load(&peer_gone) ? 0 : 1;
}

/* nng alone, the benchmark's baselines: push/pull, and pair0 (the bridge's protocol). */
static int nng_side(int push, int pair, const char *url, uint64_t n, size_t size) {
  mb_heap_setup(); /* as the bridge's (heap.h) */
  nng_socket s;
  int rv = pair ? nng_pair0_open(&s) : push ? nng_push0_open(&s) : nng_pull0_open(&s);
  if (rv != 0) return die("nng open", rv);
  nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, size + 1024);
  nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 60000);
  nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 60000);
  nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 10);
  /* The same queues as the bridge's sockets (wire.c), so that both are measured at their
     best: without them push0 has one message in flight. */
  nng_socket_set_int(s, NNG_OPT_SENDBUF, 256);
  nng_socket_set_int(s, NNG_OPT_RECVBUF, 256);
  if (push) nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, on_rem, NULL);
  rv = push ? nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK) : nng_listen(s, url, NULL, 0);
  if (rv != 0) return die(push ? "nng_dial" : "nng_listen", rv);
  unsigned char *buf = calloc(1, size + 1024);
  double t0 = 0, t1 = 0;
  for (uint64_t seq = 0; seq < n; seq++) {
    size_t len = size + 1024;
    if (push) {
      memcpy(buf, &seq, sizeof seq);
      rv = nng_send(s, buf, size, 0);
    } else {
      rv = nng_recv(s, buf, &len, 0);
      uint64_t got;
      memcpy(&got, buf, sizeof got);
      if (rv == 0 && (len != size || got != seq)) {
        fprintf(stderr, "nng: message %llu is wrong\n", (unsigned long long)seq);
        return 1;
      }
      if (seq == 0) t0 = now_s();
      if (seq == n - 1) t1 = now_s();
    }
    if (rv != 0) return die(push ? "nng_send" : "nng_recv", rv);
  }
  if (!push) {
    double dt = t1 > t0 ? t1 - t0 : 1e-9;
    printf("nng-%s: %llu messages, %.0f msg/s, %.1f MB/s\n", pair ? "pair" : "pull", (unsigned long long)n,
           (double)(n - 1) / dt, (double)(n - 1) * (double)size / dt / 1e6);
  } else {
    /* nng_close drops what is still queued: wait until the puller has all (it closes). */
    double deadline = now_s() + 60;
    while (!atomic_load(&peer_gone) && now_s() < deadline) mb_sleep_ms(1);
  }
  nng_close(s);
  free(buf);
  return 0;
}

/* Holds a channel open (role none) so that it outlives its producer and a killed receiver:
   what the producer committed stays for the next out bridge. Ends on SIGTERM. */
static int hold(const char *name) {
  mc_chan *ch;
  int rc = mc_chan_open(name, MC_CHAN_NONE, 10000, &ch);
  if (rc != MC_OK) return die("mc_chan_open", rc);
  printf("hold: %s\n", name);
  fflush(stdout);
  for (;;) mb_sleep_ms(60000);
}

static int usage(void) {
  fputs("usage: memchan-bridge-peer produce|consume CHAN N MIN MAX [options]\n"
        "       memchan-bridge-peer wait NAME COUNT TIMEOUT_MS | window STATE FILL TIMEOUT_MS\n"
        "       memchan-bridge-peer hold CHAN | silent URL PROGRESS_NAME [--listen]\n"
        "       memchan-bridge-peer nng-push|nng-pull|nng-pair-send|nng-pair-recv URL N SIZE\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "hold")) return hold(argv[2]);
  if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "--listen"))) && !strcmp(argv[1], "silent"))
    return silent(argv[2], argv[3], argc == 5);
  if (argc < 5) return usage();
  const char *cmd = argv[1];
  if (!strcmp(cmd, "wait")) return wait_progress(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]));
  if (!strcmp(cmd, "window")) return wait_window(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]));
  if (!strcmp(cmd, "nng-push") || !strcmp(cmd, "nng-pull") || !strcmp(cmd, "nng-pair-send") ||
      !strcmp(cmd, "nng-pair-recv"))
    return nng_side(!strcmp(cmd, "nng-push") || !strcmp(cmd, "nng-pair-send"),
                    !strncmp(cmd, "nng-pair", 8), argv[2], strtoull(argv[3], NULL, 10),
                    (size_t)strtoull(argv[4], NULL, 10));
  if (argc < 6) return usage();
  args a = {.name = argv[2], .n = strtoull(argv[3], NULL, 10),
            .min = (size_t)strtoull(argv[4], NULL, 10), .max = (size_t)strtoull(argv[5], NULL, 10)};
  if (a.min > a.max || a.max == 0) return usage();
  for (int i = 6; i < argc; i++) {
    if (!strcmp(argv[i], "--fast")) a.fast = 1;
    else if (!strcmp(argv[i], "--die")) a.die = 1;
    else if (!strcmp(argv[i], "--abort") && i + 1 < argc) a.abort = 1, a.abort_code = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--progress") && i + 1 < argc) a.progress = argv[++i];
    else if (!strcmp(argv[i], "--expect") && i + 1 < argc) a.expect = argv[++i];
    else return usage();
  }
  if (a.fast && a.max < 8) return usage();
  if (!strcmp(cmd, "produce")) return produce(&a);
  if (!strcmp(cmd, "consume")) return consume(&a);
  return usage();
}
