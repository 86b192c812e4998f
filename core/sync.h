/* Opening the named synchronisation objects: the machinery their files share (sync.c). */
#ifndef MC_SYNC_H
#define MC_SYNC_H

#include "region.h"

/* Binds an object's handle to its region (init = 1: a new object, whose shared state it
   initialises - and on Win32 whose kernel object it creates with the creation arguments). */
typedef int (*mc__sync_bind_fn)(void *obj, mc__region *r, int init);
typedef void (*mc__sync_unbind_fn)(void *obj);

/* Opens the region of a sync object of `kind` named n (how: MC__MAP_EITHER or _OPEN_ONLY)
   and binds obj (`size` bytes, its creation arguments filled in, its region at *r) once the
   open has settled; p0 and p1 are the parameters an opener must match (MC_EMISMATCH). Frees
   obj on failure. */
int mc__sync_open_name(const mc__objname *n, int how, uint32_t kind, void *obj, size_t size,
                       mc__region *r, mc__sync_bind_fn bind, mc__sync_unbind_fn unbind, uint64_t p0,
                       uint64_t p1);
/* The same by user name, create-or-open. */
int mc__sync_open(const char *name, uint32_t kind, void *obj, size_t size, mc__region *r,
                  mc__sync_bind_fn bind, mc__sync_unbind_fn unbind, uint64_t p0, uint64_t p1);

#endif
