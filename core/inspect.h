/* Looking at a named region without taking part in it: a read-only mapping and a private copy
 * of its header page, validated as an opener validates it (inspect.c). The channel layer adds
 * what its control block says (channel/inspect.c), and the public mc_inspect is built from
 * both. */
#ifndef MC_INSPECT_H
#define MC_INSPECT_H

#include "region.h"

typedef struct mc__peek {
  mc__plat_map map;     /* read-only; map.committed bytes may be read */
  mc__region_hdr hdr;   /* a copy of the header page, taken once: everything is judged on it */
  mc__region_geom geom; /* valid after mc__peek_region returned MC_OK for a READY object */
} mc__peek;

/* Maps the object read-only and copies its header page. MC_ENOENT, MC_EACCES, MC_ESYS;
   MC_ECORRUPT when it is too small to hold a header (then it is not memchan's). */
int mc__peek_open(const mc__objname *n, mc__peek *p);
/* 1 if the copied header carries memchan's magic in either guard (a scribbled object of ours
   still has one, usually): what mc_list shows. */
int mc__peek_ours(const mc__peek *p);
/* Fills the region part of out (name, kind, state, sizes, creator, holders and their
   liveness, staleness) from the copy. A READY or DEAD object's header must pass
   mc__region_header_check and the OS object must be as long as it says (MC_ECORRUPT);
   an initialising one is described as far as its initialiser is concerned. */
int mc__peek_region(mc__peek *p, mc_obj_info *out);
void mc__peek_close(mc__peek *p);

/* ---- registry.c: the names of objects, where the OS cannot list them (Win32) ---- */
/* Notes an object's name (called by every region open on such a system); never fails the
   caller: an object missing from the list still works. */
void mc__registry_note(const mc__objname *n);
/* Calls fn with each noted name (spelt as the OS names it), until fn returns non-zero. */
int mc__registry_list(int (*fn)(const char *name, void *ctx), void *ctx);

/* The process id in a token, and the liveness shown for it. */
static inline uint32_t mc__token_pid(uint64_t token) {
  return (uint32_t)token;
}

#endif
