/* Floors: what the hardware and kernel cost without any library, measured in the same run.
 *
 * - floor-cacheline: a 32-bit word in shared memory flipped back and forth between two
 *   processes with atomics and a CPU pause: the cost of moving one cache line each way.
 *   With both processes on one CPU (--cpus same) the waiter yields instead of pausing,
 *   since its peer cannot run while it spins (memchan does the same).
 * - floor-futex (Linux): the same word, but every handoff is a FUTEX_WAKE and every wait a
 *   FUTEX_WAIT (shared, not PRIVATE): the cost of putting a process to sleep and waking it.
 * - floor-memcpy: one process copies each message from a source to a destination buffer
 *   and touches it as a receiver does: the bandwidth of a single copy, no handoff. */
#include "bench.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

#ifndef _WIN32
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

struct mb_ep {
  mc_shm *shm;
  _Atomic uint32_t *word;
  uint32_t last; /* the value this side last wrote or saw */
  int yield;     /* both on one CPU: yield while waiting */
  int futex;
};

#define WAIT_LIMIT_NS (60ull * 1000000000u) /* a waiting side gives up after a minute */

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  mc_shm_close(ep->shm);
  free(ep);
}

static int map(mb_ep *ep, const mb_case *c) {
  void *data;
  int rc = mc_shm_acquire(ep->shm, MC_WRITE, 0, &data);
  if (rc != MC_OK) return mb_fail("mc_shm_acquire: %s", mc_err_name(rc));
  uintptr_t p = ((uintptr_t)data + 63) & ~(uintptr_t)63; /* a cache line of its own */
  ep->word = (_Atomic uint32_t *)p;
  ep->yield = c->cpus == MB_CPUS_SAME;
  return 0;
}

static int create_word(const mb_case *c, mb_ep **out, char *arg, size_t cap, int futex) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  ep->futex = futex;
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.size = 256;
  o.flags = MC_SHM_CREATE | MC_SHM_UNPROTECTED;
  int rc = mc_shm_open(NULL, &o, &ep->shm);
  if (rc != MC_OK) {
    free(ep);
    return mb_fail("mc_shm_open: %s", mc_err_name(rc));
  }
  if (map(ep, c) != 0) {
    close_ep(ep);
    return -1;
  }
  atomic_store(ep->word, 0);
  snprintf(arg, cap, "%s", mc_shm_name(ep->shm));
  *out = ep;
  return 0;
}

static int open_word(const mb_case *c, const char *arg, mb_ep **out, int futex) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  ep->futex = futex;
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  o.flags = MC_SHM_OPEN;
  int rc = mc_shm_open(arg, &o, &ep->shm);
  if (rc != MC_OK) {
    free(ep);
    return mb_fail("mc_shm_open %s: %s", arg, mc_err_name(rc));
  }
  if (map(ep, c) != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

/* ---- cache line ---- */

static int cl_create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  return create_word(c, out, arg, cap, 0);
}

static int cl_open(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  return open_word(c, arg, out, 0);
}

static int cl_send(mb_ep *ep, const unsigned char *src, size_t len) {
  (void)src;
  (void)len;
  /* Release: pairs with the peer's acquire load, as a channel's publish would. */
  atomic_store_explicit(ep->word, ++ep->last, memory_order_release);
  return 0;
}

static int cl_recv(mb_ep *ep, const unsigned char **msg, size_t *len) {
  uint32_t want = ep->last + 1;
  uint64_t start = 0;
  unsigned spins = 0;
  while (atomic_load_explicit(ep->word, memory_order_acquire) != want) {
    if (ep->yield)
      mb_yield();
    else
      mb_cpu_relax();
    if ((++spins & 0xfffff) == 0) { /* now and then: is the peer still answering? */
      uint64_t now = mb_now_ns();
      if (!start) start = now;
      if (now - start > WAIT_LIMIT_NS || mb_watchdog_fired())
        return mb_fail("cache-line floor: no answer from the peer");
    }
  }
  ep->last = want;
  *msg = NULL;
  *len = 0;
  return 0;
}

const mb_transport mb_floor_cacheline = {
    .name = "floor-cacheline",
    .about = "floor: a shared word flipped with atomics + pause, no library",
    .floor = 1,
    .patterns = MB_BIT(MB_PINGPONG),
    .create = cl_create,
    .open = cl_open,
    .send = cl_send,
    .recv = cl_recv,
    .close = close_ep,
};

/* ---- futex (Linux) ---- */
#ifndef _WIN32
static long futex(_Atomic uint32_t *w, int op, uint32_t val) {
  return syscall(SYS_futex, (uint32_t *)w, op, val, NULL, NULL, 0);
}

static int fx_create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  return create_word(c, out, arg, cap, 1);
}

static int fx_open(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  return open_word(c, arg, out, 1);
}

static int fx_send(mb_ep *ep, const unsigned char *src, size_t len) {
  (void)src;
  (void)len;
  atomic_store_explicit(ep->word, ++ep->last, memory_order_release);
  /* Always wake: the floor is the raw system-call handoff, with no "is anyone waiting". */
  if (futex(ep->word, FUTEX_WAKE, 1) < 0) return mb_fail("FUTEX_WAKE: %s", strerror(errno));
  return 0;
}

static int fx_recv(mb_ep *ep, const unsigned char **msg, size_t *len) {
  uint32_t want = ep->last + 1;
  while (atomic_load_explicit(ep->word, memory_order_acquire) != want) {
    /* Sleeps only while the word still holds our own last value: no lost wake-up. */
    if (futex(ep->word, FUTEX_WAIT, ep->last) < 0 && errno != EAGAIN && errno != EINTR)
      return mb_fail("FUTEX_WAIT: %s", strerror(errno));
    if (mb_watchdog_fired()) return mb_fail("futex floor: no answer from the peer");
  }
  ep->last = want;
  *msg = NULL;
  *len = 0;
  return 0;
}

const mb_transport mb_floor_futex = {
    .name = "floor-futex",
    .about = "floor: FUTEX_WAIT/FUTEX_WAKE ping-pong on a shared word",
    .floor = 1,
    .patterns = MB_BIT(MB_PINGPONG),
    .create = fx_create,
    .open = fx_open,
    .send = fx_send,
    .recv = fx_recv,
    .close = close_ep,
};
#endif

/* ---- memcpy ---- */

/* One timed slice of copies: up to n messages, or until budget_ns (0: no limit). */
static void copy_slice(unsigned char *dst, unsigned char *src, size_t size, uint64_t n,
                       uint64_t budget_ns, uint64_t *done, uint64_t *elapsed, uint64_t *acc) {
  /* Through a volatile pointer: the compiler must not fold or drop the copies. */
  void *(*volatile copy)(void *, const void *, size_t) = memcpy;
  uint64_t t0 = mb_now_ns(), i;
  for (i = 0; i < n; i++) {
    memcpy(src, &i, 8); /* the sender's stamp */
    copy(dst, src, size);
    *acc ^= mb_touch(dst, size);
    if (budget_ns && (i & 255) == 255 && mb_now_ns() - t0 >= budget_ns) {
      i++;
      break;
    }
  }
  *elapsed = mb_now_ns() - t0;
  *done = i;
}

/* Copies messages of c->size bytes: a short warm-up, then three slices (each up to c->count
   messages or a third of the time budget), reporting the fastest: a floor is the best this
   machine does, and one slice can be slowed by a neighbour on a shared host. */
static int memcpy_run(const mb_case *c, uint64_t *elapsed_ns, uint64_t *count, uint64_t *sink) {
  size_t n = c->size < 8 ? 8 : c->size;
  unsigned char *src = malloc(n), *dst = malloc(n);
  if (!src || !dst) {
    free(src);
    free(dst);
    return mb_fail("out of memory");
  }
  memset(src, 0x5a, n);
  memset(dst, 0, n);
  uint64_t acc = 0, done, el;
  copy_slice(dst, src, c->size, c->warmup < 1000 ? c->warmup : 1000, 0, &done, &el, &acc);
  *elapsed_ns = 0;
  *count = 0;
  for (int k = 0; k < 3; k++) {
    copy_slice(dst, src, c->size, c->count, c->budget_ns / 3, &done, &el, &acc);
    if (!*elapsed_ns || (double)done / (double)el > (double)*count / (double)*elapsed_ns) {
      *elapsed_ns = el ? el : 1;
      *count = done;
    }
  }
  *sink ^= acc;
  free(src);
  free(dst);
  return 0;
}

const mb_transport mb_floor_memcpy = {
    .name = "floor-memcpy",
    .about = "floor: one memcpy per message + the receiver's touch, one process",
    .floor = 1,
    .patterns = MB_BIT(MB_STREAM),
    .local = memcpy_run,
};
