/* mc_shm: opening, closing and describing named blocks. */
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 5000
#define KNOWN_FLAGS                                                                          \
  (MC_SHM_CREATE | MC_SHM_OPEN | MC_SHM_UNPROTECTED | MC_SHM_PERSIST | MC_SHM_ANY_USER)

/* Checks the options and turns them into a region spec (without name or hooks). */
static int spec_from_options(const mc_shm_options *o, int unique, mc__region_spec *spec) {
  if ((o->flags & ~(unsigned)KNOWN_FLAGS) || (o->mode & ~0777u)) return MC_EINVAL;
  if ((o->flags & MC_SHM_CREATE) && (o->flags & MC_SHM_OPEN)) return MC_EINVAL;
  if (o->timeout_ms < 0 && o->timeout_ms != MC_INFINITE) return MC_EINVAL;
  if (o->max_size && o->size > o->max_size) return MC_EINVAL;
  if (o->size > MC__REGION_LIMIT || o->max_size > MC__REGION_LIMIT) return MC_EINVAL;
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
  spec->mode = o->mode ? o->mode : 0600;
  spec->any_user = (o->flags & MC_SHM_ANY_USER) != 0;
  spec->deadline = mc__deadline_ms(o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
  return MC_OK;
}

int mc_shm_open(const char *name, const mc_shm_options *opt, mc_shm **out) {
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
  rc = mc__region_open(&n, &spec, &shm->r);
  if (rc == MC_ENOENT && !(opt->flags & MC_SHM_OPEN) && spec.how == MC__MAP_OPEN_ONLY)
    rc = MC_EINVAL; /* create-or-open without sizes, and nothing to open */
  if (rc != MC_OK) {
    free(shm);
    return rc;
  }
  shm->size = atomic_load_explicit(&shm->r.hdr->size, memory_order_relaxed);
  shm->max_size = shm->r.hdr->max_size;
  *out = shm;
  return MC_OK;
}

void mc_shm_close(mc_shm *shm) {
  if (!shm) return;
  mc__region_close(&shm->r);
  free(shm);
}

int mc_shm_unlink(const char *name) {
  mc__objname n;
  int rc = mc__name_parse(name, &n);
  if (rc != MC_OK) return rc;
  return mc__region_unlink(&n);
}

const char *mc_shm_name(const mc_shm *shm) {
  return shm ? shm->r.name.base : "";
}

int mc_shm_created(const mc_shm *shm) {
  return shm ? shm->r.created : 0;
}

uint64_t mc_shm_size(const mc_shm *shm) {
  return shm ? shm->size : 0;
}

uint64_t mc_shm_max_size(const mc_shm *shm) {
  return shm ? shm->max_size : 0;
}
