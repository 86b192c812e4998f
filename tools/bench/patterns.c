/* The three patterns, written once for every transport.
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

static unsigned char *source(size_t size) {
  size_t n = size < 8 ? 8 : size;
  unsigned char *src = malloc(n);
  if (src)
    for (size_t i = 0; i < n; i++) src[i] = (unsigned char)(i * 131u + 7u);
  return src;
}

static int send_stamped(const mb_case *c, mb_ep *ep, unsigned char *src, uint64_t stamp) {
  if (c->tr->floor) return c->tr->send(ep, NULL, 0);
  memcpy(src, &stamp, 8);
  return c->tr->send(ep, src, c->size);
}

/* Receives one message and consumes it; *stamp gets its header. */
static int recv_consume(const mb_case *c, mb_ep *ep, uint64_t *stamp) {
  const unsigned char *m;
  size_t len;
  if (c->tr->recv(ep, &m, &len) != 0) return -1;
  if (!c->tr->floor) {
    if (len != c->size) return mb_fail("received %zu bytes, expected %zu", len, c->size);
    memcpy(stamp, m, 8);
    sink ^= mb_touch(m, len);
  }
  return c->tr->done ? c->tr->done(ep) : 0;
}

static int pingpong(const mb_case *c, mb_ep *ep, mb_hist *h, unsigned char *src,
                    mb_result *r) {
  uint64_t start = 0;
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    uint64_t t0 = mb_now_ns(), echo = i;
    if (i == c->warmup) start = t0;
    if (send_stamped(c, ep, src, i) != 0 || recv_consume(c, ep, &echo) != 0) return -1;
    uint64_t t1 = mb_now_ns();
    if (echo != i) return mb_fail("round trip %llu came back as %llu", (unsigned long long)i,
                                  (unsigned long long)echo);
    if (i >= c->warmup) mb_hist_add(h, t1 - t0);
  }
  r->elapsed_ns = mb_now_ns() - start;
  r->messages = c->count;
  return 0;
}

static int stream(const mb_case *c, mb_ep *ep, mb_result *r) {
  uint64_t t0 = 0, seq;
  for (uint64_t i = 0; i < c->warmup + c->count; i++) {
    if (i == c->warmup) t0 = mb_now_ns(); /* the pipeline is full by now */
    if (recv_consume(c, ep, &seq) != 0) return -1;
    if (seq != i) return mb_fail("message %llu arrived as %llu", (unsigned long long)i,
                                 (unsigned long long)seq);
  }
  r->elapsed_ns = mb_now_ns() - t0;
  r->messages = c->count;
  return 0;
}

static int stress(const mb_case *c, mb_ep *ep, mb_hist *h, mb_result *r) {
  uint64_t n = (uint64_t)c->senders * (c->warmup + c->count);
  uint64_t skip = (uint64_t)c->senders * c->warmup, t0 = 0, sent;
  for (uint64_t i = 0; i < n; i++) {
    if (i == skip) t0 = mb_now_ns();
    if (recv_consume(c, ep, &sent) != 0) return -1;
    uint64_t now = mb_now_ns();
    /* Same machine, same monotonic clock: the difference is the handoff time. */
    if (i >= skip) mb_hist_add(h, now > sent ? now - sent : 0);
  }
  r->elapsed_ns = mb_now_ns() - t0;
  r->messages = n - skip;
  return 0;
}

int mb_pattern_parent(const mb_case *c, mb_ep *ep, mb_result *r) {
  mb_hist *h = malloc(sizeof *h);
  unsigned char *src = source(c->size);
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
  case MB_STREAM: rc = stream(c, ep, r); break;
  default: rc = stress(c, ep, h, r); break;
  }
  mb_hist_summary(h, &r->lat);
  r->msgs_per_s = mb_rate_per_s(r->messages, r->elapsed_ns);
  r->gbytes_per_s = c->tr->floor ? 0.0 : mb_gbytes_per_s(r->messages, c->size, r->elapsed_ns);
out:
  free(h);
  free(src);
  return rc;
}

int mb_pattern_peer(const mb_case *c, mb_ep *ep, int index) {
  (void)index;
  unsigned char *src = source(c->size);
  if (!src) return mb_fail("out of memory");
  int rc = 0;
  uint64_t n = c->warmup + c->count;
  for (uint64_t i = 0; i < n && rc == 0; i++) {
    switch (c->pattern) {
    case MB_PINGPONG: {
      /* Echo: consume the message, then send it back from where it was received. */
      const unsigned char *m;
      size_t len;
      rc = c->tr->recv(ep, &m, &len);
      if (rc == 0 && !c->tr->floor) sink ^= mb_touch(m, len);
      if (rc == 0) rc = c->tr->send(ep, m, len);
      if (rc == 0 && c->tr->done) rc = c->tr->done(ep);
      break;
    }
    case MB_STREAM: rc = send_stamped(c, ep, src, i); break;
    default:
      if (c->gap_us > 0) mb_sleep_us(c->gap_us);
      rc = send_stamped(c, ep, src, mb_now_ns());
      break;
    }
  }
  free(src);
  return rc;
}
