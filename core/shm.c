/* mc_shm: opening, closing, describing, acquiring and resizing named blocks. */
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

#define DEFAULT_TIMEOUT_MS 5000
#define KNOWN_FLAGS                                                                                \
  (MC_SHM_CREATE | MC_SHM_OPEN | MC_SHM_UNPROTECTED | MC_SHM_PERSIST | MC_SHM_ANY_USER)

/* Checks the options and turns them into a region spec (without name or hooks). */
static int spec_from_options(const mc_shm_options *o, int unique, mc__region_spec *spec) {
  if ((o->flags & ~(unsigned)KNOWN_FLAGS) || (o->mode & ~0777u)) return MC_EINVAL;
  if ((o->flags & MC_SHM_CREATE) && (o->flags & MC_SHM_OPEN)) return MC_EINVAL;
  if (o->timeout_ms < 0 && o->timeout_ms != MC_INFINITE) return MC_EINVAL;
  if (o->max_size && o->size > o->max_size) return MC_EINVAL;
  if (o->size > MC__REGION_LIMIT || o->max_size > MC__REGION_LIMIT) return MC_EINVAL;
  /* A file block is found again by its name, which a unique one never is. */
  if (o->path && (!*o->path || unique)) return MC_EINVAL;
  int sized = o->size || o->max_size;
  memset(spec, 0, sizeof *spec);
  spec->kind = MC__KIND_SHM;
  if (unique) {
    if (o->flags & MC_SHM_OPEN) return MC_EINVAL;
    spec->how = MC__MAP_CREATE_ONLY;
  } else if (o->flags & MC_SHM_OPEN) {
    spec->how = MC__MAP_OPEN_ONLY;
  } else if (o->flags & MC_SHM_CREATE) {
    spec->how = MC__MAP_CREATE_ONLY;
  } else {
    /* Without sizes there is nothing to create: open only (a missing block is MC_EINVAL,
       see mc_shm_open). */
    spec->how = sized ? MC__MAP_EITHER : MC__MAP_OPEN_ONLY;
  }
  if (spec->how == MC__MAP_CREATE_ONLY && !sized) return MC_EINVAL;
  spec->size = o->size;
  spec->max_size = o->max_size;
  spec->flags = ((o->flags & MC_SHM_PERSIST) ? MC__RF_PERSIST : 0) |
                ((o->flags & MC_SHM_UNPROTECTED) ? MC__RF_UNPROTECTED : 0);
  if (o->path) spec->flags |= MC__RF_FILE | MC__RF_PERSIST; /* a file is never removed */
  spec->file = o->path;
  spec->mode = o->mode ? o->mode : 0600;
  spec->any_user = (o->flags & MC_SHM_ANY_USER) != 0;
  spec->deadline = mc__deadline_ms(o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
  return MC_OK;
}

/* Region hook for a new block: the guard's shared state, before READY. Nothing is bound
   here: an initialisation can be started over on another mapping (see mc_shm_open). */
static int shm_init(mc__region *r, void *ctx) {
  MC__UNUSED(ctx);
  if (!(r->hdr->flags & MC__RF_UNPROTECTED))
    mc__swmr_init_shared(MC__REGION_STATE(r, mc__swmr_shared));
  return MC_OK;
}

/* Region hook for a file block nobody holds: its guard's holders are all gone. */
static void shm_recover(mc__region *r, void *ctx) {
  MC__UNUSED(ctx);
  if (!(r->hdr->flags & MC__RF_UNPROTECTED))
    mc__swmr_recover_shared(MC__REGION_STATE(r, mc__swmr_shared));
}

static int impl_shm_open(const char *name, const mc_shm_options *opt, mc_shm **out) {
  static const mc_shm_options none;
  mc__objname n;
  mc__region_spec spec;
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!opt) opt = &none;
  int rc = spec_from_options(opt, name == NULL, &spec);
  if (rc != MC_OK) return rc;
  rc = name ? mc__name_parse(name, &n) : mc__name_unique(&n);
  if (rc != MC_OK) return rc;
  mc_shm *shm = calloc(1, sizeof *shm);
  if (!shm) return MC_ENOMEM;
  spec.init = shm_init;
  spec.recover = shm_recover;
  spec.ctx = shm;
  rc = mc__region_open(&n, &spec, &shm->r);
  if (rc == MC_ENOENT && !(opt->flags & MC_SHM_OPEN) && spec.how == MC__MAP_OPEN_ONLY)
    rc = MC_EINVAL; /* create-or-open without sizes, and nothing to open */
  /* Bound only now that the open has settled on its mapping. */
  if (rc == MC_OK && !(shm->r.hdr->flags & MC__RF_UNPROTECTED)) {
    rc = mc__swmr_bind(&shm->guard, &shm->r, MC__REGION_STATE(&shm->r, mc__swmr_shared));
    shm->guarded = rc == MC_OK;
    if (rc != MC_OK) mc__region_close(&shm->r);
  }
  if (rc != MC_OK) {
    free(shm);
    return rc;
  }
  shm->access = MC__NOT_ACQUIRED;
  shm->size = shm->r.size; /* as validated: the shared field is not read again */
  shm->max_size = shm->r.max_size;
  shm->seen_changes = atomic_load_explicit(&shm->r.hdr->change_count, memory_order_acquire);
  *out = shm;
  return MC_OK;
}

int mc_shm_open(const char *name, const mc_shm_options *opt, mc_shm **out) {
  return MC__LOGGED(name, impl_shm_open(name, opt, out));
}

void mc_shm_close(mc_shm *shm) {
  if (!shm) return;
  if (shm->access != MC__NOT_ACQUIRED) mc_shm_release(shm);
  if (shm->snap) {
    free(shm->snap);
  } else {
    if (shm->guarded) mc__swmr_unbind(&shm->guard);
    mc__region_close(&shm->r);
  }
  free(shm);
}

int mc_shm_flush(mc_shm *shm) {
  if (!shm) return MC_EINVAL;
  if (shm->snap) return MC_OK; /* a private copy: nothing on disk */
  return MC__LOGGED(shm->r.name.base, mc__region_flush(&shm->r));
}

static int impl_shm_unlink(const char *name) {
  mc__objname n;
  int rc = mc__name_parse(name, &n);
  if (rc != MC_OK) return rc;
  return mc__region_unlink(&n);
}

int mc_shm_unlink(const char *name) {
  return MC__LOGGED(name, impl_shm_unlink(name));
}

const char *mc_shm_name(const mc_shm *shm) {
  if (!shm) return "";
  return shm->snap ? shm->snap_name : shm->r.name.base;
}

int mc_shm_created(const mc_shm *shm) {
  return shm && !shm->snap ? shm->r.created : 0;
}

uint64_t mc_shm_size(const mc_shm *shm) {
  return shm ? shm->size : 0;
}

uint64_t mc_shm_max_size(const mc_shm *shm) {
  return shm ? shm->max_size : 0;
}

/* ---- acquire / release ---------------------------------------------------------------- */

/* A resizable block's size may have changed since we last looked: read it once, check it
   against the fixed geometry, and make the memory behind it usable here. */
static int refresh_size(mc_shm *shm, uint64_t deadline) {
  if (!shm->max_size) return MC_OK;
  uint64_t size = atomic_load_explicit(&shm->r.hdr->size, memory_order_acquire);
  if (size > shm->max_size) return MC_ECORRUPT;
  int rc = mc__region_commit_data(&shm->r, size, deadline);
  if (rc == MC_ENOSPC) rc = MC_ECORRUPT; /* the header claims more than was reserved */
  if (rc != MC_OK) return rc;
  shm->size = size;
  return MC_OK;
}

static int impl_shm_acquire(mc_shm *shm, int access, int timeout_ms, void **data) {
  if (!shm || (access != MC_READ && access != MC_WRITE) || !mc__timeout_ok(timeout_ms))
    return MC_EINVAL;
  if (data) *data = NULL;
  if (shm->access != MC__NOT_ACQUIRED) return MC_ESTATE;
  int rc = MC_OK;
  if (shm->snap) {
    if (access == MC_WRITE) return MC_ESTATE; /* a snapshot is read-only */
  } else {
    uint64_t deadline = mc__deadline_ms(timeout_ms);
    rc = mc__region_intact(&shm->r); /* before the guard, which lives in the object too */
    if (rc != MC_OK) return rc;
    if (shm->guarded) {
      rc = mc__swmr_acquire(&shm->guard, access == MC_WRITE, deadline);
      if (rc != MC_OK && rc != MC_EOWNERDEAD) return rc;
    }
    int rr = refresh_size(shm, deadline);
    if (rr != MC_OK) {
      if (shm->guarded) {
        /* A writer told of a dead predecessor took that news with it: give it back, or
           the next acquirer would not know the data may be half-written. */
        if (rc == MC_EOWNERDEAD && access == MC_WRITE) atomic_store(&shm->guard.s->owner_died, 1);
        mc__swmr_release(&shm->guard);
      }
      return rr;
    }
  }
  shm->access = access;
  if (data) *data = mc__shm_data(shm);
  if (!shm->snap) MC__CRASH(SHM_ACQUIRED);
  return rc;
}

int mc_shm_acquire(mc_shm *shm, int access, int timeout_ms, void **data) {
  return MC__LOGGED(mc__log_object(shm), impl_shm_acquire(shm, access, timeout_ms, data));
}

int mc_shm_release(mc_shm *shm) {
  if (!shm) return MC_EINVAL;
  if (shm->access == MC__NOT_ACQUIRED) return MC_ESTATE;
  mc__shm_detach_file(shm);
  shm->stream.active = 0;
  if (!shm->snap) {
    _Atomic uint64_t *count = &shm->r.hdr->change_count;
    /* Bumped before the guard is released, so the next acquirer sees it (release pairs
       with the acquire loads in mc_shm_change_count and mc_shm_modified). */
    if (shm->access == MC_WRITE)
      shm->seen_changes = atomic_fetch_add_explicit(count, 1, memory_order_release) + 1;
    else
      shm->seen_changes = atomic_load_explicit(count, memory_order_acquire);
    MC__CRASH(SHM_COUNTED);
    if (shm->guarded) mc__swmr_release(&shm->guard);
  }
  shm->access = MC__NOT_ACQUIRED;
  return MC_OK;
}

uint64_t mc_shm_change_count(const mc_shm *shm) {
  if (!shm) return 0;
  if (shm->snap) return shm->snap_changes;
  return atomic_load_explicit(&shm->r.hdr->change_count, memory_order_acquire);
}

int mc_shm_modified(const mc_shm *shm) {
  if (!shm || shm->snap) return 0;
  return atomic_load_explicit(&shm->r.hdr->change_count, memory_order_acquire) != shm->seen_changes;
}
