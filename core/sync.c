/* The named synchronisation objects: mc_event, mc_mutex, mc_sem, mc_swmr. Each is a region
 * (so the naming, ownership, lifetime and stale rules are the blocks' rules) whose state area
 * holds the object's shared state; on Win32 the waiting itself is done by the kernel object
 * the backend binds ("N$ev", "N$mx", "N$sem"). */
#include "swmr.h"

#include <stdlib.h>
#include <string.h>

/* What a sync object's region hooks need: how to bind a handle, and the creation arguments.
   The init hook binds a scratch copy of the handle (init = 1): that initialises the shared
   state and, on Win32, creates the kernel object with the creation arguments and keeps it
   alive. The real handle is bound only once the open has settled on its mapping (an
   initialisation may be started over on another one), and the scratch copy is then let go. */
typedef struct sync_ctx {
  int (*bind)(void *obj, mc__region *r, int init);
  void (*unbind)(void *obj);
  void *scratch;
  int scratch_bound;
  uint64_t params[2]; /* creation arguments an opener must match (mode, maximum) */
} sync_ctx;

static int sync_init(mc__region *r, void *vctx) {
  sync_ctx *c = vctx;
  if (c->scratch_bound) c->unbind(c->scratch); /* an initialisation started over */
  int rc = c->bind(c->scratch, r, 1);
  c->scratch_bound = rc == MC_OK;
  return rc;
}

static int sync_check(mc__region *r, void *vctx) {
  sync_ctx *c = vctx;
  const mc__region_hdr *h = r->hdr;
  return (h->params[0] == c->params[0] && h->params[1] == c->params[1]) ? MC_OK : MC_EMISMATCH;
}

/* Opens the region of a sync object (how: MC__MAP_EITHER or _OPEN_ONLY) and binds obj (of
   `size` bytes, its creation arguments filled in); frees obj on failure. */
static int sync_open_name(const mc__objname *n, int how, uint32_t kind, void *obj, size_t size,
                          mc__region *r, int (*bind)(void *, mc__region *, int),
                          void (*unbind)(void *), uint64_t p0, uint64_t p1) {
  sync_ctx ctx = {bind, unbind, malloc(size), 0, {p0, p1}};
  if (!ctx.scratch) {
    free(obj);
    return MC_ENOMEM;
  }
  memcpy(ctx.scratch, obj, size);
  mc__region_spec spec = {0};
  spec.kind = kind;
  spec.how = how;
  spec.mode = 0600;
  spec.deadline = mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS);
  spec.params[0] = p0;
  spec.params[1] = p1;
  spec.init = sync_init;
  spec.check = sync_check;
  spec.ctx = &ctx;
  int rc = mc__region_open(n, &spec, r);
  if (rc == MC_OK) {
    rc = bind(obj, r, 0);
    if (rc != MC_OK) mc__region_close(r);
  }
  if (ctx.scratch_bound) unbind(ctx.scratch);
  free(ctx.scratch);
  if (rc != MC_OK) free(obj);
  return rc;
}

static int sync_open(const char *name, uint32_t kind, void *obj, size_t size, mc__region *r,
                     int (*bind)(void *, mc__region *, int), void (*unbind)(void *), uint64_t p0,
                     uint64_t p1) {
  mc__objname n;
  int rc = mc__name_parse(name, &n);
  if (rc != MC_OK) {
    free(obj);
    return rc;
  }
  return sync_open_name(&n, MC__MAP_EITHER, kind, obj, size, r, bind, unbind, p0, p1);
}

/* ---- events ---------------------------------------------------------------------------- */

struct mc_event {
  mc__region r;
  mc__plat_event ev;
  int manual, initially_set;
};

static int event_bind(void *obj, mc__region *r, int init) {
  mc_event *e = obj;
  return mc__plat_event_bind(&e->ev, r->hdr->state_area, &r->name, MC__STATE_OFFSET, e->manual,
                             e->initially_set, init);
}

static mc_event *event_new(int manual_reset, int initially_set) {
  mc_event *e = calloc(1, sizeof *e);
  if (e) {
    e->manual = manual_reset != 0;
    e->initially_set = initially_set != 0;
  }
  return e;
}

static void event_unbind(void *obj) {
  mc__plat_event_unbind(&((mc_event *)obj)->ev);
}

int mc_event_open(const char *name, int manual_reset, int initially_set, mc_event **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_event *e = event_new(manual_reset, initially_set);
  if (!e) return MC_ENOMEM;
  int rc = sync_open(name, MC__KIND_EVENT, e, sizeof *e, &e->r, event_bind, event_unbind,
                     (uint64_t)e->manual, 0);
  if (rc == MC_OK) *out = e;
  return rc;
}

int mc__event_open_name(const mc__objname *n, int how, int manual_reset, int initially_set,
                        mc_event **out) {
  mc_event *e = event_new(manual_reset, initially_set);
  if (!e) return MC_ENOMEM;
  int rc = sync_open_name(n, how, MC__KIND_EVENT, e, sizeof *e, &e->r, event_bind, event_unbind,
                          (uint64_t)e->manual, 0);
  *out = rc == MC_OK ? e : NULL;
  return rc;
}

int mc_event_set(mc_event *ev) {
  return ev ? mc__plat_event_set(&ev->ev) : MC_EINVAL;
}

int mc_event_reset(mc_event *ev) {
  return ev ? mc__plat_event_reset(&ev->ev) : MC_EINVAL;
}

int mc_event_wait(mc_event *ev, int timeout_ms) {
  if (!ev || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__plat_event_wait(&ev->ev, mc__deadline_ms(timeout_ms));
}

int mc__event_waiters(mc_event *ev) {
  return mc__plat_event_waiters(&ev->ev);
}

void mc_event_close(mc_event *ev) {
  if (!ev) return;
  mc__plat_event_unbind(&ev->ev);
  mc__region_close(&ev->r);
  free(ev);
}

/* ---- mutexes -------------------------------------------------------------------------------- */

/* A Win32 kernel mutex where there is one (MC__PLAT_KERNEL_MUTEX), else the token lock in
   the state area; recursive per handle either way (one handle is used by one thread at a
   time, so per handle is per thread, as with a Win32 mutex). */
struct mc_mutex {
  mc__region r;
#if MC__PLAT_KERNEL_MUTEX
  mc__plat_lock lock;
#else
  mc__tlock lock;
#endif
  unsigned held; /* times this handle holds it */
};

static int mutex_init_shared(mc__region *r) {
#if MC__PLAT_KERNEL_MUTEX
  MC__UNUSED(r);
#else
  mc__tlock_init_shared(MC__REGION_STATE(r, mc__tlock_shared));
#endif
  return MC_OK;
}

static int mutex_bind(void *obj, mc__region *r, int init) {
  mc_mutex *m = obj;
  if (init) mutex_init_shared(r);
#if MC__PLAT_KERNEL_MUTEX
  return mc__plat_lock_bind(&m->lock, &r->name, "$mx");
#else
  return mc__tlock_bind(&m->lock, &r->name, MC__REGION_STATE(r, mc__tlock_shared),
                        MC__STATE_OFFSET);
#endif
}

static void mutex_unbind(void *obj) {
  mc_mutex *m = obj;
#if MC__PLAT_KERNEL_MUTEX
  mc__plat_lock_unbind(&m->lock);
#else
  mc__tlock_unbind(&m->lock);
#endif
}

static int mutex_take(mc_mutex *m, uint64_t deadline) {
#if MC__PLAT_KERNEL_MUTEX
  return mc__plat_lock_acquire(&m->lock, deadline);
#else
  if (m->held) return MC_OK; /* recursive: the token lock itself is not */
  return mc__tlock_acquire_by(&m->lock, deadline);
#endif
}

static int mutex_give(mc_mutex *m) {
#if MC__PLAT_KERNEL_MUTEX
  return mc__plat_lock_release(&m->lock);
#else
  return m->held > 1 ? MC_OK : mc__tlock_release(&m->lock);
#endif
}

int mc_mutex_open(const char *name, mc_mutex **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_mutex *m = calloc(1, sizeof *m);
  if (!m) return MC_ENOMEM;
  int rc = sync_open(name, MC__KIND_MUTEX, m, sizeof *m, &m->r, mutex_bind, mutex_unbind, 0, 0);
  if (rc == MC_OK) *out = m;
  return rc;
}

int mc_mutex_lock(mc_mutex *mx, int timeout_ms) {
  if (!mx || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  int rc = mutex_take(mx, mc__deadline_ms(timeout_ms));
  if (rc == MC_OK || rc == MC_EOWNERDEAD) {
    mx->held++;
    MC__CRASH(MUTEX_HELD);
  }
  return rc;
}

int mc_mutex_unlock(mc_mutex *mx) {
  if (!mx) return MC_EINVAL;
  if (mx->held == 0) return MC_ESTATE;
  int rc = mutex_give(mx);
  /* MC_ECORRUPT: someone wrote over the lock; it is not ours any more either way. */
  if (rc == MC_OK || rc == MC_ECORRUPT) mx->held--;
  return rc;
}

void mc_mutex_close(mc_mutex *mx) {
  if (!mx) return;
  while (mx->held && mc_mutex_unlock(mx) != MC_ESTATE) {
  }
  mutex_unbind(mx);
  mc__region_close(&mx->r);
  free(mx);
}

/* ---- semaphores ------------------------------------------------------------------------------ */

#define SEM_MAX 0x7fffffffu /* Win32's LONG_MAX, on every platform */

struct mc_sem {
  mc__region r;
  mc__plat_sem sem;
  uint32_t initial, max;
};

static int sem_bind(void *obj, mc__region *r, int init) {
  mc_sem *s = obj;
  return mc__plat_sem_bind(&s->sem, r->hdr->state_area, &r->name, MC__STATE_OFFSET, s->initial,
                           s->max, init);
}

static void sem_unbind(void *obj) {
  mc__plat_sem_unbind(&((mc_sem *)obj)->sem);
}

int mc_sem_open(const char *name, uint32_t initial, uint32_t max, mc_sem **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name || max == 0 || max > SEM_MAX || initial > max) return MC_EINVAL;
  mc_sem *s = calloc(1, sizeof *s);
  if (!s) return MC_ENOMEM;
  s->initial = initial;
  s->max = max;
  int rc = sync_open(name, MC__KIND_SEM, s, sizeof *s, &s->r, sem_bind, sem_unbind, 0, max);
  if (rc == MC_OK) *out = s;
  return rc;
}

int mc_sem_post(mc_sem *sem, uint32_t count) {
  if (!sem || count == 0) return MC_EINVAL;
  return mc__plat_sem_post(&sem->sem, count);
}

int mc_sem_wait(mc_sem *sem, int timeout_ms) {
  if (!sem || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__plat_sem_wait(&sem->sem, mc__deadline_ms(timeout_ms));
}

void mc_sem_close(mc_sem *sem) {
  if (!sem) return;
  mc__plat_sem_unbind(&sem->sem);
  mc__region_close(&sem->r);
  free(sem);
}

/* ---- single-writer / multi-reader guards ------------------------------------------------ */

struct mc_swmr {
  mc__region r;
  mc__swmr g;
};

static int swmr_bind(void *obj, mc__region *r, int init) {
  mc_swmr *w = obj;
  mc__swmr_shared *s = MC__REGION_STATE(r, mc__swmr_shared);
  if (init) mc__swmr_init_shared(s);
  return mc__swmr_bind(&w->g, r, s, MC__STATE_OFFSET);
}

static void swmr_unbind(void *obj) {
  mc__swmr_unbind(&((mc_swmr *)obj)->g);
}

int mc_swmr_open(const char *name, mc_swmr **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_swmr *w = calloc(1, sizeof *w);
  if (!w) return MC_ENOMEM;
  int rc = sync_open(name, MC__KIND_SWMR, w, sizeof *w, &w->r, swmr_bind, swmr_unbind, 0, 0);
  if (rc == MC_OK) *out = w;
  return rc;
}

int mc_swmr_lock_read(mc_swmr *g, int timeout_ms) {
  if (!g || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__swmr_acquire(&g->g, 0, mc__deadline_ms(timeout_ms));
}

int mc_swmr_lock_write(mc_swmr *g, int timeout_ms) {
  if (!g || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__swmr_acquire(&g->g, 1, mc__deadline_ms(timeout_ms));
}

int mc_swmr_unlock(mc_swmr *g) {
  return g ? mc__swmr_release(&g->g) : MC_EINVAL;
}

void mc_swmr_close(mc_swmr *g) {
  if (!g) return;
  mc__swmr_unbind(&g->g);
  mc__region_close(&g->r);
  free(g);
}
