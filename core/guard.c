/* mc_swmr: the single-writer/multi-reader guard (swmr.c) as a named object of its own. */
#include "swmr.h"
#include "sync.h"

#include <stdlib.h>

struct mc_swmr {
  mc__region r;
  mc__swmr g;
};

int mc__swmr_writers_waiting(mc_swmr *g) {
  int n = 0;
  for (int i = 0; i < MC__SWMR_WRITERS_WAITING; i++)
    n += atomic_load_explicit(&g->g.s->waiting_writers[i], memory_order_relaxed) != 0;
  return n;
}

static int swmr_bind(void *obj, mc__region *r, int init) {
  mc_swmr *w = obj;
  mc__swmr_shared *s = MC__REGION_STATE(r, mc__swmr_shared);
  if (init) mc__swmr_init_shared(s);
  return mc__swmr_bind(&w->g, r, s);
}

static void swmr_unbind(void *obj) {
  mc__swmr_unbind(&((mc_swmr *)obj)->g);
}

static int impl_swmr_open(const char *name, mc_swmr **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_swmr *w = calloc(1, sizeof *w);
  if (!w) return MC_ENOMEM;
  int rc = mc__sync_open(name, MC__KIND_SWMR, w, sizeof *w, &w->r, swmr_bind, swmr_unbind, 0, 0);
  if (rc == MC_OK) *out = w;
  return rc;
}

int mc_swmr_open(const char *name, mc_swmr **out) {
  return MC__LOGGED(name, impl_swmr_open(name, out));
}

static int impl_swmr_lock_read(mc_swmr *g, int timeout_ms) {
  if (!g || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__swmr_acquire(&g->g, 0, mc__deadline_ms(timeout_ms));
}

int mc_swmr_lock_read(mc_swmr *g, int timeout_ms) {
  return MC__LOGGED(mc__log_object(g), impl_swmr_lock_read(g, timeout_ms));
}

static int impl_swmr_lock_write(mc_swmr *g, int timeout_ms) {
  if (!g || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__swmr_acquire(&g->g, 1, mc__deadline_ms(timeout_ms));
}

int mc_swmr_lock_write(mc_swmr *g, int timeout_ms) {
  return MC__LOGGED(mc__log_object(g), impl_swmr_lock_write(g, timeout_ms));
}

static int impl_swmr_unlock(mc_swmr *g) {
  return g ? mc__swmr_release(&g->g) : MC_EINVAL;
}

int mc_swmr_unlock(mc_swmr *g) {
  return MC__LOGGED(mc__log_object(g), impl_swmr_unlock(g));
}

void mc_swmr_close(mc_swmr *g) {
  if (!g) return;
  mc__swmr_unbind(&g->g);
  mc__region_close(&g->r);
  free(g);
}
