/* Baseline: Boost.Interprocess message_queue (boost_mq.cpp), the shared-memory queue C++
 * programs reach for: a fixed array of fixed-size slots under an interprocess mutex and two
 * condition variables, in a named shared memory object. The parent receives on "up" (every
 * sender of the stress pattern shares it) and, for ping-pong, answers on "dn". send copies
 * in, receive copies out. The queue holds as many bytes as memchan's ring in the same case
 * (1 MiB, at least 4 messages). Built only when a C++ compiler and boost/interprocess are
 * found; POSIX only. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boost_mq.h"

struct mb_ep {
  mb_bq *tx, *rx;
  char up[64], dn[64]; /* parent: the queues to remove */
  unsigned char *buf;
  size_t cap;
};

static size_t slots_for(size_t size) {
  size_t n = (1u << 20) / (size ? size : 1);
  return n < 4 ? 4 : n > 16384 ? 16384 : n;
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->tx) mb_bq_close(ep->tx);
  if (ep->rx) mb_bq_close(ep->rx);
  if (ep->up[0]) mb_bq_remove(ep->up);
  if (ep->dn[0]) mb_bq_remove(ep->dn);
  free(ep->buf);
  free(ep);
}

static mb_ep *new_ep(size_t size) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->cap = size < 8 ? 8 : size;
  if (!(ep->buf = malloc(ep->cap))) {
    free(ep);
    return NULL;
  }
  return ep;
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  static unsigned counter;
  char why[256] = "";
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  snprintf(ep->up, sizeof ep->up, "mcb%ldx%u-up", (long)getpid(), ++counter);
  size_t max = c->size < 8 ? 8 : c->size;
  ep->rx = mb_bq_create(ep->up, slots_for(c->size), max, why, sizeof why);
  if (ep->rx && c->pattern == MB_PINGPONG) {
    snprintf(ep->dn, sizeof ep->dn, "mcb%ldx%u-dn", (long)getpid(), counter);
    ep->tx = mb_bq_create(ep->dn, slots_for(c->size), max, why, sizeof why);
  }
  if (!ep->rx || (c->pattern == MB_PINGPONG && !ep->tx)) {
    close_ep(ep);
    return mb_fail("%s", why);
  }
  snprintf(arg, cap, "%s %s", ep->up, ep->dn[0] ? ep->dn : "-");
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  char up[64], dn[64], why[256] = "";
  if (sscanf(arg, "%63s %63s", up, dn) != 2) return mb_fail("bad boost argument '%s'", arg);
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  ep->tx = mb_bq_open(up, why, sizeof why);
  if (ep->tx && strcmp(dn, "-") != 0) ep->rx = mb_bq_open(dn, why, sizeof why);
  if (!ep->tx || (strcmp(dn, "-") != 0 && !ep->rx)) {
    close_ep(ep);
    return mb_fail("%s", why);
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  char why[256];
  return mb_bq_send(ep->tx, src, len, why, sizeof why) == 0 ? 0 : mb_fail("%s", why);
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  char why[256];
  if (mb_bq_recv(ep->rx, ep->buf, ep->cap, len, why, sizeof why) != 0) return mb_fail("%s", why);
  *msg = ep->buf;
  return 0;
}

const mb_transport mb_tr_boost = {
    .name = "boost",
    .about = "Boost.Interprocess message_queue (mutex + condition variables, copies)",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .create = create,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
