/* Linux notifiers (core/platform.h): an epoll descriptor over a datagram socket in the
 * abstract namespace, which any process can make readable by sending it a byte, and over
 * pidfds of the processes it watches, readable once one has ended.
 *
 * Why these: an eventfd cannot be opened by another process, a FIFO needs a file and an
 * open per waker, a futex cannot be polled. An abstract socket has no file to clean up after
 * a crash (it goes with its last descriptor), takes one sendto to signal, and its queue is
 * its readiness: a full queue is simply "readable already". Its address holds a random id
 * rather than the channel's name, so that no other process can take the address first. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform/posix/posix.h"

/* Events on a pidfd come tagged with its slot + 1; the socket's with 0. */
#define SOCKET_TAG 0

static socklen_t address(uint32_t id, struct sockaddr_un *a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  /* sun_path[0] = 0: the abstract namespace */
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "memchan-n-%08x", id);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int mc__plat_notifier_open(mc__plat_notifier *n, const mc__objname *within) {
  MC__UNUSED(within); /* the abstract namespace is one per network namespace */
  memset(n, 0, sizeof *n);
  n->ep = -1;
  n->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (n->sock < 0) return mc__posix_fail("socket(notifier)", NULL);
  int rc = MC_OK;
  for (int tries = 0; rc == MC_OK; tries++) {
    struct sockaddr_un a;
    if ((rc = mc__plat_random(&n->id, sizeof n->id)) != MC_OK) break;
    if (n->id == 0) continue;
    socklen_t len = address(n->id, &a);
    if (bind(n->sock, (struct sockaddr *)&a, len) == 0) break;
    if (errno != EADDRINUSE || tries > 16) rc = mc__posix_fail("bind(notifier)", a.sun_path + 1);
  }
  if (rc == MC_OK && (n->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
    rc = mc__posix_fail("epoll_create1", NULL);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SOCKET_TAG};
  if (rc == MC_OK && epoll_ctl(n->ep, EPOLL_CTL_ADD, n->sock, &ev) != 0)
    rc = mc__posix_fail("epoll_ctl(notifier)", NULL);
  if (rc != MC_OK) mc__plat_notifier_close(n);
  return rc;
}

intptr_t mc__plat_notifier_handle(const mc__plat_notifier *n) {
  return n->ep;
}

static void unwatch(mc__plat_notifier *n, int i) {
  if (n->pidfd[i] >= 0) {
    epoll_ctl(n->ep, EPOLL_CTL_DEL, n->pidfd[i], NULL);
    close(n->pidfd[i]);
  }
  n->nwatch--;
  n->token[i] = n->token[n->nwatch];
  n->pidfd[i] = n->pidfd[n->nwatch];
  if (i < n->nwatch && n->pidfd[i] >= 0) { /* its tag names its slot: moved, so re-tagged */
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i + 1};
    epoll_ctl(n->ep, EPOLL_CTL_MOD, n->pidfd[i], &ev);
  }
}

int mc__plat_notifier_drain(mc__plat_notifier *n) {
  char buf[64];
  while (recv(n->sock, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
  }
  /* Ended processes leave their pidfds readable for good: stop watching them, and say so. */
  struct epoll_event ev[8];
  int ended = 0, k;
  while ((k = epoll_wait(n->ep, ev, 8, 0)) > 0) {
    int any = 0;
    for (int j = 0; j < k; j++) {
      uint64_t tag = ev[j].data.u64;
      if (tag == SOCKET_TAG || tag > (uint64_t)n->nwatch) continue;
      unwatch(n, (int)tag - 1);
      ended = any = 1;
      break; /* slots moved: look again */
    }
    if (!any) break;
  }
  return ended;
}

int mc__plat_notifier_watch(mc__plat_notifier *n, const uint64_t *tokens, int count) {
  for (int i = 0; i < n->nwatch;) { /* no longer wanted */
    int keep = 0;
    for (int j = 0; j < count && !keep; j++) keep = tokens[j] == n->token[i];
    if (keep)
      i++;
    else
      unwatch(n, i);
  }
  for (int j = 0; j < count; j++) {
    int have = tokens[j] == 0;
    for (int i = 0; i < n->nwatch && !have; i++) have = n->token[i] == tokens[j];
    if (have || n->nwatch == MC__NOTIFY_WATCH) continue;
    int i = n->nwatch++, fd = mc__os_child_fd((long)(uint32_t)tokens[j]);
    n->token[i] = tokens[j];
    n->pidfd[i] = fd;
    if (fd < 0) continue; /* watched by liveness checks alone */
    /* The pidfd names whoever had the pid when it was opened: if the token's process still
       lives now, that was it (a pid is not reused while its process runs). */
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i + 1};
    if (!mc__plat_token_alive(tokens[j]) || epoll_ctl(n->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      n->pidfd[i] = -1;
    }
  }
  return MC_OK;
}

void mc__plat_notifier_close(mc__plat_notifier *n) {
  while (n->nwatch > 0) unwatch(n, n->nwatch - 1);
  if (n->ep >= 0) close(n->ep);
  if (n->sock >= 0) close(n->sock);
  n->ep = n->sock = -1;
}

int mc__plat_notify(mc__plat_signaller *s, const mc__objname *within, uint32_t id) {
  MC__UNUSED(within);
  struct sockaddr_un a;
  if (s->sock < 0) {
    s->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->sock < 0) return mc__posix_fail("socket(signaller)", NULL);
  }
  socklen_t len = address(id, &a);
  if (sendto(s->sock, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, len) >= 0)
    return MC_OK;
  /* A full queue is readable already; nobody bound is a sleeper that went away. */
  if (errno == EAGAIN || errno == ECONNREFUSED || errno == ENOENT) return MC_OK;
  return mc__posix_fail("sendto(notifier)", a.sun_path + 1);
}

void mc__plat_signaller_init(mc__plat_signaller *s) {
  s->sock = -1;
}

void mc__plat_signaller_close(mc__plat_signaller *s) {
  if (s->sock >= 0) close(s->sock);
  s->sock = -1;
}

int mc__plat_wait_any(const intptr_t *h, int n, uint64_t deadline) {
  struct pollfd p[MC__WAIT_ANY_MAX];
  if (n < 0 || n > MC__WAIT_ANY_MAX) return MC_EINVAL;
  for (int i = 0; i < n; i++) p[i] = (struct pollfd){.fd = (int)h[i], .events = POLLIN};
  for (;;) {
    int ms = -1;
    if (deadline != MC__NO_DEADLINE) {
      uint64_t now = mc__plat_now_ns();
      ms = now >= deadline ? 0 : (int)MC__MIN((deadline - now + 999999) / 1000000, 0x7fffffffull);
    }
    int k = poll(p, (nfds_t)n, ms);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return mc__posix_fail("poll", NULL);
    for (int i = 0; i < n && k > 0; i++)
      if (p[i].revents) return i;
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
  }
}
