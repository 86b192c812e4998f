/* Baseline: a pipe with a framing that keeps message boundaries (fdframe.h); its reader
 * reads in large batches. Pipe buffers are raised to 1 MiB where the system allows, to give
 * the baseline its best case. Several senders share one pipe (stress) only while a framed
 * message fits PIPE_BUF, the size up to which POSIX makes pipe writes atomic. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdframe.h"

struct mb_ep {
  int wfd, rfd;       /* this side's ends (-1: none) */
  int peer_w, peer_r; /* parent only: the peer's ends, closed once it started */
  mb_frame_reader rd;
};

static const char *skip(const mb_case *c, char *why, size_t cap) {
  if (c->pattern == MB_STRESS && c->size + 4 > PIPE_BUF) {
    snprintf(why, cap, "several writers: a framed message over PIPE_BUF (%d) is not atomic",
             PIPE_BUF);
    return why;
  }
  return NULL;
}

static mb_ep *new_ep(void) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (ep) ep->wfd = ep->rfd = ep->peer_w = ep->peer_r = -1;
  return ep;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  close_fd(&ep->wfd);
  close_fd(&ep->rfd);
  close_fd(&ep->peer_w);
  close_fd(&ep->peer_r);
  mb_frame_reader_free(&ep->rd);
  free(ep);
}

/* A pipe whose `keep` end stays close-on-exec; the other end is for the peers. */
static int make_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return mb_fail("pipe2: %s", strerror(errno));
  fcntl(fds[1], F_SETPIPE_SZ, 1 << 20); /* best effort: a smaller pipe is still a pipe */
  return 0;
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mb_ep *ep = new_ep();
  if (!ep) return mb_fail("out of memory");
  int up[2], dn[2] = {-1, -1};
  if (make_pipe(up) != 0) goto fail;
  ep->rfd = up[0];
  ep->peer_w = up[1];
  if (c->pattern == MB_PINGPONG) {
    if (make_pipe(dn) != 0) goto fail;
    ep->wfd = dn[1];
    ep->peer_r = dn[0];
  }
  if (mb_fd_cloexec(ep->peer_w, 0) != 0 || (ep->peer_r >= 0 && mb_fd_cloexec(ep->peer_r, 0)))
    goto fail;
  if (mb_frame_reader_init(&ep->rd, ep->rfd, c->size) != 0) goto fail;
  snprintf(arg, cap, "%d %d", ep->peer_w, ep->peer_r);
  *out = ep;
  return 0;
fail:
  close_ep(ep);
  return -1;
}

static void spawned(mb_ep *ep) {
  /* Only the peers write "up": the parent's copy would hide their end of stream. */
  close_fd(&ep->peer_w);
  close_fd(&ep->peer_r);
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  int v[2];
  if (mb_parse_ints(arg, v, 2) != 2) return mb_fail("bad pipe argument '%s'", arg);
  mb_ep *ep = new_ep();
  if (!ep) return mb_fail("out of memory");
  ep->wfd = v[0];
  ep->rfd = v[1];
  if (ep->rfd >= 0 && mb_frame_reader_init(&ep->rd, ep->rfd, c->size) != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  return mb_frame_write(ep->wfd, src, len);
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  return mb_frame_next(&ep->rd, msg, len);
}

const mb_transport mb_tr_pipe = {
    .name = "pipe",
    .about = "pipe, length-framed, reader reads in large batches",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .skip = skip,
    .create = create,
    .spawned = spawned,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .close = close_ep,
};
