/* Inspection of a region: what its header says, judged as an opener judges it, read through a
 * read-only mapping. Nothing here writes to shared memory, attaches or takes a lock, so an
 * inspector can neither disturb an object's users nor keep it alive (docs/cli.md). */
#include "inspect.h"

#include <string.h>

int mc__peek_open(const mc__objname *n, mc__peek *p) {
  memset(p, 0, sizeof *p);
  int rc = mc__plat_map_peek(n, &p->map);
  if (rc != MC_OK) return rc;
  if (p->map.committed < MC__HEADER_BYTES) {
    mc__plat_map_close(&p->map);
    return MC_ECORRUPT; /* smaller than a header: not an object of ours */
  }
  /* One copy, then every judgement on it: a field that changes under us cannot pass one
     check and fail the next. */
  memcpy(&p->hdr, p->map.base, sizeof p->hdr);
  return MC_OK;
}

int mc__peek_ours(const mc__peek *p) {
  return p->hdr.guard1 == MC__REGION_MAGIC || p->hdr.guard2 == MC__REGION_MAGIC;
}

void mc__peek_close(mc__peek *p) {
  mc__plat_map_close(&p->map);
}

/* The attach table: each holder's pid and liveness. */
static void fill_holders(const mc__region_hdr *h, mc_obj_info *out) {
  out->untracked = atomic_load_explicit(&h->untracked, memory_order_relaxed);
  out->live_holders =
      out->untracked > (uint64_t)MC_INSPECT_HOLDERS ? MC_INSPECT_HOLDERS : (int)out->untracked;
  for (unsigned i = 0; i < MC__ATTACH_SLOTS; i++) {
    uint64_t t = atomic_load_explicit(&h->attach[i], memory_order_relaxed);
    if (!t) continue;
    mc_holder_info *hi = &out->holders[out->nholders++];
    hi->pid = mc__token_pid(t);
    hi->alive = mc__plat_token_alive(t);
    out->live_holders += hi->alive;
  }
}

int mc__peek_region(mc__peek *p, mc_obj_info *out) {
  const mc__region_hdr *h = &p->hdr;
  uint32_t st = atomic_load_explicit(&h->state.value, memory_order_relaxed);
  int managed = mc__plat_names_outlive_handles();
  out->layout_version = h->version;
  /* Another build's format (both guards intact): not corrupt, just not ours to read. */
  if (h->guard1 == MC__REGION_MAGIC && h->guard2 == MC__REGION_MAGIC &&
      h->version != MC__REGION_VERSION)
    return MC_EMISMATCH;
  if (st == MC__STATE_INIT) {
    /* Being made, or left half made: only its initialiser is worth a look. */
    uint64_t owner = atomic_load_explicit(&h->init_owner, memory_order_relaxed);
    out->state = MC_OBJ_INITIALISING;
    out->creator_pid = mc__token_pid(owner);
    out->creator_alive = owner ? mc__plat_token_alive(owner) : 0;
    /* An owner that died leaves it for ever (the next opener takes it over); an unclaimed
       one may be a creator between its two first steps, so it is not called stale. */
    out->stale = managed && owner && !out->creator_alive;
    return MC_OK;
  }
  if (st != MC__STATE_READY && st != MC__STATE_DEAD) return MC_ECORRUPT;
  int rc = mc__region_header_check(h, &p->geom);
  if (rc == MC_OK) rc = mc__plat_map_peek_more(&p->map, p->geom.committed);
  if (rc != MC_OK) return rc;
  out->state = st == MC__STATE_READY ? MC_OBJ_READY : MC_OBJ_DEAD;
  out->kind = (int)p->geom.kind;
  out->persistent = (h->flags & MC__RF_PERSIST) != 0;
  out->unprotected = (h->flags & MC__RF_UNPROTECTED) != 0;
  out->size = p->geom.size;
  out->max_size = p->geom.max_size;
  out->committed = p->geom.committed;
  out->change_count = atomic_load_explicit(&h->change_count, memory_order_relaxed);
  out->creator_pid = mc__token_pid(h->creator);
  out->creator_alive = h->creator ? mc__plat_token_alive(h->creator) : 0;
  out->created_ms = h->created_ms;
  fill_holders(h, out);
  /* What an opener would find stale and replace (region.c, join), or a DEAD object whose
     name is still there (its remover died between the two steps). Win32 objects end with
     their last handle, so nothing there is stale. */
  out->stale = managed && (st == MC__STATE_DEAD || (!out->persistent && out->live_holders == 0));
  return MC_OK;
}

/* ---- listing and removal ---------------------------------------------------------------- */

typedef struct list_ctx {
  int (*fn)(const char *name, void *ctx);
  void *ctx;
} list_ctx;

/* One name of the namespace: passed on if it is one of ours. */
static int list_one(const char *name, void *vctx) {
  list_ctx *lc = vctx;
  mc__objname n;
  mc__peek p;
  if (mc__name_parse_derived(name, &n) != MC_OK) return 0; /* not a name memchan makes */
  if (mc__peek_open(&n, &p) != MC_OK) return 0;            /* gone, unreadable, or too small */
  int ours = mc__peek_ours(&p);
  mc__peek_close(&p);
  if (!ours) return 0;
  char spelt[MC__OS_NAME_MAX];
  mc__name_user_spelling(&n, spelt, sizeof spelt); /* as mc_inspect's out->name */
  return lc->fn(spelt, lc->ctx);
}

static int impl_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  if (!fn) return MC_EINVAL;
  list_ctx lc = {fn, ctx};
  int rc = mc__plat_map_list(list_one, &lc);
  if (rc == MC_ENOTSUP) rc = mc__registry_list(list_one, &lc); /* Win32: names cannot be listed */
  return rc;
}

int mc_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  return MC__LOGGED("", impl_list(fn, ctx));
}

static int impl_remove(const char *name, unsigned flags) {
  mc__objname n;
  if (flags & ~(unsigned)MC_REMOVE_STALE) return MC_EINVAL;
  int rc = mc__name_parse_derived(name, &n);
  if (rc != MC_OK) return rc;
  if (!mc__plat_names_outlive_handles()) return MC_ENOTSUP;
  return mc__region_unlink_if(&n, (flags & MC_REMOVE_STALE) != 0);
}

int mc_remove(const char *name, unsigned flags) {
  return MC__LOGGED(name, impl_remove(name, flags));
}
