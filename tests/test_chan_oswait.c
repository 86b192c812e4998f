/* A channel end's OS handle (mc_chan_os_handle): ready on a message, on room, on the end of
 * the stream, on an abort and on a peer's death; quiet otherwise; no lost wake-up in a
 * million messages with the receiver asleep on it between bursts; usable from poll and
 * epoll (Linux) and WaitForSingleObject / WaitForMultipleObjects (Windows). */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>
#endif

#define QUIET_MS 100 /* how long a handle that nobody signals must stay quiet */

/* 1 if the handle became ready within ms. */
static int ready_within(mc_os_handle h, int ms) {
#ifdef _WIN32
  return WaitForSingleObject((HANDLE)h, (DWORD)ms) == WAIT_OBJECT_0;
#else
  struct pollfd p = {.fd = (int)h, .events = POLLIN};
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
#endif
}

/* Calls fn with timeout 0 until it is not MC_ETIMEDOUT, sleeping on the handle in between
   (each sleep must end by readiness, within WAIT_MS). */
static int wait_on_handle(mc_chan *ch, int (*fn)(mc_chan *)) {
  mc_os_handle h;
  TH_OK(mc_chan_os_handle(ch, &h));
  int rc;
  while ((rc = fn(ch)) == MC_ETIMEDOUT) TH_REQUIRE(ready_within(h, WAIT_MS), "never ready");
  return rc;
}

static int recv_now(mc_chan *ch) {
  unsigned char buf[512];
  size_t n;
  return mc_chan_recv(ch, buf, sizeof buf, &n, 0);
}

static int send_now(mc_chan *ch) {
  return mc_chan_send(ch, "0123456789abcdef0123456789abcdef", 32, 0);
}

/* gate_peer NAME send|recv COUNT END READY GO: opens that end, arrives at the gate, waits
   for GO, sends (or receives) COUNT messages, then END: close, abort, or nothing - and blocks
   until killed (alive, so that what makes a handle ready is the end, not its exit). */
static int helper_gate_peer(int argc, char **argv) {
  if (argc < 6) return 2;
  mc_chan *ch;
  int send = strcmp(argv[1], "send") == 0;
  uint64_t count = strtoull(argv[2], NULL, 10);
  HELPER_OK(mc_chan_open(argv[0], send ? MC_CHAN_SEND : MC_CHAN_RECV, WAIT_MS, &ch));
  HELPER_OK(th_gate_arrive(argv[4], argv[5], WAIT_MS));
  unsigned char buf[512];
  size_t n;
  for (uint64_t i = 0; i < count; i++) {
    if (send)
      HELPER_OK(mc_chan_send(ch, buf, ms_make(0, i, 16, 64, buf), WAIT_MS));
    else
      HELPER_OK(mc_chan_recv(ch, buf, sizeof buf, &n, WAIT_MS));
  }
  if (strcmp(argv[3], "abort") == 0) HELPER_OK(mc_chan_abort(ch, 3));
  if (strcmp(argv[3], "close") == 0) HELPER_OK(mc_chan_close_send(ch));
  return th_block_forever(argv[0]);
}

typedef struct peer_run {
  char name[64];
  th_gate g;
  mc_chan *ch;
  mc_os_handle h;
  mc_proc *p;
} peer_run;

/* Our end (role) of a small ring, a peer process of the other end that has joined and waits
   at the gate, and our handle armed: quiet. */
static void peer_setup(peer_run *r, int role, const char *count, const char *end) {
  th_gate_open(&r->g, "osw");
  r->ch = create_chan("osw", MC_CHAN_RING, 64, 1024, 0, role, r->name, sizeof r->name);
  r->p = th_spawn("gate_peer", r->name, role == MC_CHAN_RECV ? "send" : "recv", count, end,
                  r->g.ready_name, r->g.go_name, NULL);
  th_gate_wait(&r->g, 1, WAIT_MS);
  TH_OK(mc_chan_os_handle(r->ch, &r->h));
  if (role == MC_CHAN_SEND)
    while (send_now(r->ch) == MC_OK) { /* fill the ring: the next send would wait */
    }
  TH_EXPECT(role == MC_CHAN_RECV ? recv_now(r->ch) : send_now(r->ch), MC_ETIMEDOUT); /* armed */
  ck_assert_msg(!ready_within(r->h, QUIET_MS), "ready with nothing to do");
}

static void peer_teardown(peer_run *r) {
  mc_chan_close(r->ch);
  th_gate_close(&r->g);
}

START_TEST(ready_on_a_message) {
  peer_run r;
  peer_setup(&r, MC_CHAN_RECV, "1", "hold");
  th_gate_release(&r.g);
  ck_assert(ready_within(r.h, WAIT_MS));
  TH_OK(recv_now(r.ch));
  TH_EXPECT(recv_now(r.ch), MC_ETIMEDOUT);
  ck_assert_msg(!ready_within(r.h, QUIET_MS), "ready again with nothing to do");
  th_kill(r.p);
  peer_teardown(&r);
}
END_TEST

START_TEST(ready_on_room) {
  peer_run r;
  peer_setup(&r, MC_CHAN_SEND, "3", "hold");
  th_gate_release(&r.g);
  ck_assert(ready_within(r.h, WAIT_MS));
  TH_OK(wait_on_handle(r.ch, send_now));
  th_kill(r.p);
  peer_teardown(&r);
}
END_TEST

START_TEST(ready_on_the_end_of_the_stream) {
  peer_run r;
  peer_setup(&r, MC_CHAN_RECV, "2", "close");
  th_gate_release(&r.g);
  TH_OK(wait_on_handle(r.ch, recv_now));
  TH_OK(wait_on_handle(r.ch, recv_now));
  TH_EXPECT(wait_on_handle(r.ch, recv_now), MC_ECLOSED);
  th_kill(r.p);
  peer_teardown(&r);
}
END_TEST

START_TEST(ready_on_an_abort) {
  peer_run r;
  peer_setup(&r, MC_CHAN_RECV, "0", "abort");
  th_gate_release(&r.g);
  TH_EXPECT(wait_on_handle(r.ch, recv_now), MC_EABORTED);
  th_kill(r.p);
  peer_teardown(&r);
}
END_TEST

/* A dead peer wakes nobody: the handle watches its process. */
START_TEST(ready_on_a_peer_death) {
  peer_run r;
  peer_setup(&r, MC_CHAN_RECV, "0", "hold");
  th_kill(r.p);
  ck_assert_msg(ready_within(r.h, WAIT_MS), "a dead sender left the handle quiet");
  TH_EXPECT(wait_on_handle(r.ch, recv_now), MC_EPEERDEAD);
  peer_teardown(&r);
  peer_setup(&r, MC_CHAN_SEND, "0", "hold");
  th_kill(r.p);
  ck_assert_msg(ready_within(r.h, WAIT_MS), "a dead receiver left the handle quiet");
  TH_EXPECT(wait_on_handle(r.ch, send_now), MC_EPEERDEAD);
  peer_teardown(&r);
}
END_TEST

/* burst_send NAME COUNT: sends COUNT checked messages in bursts of 1..512, and between
   bursts waits until the receiver has gone to sleep on its handle (announced itself). */
static int helper_burst_send(int argc, char **argv) {
  if (argc < 2) return 2;
  mc_chan *ch;
  uint64_t count = strtoull(argv[1], NULL, 10), x = 42;
  unsigned char buf[512];
  HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, WAIT_MS, &ch));
  for (uint64_t seq = 0; seq < count;) {
    uint64_t t0 = mc__plat_now_ns();
    while (!atomic_load(&ch->ctl->recv_waiting)) {
      HELPER_CHECK(th_ms_since(t0) < WAIT_MS);
      mc__plat_yield();
    }
    x = ms_mix(x);
    for (uint64_t b = 1 + x % 512; b > 0 && seq < count; b--, seq++)
      HELPER_OK(mc_chan_send(ch, buf, ms_make(0, seq, 0, 512, buf), WAIT_MS));
  }
  mc_chan_close(ch);
  return 0;
}

/* A million messages, the receiver asleep on its handle before every burst: each sleep ends
   by readiness, and every message arrives. */
START_TEST(no_lost_wakeup_in_a_million) {
  char name[64], cnt[32];
  mc_chan *rx = create_chan("mil", MC_CHAN_RING, 512, 65536, 0, MC_CHAN_RECV, name, sizeof name);
  mc_os_handle h;
  TH_OK(mc_chan_os_handle(rx, &h));
  uint64_t total = MILLION, seq = 0, sleeps = 0;
  mc_proc *p = th_spawn("burst_send", name, num(cnt, total), NULL);
  unsigned char buf[512], scratch[512];
  for (;;) {
    size_t n;
    int rc = mc_chan_recv(rx, buf, sizeof buf, &n, 0);
    if (rc == MC_ETIMEDOUT) {
      TH_REQUIRE(ready_within(h, WAIT_MS), "lost wake-up after message %llu",
                 (unsigned long long)seq);
      sleeps++;
      continue;
    }
    if (rc == MC_ECLOSED) break;
    TH_OK(rc);
    TH_REQUIRE(ms_check(0, seq, 0, 512, buf, n, scratch), "message %llu", (unsigned long long)seq);
    seq++;
  }
  ck_assert_uint_eq(seq, total);
  ck_assert_uint_gt(sleeps, total / 512); /* it did sleep between bursts */
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}
END_TEST

/* Holding an OS handle costs nothing while both sides are busy: a million streamed messages
   (received with blocking calls) take as few wake-ups as without one - the handle is only
   signalled for an end that announced itself. */
START_TEST(a_handle_costs_nothing_while_busy) {
  char name[64], cn[64], cnt[32];
  mc_shm *cshm;
  th_name(cn, sizeof cn, "oswk");
  _Atomic uint64_t *counters = open_counters(cn, &cshm);
  ck_assert_ptr_nonnull(counters);
  mc_chan *rx = create_chan("oswk", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_os_handle h;
  TH_OK(mc_chan_os_handle(rx, &h));
  uint64_t total = TH_WINDOWS ? MILLION / 4 : MILLION;
  mc_proc *p = th_spawn("send_stream", name, "0", num(cnt, total), "32", "32", "copy", "close", "-",
                        cn, NULL);
  recv_checked(rx, 1, total, 32, 32, 0);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  uint64_t wakeups = st.wakeups + atomic_load(&counters[COUNTER_WAKEUPS]);
  ck_assert_msg(wakeups < total / 100, "%llu wake-ups for %llu messages",
                (unsigned long long)wakeups, (unsigned long long)total);
  mc_chan_close(rx);
  mc_shm_close(cshm);
}
END_TEST

/* The handles of several channels in one wait of the OS's own: the one with a message is
   the one that is ready. */
START_TEST(one_os_wait_over_several_channels) {
  char names[3][64];
  mc_chan *rx[3], *tx[3];
  mc_os_handle h[3];
  for (int i = 0; i < 3; i++) {
    rx[i] = create_chan("many", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, names[i], sizeof names[i]);
    TH_OK(mc_chan_open(names[i], MC_CHAN_SEND, 0, &tx[i]));
    TH_OK(mc_chan_os_handle(rx[i], &h[i]));
    TH_EXPECT(recv_now(rx[i]), MC_ETIMEDOUT);
  }
  TH_OK(mc_chan_send(tx[1], "x", 1, 0));
#ifdef _WIN32
  HANDLE hs[3] = {(HANDLE)h[0], (HANDLE)h[1], (HANDLE)h[2]};
  ck_assert_uint_eq(WaitForMultipleObjects(3, hs, FALSE, WAIT_MS), WAIT_OBJECT_0 + 1);
#else
  int ep = epoll_create1(0);
  ck_assert_int_ge(ep, 0);
  for (int i = 0; i < 3; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, (int)h[i], &ev), 0);
  }
  struct epoll_event got[3];
  ck_assert_int_eq(epoll_wait(ep, got, 3, WAIT_MS), 1);
  ck_assert_uint_eq(got[0].data.u32, 1);
  close(ep);
#endif
  TH_OK(recv_now(rx[1]));
  for (int i = 0; i < 3; i++) {
    mc_chan_close(tx[i]);
    mc_chan_close(rx[i]);
  }
}
END_TEST

/* A call that finds the end's lock taken cannot count on a signal when it is free: the
   handle is ready at once, and the poller looks again (senders' and receivers' locks). The
   handle is drained by hand first, as a wait earlier in the same call would have drained it
   (a slot sender that found the slot EMPTY only after it had started to wait). */
START_TEST(a_taken_lock_leaves_the_handle_ready) {
  char name[64];
  mc_os_handle h;
  void *w;
  mc_chan *rx =
      create_chan("lock", MC_CHAN_RING, 64, 0, MC_CHAN_MULTI_SEND, MC_CHAN_RECV, name, sizeof name);
  mc_chan *a, *b;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &a));
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &b));
  TH_OK(mc_chan_os_handle(b, &h));
  TH_OK(mc_chan_reserve(a, 8, &w, 0)); /* a holds the senders' lock */
  mc__plat_notifier_drain(b->notifier);
  ck_assert(!ready_within(h, 0));
  TH_EXPECT(send_now(b), MC_ETIMEDOUT);
  ck_assert_msg(ready_within(h, 0), "a sender behind the lock was left to sleep");
  TH_OK(mc_chan_commit(a, 8));
  TH_OK(send_now(b));
  mc_chan_close(a);
  mc_chan_close(b);
  mc_chan_close(rx);

  mc_chan *tx, *r1, *r2;
  const void *p;
  size_t n;
  rx = create_chan("lockr", MC_CHAN_RING, 64, 0, MC_CHAN_MULTI_RECV, MC_CHAN_SEND, name,
                   sizeof name);
  tx = rx;
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &r1));
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &r2));
  TH_OK(mc_chan_os_handle(r2, &h));
  TH_OK(send_now(tx));
  TH_OK(send_now(tx));
  TH_OK(mc_chan_peek(r1, &p, &n, 0)); /* r1 holds the receivers' lock */
  mc__plat_notifier_drain(r2->notifier);
  ck_assert(!ready_within(h, 0));
  TH_EXPECT(recv_now(r2), MC_ETIMEDOUT);
  ck_assert_msg(ready_within(h, 0), "a receiver behind the lock was left to sleep");
  TH_OK(mc_chan_consume(r1));
  TH_OK(recv_now(r2));
  mc_chan_close(r1);
  mc_chan_close(r2);
  mc_chan_close(tx);
}
END_TEST

/* Fan-out ends have handles too: a broadcast message readies every receiver's, a shared-work
   message the handles of the receivers that are waiting. */
START_TEST(fan_out_handles) {
  static const unsigned kinds[] = {MC_CHAN_BROADCAST, MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST,
                                   MC_CHAN_MULTI_RECV};
  for (int k = 0; k < 3; k++) {
    char name[64];
    mc_chan *tx = create_chan("fanh", MC_CHAN_RING, 64, 0, kinds[k], MC_CHAN_SEND, name,
                              sizeof name);
    mc_chan *rx[3];
    mc_os_handle h[3];
    for (int i = 0; i < 3; i++) {
      TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx[i]));
      TH_OK(mc_chan_os_handle(rx[i], &h[i]));
      TH_EXPECT(recv_now(rx[i]), MC_ETIMEDOUT);
      ck_assert(!ready_within(h[i], 0));
    }
    TH_OK(send_now(tx));
    for (int i = 0; i < 3; i++) ck_assert_msg(ready_within(h[i], WAIT_MS), "kind %d rx %d", k, i);
    int got = 0;
    for (int i = 0; i < 3; i++) got += recv_now(rx[i]) == MC_OK;
    ck_assert_int_eq(got, (kinds[k] & MC_CHAN_BROADCAST) ? 3 : 1);
    mc_chan_close(tx);
    for (int i = 0; i < 3; i++) {
      TH_EXPECT(wait_on_handle(rx[i], recv_now), MC_ECLOSED);
      mc_chan_close(rx[i]);
    }
  }
}
END_TEST

START_TEST(os_handle_arguments) {
  char name[64];
  mc_os_handle h;
  TH_EXPECT(mc_chan_os_handle(NULL, &h), MC_EINVAL);
  mc_chan *hold = create_chan("arg", MC_CHAN_RING, 64, 0, 0, MC_CHAN_NONE, name, sizeof name);
  TH_EXPECT(mc_chan_os_handle(hold, NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_os_handle(hold, &h), MC_ESTATE); /* neither end: nothing to wait for */
  mc_chan *rx;
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  mc_os_handle a, b;
  TH_OK(mc_chan_os_handle(rx, &a));
  TH_OK(mc_chan_os_handle(rx, &b));
  ck_assert(a == b);             /* one handle per end */
  ck_assert(ready_within(a, 0)); /* a new handle starts ready */
  mc_chan_close(rx);
  mc_chan_close(hold);
}
END_TEST

/* ---- the waitset ------------------------------------------------------------------------------
 */

START_TEST(waitset_arguments) {
  char name[64];
  mc_waitset *ws;
  void *ready[4];
  int n;
  TH_EXPECT(mc_waitset_create(NULL), MC_EINVAL);
  TH_OK(mc_waitset_create(&ws));
  TH_EXPECT(mc_waitset_wait(ws, ready, 4, &n, 0), MC_ESTATE); /* nothing could be ready */
  TH_EXPECT(mc_waitset_wait(ws, NULL, 4, &n, 0), MC_EINVAL);
  TH_EXPECT(mc_waitset_wait(ws, ready, 0, &n, 0), MC_EINVAL);
  mc_chan *hold = create_chan("wsa", MC_CHAN_RING, 64, 0, 0, MC_CHAN_NONE, name, sizeof name);
  TH_EXPECT(mc_waitset_add_chan(ws, hold, &n), MC_ESTATE);
  TH_EXPECT(mc_waitset_add_chan(ws, NULL, &n), MC_EINVAL);
  mc_chan *rx;
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  TH_OK(mc_waitset_add_chan(ws, rx, &n));
  TH_EXPECT(mc_waitset_add_chan(ws, rx, &n), MC_EEXIST);
  TH_EXPECT(mc_waitset_remove(ws, ready), MC_ENOENT);
  TH_OK(mc_waitset_remove(ws, &n));
  mc_waitset_free(ws);
  mc_chan_close(rx);
  mc_chan_close(hold);
}
END_TEST

/* Nothing happens: the wait ends at its timeout, not before, and not much after. */
START_TEST(waitset_times_out_on_time) {
  char name[2][64];
  mc_chan *rx[2];
  mc_waitset *ws;
  TH_OK(mc_waitset_create(&ws));
  for (int i = 0; i < 2; i++) {
    rx[i] = create_chan("wst", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, name[i], sizeof name[i]);
    TH_OK(mc_waitset_add_chan(ws, rx[i], rx[i]));
  }
  void *ready[2];
  int n;
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_waitset_wait(ws, ready, 2, &n, 300), MC_ETIMEDOUT);
  uint64_t ms = th_ms_since(t0);
  ck_assert_int_eq(n, 0);
  ck_assert_msg(ms >= 300 && ms < 1300, "a 300 ms wait took %llu ms", (unsigned long long)ms);
  mc_waitset_free(ws);
  for (int i = 0; i < 2; i++) mc_chan_close(rx[i]);
}
END_TEST

/* Eight channels, a sender process each, one thread receiving through the waitset: every
   message once, in order, and each stream's end. */
START_TEST(waitset_over_eight_channels) {
  enum { CHANS = 8 };
  char name[CHANS][64], cnt[32];
  mc_chan *rx[CHANS];
  mc_proc *p[CHANS];
  uint64_t next[CHANS] = {0}, each = TH_WINDOWS ? 5000 : 50000;
  int open = CHANS;
  mc_waitset *ws;
  TH_OK(mc_waitset_create(&ws));
  for (int i = 0; i < CHANS; i++) {
    rx[i] = create_chan("ws8", MC_CHAN_RING, 512, 16384, 0, MC_CHAN_RECV, name[i], sizeof name[i]);
    TH_OK(mc_waitset_add_chan(ws, rx[i], &next[i]));
    p[i] = th_spawn("send_stream", name[i], "0", num(cnt, each), "0", "512", i & 1 ? "zc" : "copy",
                    "close", "-", "-", NULL);
  }
  unsigned char buf[512], scratch[512];
  while (open) {
    void *ready[CHANS];
    int n;
    TH_OK(mc_waitset_wait(ws, ready, CHANS, &n, WAIT_MS));
    ck_assert_int_gt(n, 0);
    for (int k = 0; k < n; k++) {
      int i = (int)((uint64_t *)ready[k] - next);
      ck_assert(i >= 0 && i < CHANS);
      size_t len;
      int rc;
      while ((rc = mc_chan_recv(rx[i], buf, sizeof buf, &len, 0)) == MC_OK) {
        TH_REQUIRE(ms_check(0, next[i], 0, 512, buf, len, scratch), "channel %d message %llu", i,
                   (unsigned long long)next[i]);
        next[i]++;
      }
      if (rc == MC_ECLOSED) {
        ck_assert_uint_eq(next[i], each);
        TH_OK(mc_waitset_remove(ws, &next[i]));
        open--;
      } else {
        TH_EXPECT(rc, MC_ETIMEDOUT);
      }
    }
  }
  for (int i = 0; i < CHANS; i++) {
    ck_assert_int_eq(th_wait(p[i], WAIT_MS), 0);
    mc_chan_close(rx[i]);
  }
  mc_waitset_free(ws);
}
END_TEST

/* set_event NAME READY GO: opens the event, arrives at the gate, sets it. */
static int helper_set_event(int argc, char **argv) {
  if (argc < 3) return 2;
  mc_event *ev;
  HELPER_OK(mc_event_open(argv[0], 0, 0, &ev));
  HELPER_OK(th_gate_arrive(argv[1], argv[2], WAIT_MS));
  HELPER_OK(mc_event_set(ev));
  mc_event_close(ev);
  return 0;
}

/* An event set in another process wakes the waitset; an auto-reset one is taken by it. A
   sender's death is reported like a message. */
START_TEST(waitset_events_and_deaths) {
  char ev_name[64], name[64];
  mc_event *ev;
  mc_waitset *ws;
  th_gate g;
  th_gate_open(&g, "wse");
  th_name(ev_name, sizeof ev_name, "wsev");
  TH_OK(mc_event_open(ev_name, 0, 0, &ev));
  mc_chan *rx = create_chan("wsd", MC_CHAN_RING, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  TH_OK(mc_waitset_create(&ws));
  TH_OK(mc_waitset_add_event(ws, ev, ev));
  TH_OK(mc_waitset_add_chan(ws, rx, rx));
  void *ready[2];
  int n;
  TH_EXPECT(recv_now(rx), MC_ETIMEDOUT);
  mc_proc *setter = th_spawn("set_event", ev_name, g.ready_name, g.go_name, NULL);
  mc_proc *sender = th_spawn("gate_peer", name, "send", "0", "hold", g.ready_name, g.go_name, NULL);
  th_gate_wait(&g, 2, WAIT_MS);
  TH_EXPECT(mc_waitset_wait(ws, ready, 2, &n, QUIET_MS), MC_ETIMEDOUT);
  th_gate_release(&g);
  TH_OK(mc_waitset_wait(ws, ready, 2, &n, WAIT_MS));
  ck_assert_int_eq(n, 1);
  ck_assert_ptr_eq(ready[0], ev);
  TH_EXPECT(mc_event_wait(ev, 0), MC_ETIMEDOUT); /* taken by the waitset */
  ck_assert_int_eq(th_wait(setter, WAIT_MS), 0);
  th_kill(sender);
  TH_OK(mc_waitset_wait(ws, ready, 2, &n, WAIT_MS));
  ck_assert_int_eq(n, 1);
  ck_assert_ptr_eq(ready[0], rx);
  TH_EXPECT(recv_now(rx), MC_EPEERDEAD);
  mc_waitset_free(ws);
  mc_chan_close(rx);
  mc_event_close(ev);
  th_gate_close(&g);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan_oswait");
  TCase *tc = th_tcase(s, "oswait", 300);
  tcase_add_test(tc, os_handle_arguments);
  tcase_add_test(tc, ready_on_a_message);
  tcase_add_test(tc, ready_on_room);
  tcase_add_test(tc, ready_on_the_end_of_the_stream);
  tcase_add_test(tc, ready_on_an_abort);
  tcase_add_test(tc, ready_on_a_peer_death);
  tcase_add_test(tc, one_os_wait_over_several_channels);
  tcase_add_test(tc, a_taken_lock_leaves_the_handle_ready);
  tcase_add_test(tc, fan_out_handles);
  tcase_add_test(tc, no_lost_wakeup_in_a_million);
  tcase_add_test(tc, a_handle_costs_nothing_while_busy);
  tcase_add_test(tc, waitset_arguments);
  tcase_add_test(tc, waitset_times_out_on_time);
  tcase_add_test(tc, waitset_over_eight_channels);
  tcase_add_test(tc, waitset_events_and_deaths);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS,
                                    {"gate_peer", helper_gate_peer},
                                    {"burst_send", helper_burst_send},
                                    {"set_event", helper_set_event},
                                    {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
