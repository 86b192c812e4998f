/* Baseline: POSIX message queues (mq_open). The kernel caps a message at
 * /proc/sys/fs/mqueue/msgsize_max bytes (8 KiB by default) and a queue at msg_max messages
 * (10): larger sizes are skipped, and queues hold min(10, msg_max) messages. Several
 * senders share one queue natively (stress). */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"

struct mb_ep {
  mqd_t tx, rx;
  char up[64], dn[64]; /* parent: names to unlink */
  unsigned char *buf;
  size_t cap;
};

static long proc_long(const char *path, long dflt) {
  FILE *f = fopen(path, "r");
  long v = dflt;
  if (f) {
    if (fscanf(f, "%ld", &v) != 1) v = dflt;
    fclose(f);
  }
  return v;
}

static const char *skip(const mb_case *c, char *why, size_t cap) {
  long max = proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
  if ((long)c->size > max) {
    snprintf(why, cap, "message over /proc/sys/fs/mqueue/msgsize_max (%ld bytes)", max);
    return why;
  }
  return NULL;
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->tx != (mqd_t)-1) mq_close(ep->tx);
  if (ep->rx != (mqd_t)-1) mq_close(ep->rx);
  if (ep->up[0]) mq_unlink(ep->up);
  if (ep->dn[0]) mq_unlink(ep->dn);
  free(ep->buf);
  free(ep);
}

static mb_ep *new_ep(size_t size) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->tx = ep->rx = (mqd_t)-1;
  ep->cap = size < 8 ? 8 : size;
  if (!(ep->buf = malloc(ep->cap))) {
    free(ep);
    return NULL;
  }
  return ep;
}

static mqd_t make_queue(const char *name, size_t size) {
  struct mq_attr a;
  memset(&a, 0, sizeof a);
  long mx = proc_long("/proc/sys/fs/mqueue/msg_max", 10);
  a.mq_maxmsg = mx < 10 ? mx : 10;
  a.mq_msgsize = (long)(size < 8 ? 8 : size);
  return mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  static unsigned counter;
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  unsigned n = ++counter;
  snprintf(ep->up, sizeof ep->up, "/mcb%ldx%u-up", (long)getpid(), n);
  if ((ep->rx = make_queue(ep->up, c->size)) == (mqd_t)-1) {
    ep->up[0] = '\0';
    close_ep(ep);
    return mb_fail("mq_open: %s", strerror(errno));
  }
  if (c->pattern == MB_PINGPONG) {
    snprintf(ep->dn, sizeof ep->dn, "/mcb%ldx%u-dn", (long)getpid(), n);
    if ((ep->tx = make_queue(ep->dn, c->size)) == (mqd_t)-1) {
      ep->dn[0] = '\0';
      close_ep(ep);
      return mb_fail("mq_open: %s", strerror(errno));
    }
  }
  snprintf(arg, cap, "%s %s", ep->up, ep->dn[0] ? ep->dn : "-");
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  char up[64], dn[64];
  if (sscanf(arg, "%63s %63s", up, dn) != 2) return mb_fail("bad mq argument '%s'", arg);
  mb_ep *ep = new_ep(c->size);
  if (!ep) return mb_fail("out of memory");
  ep->tx = mq_open(up, O_WRONLY);
  if (ep->tx != (mqd_t)-1 && strcmp(dn, "-") != 0) ep->rx = mq_open(dn, O_RDONLY);
  if (ep->tx == (mqd_t)-1 || (strcmp(dn, "-") != 0 && ep->rx == (mqd_t)-1)) {
    close_ep(ep);
    return mb_fail("mq_open: %s", strerror(errno));
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  while (mq_send(ep->tx, (const char *)src, len, 0) != 0) {
    if (errno != EINTR || mb_watchdog_fired()) return mb_fail("mq_send: %s", strerror(errno));
  }
  return 0;
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  ssize_t n;
  while ((n = mq_receive(ep->rx, (char *)ep->buf, ep->cap, NULL)) < 0) {
    if (errno != EINTR || mb_watchdog_fired()) return mb_fail("mq_receive: %s", strerror(errno));
  }
  *msg = ep->buf;
  *len = (size_t)n;
  return 0;
}

const mb_transport mb_tr_mq = {
    .name = "mq",
    .about = "POSIX message queue (mq_open), 10 messages deep",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .skip = skip,
    .create = create,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
