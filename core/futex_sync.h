/* Named events and semaphores over futex words in a region's state area (futex_sync.c): what
 * mc_event and mc_sem are where the platform has no kernel objects of its own (POSIX; see
 * MC__PLAT_KERNEL_SYNC in platform.h). Events have Win32's semantics exactly. */
#ifndef MC_FUTEX_SYNC_H
#define MC_FUTEX_SYNC_H

#include "region.h"

#define MC__FEVENT_BYTES 512 /* shared bytes of an event (docs/layout.md) */
#define MC__FSEM_BYTES   64  /* ... of a semaphore */

typedef struct mc__fevent {
  void *shared;
  int manual;
  mc__plat_futex f;
  const mc__objname *name; /* the region's */
  mc__plat_signaller sig;  /* for the waitsets that watch it */
} mc__fevent;

/* Fills a new event's shared bytes. */
void mc__fevent_init_shared(void *shared, int manual, int initially_set);
/* Binds to the event whose shared bytes lie at `shared`, inside region r. */
void mc__fevent_bind(mc__fevent *e, mc__region *r, void *shared, int manual);
/* An auto-reset event's set releases exactly one waiter (several sets as many waiters as are
   waiting) or, with nobody waiting, leaves it set for the next wait; a manual-reset event
   stays set, releasing everyone, until reset. */
int mc__fevent_set(mc__fevent *e);
int mc__fevent_reset(mc__fevent *e);
/* MC_OK (released, and for auto-reset the event consumed) or MC_ETIMEDOUT. */
int mc__fevent_wait(mc__fevent *e, uint64_t deadline);
/* Asks every set of the event to signal notifier `id` too (a waitset's): MC_OK, or MC_ENOSPC
   when 7 live watchers have it already. Unwatch gives the place back. */
int mc__fevent_watch(mc__fevent *e, uint32_t id);
void mc__fevent_unwatch(mc__fevent *e, uint32_t id);
/* Waiters registered on an auto-reset event now (tests that must know one is asleep). */
int mc__fevent_waiters(mc__fevent *e);
void mc__fevent_unbind(mc__fevent *e);

typedef struct mc__fsem {
  void *shared;
  uint32_t max;
  mc__plat_futex f;
} mc__fsem;

void mc__fsem_init_shared(void *shared, uint32_t initial, uint32_t max);
void mc__fsem_bind(mc__fsem *s, mc__region *r, void *shared, uint32_t max);
/* Adds count; MC_ERANGE (nothing added) if the count would pass max. */
int mc__fsem_post(mc__fsem *s, uint32_t count);
/* Takes one; MC_OK or MC_ETIMEDOUT. */
int mc__fsem_wait(mc__fsem *s, uint64_t deadline);
void mc__fsem_unbind(mc__fsem *s);

#endif
