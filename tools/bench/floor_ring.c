/* floor-ring: the fairest floor for a ring channel's stream - a bare single-producer,
 * single-consumer byte ring between two processes with the best batching known, and no
 * library around it (no names, no death detection, no validation of what it reads):
 *   - records of an 8-byte header (length, stamp) and the payload, padded to 8, never split
 *     across the end (a wrap record sends the reader back to offset 0);
 *   - stamps per record: the reader knows a record is complete by its stamp (the low 32 bits
 *     of its sequence number + 1), so the writer never publishes a head index; before
 *     publishing a record it zeroes the stamp word where the next one will go, so that stale
 *     bytes of an earlier lap cannot pass for a record;
 *   - cached indices and batched publication: the writer reads the reader's tail only when
 *     its cached copy says the ring is full; the reader publishes its tail once per eighth of
 *     the ring, and whenever it finds the ring empty (so a writer waiting for room always
 *     gets it).
 * The same capacity as memchan's ring in the same case; stream only. The receiver reads each
 * message in place (memchan's zero-copy peek does the same; its copying recv copies out). */
#include "bench.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memchan.h"
#include "sys.h"

#define LINE          64
#define WRAP          UINT32_MAX              /* a record length: go back to offset 0 */
#define WAIT_LIMIT_NS (60ull * 1000000000ull) /* a waiting side gives up after a minute */

typedef struct ring_ctl {
  _Alignas(LINE) _Atomic uint64_t tail; /* bytes the reader has finished with */
  char pad[LINE - sizeof(uint64_t)];
} ring_ctl;

struct mb_ep {
  mc_shm *shm;
  ring_ctl *ctl;
  unsigned char *data;
  uint64_t cap;       /* bytes, a power of two */
  uint64_t pos;       /* writer: next record; reader: the record being read */
  uint64_t seq;       /* the next record's sequence number */
  uint64_t tail_seen; /* writer: the reader's tail as last read */
  uint64_t published; /* reader: the tail as last published */
  uint64_t next;      /* reader: where the record handed out ends */
  int yield;          /* both on one CPU: yield while waiting */
};

static uint64_t record_bytes(size_t len) {
  return 8 + (((uint64_t)len + 7) & ~(uint64_t)7);
}

static _Atomic uint32_t *stamp_at(mb_ep *ep, uint64_t pos) {
  return (_Atomic uint32_t *)(void *)(ep->data + (pos & (ep->cap - 1)) + 4);
}

static uint32_t stamp_of(uint64_t seq) {
  uint32_t s = (uint32_t)seq + 1;
  return s ? s : 1; /* 0 means "nothing here yet" */
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  mc_shm_close(ep->shm);
  free(ep);
}

static int attach(mb_ep *ep, const mb_case *c, const char *name, int create) {
  mc_shm_options o;
  memset(&o, 0, sizeof o);
  ep->cap = mb_ring_bytes(c->size);
  o.size = create ? sizeof(ring_ctl) + LINE + ep->cap : 0;
  o.flags = MC_SHM_UNPROTECTED | (create ? MC_SHM_CREATE : MC_SHM_OPEN);
  int rc = mc_shm_open(name, &o, &ep->shm);
  void *base = NULL;
  if (rc == MC_OK) rc = mc_shm_acquire(ep->shm, MC_WRITE, 0, &base);
  if (rc != MC_OK) return mb_fail("floor-ring: %s", mc_err_name(rc));
  if (mc_shm_size(ep->shm) < sizeof(ring_ctl) + LINE + ep->cap)
    return mb_fail("floor-ring: the block is smaller than the ring");
  uintptr_t p = ((uintptr_t)base + LINE - 1) & ~(uintptr_t)(LINE - 1);
  ep->ctl = (ring_ctl *)p;
  ep->data = (unsigned char *)(ep->ctl + 1);
  ep->yield = c->cpus == MB_CPUS_SAME;
  return 0;
}

static const char *skip(const mb_case *c, char *why, size_t cap) {
  if (record_bytes(c->size) + 8 > mb_ring_bytes(c->size) / 2) {
    snprintf(why, cap, "a record must fit in half the ring");
    return why;
  }
  return NULL;
}

/* The parent reads; a new block reads as zeros (no stamps, tail 0). */
static int create(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  if (attach(ep, c, NULL, 1) != 0) {
    close_ep(ep);
    return -1;
  }
  snprintf(arg, cap, "%s", mc_shm_name(ep->shm));
  *out = ep;
  return 0;
}

static int open_peer(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  if (attach(ep, c, arg, 0) != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

/* A wait step; fails after a minute without progress, or when the watchdog fired. */
static int wait_step(mb_ep *ep, unsigned *spins, uint64_t *since, const char *what) {
  if (ep->yield)
    mb_yield();
  else
    mb_cpu_relax();
  if ((++*spins & 0xfffff) == 0) {
    uint64_t now = mb_now_ns();
    if (!*since) *since = now;
    if (now - *since > WAIT_LIMIT_NS || mb_watchdog_fired()) return mb_fail("floor-ring: %s", what);
  }
  return 0;
}

/* Room for `need` bytes at the writer's position; the reader's tail is read only when the
   cached one says there is none. */
static int room(mb_ep *ep, uint64_t need) {
  unsigned spins = 0;
  uint64_t since = 0;
  while (ep->pos + need - ep->tail_seen > ep->cap) {
    ep->tail_seen = atomic_load_explicit(&ep->ctl->tail, memory_order_acquire);
    if (ep->pos + need - ep->tail_seen <= ep->cap) break;
    if (wait_step(ep, &spins, &since, "the reader never made room") != 0) return -1;
  }
  return 0;
}

/* Publishes the record at pos (its length already written) and moves past it, clearing
   the next record's stamp first. */
static void publish(mb_ep *ep, uint32_t len, uint64_t bytes) {
  uint64_t at = ep->pos;
  memcpy(ep->data + (at & (ep->cap - 1)), &len, 4);
  ep->pos += bytes;
  atomic_store_explicit(stamp_at(ep, ep->pos), 0, memory_order_relaxed);
  atomic_store_explicit(stamp_at(ep, at), stamp_of(ep->seq++), memory_order_release);
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  /* Room for the record and the next one's header, whose stamp publish() clears: a record
     the reader has not finished may start there. */
  uint64_t need = record_bytes(len) + 8, off = ep->pos & (ep->cap - 1);
  if (off + need - 8 > ep->cap) { /* not before the end: a wrap record, then offset 0 */
    uint64_t rest = ep->cap - off;
    if (room(ep, rest + need) != 0) return -1;
    publish(ep, WRAP, rest);
  } else if (room(ep, need) != 0) {
    return -1;
  }
  need -= 8;
  memcpy(ep->data + (ep->pos & (ep->cap - 1)) + 8, src, len);
  publish(ep, (uint32_t)len, need);
  return 0;
}

static void publish_tail(mb_ep *ep) {
  atomic_store_explicit(&ep->ctl->tail, ep->pos, memory_order_release);
  ep->published = ep->pos;
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  unsigned spins = 0;
  uint64_t since = 0;
  for (;;) {
    uint32_t want = stamp_of(ep->seq);
    if (atomic_load_explicit(stamp_at(ep, ep->pos), memory_order_acquire) == want) {
      uint32_t n;
      const unsigned char *rec = ep->data + (ep->pos & (ep->cap - 1));
      memcpy(&n, rec, 4);
      ep->seq++;
      if (n == WRAP) {
        ep->pos += ep->cap - (ep->pos & (ep->cap - 1));
        continue;
      }
      *msg = rec + 8;
      *len = n;
      ep->next = ep->pos + record_bytes(n);
      return 0;
    }
    if (ep->published != ep->pos) publish_tail(ep); /* empty: give the writer its room */
    if (wait_step(ep, &spins, &since, "no record from the writer") != 0) return -1;
  }
}

static int done(mb_ep *ep) {
  ep->pos = ep->next;
  if (ep->pos - ep->published >= ep->cap / 8) publish_tail(ep);
  return 0;
}

const mb_transport mb_floor_ring = {
    .name = "floor-ring",
    .about = "floor: a bare SPSC byte ring (stamped records, cached and batched indices)",
    .floor = 1,
    .carries = 1,
    .patterns = MB_BIT(MB_STREAM),
    .skip = skip,
    .create = create,
    .open = open_peer,
    .send = send_msg,
    .recv = recv_msg,
    .done = done,
    .close = close_ep,
};
