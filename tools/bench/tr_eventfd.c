/* Baseline: shared memory plus eventfd notifications, the usual hand-rolled design. Each
 * direction is a ring of K slots in a memchan block; two counting eventfds (EFD_SEMAPHORE)
 * count filled and free slots: the sender takes a free slot (read), writes the message,
 * posts "filled" (write); the receiver takes a filled slot, reads in place, posts "free".
 * Two system calls per message on each side, whether or not anyone waits. One producer per
 * ring: the stress pattern is skipped. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fdframe.h"
#include "memchan.h"
#include "sys.h"

typedef struct dir {
  unsigned char *slots;
  int filled, free_; /* eventfds */
  uint64_t next;     /* sender: next slot to write; receiver: next to read */
} dir;

struct mb_ep {
  mc_shm *shm;
  size_t stride;
  uint32_t k;
  dir tx, rx;
  int fds[4]; /* every eventfd this endpoint holds, to close */
  int parent;
};

static uint32_t slots_for(size_t size) {
  size_t k = ((size_t)4 << 20) / (size + 64); /* about 4 MiB per direction */
  return (uint32_t)(k < 2 ? 2 : k > 64 ? 64 : k);
}

static size_t stride_for(size_t size) {
  return (8 + size + 63) & ~(size_t)63; /* a u64 length, then the message */
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  for (int i = 0; i < 4; i++)
    if (ep->fds[i] >= 0) close(ep->fds[i]);
  mc_shm_close(ep->shm);
  free(ep);
}

static int efd_read(int fd) {
  uint64_t v;
  while (read(fd, &v, 8) != 8) {
    if (errno != EINTR || mb_watchdog_fired()) return mb_fail("eventfd read: %s", strerror(errno));
  }
  return 0;
}

static int efd_write(int fd) {
  uint64_t one = 1;
  while (write(fd, &one, 8) != 8) {
    if (errno != EINTR || mb_watchdog_fired()) return mb_fail("eventfd write: %s", strerror(errno));
  }
  return 0;
}

/* Binds endpoint `ep` to the directions of its block: up = 0, down = 1. */
static int map(mb_ep *ep, int up_filled, int up_free, int dn_filled, int dn_free) {
  void *data;
  int rc = mc_shm_acquire(ep->shm, MC_WRITE, 0, &data);
  if (rc != MC_OK) return mb_fail("mc_shm_acquire: %s", mc_err_name(rc));
  unsigned char *up = data, *dn = up + (size_t)ep->k * ep->stride;
  dir u = {up, up_filled, up_free, 0}, d = {dn, dn_filled, dn_free, 0};
  ep->rx = ep->parent ? u : d;
  ep->tx = ep->parent ? d : u;
  return 0;
}

static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  for (int i = 0; i < 4; i++) ep->fds[i] = -1;
  ep->parent = 1;
  ep->k = slots_for(c->size);
  ep->stride = stride_for(c->size);
  int ndir = c->pattern == MB_PINGPONG ? 2 : 1;
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.size = (uint64_t)ndir * ep->k * ep->stride;
  o.flags = MC_SHM_CREATE | MC_SHM_UNPROTECTED;
  int rc = mc_shm_open(NULL, &o, &ep->shm);
  if (rc != MC_OK) {
    close_ep(ep);
    return mb_fail("mc_shm_open: %s", mc_err_name(rc));
  }
  for (int i = 0; i < 2 * ndir; i++) {
    /* Inherited by the peer (no close-on-exec); free-slot counters start at K. */
    ep->fds[i] = eventfd(i % 2 ? ep->k : 0, EFD_SEMAPHORE);
    if (ep->fds[i] < 0) {
      close_ep(ep);
      return mb_fail("eventfd: %s", strerror(errno));
    }
  }
  if (map(ep, ep->fds[0], ep->fds[1], ep->fds[2], ep->fds[3]) != 0) {
    close_ep(ep);
    return -1;
  }
  snprintf(arg, cap, "%s %u %zu %d %d %d %d", mc_shm_name(ep->shm), ep->k, ep->stride, ep->fds[0],
           ep->fds[1], ep->fds[2], ep->fds[3]);
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)c;
  (void)index;
  char name[MC_NAME_MAX + 1];
  int n = 0;
  unsigned k;
  size_t stride;
  if (sscanf(arg, "%200s %u %zu %n", name, &k, &stride, &n) != 3)
    return mb_fail("bad eventfd argument '%s'", arg);
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  if (mb_parse_ints(arg + n, ep->fds, 4) != 4) {
    free(ep);
    return mb_fail("bad eventfd argument '%s'", arg);
  }
  ep->k = k;
  ep->stride = stride;
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.flags = MC_SHM_OPEN;
  int rc = mc_shm_open(name, &o, &ep->shm);
  if (rc != MC_OK) {
    close_ep(ep);
    return mb_fail("mc_shm_open: %s", mc_err_name(rc));
  }
  if (map(ep, ep->fds[0], ep->fds[1], ep->fds[2], ep->fds[3]) != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  if (efd_read(ep->tx.free_) != 0) return -1;
  unsigned char *slot = ep->tx.slots + (size_t)(ep->tx.next++ % ep->k) * ep->stride;
  uint64_t n = len;
  memcpy(slot, &n, 8);
  memcpy(slot + 8, src, len);
  return efd_write(ep->tx.filled); /* the write() orders the stores before it */
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  if (efd_read(ep->rx.filled) != 0) return -1;
  const unsigned char *slot = ep->rx.slots + (size_t)(ep->rx.next % ep->k) * ep->stride;
  uint64_t n;
  memcpy(&n, slot, 8);
  if (n > ep->stride - 8) return mb_fail("eventfd ring: bad length %llu", (unsigned long long)n);
  *msg = slot + 8;
  *len = (size_t)n;
  return 0;
}

static int done(mb_ep *ep) {
  ep->rx.next++;
  return efd_write(ep->rx.free_);
}

static void spawned(mb_ep *ep) {
  (void)ep; /* both sides use every eventfd */
}

const mb_transport mb_tr_eventfd = {
    .name = "eventfd",
    .about = "shared-memory slot ring + eventfd counters (2 syscalls/msg/side)",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM),
    .create = create,
    .spawned = spawned,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .done = done,
    .close = close_ep,
};
