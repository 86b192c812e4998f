/* mc_inspect: an object's state by name, read without taking part. The region part is
 * core/inspect.c's; a channel's control block and counter lines are read here, from a copy
 * for everything fixed and live (once each) for the indices that move, and judged as a
 * channel's own ends judge them: a value no end could have left is MC_ECORRUPT. */
#include "chan.h"
#include "inspect.h"

#include <string.h>

/* How often the moving indices are read again when the first reads do not fit together
   (each read is of a different moment; a busy channel moves between them). */
#define CONSISTENT_TRIES 1000

/* ring head and tail, read live: tail first, then head (which only grows). The receiver
   follows the records' stamps, which a sender stores before it publishes head, so tail may
   be ahead of the head read, by what was just committed; never by more than a ring, and
   head never more than a ring ahead of tail. A pair that does not fit is read again (the
   two reads are of different moments); one that never fits is corrupt. */
static int ring_indices(const mc__chan_ctl *live, uint64_t cap, mc_chan_info *ci) {
  for (int i = 0; i < CONSISTENT_TRIES; i++) {
    uint64_t t = atomic_load_explicit(&live->tail, memory_order_acquire);
    uint64_t h = atomic_load_explicit(&live->head, memory_order_acquire);
    if ((h | t) % 16) return MC_ECORRUPT; /* records start at multiples of 16 */
    if ((h >= t && h - t <= cap) || (t > h && t - h <= cap)) {
      ci->head = h;
      ci->tail = t;
      ci->used = h > t ? h - t : 0;
      return MC_OK;
    }
  }
  return MC_ECORRUPT;
}

static int end_state(uint32_t st) {
  return st == MC__PEER_OPEN ? MC_END_OPEN : st == MC__PEER_CLOSED ? MC_END_CLOSED : MC_END_DEAD;
}

/* Adds the end in peer record p (a copy) with its counter line (a copy); MC_ECORRUPT for a
   state no end writes. FREE records are left out. */
static int add_end(mc_chan_info *ci, const mc__chan_peer *p, const mc__chan_ctr *ctr, int role,
                   int index) {
  uint32_t st = atomic_load_explicit(&p->state, memory_order_relaxed);
  if (st > MC__PEER_DEAD) return MC_ECORRUPT;
  if (st == MC__PEER_FREE) return MC_OK;
  uint64_t token = atomic_load_explicit(&p->token, memory_order_relaxed);
  mc_end_info *e = &ci->ends[ci->nends++];
  e->role = role;
  e->index = index;
  e->state = end_state(st);
  e->pid = mc__token_pid(token);
  e->alive = token ? mc__plat_token_alive(token) : 0;
  e->counted = atomic_load_explicit(&ctr->token, memory_order_relaxed) == token && token;
  /* The end stores its counts one after the other, with plain stores (mc__chan_publish: no
     sequence word, so the data path pays nothing for this): a reader held up between two
     loads pairs one moment's message count with another's bytes. Reading again until the
     message count holds still around the others makes that rare, not impossible: the
     counts are for people watching rates, not for arithmetic that must balance. */
  for (int tries = 0; e->counted && tries < 8; tries++) {
    e->messages = atomic_load_explicit(&ctr->messages, memory_order_acquire);
    e->bytes = atomic_load_explicit(&ctr->bytes, memory_order_relaxed);
    e->waits = atomic_load_explicit(&ctr->waits, memory_order_relaxed);
    e->wakeups = atomic_load_explicit(&ctr->wakeups, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&ctr->messages, memory_order_relaxed) == e->messages) break;
  }
  if (e->state == MC_END_OPEN && e->alive) {
    if (role == MC_CHAN_SEND)
      ci->senders++;
    else
      ci->receivers++;
  }
  return MC_OK;
}

/* A broadcast receiver's place: its cursor (read live, before head) must lie on a record
   boundary within a ring of head (behind it, or just ahead as a tail may be), or be the
   joining mark. */
static int bcast_backlog(const mc__chan_ctl *live, int i, uint64_t cap, mc_end_info *e) {
  for (int n = 0; n < CONSISTENT_TRIES; n++) {
    uint64_t c = atomic_load_explicit(&live->rx[i].cursor, memory_order_acquire);
    uint64_t h = atomic_load_explicit(&live->head, memory_order_acquire);
    if (c == MC__CURSOR_JOINING) return MC_OK;
    if (c % 16) return MC_ECORRUPT;
    if ((c <= h && h - c <= cap) || (c > h && c - h <= cap)) { /* as tail: ring_indices */
      e->backlog = c < h ? h - c : 0;
      return MC_OK;
    }
  }
  return MC_ECORRUPT;
}

static int fill_ends(const mc__chan_ctl *c, const mc__chan_ctl *live, const mc__chan_ctr *ctr,
                     const mc__chan_geom *g, mc_chan_info *ci) {
  for (int i = 0; i < MC__CHAN_SENDERS; i++) {
    int rc = add_end(ci, &c->senders[i], &ctr[i], MC_CHAN_SEND, i);
    if (rc != MC_OK) return rc;
  }
  if (!(g->flags & (MC_CHAN_MULTI_RECV | MC_CHAN_BROADCAST)))
    return add_end(ci, &c->receiver, &ctr[MC__CHAN_SENDERS], MC_CHAN_RECV, 0);
  for (int i = 0; i < MC__CHAN_RECEIVERS; i++) {
    int before = ci->nends;
    int rc = add_end(ci, &c->rx[i].peer, &ctr[MC__CHAN_SENDERS + i], MC_CHAN_RECV, i);
    if (rc != MC_OK || ci->nends == before) {
      if (rc != MC_OK) return rc;
      continue;
    }
    mc_end_info *e = &ci->ends[before];
    if (g->flags & MC_CHAN_DROP_OLDEST) /* generation << 48 | count */
      e->dropped =
          atomic_load_explicit(&c->rx[i].dropped, memory_order_relaxed) & ((1ull << 48) - 1);
    if ((g->flags & MC_CHAN_BROADCAST) && e->state == MC_END_OPEN) {
      rc = bcast_backlog(live, i, g->capacity, e);
      if (rc != MC_OK) return rc;
    }
  }
  return MC_OK;
}

/* The channel part of an object whose region part passed. */
static int fill_chan(mc__peek *p, mc_chan_info *ci) {
  const mc__chan_ctl *c = (const mc__chan_ctl *)(const void *)p->hdr.state_area;
  const mc__chan_ctl *live = (const mc__chan_ctl *)(const void *)(p->map.base + MC__STATE_OFFSET);
  mc__chan_geom g;
  int rc = mc__chan_check_geom(&p->hdr, c, &g);
  if (rc != MC_OK) return rc;
  ci->kind = g.kind;
  ci->flags = g.flags;
  ci->capacity = g.capacity;
  ci->max_msg = g.max_msg;
  ci->spin_us = g.spin_us;
  ci->senders_closed = atomic_load_explicit(&c->senders_closed, memory_order_relaxed);
  ci->senders_died = atomic_load_explicit(&c->senders_died, memory_order_relaxed);
  ci->abandoned = atomic_load_explicit(&c->abandoned, memory_order_relaxed);
  ci->aborted = atomic_load_explicit(&c->aborted, memory_order_relaxed) != 0;
  ci->abort_code = atomic_load_explicit(&c->abort_code, memory_order_relaxed);
  if (g.kind == MC_CHAN_RING) {
    rc = ring_indices(live, g.capacity, ci);
  } else {
    uint32_t st = atomic_load_explicit(&c->slot_state.value, memory_order_relaxed);
    uint32_t len = atomic_load_explicit(&c->slot_len, memory_order_relaxed);
    if (st > MC__SLOT_FULL || len > g.max_msg) return MC_ECORRUPT;
    ci->slot_full = st == MC__SLOT_FULL;
    ci->used = ci->slot_full ? len : 0;
  }
  if (rc != MC_OK) return rc;
  /* The counter lines lie inside the size the header check accepted (the channel check
     made size = their offset + their bytes), all of it committed and readable. */
  uint64_t at = MC__HEADER_BYTES + mc__chan_ctr_offset(g.capacity, g.max_msg);
  if (at + MC__CHAN_CTR_BYTES > p->map.committed) return MC_ECORRUPT;
  mc__chan_ctr ctr[MC__CHAN_CTR_LINES];
  memcpy(ctr, p->map.base + at, sizeof ctr);
  return fill_ends(c, live, ctr, &g, ci);
}

static int impl_inspect(const char *name, mc_obj_info *out) {
  mc__objname n;
  mc__peek p;
  if (!out) return MC_EINVAL;
  memset(out, 0, sizeof *out);
  int rc = mc__name_parse_derived(name, &n);
  if (rc != MC_OK) return rc;
  mc__name_user_spelling(&n, out->name, sizeof out->name);
  rc = mc__peek_open(&n, &p);
  if (rc != MC_OK) return rc;
  rc = mc__peek_region(&p, out);
  if (rc == MC_OK && (out->kind == MC_OBJ_RING || out->kind == MC_OBJ_SLOT))
    rc = fill_chan(&p, &out->chan);
  mc__peek_close(&p);
  return rc;
}

int mc_inspect(const char *name, mc_obj_info *out) {
  return MC__LOGGED(name, impl_inspect(name, out));
}
