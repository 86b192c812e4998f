/* Baseline: nng over ipc://, push0/pull0: the parent listens with a pull socket for its
 * peers' messages (several pushers in the stress pattern) and, for ping-pong, with a push
 * socket for its replies. nng_send/nng_recv copy, as memchan's copy path does. Built only
 * when nng is found at configure time. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include "ipcpath.h"

struct mb_ep {
  nng_socket tx, rx;
  int has_tx, has_rx;
  char up[128], dn[128]; /* parent: socket files to remove */
  unsigned char *buf;
  size_t cap;
};

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->has_tx) nng_close(ep->tx);
  if (ep->has_rx) nng_close(ep->rx);
  if (ep->up[0]) unlink(ep->up + 6);
  if (ep->dn[0]) unlink(ep->dn + 6);
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

/* Opens a push (tx) or pull socket and listens or dials; nng's own error code or 0. */
static int sock(nng_socket *s, int *has, int push, const char *url, int listen, size_t size) {
  int rv = push ? nng_push0_open(s) : nng_pull0_open(s);
  if (rv != 0) return rv;
  *has = 1;
  /* nng refuses messages over 1 MiB by default: allow the largest size we send. */
  nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, size + 1024);
  /* A peer that died must end the case, not the run: give up after a minute. */
  nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 60000);
  nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, 60000);
  return listen ? nng_listen(*s, url, NULL, 0) : nng_dial(*s, url, NULL, 0);
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  mb_ipc_url(ep->up, sizeof ep->up, "nng", "up");
  int rv = sock(&ep->rx, &ep->has_rx, 0, ep->up, 1, c->size);
  if (rv == 0 && c->pattern == MB_PINGPONG) {
    mb_ipc_url(ep->dn, sizeof ep->dn, "nng", "dn");
    rv = sock(&ep->tx, &ep->has_tx, 1, ep->dn, 1, c->size);
  }
  if (rv != 0) {
    close_ep(ep);
    return mb_fail("nng: %s", nng_strerror(rv));
  }
  snprintf(arg, cap, "%s %s", ep->up, ep->dn[0] ? ep->dn : "-");
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  char up[128], dn[128];
  if (sscanf(arg, "%127s %127s", up, dn) != 2) return mb_fail("bad nng argument '%s'", arg);
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  int rv = sock(&ep->tx, &ep->has_tx, 1, up, 0, c->size);
  if (rv == 0 && strcmp(dn, "-") != 0) rv = sock(&ep->rx, &ep->has_rx, 0, dn, 0, c->size);
  if (rv != 0) {
    close_ep(ep);
    return mb_fail("nng: %s", nng_strerror(rv));
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  int rv = nng_send(ep->tx, (void *)src, len, 0);
  return rv == 0 ? 0 : mb_fail("nng_send: %s", nng_strerror(rv));
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  size_t n = ep->cap;
  int rv = nng_recv(ep->rx, ep->buf, &n, 0);
  if (rv != 0) return mb_fail("nng_recv: %s", nng_strerror(rv));
  *msg = ep->buf;
  *len = n;
  return 0;
}

const mb_transport mb_tr_nng = {
    .name = "nng",
    .about = "nng push0/pull0 over ipc://",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .create = create,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
