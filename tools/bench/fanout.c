/* The fan-out patterns: one sender (the parent), c->receivers receivers (the peers).
 *
 * fanout: a stream every receiver gets (a broadcast ring; the plain ring with its one
 *   receiver for comparison). Each receiver checks the sequence numbers: consecutive, or on
 *   a drop-oldest ring with gaps, which must add up to its stats.dropped.
 * share: the receivers share the stream (MULTI_RECV; the plain ring with one receiver for
 *   comparison) and after each message do c->work_ns of CPU work: a calibrated loop, not a
 *   wait on the clock, so that a receiver preempted half-way does not get its work done
 *   for it. The measured messages must reach the receivers exactly once: their count and
 *   the sum of their sequence numbers are checked.
 *
 * The sender warms up for c->warmup messages or a quarter of the time budget, publishes
 * the first measured sequence number (ctl->measure_from), sends until the count or the
 * budget is reached, then end markers: one for fanout (every receiver gets it), one per
 * receiver for share. The rates are the receivers' (the sender runs up to a ring ahead):
 * each receiver times its measured messages, from the first to its end marker, and leaves
 * its figures in ctl->rx for mb_fan_collect. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#include "sys.h"

static volatile uint64_t sink;                              /* keeps the work alive */
static volatile uint64_t multiplier = 6364136223846793005u; /* unknown to the compiler */

/* n steps of a dependent multiply-add chain: CPU work the compiler cannot shorten. */
static uint64_t work(uint64_t n) {
  uint64_t x = n, a = multiplier;
  for (uint64_t i = 0; i < n; i++) x = x * a + 1442695040888963407u;
  return x;
}

/* Steps of work() that take ns nanoseconds on this CPU: the fastest of many short timed
   trials (a trial that was preempted, or slowed by a busy host, is slower, never faster).
   Measured once per process and work, by the sender, which hands the figure to every
   receiver of every case: the one-receiver ring and the shared ring it is compared with
   then do exactly the same work per message. */
static uint64_t work_steps(int ns) {
  static int known_ns = -1;
  static uint64_t known;
  if (ns == known_ns) return known;
  const uint64_t n = 1u << 12;
  uint64_t best = UINT64_MAX;
  for (int k = 0; k < 200; k++) {
    uint64_t t0 = mb_now_ns();
    sink ^= work(n);
    uint64_t dt = mb_now_ns() - t0;
    if (dt < best) best = dt;
  }
  uint64_t steps = best ? n * (uint64_t)ns / best : n;
  known_ns = ns;
  known = steps ? steps : 1;
  return known;
}

int mb_fan_send(const mb_case *c, mb_ep *ep, mb_ctl *ctl) {
  unsigned char *src = mb_source(c->size);
  if (!src) return mb_fail("out of memory");
  /* Relaxed, as measure_from below: the receivers read it after the first message. */
  if (c->pattern == MB_SHARE && c->work_ns > 0)
    atomic_store_explicit(&ctl->work_steps, work_steps(c->work_ns), memory_order_relaxed);
  uint64_t start = mb_now_ns(), cpu = mb_cpu_ns(), t0 = 0, from = 0, i;
  int rc = 0;
  for (i = 0; rc == 0; i++) {
    /* The clock is read every 16 messages, as in the one-receiver stream. */
    uint64_t now = (i & 15) == 0 ? mb_now_ns() : 0;
    if (!from && (i >= c->warmup || (c->budget_ns && now && now - start >= c->budget_ns / 4))) {
      from = i + 1;
      t0 = mb_now_ns();
      /* Relaxed: the ring's commit of message i (a release) follows this store, and a
         receiver reads it only after its acquire of that message. */
      atomic_store_explicit(&ctl->measure_from, from, memory_order_relaxed);
    } else if (from &&
               (i - (from - 1) >= c->count || (c->budget_ns && now && now - t0 >= c->budget_ns))) {
      break;
    }
    rc = mb_send_stamped(c, ep, src, i);
  }
  ctl->sent = rc == 0 ? i : 0;
  int markers = c->pattern == MB_SHARE ? c->receivers : 1;
  for (int k = 0; k < markers && rc == 0; k++) rc = mb_send_stamped(c, ep, src, MB_END_OF_STREAM);
  ctl->sender_cpu_ns = mb_cpu_ns() - cpu;
  ctl->sender_wall_ns = mb_now_ns() - start;
  free(src);
  return rc;
}

/* Whether message seq may follow next - 1 here, counting a broadcast receiver's gaps. */
static int in_order(const mb_case *c, uint64_t seq, uint64_t next, mb_rx_result *x) {
  if (seq == next) return 0;
  if (c->pattern == MB_SHARE && seq > next) return 0; /* the others took those */
  if (seq > next && c->tr->dropped) {
    x->gaps += seq - next;
    return 0;
  }
  return mb_fail("message %llu arrived after %llu", (unsigned long long)seq,
                 (unsigned long long)next - 1);
}

int mb_fan_recv(const mb_case *c, mb_ep *ep, mb_ctl *ctl, int index) {
  if (index < 0 || index >= MB_MAX_RECEIVERS) return mb_fail("receiver %d of at most 16", index);
  mb_rx_result x;
  memset(&x, 0, sizeof x);
  uint64_t steps = 0, start = mb_now_ns(), cpu = mb_cpu_ns(), next = 0, from = 0, seq;
  for (;;) {
    if (mb_recv_consume(c, ep, &seq) != 0) return -1;
    if (seq == MB_END_OF_STREAM) break;
    if (in_order(c, seq, next, &x) != 0) return -1;
    next = seq + 1;
    if (!x.received++) steps = atomic_load_explicit(&ctl->work_steps, memory_order_relaxed);
    if (steps) sink ^= work(steps);
    /* Relaxed: see mb_fan_send. Read until it is known, then never again. */
    if (!from) from = atomic_load_explicit(&ctl->measure_from, memory_order_relaxed);
    if (!from || seq + 1 < from) continue;
    if (!x.measured++) x.first_ns = mb_now_ns();
    x.seq_sum += seq;
  }
  x.last_ns = mb_now_ns();
  x.cpu_ns = mb_cpu_ns() - cpu;
  x.wall_ns = x.last_ns - start;
  x.dropped = c->tr->dropped ? c->tr->dropped(ep) : 0;
  ctl->rx[index] = x; /* read by the parent after this process has exited */
  return 0;
}

static double percent(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* fanout: every receiver got every message or skipped it, its skips are what the channel
   says it dropped; the figures are the slowest receiver's. */
static int collect_fanout(const mb_case *c, const mb_ctl *ctl, mb_result *r, double *cpu) {
  double slowest = 0, fastest = 0;
  for (int i = 0; i < c->receivers; i++) {
    const mb_rx_result *x = &ctl->rx[i];
    if (x->received + x->gaps != ctl->sent)
      return mb_fail("receiver %d: %llu received + %llu skipped of %llu sent", i,
                     (unsigned long long)x->received, (unsigned long long)x->gaps,
                     (unsigned long long)ctl->sent);
    if (x->gaps != x->dropped)
      return mb_fail("receiver %d skipped %llu messages; its stats say %llu dropped", i,
                     (unsigned long long)x->gaps, (unsigned long long)x->dropped);
    double rate = mb_rate_per_s(x->measured, x->last_ns - x->first_ns);
    if (i == 0 || rate < slowest) {
      slowest = rate;
      r->messages = x->measured;
      r->elapsed_ns = x->last_ns - x->first_ns;
    }
    if (rate > fastest) fastest = rate;
    r->dropped += x->gaps;
    *cpu += percent(x->cpu_ns, x->wall_ns);
  }
  r->msgs_per_s = slowest;
  snprintf(r->note, sizeof r->note, "per receiver %.2f..%.2f M msg/s; dropped %.1f%%",
           slowest / 1e6, fastest / 1e6, percent(r->dropped, (uint64_t)c->receivers * ctl->sent));
  return 0;
}

/* share: the measured messages reached the receivers exactly once; the rate is theirs
   together, from the first measured message one handled to the last end marker. */
static int collect_share(const mb_case *c, const mb_ctl *ctl, uint64_t from, mb_result *r,
                         double *cpu) {
  uint64_t received = 0, sum = 0, first = UINT64_MAX, last = 0, want = ctl->sent - from;
  char split[120] = "";
  for (int i = 0; i < c->receivers; i++) {
    const mb_rx_result *x = &ctl->rx[i];
    received += x->received;
    r->messages += x->measured;
    sum += x->seq_sum;
    if (x->measured && x->first_ns < first) first = x->first_ns;
    if (x->last_ns > last) last = x->last_ns;
    *cpu += percent(x->cpu_ns, x->wall_ns);
    size_t n = strlen(split);
    snprintf(split + n, sizeof split - n, "%s%.0f%%", i ? "/" : "", percent(x->measured, want));
  }
  /* The sum of from .. sent-1: checks that none came twice in place of another. */
  uint64_t want_sum = (from + ctl->sent - 1) * want / 2;
  if (received != ctl->sent || r->messages != want || sum != want_sum)
    return mb_fail("%llu of %llu messages received (%llu of %llu measured, sequence sum %llu, "
                   "expected %llu)",
                   (unsigned long long)received, (unsigned long long)ctl->sent,
                   (unsigned long long)r->messages, (unsigned long long)want,
                   (unsigned long long)sum, (unsigned long long)want_sum);
  r->elapsed_ns = last > first ? last - first : 0;
  r->msgs_per_s = mb_rate_per_s(r->messages, r->elapsed_ns);
  snprintf(r->note, sizeof r->note, "split %s", split);
  return 0;
}

int mb_fan_collect(const mb_case *c, const mb_ctl *ctl, mb_result *r) {
  /* The receivers have exited: their writes and the sender's are all visible. */
  uint64_t from = atomic_load_explicit(&ctl->measure_from, memory_order_relaxed);
  if (from == 0 || ctl->sent < from) return mb_fail("the sender never got past its warm-up");
  double cpu = 0;
  int rc = c->pattern == MB_SHARE ? collect_share(c, ctl, from - 1, r, &cpu)
                                  : collect_fanout(c, ctl, r, &cpu);
  if (rc != 0) return rc;
  r->gbytes_per_s = mb_gbytes_per_s(r->messages, c->size, r->elapsed_ns);
  size_t n = strlen(r->note);
  snprintf(r->note + n, sizeof r->note - n, "; cpu sender %.0f%%, receivers %.0f%% each",
           percent(ctl->sender_cpu_ns, ctl->sender_wall_ns), cpu / c->receivers);
  if (c->pattern == MB_SHARE) {
    n = strlen(r->note);
    snprintf(r->note + n, sizeof r->note - n, "; work %llu steps",
             (unsigned long long)atomic_load_explicit(&ctl->work_steps, memory_order_relaxed));
  }
  return 0;
}
