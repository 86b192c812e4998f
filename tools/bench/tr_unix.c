/* Baseline: an AF_UNIX SOCK_STREAM socketpair, length-framed (fdframe.h), the reader reading
 * in large batches. One connected pair per peer, so it runs ping-pong and streaming; the
 * stress pattern would need a connection per sender and a poll loop, which is another
 * design: skipped. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdframe.h"

struct mb_ep {
  int fd, peer_fd;
  mb_frame_reader rd;
};

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->fd >= 0) close(ep->fd);
  if (ep->peer_fd >= 0) close(ep->peer_fd);
  mb_frame_reader_free(&ep->rd);
  free(ep);
}

static mb_ep *new_ep(int fd, int peer_fd, size_t size) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return NULL;
  ep->fd = fd;
  ep->peer_fd = peer_fd;
  if (mb_frame_reader_init(&ep->rd, fd, size) != 0) {
    close_ep(ep);
    return NULL;
  }
  return ep;
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return mb_fail("socketpair: %s", strerror(errno));
  if (mb_fd_cloexec(sv[1], 0) != 0) {
    close(sv[0]);
    close(sv[1]);
    return mb_fail("fcntl: %s", strerror(errno));
  }
  mb_ep *ep = new_ep(sv[0], sv[1], c->size);
  if (!ep) return mb_fail("out of memory");
  snprintf(arg, cap, "%d", sv[1]);
  *out = ep;
  return 0;
}

static void spawned(mb_ep *ep) {
  close(ep->peer_fd);
  ep->peer_fd = -1;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  int fd;
  if (mb_parse_ints(arg, &fd, 1) != 1) return mb_fail("bad unix argument '%s'", arg);
  mb_ep *ep = new_ep(fd, -1, c->size);
  if (!ep) return mb_fail("out of memory");
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  return mb_frame_write(ep->fd, src, len);
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  return mb_frame_next(&ep->rd, msg, len);
}

const mb_transport mb_tr_unix = {
    .name = "unix",
    .about = "AF_UNIX SOCK_STREAM socketpair, length-framed, batched reads",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM),
    .create = create,
    .spawned = spawned,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
