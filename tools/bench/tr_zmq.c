/* Baseline: ZeroMQ over ipc:// (a Unix socket), PUSH/PULL: the parent binds a PULL socket
 * for its peers' messages (several PUSH senders in the stress pattern) and, for ping-pong,
 * a PUSH socket for its replies. zmq_send/zmq_recv copy, as the copy path of memchan does.
 * Built only when pkg-config finds libzmq. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ipcpath.h"
#include "sys.h"

struct mb_ep {
  void *ctx, *tx, *rx;
  char up[128], dn[128]; /* parent: socket files to remove */
  unsigned char *buf;
  size_t cap;
};

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->tx) zmq_close(ep->tx);
  if (ep->rx) zmq_close(ep->rx);
  if (ep->ctx) zmq_ctx_term(ep->ctx);
  if (ep->up[0]) unlink(ep->up + 6);
  if (ep->dn[0]) unlink(ep->dn + 6);
  free(ep->buf);
  free(ep);
}

static mb_ep *new_ep(size_t size) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->cap = size < 8 ? 8 : size;
  ep->ctx = zmq_ctx_new();
  if (!ep->ctx || !(ep->buf = malloc(ep->cap))) {
    close_ep(ep);
    return NULL;
  }
  return ep;
}

static void *sock(mb_ep *ep, int type, const char *url, int bind) {
  void *s = zmq_socket(ep->ctx, type);
  if (!s) return NULL;
  /* A peer that died must end the case, not the run: give up after a minute. */
  int ms = 60000;
  zmq_setsockopt(s, ZMQ_RCVTIMEO, &ms, sizeof ms);
  zmq_setsockopt(s, ZMQ_SNDTIMEO, &ms, sizeof ms);
  if ((bind ? zmq_bind(s, url) : zmq_connect(s, url)) != 0) {
    zmq_close(s);
    return NULL;
  }
  return s;
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("zmq: cannot make a context");
  mb_ipc_url(ep->up, sizeof ep->up, "zmq", "up");
  if (!(ep->rx = sock(ep, ZMQ_PULL, ep->up, 1))) goto fail;
  if (c->pattern == MB_PINGPONG) {
    mb_ipc_url(ep->dn, sizeof ep->dn, "zmq", "dn");
    if (!(ep->tx = sock(ep, ZMQ_PUSH, ep->dn, 1))) goto fail;
  }
  snprintf(arg, cap, "%s %s", ep->up, ep->dn[0] ? ep->dn : "-");
  *out = ep;
  return 0;
fail:
  mb_fail("zmq: %s", zmq_strerror(zmq_errno()));
  close_ep(ep);
  return -1;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  char up[128], dn[128];
  if (sscanf(arg, "%127s %127s", up, dn) != 2) return mb_fail("bad zmq argument '%s'", arg);
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("zmq: cannot make a context");
  if (!(ep->tx = sock(ep, ZMQ_PUSH, up, 0)) ||
      (strcmp(dn, "-") != 0 && !(ep->rx = sock(ep, ZMQ_PULL, dn, 0)))) {
    mb_fail("zmq: %s", zmq_strerror(zmq_errno()));
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  while (zmq_send(ep->tx, src, len, 0) < 0) {
    if (zmq_errno() != EINTR || mb_watchdog_fired())
      return mb_fail("zmq_send: %s", zmq_strerror(zmq_errno()));
  }
  return 0;
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  int n;
  while ((n = zmq_recv(ep->rx, ep->buf, ep->cap, 0)) < 0) {
    if (zmq_errno() != EINTR || mb_watchdog_fired())
      return mb_fail("zmq_recv: %s", zmq_strerror(zmq_errno()));
  }
  if ((size_t)n > ep->cap) return mb_fail("zmq_recv: message of %d bytes truncated", n);
  *msg = ep->buf;
  *len = (size_t)n;
  return 0;
}

const mb_transport mb_tr_zmq = {
    .name = "zmq",
    .about = "ZeroMQ PUSH/PULL over ipc://",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .create = create,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
