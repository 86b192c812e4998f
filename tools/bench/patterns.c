/* The three one-receiver patterns, written once for every transport (the fan-out ones are
 * in fanout.c, on the helpers here).
 *
 * Messages carry an 8-byte header: a sequence number (ping-pong, stream) or the send time
 * from the monotonic clock (stress). The fair rule, the same for every transport:
 * - a sender produces each message by one copy of its size from a source buffer (inside
 *   the send call for copying APIs; into the reserved space for zero-copy);
 * - a receiver consumes it where the API hands it over (its own buffer after a copying
 *   receive, in place after a zero-copy one) by reading a word of every 64-byte line
 *   (mb_touch), and checks the header. Floors carry no payload and skip both. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#include "sys.h"

static volatile uint64_t sink; /* what the receivers read, so reading cannot be elided */

unsigned char *mb_source(size_t size) {
  size_t n = size < 8 ? 8 : size;
  unsigned char *src = malloc(n);
  if (src)
    for (size_t i = 0; i < n; i++) src[i] = (unsigned char)(i * 131u + 7u);
  return src;
}

int mb_send_stamped(const mb_case *c, mb_ep *ep, unsigned char *src, uint64_t stamp) {
  if (c->tr->floor && !c->tr->carries) return c->tr->send(ep, NULL, 0);
  memcpy(src, &stamp, 8);
  return c->tr->send(ep, src, c->size);
}

/* Receives one message and consumes it; *stamp gets its header. */
int mb_recv_consume(const mb_case *c, mb_ep *ep, uint64_t *stamp) {
  const unsigned char *m;
  size_t len;
  if (c->tr->recv(ep, &m, &len) != 0) return -1;
  if (!c->tr->floor || c->tr->carries) {
    if (len != c->size) return mb_fail("received %zu bytes, expected %zu", len, c->size);
    memcpy(stamp, m, 8);
    sink ^= mb_touch(m, len);
  }
  return c->tr->done ? c->tr->done(ep) : 0;
}

static int pingpong(const mb_case *c, mb_ep *ep, mb_hist *h, unsigned char *src, mb_result *r) {
  uint64_t start = 0;
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    uint64_t t0 = mb_now_ns(), echo = i;
    if (i == c->warmup) start = t0;
    if (mb_send_stamped(c, ep, src, i) != 0 || mb_recv_consume(c, ep, &echo) != 0) return -1;
    uint64_t t1 = mb_now_ns();
    if (echo != i)
      return mb_fail("round trip %llu came back as %llu", (unsigned long long)i,
                     (unsigned long long)echo);
    if (i >= c->warmup) mb_hist_add(h, t1 - t0);
  }
  r->elapsed_ns = mb_now_ns() - start;
  r->messages = c->count;
  return 0;
}

/* Receives until the sender's end marker. The warm-up lasts c->warmup messages or a quarter
   of the time budget, whichever ends first; then it measures until the count is reached or
   the budget is spent, raises ctl->stop and drains, without counting, what the sender had
   in flight. */
static int stream(const mb_case *c, mb_ep *ep, mb_ctl *ctl, mb_result *r) {
  uint64_t start = mb_now_ns(), t0 = 0, t1 = 0, seq, counted = 0;
  int measuring = 0;
  for (uint64_t i = 0;; i++) {
    if (mb_recv_consume(c, ep, &seq) != 0) return -1;
    if (seq == MB_END_OF_STREAM) break;
    if (seq != i)
      return mb_fail("message %llu arrived as %llu", (unsigned long long)i,
                     (unsigned long long)seq);
    if (t1) continue; /* draining */
    /* The clock is read every 16 messages: often enough, and cheap beside a message. */
    uint64_t now = (i & 15) == 0 ? mb_now_ns() : 0;
    if (!measuring) {
      if (i + 1 >= c->warmup || (c->budget_ns && now && now - start >= c->budget_ns / 4)) {
        measuring = 1; /* the pipeline is full by now */
        t0 = mb_now_ns();
      }
      continue;
    }
    counted++;
    if (counted == c->count || (c->budget_ns && now && now - t0 >= c->budget_ns)) {
      t1 = mb_now_ns();
      atomic_store_explicit(&ctl->stop, 1, memory_order_relaxed);
    }
  }
  if (!t1)
    return mb_fail("the stream ended after %llu of %llu messages", (unsigned long long)counted,
                   (unsigned long long)c->count);
  r->elapsed_ns = t1 - t0;
  r->messages = counted;
  return 0;
}

static int stress(const mb_case *c, mb_ep *ep, mb_hist *h, mb_result *r) {
  uint64_t n = (uint64_t)c->senders * (c->warmup + c->count);
  uint64_t skip = (uint64_t)c->senders * c->warmup, t0 = 0, sent;
  for (uint64_t i = 0; i < n; i++) {
    if (i == skip) t0 = mb_now_ns();
    if (mb_recv_consume(c, ep, &sent) != 0) return -1;
    uint64_t now = mb_now_ns();
    /* Same machine, same monotonic clock: the difference is the handoff time. */
    if (i >= skip) mb_hist_add(h, now > sent ? now - sent : 0);
  }
  r->elapsed_ns = mb_now_ns() - t0;
  r->messages = n - skip;
  return 0;
}

int mb_pattern_parent(const mb_case *c, mb_ep *ep, mb_ctl *ctl, mb_result *r) {
  if (MB_IS_FAN(c->pattern)) return mb_fan_send(c, ep, ctl); /* the receivers measure */
  mb_hist *h = malloc(sizeof *h);
  unsigned char *src = mb_source(c->size);
  int rc = -1;
  if (!h || !src) {
    rc = mb_fail("out of memory");
    goto out;
  }
  mb_hist_init(h);
  switch (c->pattern) {
  case MB_PINGPONG:
    rc = pingpong(c, ep, h, src, r);
    break;
  case MB_STREAM:
    rc = stream(c, ep, ctl, r);
    break;
  default:
    rc = stress(c, ep, h, r);
    break;
  }
  mb_hist_summary(h, &r->lat);
  r->msgs_per_s = mb_rate_per_s(r->messages, r->elapsed_ns);
  r->gbytes_per_s =
      c->tr->floor && !c->tr->carries ? 0.0 : mb_gbytes_per_s(r->messages, c->size, r->elapsed_ns);
out:
  free(h);
  free(src);
  return rc;
}

/* Stream sender: until the count, or until the receiver has measured enough; then the end
   marker. */
static int stream_send(const mb_case *c, mb_ep *ep, mb_ctl *ctl, unsigned char *src) {
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    /* A relaxed load of a line nobody writes until the end: no cost to the stream. */
    if (atomic_load_explicit(&ctl->stop, memory_order_relaxed)) break;
    if (mb_send_stamped(c, ep, src, i) != 0) return -1;
  }
  return mb_send_stamped(c, ep, src, MB_END_OF_STREAM);
}

/* Ping-pong echo: consume each message, then send it back from where it was received. */
static int echo(const mb_case *c, mb_ep *ep) {
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    const unsigned char *m;
    size_t len;
    if (c->tr->recv(ep, &m, &len) != 0) return -1;
    if (!c->tr->floor || c->tr->carries) sink ^= mb_touch(m, len);
    if (c->tr->send(ep, m, len) != 0) return -1;
    if (c->tr->done && c->tr->done(ep) != 0) return -1;
  }
  return 0;
}

/* Stress sender: each message stamped with the time it is sent. */
static int stress_send(const mb_case *c, mb_ep *ep, unsigned char *src) {
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    if (c->gap_us > 0) mb_sleep_us(c->gap_us);
    if (mb_send_stamped(c, ep, src, mb_now_ns()) != 0) return -1;
  }
  return 0;
}

int mb_pattern_peer(const mb_case *c, mb_ep *ep, mb_ctl *ctl, int index) {
  if (MB_IS_FAN(c->pattern)) return mb_fan_recv(c, ep, ctl, index);
  unsigned char *src = mb_source(c->size);
  if (!src) return mb_fail("out of memory");
  int rc = c->pattern == MB_PINGPONG ? echo(c, ep)
           : c->pattern == MB_STREAM ? stream_send(c, ep, ctl, src)
                                     : stress_send(c, ep, src);
  free(src);
  return rc;
}
