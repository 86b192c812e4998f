/* Creating and opening channel endpoints: the geometry from options or from an existing
 * channel, the region hooks, binding a handle, and waiting for a channel to be created. */
#include "chan.h"

#include <stdlib.h>
#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

/* The default busy-wait before sleeping: see docs/channels.md for the measurements behind
   it. */
#define DEFAULT_SPIN_US 50
#define MAX_SPIN_US     10000000

static uint64_t pow2_at_least(uint64_t v) {
  uint64_t p = 64;
  while (p < v) p <<= 1;
  return p;
}

typedef mc__chan_geom geometry;

#define KNOWN_FLAGS                                                                                \
  (MC_CHAN_MULTI_SEND | MC_CHAN_MULTI_RECV | MC_CHAN_BROADCAST | MC_CHAN_DROP_OLDEST)

/* Flags that go together: fan-out is the ring's, one kind of it at a time, and dropping is a
   broadcast policy. */
static int flags_ok(int kind, uint64_t f) {
  if (f & ~(uint64_t)KNOWN_FLAGS) return 0;
  if ((f & MC_CHAN_MULTI_RECV) && (f & MC_CHAN_BROADCAST)) return 0;
  if ((f & MC_CHAN_DROP_OLDEST) && !(f & MC_CHAN_BROADCAST)) return 0;
  return kind == MC_CHAN_RING || !(f & (MC_CHAN_MULTI_RECV | MC_CHAN_BROADCAST));
}

static int geometry_from_options(const mc_chan_options *o, geometry *g) {
  if (o->kind != MC_CHAN_RING && o->kind != MC_CHAN_SLOT) return MC_EINVAL;
  if (!flags_ok(o->kind, o->flags) || (o->mode & ~0777u)) return MC_EINVAL;
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
  mc__region_prefault(r, 0, MC__MIN(r->hdr->size, MC__PREFAULT_MAX), 1);
  MC__CRASH(CHAN_INIT);
  return MC_OK;
}

int mc__chan_check_geom(const mc__region_hdr *h, const mc__chan_ctl *c, mc__chan_geom *g) {
  uint64_t cap = h->params[0], max = h->params[1], flags = h->params[2];
  int64_t spin = (int64_t)h->params[3];
  uint64_t size = atomic_load(&h->size);
  g->kind = h->kind == MC__KIND_CHAN_SLOT ? MC_CHAN_SLOT : MC_CHAN_RING;
  if (max == 0 || max > MC__CHAN_MAX_MSG || !flags_ok(g->kind, flags) || spin < -1 ||
      spin > MAX_SPIN_US)
    return MC_ECORRUPT;
  if (g->kind == MC_CHAN_RING) {
    if (cap < 64 || cap > MC__CHAN_MAX_CAPACITY || (cap & (cap - 1)) ||
        cap < 2 * mc__rec_bytes(max))
      return MC_ECORRUPT;
  } else if (cap != 0) {
    return MC_ECORRUPT;
  }
  if (size != mc__chan_ctr_offset(cap, (uint32_t)max) + MC__CHAN_CTR_BYTES) return MC_ECORRUPT;
  if (c->capacity != cap || c->max_msg != max || c->flags != flags || c->spin_us != spin)
    return MC_ECORRUPT;
  g->capacity = cap;
  g->max_msg = (uint32_t)max;
  g->flags = (unsigned)flags;
  g->spin_us = (int)spin;
  return MC_OK;
}

/* Region hook, existing channel: its geometry, from the guarded header, must be sound, and
   the control block's copy must agree. */
static int chan_check(mc__region *r, void *ctx) {
  return mc__chan_check_geom(r->hdr, MC__REGION_STATE(r, mc__chan_ctl),
                             &((geometries *)ctx)->found);
}

static int bind_handle(mc_chan *ch, const geometry *g) {
  mc__chan_ctl *c = MC__REGION_STATE(&ch->r, mc__chan_ctl);
  ch->ctl = c;
  ch->kind = g->kind;
  ch->ops = g->kind == MC_CHAN_SLOT ? &mc__slot_ops : &mc__ring_ops;
  ch->data = mc__region_data(&ch->r);
  ch->cap_mask = g->capacity ? g->capacity - 1 : 0;
  ch->max_msg = g->max_msg;
  ch->multi = (g->flags & MC_CHAN_MULTI_SEND) != 0;
  ch->fan = (g->flags & MC_CHAN_BROADCAST)    ? MC__FAN_BCAST
            : (g->flags & MC_CHAN_MULTI_RECV) ? MC__FAN_SHARE
                                              : MC__FAN_NONE;
  ch->drop = (g->flags & MC_CHAN_DROP_OLDEST) != 0;
  ch->nrx = ch->fan ? MC__CHAN_RECEIVERS : 1;
  int spin = g->spin_us == 0 ? DEFAULT_SPIN_US : g->spin_us;
  ch->spin_us = spin < 0 ? 0 : spin;
  ch->peer = -1;
  mc__region_futex(&ch->r, &ch->data_f, &c->data);
  mc__region_futex(&ch->r, &ch->space_f, &c->space);
  /* The senders' bit is set once registration gives us our index. */
  ch->send_side = (mc__chan_side){&c->send_waiting, 1,           &c->space,
                                   &ch->space_f,     &c->send_cpu, &c->recv_cpu,
                                   &c->recv_busy,    &c->send_notify, 0};
  ch->recv_side = (mc__chan_side){&c->recv_waiting, 1,           &c->data,
                                   &ch->data_f,      &c->recv_cpu, &c->send_cpu,
                                   &c->send_busy,    &c->recv_notify, 1};
  mc__plat_signaller_init(&ch->signaller);
  int rc = mc__region_tlock(&ch->r, &ch->send_lock, &c->send_lock);
  if (rc == MC_OK) rc = mc__region_tlock(&ch->r, &ch->slot_lock, &c->slot_lock);
  if (rc == MC_OK) rc = mc__region_tlock(&ch->r, &ch->recv_lock, &c->recv_lock);
  strcpy(ch->name, ch->r.name.base);
  return rc;
}

void mc__chan_unbind(mc_chan *ch) {
  mc__plat_futex_unbind(&ch->data_f);
  mc__plat_futex_unbind(&ch->space_f);
  mc__tlock_unbind(&ch->send_lock);
  mc__tlock_unbind(&ch->slot_lock);
  mc__tlock_unbind(&ch->recv_lock);
  mc__chan_notifier_close(ch);
  mc__plat_signaller_close(&ch->signaller);
}

static const geometry *g_of(const mc_chan *ch, const geometry *want, const geometries *gs) {
  return ch->r.created ? want : &gs->found;
}

/* The registered end's counter line: zeroed, then marked ours (see mc__chan_ctr). Only this
   end writes it from now on. */
static void claim_counters(mc_chan *ch, const geometry *g) {
  int line = ch->role == MC_CHAN_SEND ? ch->peer : MC__CHAN_SENDERS + (ch->fan ? ch->peer : 0);
  mc__chan_ctr *c = (mc__chan_ctr *)(void *)(ch->data + mc__chan_ctr_offset(g->capacity,
                                                                            g->max_msg)) +
                    line;
  atomic_store_explicit(&c->messages, 0, memory_order_relaxed);
  atomic_store_explicit(&c->bytes, 0, memory_order_relaxed);
  atomic_store_explicit(&c->waits, 0, memory_order_relaxed);
  atomic_store_explicit(&c->wakeups, 0, memory_order_relaxed);
  /* Release: an inspector that reads our token (acquire) sees the zeros, not a predecessor's
     counts. */
  atomic_store_explicit(&c->token, ch->r.token, memory_order_release);
  ch->ctr = c;
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
  rc = bind_handle(ch, g_of(ch, want, &gs));
  if (rc == MC_OK && !ch->r.created) /* the creator mapped it in already */
    mc__region_prefault(&ch->r, 0, MC__MIN(ch->r.size, MC__PREFAULT_MAX), 0);
  if (rc == MC_OK && role != MC_CHAN_NONE) rc = mc__chan_register(ch, spec->deadline);
  if (rc == MC_OK && role != MC_CHAN_NONE) claim_counters(ch, g_of(ch, want, &gs));
  if (rc == MC_OK && role != MC_CHAN_NONE) {
    rc = ch->ops->start(ch); /* where this end stands in the stream */
    if (rc != MC_OK) mc__chan_unregister(ch);
    if (rc == MC_OK) mc__chan_joined(ch);
  }
  if (rc != MC_OK) {
    mc__chan_unbind(ch);
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

static int impl_chan_create(const char *name, const mc_chan_options *opt, int role, mc_chan **out) {
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
  spec.size = mc__chan_ctr_offset(g.capacity, g.max_msg) + MC__CHAN_CTR_BYTES;
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

int mc_chan_create(const char *name, const mc_chan_options *opt, int role, mc_chan **out) {
  return MC__LOGGED(name, impl_chan_create(name, opt, role, out));
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
    if (rc != MC_ENOENT || mc__deadline_passed(deadline)) {
      mc_event_close(ev);
      return rc;
    }
    int w = mc_event_wait(ev, remaining_ms(deadline));
    /* Set by a creator, or left set by one whose channel is gone again: reset, then look
       (a creator that sets after our look wakes us next time). A wait that timed out looks
       once more too, and then the answer is MC_ENOENT. */
    mc_event_reset(ev);
    mc_event_close(ev);
    if (w != MC_OK && w != MC_ETIMEDOUT) return w;
  }
}

static int impl_chan_open(const char *name, int role, int timeout_ms, mc_chan **out) {
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
  /* MC_ENOENT stays MC_ENOENT at the deadline: a misspelt name must not look like a slow
     peer. A channel that exists but is never made ready times out in the region's open. */
  rc = open_endpoint(&n, &spec, NULL, role, out);
  if (rc != MC_ENOENT || mc__deadline_passed(deadline)) return rc;
  return wait_created(&n, &spec, role, deadline, out);
}

int mc_chan_open(const char *name, int role, int timeout_ms, mc_chan **out) {
  return MC__LOGGED(name, impl_chan_open(name, role, timeout_ms, out));
}
