/* Channels: creating and opening endpoints, roles, end of stream, peer death, and the
 * public calls, which check their state and hand the data path to the kind's operations
 * (ring.c, slot.c). */
#include "chan_internal.h"

#include <stdlib.h>
#include <string.h>

/* How long a channel waits before re-checking that its peers live (a dead process wakes
   nobody), and so how late a death is noticed. */
#define PEER_CHECK_NS 10000000ull
/* The default busy-wait before sleeping: see docs/channels.md for the measurements behind
   it. */
#define DEFAULT_SPIN_US 50
#define MAX_SPIN_US     10000000

/* ---- geometry ---------------------------------------------------------------------------- */

static uint64_t pow2_at_least(uint64_t v) {
  uint64_t p = 64;
  while (p < v) p <<= 1;
  return p;
}

/* The validated geometry of a channel, from options or from an existing channel's header. */
typedef struct geometry {
  int kind;
  uint32_t max_msg;
  uint64_t capacity; /* ring bytes; slot: 0 */
  unsigned flags;
  int spin_us;
} geometry;

static int geometry_from_options(const mc_chan_options *o, geometry *g) {
  if (o->kind != MC_CHAN_RING && o->kind != MC_CHAN_SLOT) return MC_EINVAL;
  if ((o->flags & ~(unsigned)MC_CHAN_MULTI_SEND) || (o->mode & ~0777u)) return MC_EINVAL;
  if (o->spin_us < -1 || o->spin_us > MAX_SPIN_US) return MC_EINVAL;
  g->kind = o->kind;
  g->flags = o->flags;
  g->spin_us = o->spin_us;
  g->max_msg = o->max_msg ? o->max_msg : MC__CHAN_DEFAULT_MAX_MSG;
  if (g->max_msg > MC__CHAN_MAX_MSG) return MC_EINVAL;
  g->capacity = 0;
  if (g->kind == MC_CHAN_SLOT) return MC_OK;
  /* A ring holds at least two largest records: then one always fits, padding included. */
  uint64_t least = 2 * mc__rec_bytes(g->max_msg);
  if (o->capacity == 0) {
    g->capacity = pow2_at_least(MC__MAX(MC__CHAN_DEFAULT_CAPACITY, least));
  } else {
    if (o->capacity > MC__CHAN_MAX_CAPACITY) return MC_EINVAL;
    g->capacity = pow2_at_least(o->capacity);
    if (g->capacity < least) return MC_EINVAL;
  }
  return g->capacity <= MC__CHAN_MAX_CAPACITY ? MC_OK : MC_EINVAL;
}

/* What the region hooks work with: the geometry a creator asks for (init writes it), and the
   one an existing channel has (check finds it). Kept apart: a create that meets a stale
   channel checks the old one before it replaces it with the new. */
typedef struct geometries {
  const geometry *want; /* NULL when only opening */
  geometry found;
} geometries;

/* Region hook, new channel: the control block. */
static int chan_init(mc__region *r, void *ctx) {
  const geometry *g = ((geometries *)ctx)->want;
  mc__chan_ctl *c = MC__REGION_STATE(r, mc__chan_ctl);
  memset(c, 0, sizeof *c);
  c->recv_cpu = c->send_cpu = -1;
  c->capacity = g->capacity;
  c->max_msg = g->max_msg;
  c->flags = g->flags;
  c->spin_us = g->spin_us;
  /* Nobody else has it yet: allocate and map the whole ring (up to a bound) now, so that the
     first messages do not pay a page fault per 4 KiB. */
  mc__plat_map_prefault(&r->map, MC__HEADER_BYTES, MC__MIN(r->hdr->size, MC__PREFAULT_MAX), 1);
  MC__CRASH(CHAN_INIT);
  return MC_OK;
}

/* Region hook, existing channel: its geometry, from the guarded header, must be sound, and
   the control block's copy must agree. */
static int chan_check(mc__region *r, void *ctx) {
  geometry *g = &((geometries *)ctx)->found;
  const mc__region_hdr *h = r->hdr;
  const mc__chan_ctl *c = MC__REGION_STATE(r, mc__chan_ctl);
  uint64_t cap = h->params[0], max = h->params[1], flags = h->params[2];
  int64_t spin = (int64_t)h->params[3];
  uint64_t size = atomic_load(&h->size);
  g->kind = h->kind == MC__KIND_CHAN_SLOT ? MC_CHAN_SLOT : MC_CHAN_RING;
  if (max == 0 || max > MC__CHAN_MAX_MSG || (flags & ~(uint64_t)MC_CHAN_MULTI_SEND) || spin < -1 ||
      spin > MAX_SPIN_US)
    return MC_ECORRUPT;
  if (g->kind == MC_CHAN_RING) {
    if (cap < 64 || cap > MC__CHAN_MAX_CAPACITY || (cap & (cap - 1)) ||
        cap < 2 * mc__rec_bytes(max) || size != cap)
      return MC_ECORRUPT;
  } else if (cap != 0 || size != max) {
    return MC_ECORRUPT;
  }
  if (c->capacity != cap || c->max_msg != max || c->flags != flags || c->spin_us != spin)
    return MC_ECORRUPT;
  g->capacity = cap;
  g->max_msg = (uint32_t)max;
  g->flags = (unsigned)flags;
  g->spin_us = (int)spin;
  return MC_OK;
}

/* ---- peers ---------------------------------------------------------------------------------- */

static int peer_alive(mc__chan_peer *p) {
  return mc__plat_token_alive(atomic_load_explicit(&p->token, memory_order_acquire));
}

/* Registration and the marking of dead peers happen under reg_lock: a slot is reused only
   when its occupant is gone, and that must be decided by one process at a time. */
/* Takes the registration lock by `deadline`. */
static int lock_registration(mc_chan *ch, mc__tlock *reg, uint64_t deadline) {
  int rc = mc__tlock_bind(reg, &ch->r.name, &ch->ctl->reg_lock,
                          MC__STATE_OFFSET + offsetof(mc__chan_ctl, reg_lock));
  if (rc != MC_OK) return rc;
  rc = mc__tlock_acquire_by(reg, deadline);
  if (rc == MC_EOWNERDEAD) rc = MC_OK; /* each registration step is one store */
  if (rc != MC_OK) {
    mc__tlock_unbind(reg);
    return rc;
  }
  MC__CRASH(CHAN_REG_LOCKED);
  return MC_OK;
}

static void unlock_registration(mc__tlock *reg) {
  mc__tlock_release(reg);
  mc__tlock_unbind(reg);
}

/* Marks sender p, found OPEN with its process dead, DEAD; caller holds reg_lock. The count
   comes first: a death between the two leaves a dead OPEN sender, which is marked again,
   never a DEAD one uncounted (the receiver would take the stream for not begun). */
static void mark_sender_dead(mc__chan_ctl *c, mc__chan_peer *p) {
  atomic_fetch_add(&c->senders_died, 1);
  MC__CRASH(CHAN_MARK_DEAD);
  atomic_store(&p->state, MC__PEER_DEAD);
}

static int register_role(mc_chan *ch, uint64_t deadline) {
  mc__chan_ctl *c = ch->ctl;
  mc__tlock reg;
  int rc = lock_registration(ch, &reg, deadline);
  if (rc != MC_OK) return rc;
  uint64_t me = mc__plat_self_token();
  mc__chan_peer *slot = NULL;
  if (ch->role == MC_CHAN_RECV) {
    slot = &c->receiver;
    if (atomic_load(&slot->state) == MC__PEER_OPEN && peer_alive(slot)) slot = NULL;
  } else {
    int n = ch->multi ? MC__CHAN_SENDERS : 1;
    for (int i = 0; i < n && !slot; i++) {
      mc__chan_peer *p = &c->senders[i];
      uint32_t st = atomic_load(&p->state);
      if (st == MC__PEER_OPEN && !peer_alive(p)) {
        mark_sender_dead(c, p);
        st = MC__PEER_DEAD;
      }
      if (st != MC__PEER_OPEN) {
        slot = p;
        ch->peer = i;
        ch->send_side.bit = 1ull << i;
      }
    }
  }
  if (slot) {
    atomic_store_explicit(&slot->token, me, memory_order_relaxed);
    atomic_store_explicit(&slot->state, MC__PEER_OPEN, memory_order_release);
    MC__CRASH(CHAN_REG_CLAIMED);
  } else {
    /* Taken: a live receiver, or a live sender of a one-sender channel (or 64 senders). */
    rc = ch->role == MC_CHAN_SEND && ch->multi ? MC_ENOSPC : MC_ESTATE;
  }
  unlock_registration(&reg);
  return rc;
}

/* Gives back the slot register_role claimed, for an open that fails after it: the slot was
   never used, so it is FREE again rather than CLOSED (no end of stream is announced). */
static void unregister(mc_chan *ch) {
  mc__chan_peer *p = ch->role == MC_CHAN_RECV ? &ch->ctl->receiver : &ch->ctl->senders[ch->peer];
  uint32_t open = MC__PEER_OPEN;
  atomic_compare_exchange_strong(&p->state, &open, MC__PEER_FREE);
}

/* Marks an OPEN peer whose process died as DEAD, under reg_lock taken by the caller's
   deadline; 0 if the lock could not be had in time (the peer is dead all the same). */
static int mark_dead(mc_chan *ch, mc__chan_peer *p, int sender, mc__timeout *to) {
  mc__tlock reg;
  if (lock_registration(ch, &reg, mc__timeout_deadline(to)) != MC_OK) return 0;
  if (atomic_load(&p->state) == MC__PEER_OPEN && !peer_alive(p)) {
    if (sender)
      mark_sender_dead(ch->ctl, p);
    else
      atomic_store(&p->state, MC__PEER_DEAD);
  }
  unlock_registration(&reg);
  return 1;
}

/* Liveness checks cost a /proc read or an OpenProcess each: at most one round per
   PEER_CHECK_NS per handle. */
static int peer_check_due(mc_chan *ch) {
  uint64_t now = mc__plat_now_ns();
  if (now < ch->next_peer_check) return 0;
  ch->next_peer_check = now + PEER_CHECK_NS;
  return 1;
}

int mc__chan_senders_gone(mc_chan *ch, mc__timeout *to) {
  mc__chan_ctl *c = ch->ctl;
  int check = peer_check_due(ch), open = 0, dead = 0;
  if (check && mc__region_intact(&ch->r) != MC_OK) return mc__chan_corrupt(ch);
  int n = ch->multi ? MC__CHAN_SENDERS : 1;
  for (int i = 0; i < n; i++) {
    mc__chan_peer *p = &c->senders[i];
    if (atomic_load_explicit(&p->state, memory_order_acquire) != MC__PEER_OPEN) continue;
    if (check && !peer_alive(p)) {
      mark_dead(ch, p, 1, to); /* dead whether or not it could be marked in time */
      dead = 1;
      continue;
    }
    open++;
  }
  if (open) return 0;
  /* Nobody can send: once drained, say how the stream ended (a death outranks a close:
     something may be missing). No sender yet at all: keep waiting. */
  if (dead || atomic_load(&c->senders_died)) return MC_EPEERDEAD;
  if (atomic_load(&c->senders_closed)) return MC_ECLOSED;
  return 0;
}

int mc__chan_receiver_gone(mc_chan *ch, mc__timeout *to) {
  mc__chan_peer *p = &ch->ctl->receiver;
  uint32_t st = atomic_load_explicit(&p->state, memory_order_acquire);
  if (st == MC__PEER_CLOSED || st == MC__PEER_DEAD) return MC_EPEERDEAD;
  int check = peer_check_due(ch);
  if (check && mc__region_intact(&ch->r) != MC_OK) return mc__chan_corrupt(ch);
  if (st == MC__PEER_OPEN && check && !peer_alive(p)) {
    mark_dead(ch, p, 0, to);
    return MC_EPEERDEAD;
  }
  return 0; /* open and alive, or not connected yet */
}

int mc__chan_corrupt(mc_chan *ch) {
  if (!ch->corrupt) mc__debug("channel %s: shared state failed validation", ch->name);
  ch->corrupt = 1;
  return MC_ECORRUPT;
}

/* ---- handles ----------------------------------------------------------------------------------
 */

static int bind_handle(mc_chan *ch, const geometry *g) {
  mc__chan_ctl *c = MC__REGION_STATE(&ch->r, mc__chan_ctl);
  ch->ctl = c;
  ch->kind = g->kind;
  ch->ops = g->kind == MC_CHAN_SLOT ? &mc__slot_ops : &mc__ring_ops;
  ch->data = mc__region_data(&ch->r);
  ch->cap_mask = g->capacity ? g->capacity - 1 : 0;
  ch->max_msg = g->max_msg;
  ch->multi = (g->flags & MC_CHAN_MULTI_SEND) != 0;
  int spin = g->spin_us == 0 ? DEFAULT_SPIN_US : g->spin_us;
  ch->spin_us = spin < 0 ? 0 : spin;
  ch->peer = -1;
  const mc__objname *n = &ch->r.name;
  uint64_t base = MC__STATE_OFFSET;
  mc__plat_futex_bind(&ch->data_f, &c->data, n, base + offsetof(mc__chan_ctl, data));
  mc__plat_futex_bind(&ch->space_f, &c->space, n, base + offsetof(mc__chan_ctl, space));
  /* The senders' bit is set once registration gives us our index. */
  ch->send_side =
      (mc__chan_side){&c->send_waiting, 1, &ch->space_f, &c->send_cpu, &c->recv_cpu, &c->recv_busy};
  ch->recv_side =
      (mc__chan_side){&c->recv_waiting, 1, &ch->data_f, &c->recv_cpu, &c->send_cpu, &c->send_busy};
  int rc = mc__tlock_bind(&ch->send_lock, &ch->r.name, &c->send_lock,
                          base + offsetof(mc__chan_ctl, send_lock));
  if (rc == MC_OK)
    rc = mc__tlock_bind(&ch->slot_lock, &ch->r.name, &c->slot_lock,
                        base + offsetof(mc__chan_ctl, slot_lock));
  strcpy(ch->name, n->base);
  return rc;
}

static void unbind_handle(mc_chan *ch) {
  mc__plat_futex_unbind(&ch->data_f);
  mc__plat_futex_unbind(&ch->space_f);
  mc__tlock_unbind(&ch->send_lock);
  mc__tlock_unbind(&ch->slot_lock);
}

/* Opens the region (spec from the caller), binds and registers. */
static int open_endpoint(const mc__objname *n, mc__region_spec *spec, const geometry *want,
                         int role, mc_chan **out) {
  geometries gs = {want, {0}};
  mc_chan *ch = calloc(1, sizeof *ch);
  if (!ch) return MC_ENOMEM;
  ch->role = role;
  spec->init = chan_init;
  spec->check = chan_check;
  spec->ctx = &gs;
  int rc = mc__region_open(n, spec, &ch->r);
  if (rc != MC_OK) {
    free(ch);
    return rc;
  }
  rc = bind_handle(ch, ch->r.created ? want : &gs.found);
  if (rc == MC_OK && !ch->r.created) /* the creator mapped it in already */
    mc__plat_map_prefault(&ch->r.map, MC__HEADER_BYTES, MC__MIN(ch->r.size, MC__PREFAULT_MAX), 0);
  if (rc == MC_OK && role != MC_CHAN_NONE) rc = register_role(ch, spec->deadline);
  if (rc == MC_OK && role != MC_CHAN_NONE) {
    rc = ch->ops->start(ch); /* where this end stands in the stream */
    if (rc != MC_OK) unregister(ch);
  }
  if (rc != MC_OK) {
    unbind_handle(ch);
    mc__region_close(&ch->r);
    free(ch);
    return rc;
  }
  *out = ch;
  return MC_OK;
}

/* Wakes openers waiting in mc_chan_open for this name to appear (see wait_created). */
static void announce(const mc__objname *n) {
  mc__objname ev_name;
  mc_event *ev;
  if (mc__name_derive(n, "$new", &ev_name) != MC_OK) return;
  if (mc__event_open_name(&ev_name, MC__MAP_OPEN_ONLY, 1, 0, &ev) == MC_OK) {
    mc_event_set(ev);
    mc_event_close(ev);
  }
}

int mc_chan_create(const char *name, const mc_chan_options *opt, int role, mc_chan **out) {
  static const mc_chan_options defaults;
  geometry g;
  mc__objname n;
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (role != MC_CHAN_NONE && role != MC_CHAN_SEND && role != MC_CHAN_RECV) return MC_EINVAL;
  if (!opt) opt = &defaults;
  int rc = geometry_from_options(opt, &g);
  if (rc != MC_OK) return rc;
  rc = name ? mc__name_parse(name, &n) : mc__name_unique(&n);
  if (rc != MC_OK) return rc;
  mc__region_spec spec = {0};
  spec.kind = g.kind == MC_CHAN_SLOT ? MC__KIND_CHAN_SLOT : MC__KIND_CHAN_RING;
  spec.how = MC__MAP_CREATE_ONLY;
  spec.size = g.kind == MC_CHAN_SLOT ? g.max_msg : g.capacity;
  spec.mode = opt->mode ? opt->mode : 0600;
  spec.deadline = mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS); /* create has no timeout of its own */
  spec.params[0] = g.capacity;
  spec.params[1] = g.max_msg;
  spec.params[2] = g.flags;
  spec.params[3] = (uint64_t)(int64_t)g.spin_us;
  rc = open_endpoint(&n, &spec, &g, role, out);
  if (rc == MC_OK) announce(&n);
  return rc;
}

static int remaining_ms(uint64_t deadline) {
  if (deadline == MC__NO_DEADLINE) return MC_INFINITE;
  uint64_t now = mc__plat_now_ns();
  if (now >= deadline) return 0;
  uint64_t ms = (deadline - now + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* Sleeps until a channel named n may have appeared: on the manual-reset event "N$new",
   which creators set after creating. The event is opened before the caller looks again, so
   a channel created after that look is announced to us. */
static int wait_created(const mc__objname *n, mc__region_spec *spec, int role, uint64_t deadline,
                        mc_chan **out) {
  mc__objname ev_name;
  int rc = mc__name_derive(n, "$new", &ev_name);
  if (rc != MC_OK) return rc;
  for (;;) {
    mc_event *ev;
    rc = mc__event_open_name(&ev_name, MC__MAP_EITHER, 1, 0, &ev);
    if (rc != MC_OK) return rc;
    rc = open_endpoint(n, spec, NULL, role, out);
    if (rc == MC_ENOENT) {
      rc = mc_event_wait(ev, remaining_ms(deadline));
      /* Set by a creator, or left set by one whose channel is gone again: reset, then look
         (a creator that sets after our look wakes us next time). */
      mc_event_reset(ev);
      if (rc == MC_OK) rc = MC_ENOENT;
    }
    mc_event_close(ev);
    if (rc != MC_ENOENT) return rc;
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
  }
}

int mc_chan_open(const char *name, int role, int timeout_ms, mc_chan **out) {
  mc__objname n;
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (role != MC_CHAN_NONE && role != MC_CHAN_SEND && role != MC_CHAN_RECV) return MC_EINVAL;
  if (!name || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  int rc = mc__name_parse(name, &n);
  if (rc != MC_OK) return rc;
  uint64_t deadline = mc__deadline_ms(timeout_ms);
  mc__region_spec spec = {0};
  spec.kind = MC__KIND_CHAN_RING;
  spec.kinds = 1u << MC__KIND_CHAN_SLOT;
  spec.how = MC__MAP_OPEN_ONLY;
  spec.deadline = deadline; /* also bounds waiting for a creator still initialising */
  rc = open_endpoint(&n, &spec, NULL, role, out);
  if (rc != MC_ENOENT) return rc;
  if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
  return wait_created(&n, &spec, role, deadline, out);
}

/* ---- closing ----------------------------------------------------------------------------------
 */

int mc_chan_close_send(mc_chan *ch) {
  if (!ch) return MC_EINVAL;
  if (ch->role != MC_CHAN_SEND || ch->closed_send) return MC_ESTATE;
  if (ch->reserved) {
    ch->ops->cancel_reserve(ch);
    ch->reserved = 0;
  }
  mc__chan_peer *p = &ch->ctl->senders[ch->peer];
  uint32_t open = MC__PEER_OPEN;
  ch->closed_send = 1;
  /* Counted before the state changes: a sender that dies in between is an OPEN sender found
     dead later (end of stream by death), never a CLOSED one uncounted, which would leave a
     receiver taking the stream for not yet begun. */
  atomic_fetch_add(&ch->ctl->senders_closed, 1);
  MC__CRASH(CHAN_CLOSING);
  /* After every message this sender published (release pairs with the receiver's acquire
     of the state): a receiver that sees CLOSED sees them all. */
  atomic_compare_exchange_strong_explicit(&p->state, &open, MC__PEER_CLOSED, memory_order_release,
                                          memory_order_relaxed);
  MC__CRASH(CHAN_CLOSED);
  /* A receiver asleep must wake to see the end: bump its word whether or not it announced
     itself yet (it may be between its look at the senders and its sleep). */
  mc__chan_kick(ch, &ch->data_f);
  return MC_OK;
}

void mc_chan_close(mc_chan *ch) {
  if (!ch) return;
  if (ch->role == MC_CHAN_SEND) {
    if (!ch->closed_send) mc_chan_close_send(ch);
  } else if (ch->role == MC_CHAN_RECV) {
    if (ch->peeked) ch->ops->cancel_peek(ch);
    uint32_t open = MC__PEER_OPEN;
    atomic_compare_exchange_strong(&ch->ctl->receiver.state, &open, MC__PEER_CLOSED);
    mc__chan_kick(ch, &ch->space_f); /* senders asleep on a full ring: look again */
  }
  unbind_handle(ch);
  mc__region_close(&ch->r);
  free(ch);
}

/* ---- the public data path ------------------------------------------------------------------- */

static int usable(const mc_chan *ch, int role, int timeout_ms) {
  if (!ch || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != role) return MC_ESTATE;
  return MC_OK;
}

int mc_chan_reserve(mc_chan *ch, size_t len, void **buf, int timeout_ms) {
  int rc = usable(ch, MC_CHAN_SEND, timeout_ms);
  if (rc != MC_OK) return rc;
  if (!buf) return MC_EINVAL;
  if (ch->reserved || ch->closed_send) return MC_ESTATE; /* *buf untouched: it may be in use */
  *buf = NULL;
  if (len > ch->max_msg) return MC_ENOSPC;
  mc__timeout to = mc__timeout_ms(timeout_ms);
  rc = ch->ops->reserve(ch, len, buf, &to);
  if (rc == MC_OK) {
    ch->reserved = 1;
    ch->res_len = len;
  }
  return rc;
}

int mc_chan_commit(mc_chan *ch, size_t len) {
  if (!ch) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != MC_CHAN_SEND || !ch->reserved) return MC_ESTATE;
  if (len > ch->res_len) return MC_EINVAL;
  int rc = ch->ops->commit(ch, len);
  ch->reserved = 0;
  if (rc == MC_OK) {
    ch->stats.sent++;
    ch->stats.bytes_sent += len;
  }
  return rc;
}

int mc_chan_send(mc_chan *ch, const void *msg, size_t len, int timeout_ms) {
  void *buf;
  if (ch && !msg && len) return MC_EINVAL;
  int rc = mc_chan_reserve(ch, len, &buf, timeout_ms);
  if (rc != MC_OK) return rc;
  if (len) memcpy(buf, msg, len);
  return mc_chan_commit(ch, len);
}

int mc_chan_peek(mc_chan *ch, const void **msg, size_t *len, int timeout_ms) {
  int rc = usable(ch, MC_CHAN_RECV, timeout_ms);
  if (rc != MC_OK) return rc;
  if (!msg || !len) return MC_EINVAL;
  if (ch->peeked) return MC_ESTATE; /* *msg untouched: it may be in use */
  *msg = NULL;
  *len = 0;
  mc__timeout to = mc__timeout_ms(timeout_ms);
  rc = ch->ops->peek(ch, msg, len, &to);
  if (rc == MC_OK) {
    ch->peeked = 1;
    ch->peek_msg = *msg;
    ch->peek_len = *len;
  }
  return rc;
}

int mc_chan_consume(mc_chan *ch) {
  if (!ch) return MC_EINVAL;
  if (ch->corrupt) return MC_ECORRUPT;
  if (ch->role != MC_CHAN_RECV || !ch->peeked) return MC_ESTATE;
  int rc = ch->ops->consume(ch);
  ch->peeked = 0;
  if (rc == MC_OK) {
    ch->stats.received++;
    ch->stats.bytes_received += ch->peek_len;
  }
  return rc;
}

int mc_chan_recv(mc_chan *ch, void *buf, size_t cap, size_t *len, int timeout_ms) {
  const void *msg;
  size_t n;
  if (len) *len = 0;
  if (ch && !buf && cap) return MC_EINVAL;
  int rc = mc_chan_peek(ch, &msg, &n, timeout_ms);
  if (rc != MC_OK) return rc;
  if (len) *len = n;
  if (n > cap) {
    ch->ops->cancel_peek(ch); /* the message stays queued */
    ch->peeked = 0;
    return MC_ENOSPC;
  }
  if (n) memcpy(buf, msg, n);
  return mc_chan_consume(ch);
}

const char *mc_chan_name(const mc_chan *ch) {
  return ch ? ch->name : "";
}

int mc_chan_get_stats(const mc_chan *ch, mc_chan_stats *out) {
  if (!ch || !out) return MC_EINVAL;
  *out = ch->stats;
  return MC_OK;
}
