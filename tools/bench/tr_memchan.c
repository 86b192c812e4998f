/* memchan channels as a transport: ring or slot, and the ring's fan-out flavours (broadcast,
 * broadcast with drop-oldest, shared work), spin / block / hybrid waiting, copy (send/recv)
 * or zero-copy (reserve/commit, peek/consume). Public API only.
 *
 * Two more waiting modes compare waiting outside the library with waiting inside it, both
 * without spinning (spin_us -1, as block): poll receives with timeout 0 and, at
 * MC_ETIMEDOUT (which arms the end's OS handle), sleeps in poll(2) on that handle, as an
 * event loop would; timed makes each call with a timeout, again while it times out. A poll
 * mode sender sends as a timed one does (it waits for room inside the library), so the two
 * modes differ only in how the receiver waits.
 *
 * "up" carries peers' messages to the parent (several senders in the stress pattern:
 * MC_CHAN_MULTI_SEND); "dn" carries the parent's to its peers (ping-pong, and the fan-out
 * patterns, where every peer is a receiver). Each channel is created by the parent, which
 * owns its endpoint, and opened by the peers. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

#define TIMED_MS 1000 /* timed mode: each call's timeout */

struct mb_ep {
  mc_chan *tx, *rx;
  int zc, mode;
  mc_os_handle rx_handle; /* poll mode: the receiving end's OS handle */
  unsigned char *buf;     /* copy path: where recv delivers */
  size_t cap;
};

static int spin_for(int mode) {
  switch (mode) {
  case MB_MODE_SPIN:
    return 1000000; /* 1 s: busy polling for the whole wait */
  case MB_MODE_BLOCK:
  case MB_MODE_POLL:
  case MB_MODE_TIMED:
    return -1; /* sleep at once */
  default:
    return 0; /* the library's default (hybrid) */
  }
}

static const char *skip(const mb_case *c, char *why, size_t cap) {
  if (c->pattern == MB_STRESS && c->kind != MB_KIND_RING) {
    snprintf(why, cap, "stress runs on the multi-sender ring");
    return why;
  }
  if (MB_IS_FAN(c->pattern) && c->kind == MB_KIND_RING && c->receivers != 1) {
    snprintf(why, cap, "the plain ring has one receiver");
    return why;
  }
#ifdef _WIN32
  if (c->mode == MB_MODE_POLL) {
    snprintf(why, cap, "poll mode: poll(2) on the OS handle, POSIX only in this tool");
    return why;
  }
#endif
  return NULL;
}

/* The fan-out flags of a kind. */
static unsigned fan_flags(int kind) {
  switch (kind) {
  case MB_KIND_BCAST:
    return MC_CHAN_BROADCAST;
  case MB_KIND_BCAST_DROP:
    return MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST;
  case MB_KIND_SHARE:
    return MC_CHAN_MULTI_RECV;
  default:
    return 0;
  }
}

static int fail_rc(const char *what, int rc) {
  return mb_fail("%s: %s (%s)", what, mc_err_name(rc), mc_strerror(rc));
}

static mb_ep *new_ep(const mb_case *c) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->zc = c->path == MB_PATH_ZC;
  ep->mode = c->mode;
  ep->cap = c->size < 8 ? 8 : c->size;
  if (!ep->zc && !(ep->buf = malloc(ep->cap))) {
    free(ep);
    return NULL;
  }
  return ep;
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  mc_chan_close(ep->tx);
  mc_chan_close(ep->rx);
  free(ep->buf);
  free(ep);
}

/* Poll mode: the receiving end's handle, fetched once. */
static int get_handle(mb_ep *ep) {
  if (ep->mode != MB_MODE_POLL || !ep->rx) return MC_OK;
  return mc_chan_os_handle(ep->rx, &ep->rx_handle);
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mc_chan_options o;
  memset(&o, 0, sizeof o);
  o.kind = c->kind == MB_KIND_SLOT ? MC_CHAN_SLOT : MC_CHAN_RING;
  o.max_msg = (uint32_t)(c->size < 8 ? 8 : c->size);
  o.capacity = o.kind == MC_CHAN_RING ? mb_ring_bytes(c->size) : 0;
  o.spin_us = spin_for(c->mode);
  o.flags = (c->pattern == MB_STRESS ? MC_CHAN_MULTI_SEND : 0) | fan_flags(c->kind);
  mb_ep *ep = new_ep(c);
  if (!ep) return mb_fail("out of memory");
  int rc = MB_IS_FAN(c->pattern) ? MC_OK : mc_chan_create(NULL, &o, MC_CHAN_RECV, &ep->rx);
  if (rc != MC_OK) {
    close_ep(ep);
    return fail_rc("mc_chan_create (up)", rc);
  }
  if (c->pattern == MB_PINGPONG || MB_IS_FAN(c->pattern)) {
    o.flags = fan_flags(c->kind);
    rc = mc_chan_create(NULL, &o, MC_CHAN_SEND, &ep->tx);
    if (rc != MC_OK) {
      close_ep(ep);
      return fail_rc("mc_chan_create (down)", rc);
    }
  }
  if ((rc = get_handle(ep)) != MC_OK) {
    close_ep(ep);
    return fail_rc("mc_chan_os_handle", rc);
  }
  snprintf(arg, cap, "%s %s", ep->rx ? mc_chan_name(ep->rx) : "-",
           ep->tx ? mc_chan_name(ep->tx) : "-");
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  char up[MC_NAME_MAX + 1], dn[MC_NAME_MAX + 1];
  if (sscanf(arg, "%200s %200s", up, dn) != 2) return mb_fail("bad memchan argument '%s'", arg);
  mb_ep *ep = new_ep(c);
  if (!ep) return mb_fail("out of memory");
  int rc = strcmp(up, "-") != 0 ? mc_chan_open(up, MC_CHAN_SEND, 10000, &ep->tx) : MC_OK;
  if (rc == MC_OK && strcmp(dn, "-") != 0) rc = mc_chan_open(dn, MC_CHAN_RECV, 10000, &ep->rx);
  if (rc != MC_OK) {
    close_ep(ep);
    return fail_rc("mc_chan_open", rc);
  }
  if ((rc = get_handle(ep)) != MC_OK) {
    close_ep(ep);
    return fail_rc("mc_chan_os_handle", rc);
  }
  *out = ep;
  return 0;
}

/* A sender's timeout: MC_INFINITE, or in the poll and timed modes TIMED_MS (the call is
   repeated while it times out). */
static int send_timeout(const mb_ep *ep) {
  return MB_MODE_EVLOOP(ep->mode) ? TIMED_MS : MC_INFINITE;
}

/* Whether a call that returned rc with timeout t is to be made again: it timed out, and the
   watchdog (which ends a stuck case) has not fired. */
static int again(int rc, int t) {
  return rc == MC_ETIMEDOUT && t != MC_INFINITE && !mb_watchdog_fired();
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  int rc, t = send_timeout(ep);
  if (!ep->zc) {
    while (again(rc = mc_chan_send(ep->tx, src, len, t), t)) {
    }
    return rc == MC_OK ? 0 : fail_rc("mc_chan_send", rc);
  }
  /* Zero-copy: the message is produced in place. The producer's work is the same one copy
     from its source that mc_chan_send makes, so both paths do equal work for the sender. */
  void *w;
  while (again(rc = mc_chan_reserve(ep->tx, len, &w, t), t)) {
  }
  if (rc != MC_OK) return fail_rc("mc_chan_reserve", rc);
  memcpy(w, src, len);
  rc = mc_chan_commit(ep->tx, len);
  return rc == MC_OK ? 0 : fail_rc("mc_chan_commit", rc);
}

/* One receive or peek with timeout t. */
static int recv_once(mb_ep *ep, const unsigned char **msg, size_t *len, int t) {
  if (!ep->zc) {
    *msg = ep->buf;
    return mc_chan_recv(ep->rx, ep->buf, ep->cap, len, t);
  }
  const void *m = NULL;
  int rc = mc_chan_peek(ep->rx, &m, len, t);
  *msg = m;
  return rc;
}

/* block, spin, hybrid: one call with MC_INFINITE. timed: calls with TIMED_MS while they
   time out. poll: calls with timeout 0; one that times out has armed the handle, which is
   then slept on until it is ready (perhaps spuriously: the next call looks). */
static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  int t = ep->mode == MB_MODE_POLL ? 0 : ep->mode == MB_MODE_TIMED ? TIMED_MS : MC_INFINITE, rc;
  while (again(rc = recv_once(ep, msg, len, t), t))
    if (t == 0 && mb_poll_readable(ep->rx_handle) != 0) return -1;
  return rc == MC_OK ? 0 : fail_rc(ep->zc ? "mc_chan_peek" : "mc_chan_recv", rc);
}

static int done(mb_ep *ep) {
  if (!ep->zc) return 0;
  int rc = mc_chan_consume(ep->rx);
  return rc == MC_OK ? 0 : fail_rc("mc_chan_consume", rc);
}

static uint64_t dropped(mb_ep *ep) {
  mc_chan_stats st;
  return mc_chan_get_stats(ep->rx, &st) == MC_OK ? st.dropped : UINT64_MAX; /* a mismatch */
}

#define MB_MEMCHAN_OPS                                                                             \
  .skip = skip, .create = create, .open = open_peer, .send = send_msg, .recv = recv_msg,           \
  .done = done, .close = close_ep

const mb_transport mb_tr_memchan_ring = {
    .name = "memchan-ring",
    .about = "memchan ring channel (modes x copy/zero-copy)",
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS) | MB_BIT(MB_FANOUT) |
                MB_BIT(MB_SHARE), /* fan-out: one receiver, to compare */
    MB_MEMCHAN_OPS,
};

const mb_transport mb_tr_memchan_slot = {
    .name = "memchan-slot",
    .about = "memchan one-slot channel (modes x copy/zero-copy)",
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM),
    MB_MEMCHAN_OPS,
};

const mb_transport mb_tr_memchan_bcast = {
    .name = "memchan-bcast",
    .about = "memchan broadcast ring: every receiver gets every message",
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_FANOUT),
    MB_MEMCHAN_OPS,
};

const mb_transport mb_tr_memchan_bcast_drop = {
    .name = "memchan-bcast-drop",
    .about = "memchan broadcast ring, drop-oldest: the sender never waits",
    .patterns = MB_BIT(MB_FANOUT),
    MB_MEMCHAN_OPS,
    .dropped = dropped,
};

const mb_transport mb_tr_memchan_share = {
    .name = "memchan-share",
    .about = "memchan shared-work ring (MULTI_RECV): each message to one receiver",
    .patterns = MB_BIT(MB_SHARE),
    MB_MEMCHAN_OPS,
};
