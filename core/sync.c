/* Opening a named synchronisation object (mc_event, mc_mutex, mc_sem, mc_swmr: event.c,
 * mutex.c, sem.c, guard.c). Each is a region (so the naming, ownership, lifetime and stale
 * rules are the blocks' rules) whose state area holds the object's shared state; where the
 * platform has kernel objects (MC__PLAT_KERNEL_SYNC) the waiting itself is theirs ("N$ev",
 * "N$mx", "N$sem"). */
#include "sync.h"

#include <stdlib.h>
#include <string.h>

/* What a sync object's region hooks need: how to bind a handle, and the creation arguments.
   The init hook binds a scratch copy of the handle (init = 1): that initialises the shared
   state and, on Win32, creates the kernel object with the creation arguments and keeps it
   alive. The real handle is bound only once the open has settled on its mapping (an
   initialisation may be started over on another one), and the scratch copy is then let go. */
typedef struct sync_ctx {
  mc__sync_bind_fn bind;
  mc__sync_unbind_fn unbind;
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

int mc__sync_open_name(const mc__objname *n, int how, uint32_t kind, void *obj, size_t size,
                       mc__region *r, mc__sync_bind_fn bind, mc__sync_unbind_fn unbind, uint64_t p0,
                       uint64_t p1) {
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

int mc__sync_open(const char *name, uint32_t kind, void *obj, size_t size, mc__region *r,
                  mc__sync_bind_fn bind, mc__sync_unbind_fn unbind, uint64_t p0, uint64_t p1) {
  mc__objname n;
  int rc = mc__name_parse(name, &n);
  if (rc != MC_OK) {
    free(obj);
    return rc;
  }
  return mc__sync_open_name(&n, MC__MAP_EITHER, kind, obj, size, r, bind, unbind, p0, p1);
}
