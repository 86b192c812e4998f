/* A robust lock owned by a process token, living wholly in shared memory.
 *
 * Uncontended, acquire and release are one atomic operation each, with no system call on
 * any platform (a Win32 kernel mutex costs two). A waiter spins briefly, then sleeps on a
 * futex word; between sleeps it checks that the owner lives, and takes the lock over from a
 * dead owner with MC_EOWNERDEAD. Not recursive. Used where a lock sits on a hot path: the
 * channels' sender lock and slot lock. */
#ifndef MC_TLOCK_H
#define MC_TLOCK_H

#include "region.h"

typedef struct mc__tlock_shared {
  _Atomic uint64_t owner; /* token of the holder, 0 = free */
  mc__futex_word wake;    /* bumped by every release; waiters sleep on it */
  _Atomic uint64_t takeovers; /* locks taken from dead owners, ever */
} mc__tlock_shared;       /* 24 bytes */
_Static_assert(sizeof(mc__tlock_shared) == 24, "tlock layout");

typedef struct mc__tlock {
  mc__tlock_shared *s;
  mc__plat_futex wake;
  uint64_t me;
} mc__tlock;

/* Binds to the lock at byte `offset` of region r. */
void mc__tlock_bind(mc__tlock *l, mc__region *r, mc__tlock_shared *s, uint64_t offset);
void mc__tlock_unbind(mc__tlock *l);
/* MC_OK, MC_EOWNERDEAD (taken from a dead owner: the state it protected may be half-done)
   or MC_ETIMEDOUT. */
int mc__tlock_acquire(mc__tlock *l, uint64_t deadline);
/* Releases a lock this process holds (MC_ESTATE otherwise). */
int mc__tlock_release(mc__tlock *l);

#endif
