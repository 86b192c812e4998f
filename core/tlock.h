/* A robust lock owned by a handle, living wholly in shared memory.
 *
 * Uncontended, acquire and release are one atomic operation each, with no system call on
 * any platform (a Win32 kernel mutex costs two). The holder is a handle (a random id), so
 * threads of one process using different handles exclude each other too; its process token
 * is kept beside it for liveness. A waiter spins briefly, then sleeps on a futex word;
 * between sleeps it checks that the holder's process lives, and takes the lock over from a
 * dead one with MC_EOWNERDEAD. Not recursive. Used where a lock sits on a hot path: the
 * channels' sender lock and slot lock, and their peer registration. */
#ifndef MC_TLOCK_H
#define MC_TLOCK_H

#include "region.h"

typedef struct mc__tlock_shared {
  _Atomic uint64_t owner;       /*  0 holder handle's id, 0 = free */
  _Atomic uint64_t owner_token; /*  8 holder's process; 0 while it takes or gives the lock */
  mc__futex_word wake;          /* 16 bumped by every release; waiters sleep on it */
  _Atomic uint64_t takeovers;   /* 24 locks taken from dead holders, ever */
} mc__tlock_shared;             /* 32 bytes */
_Static_assert(sizeof(mc__tlock_shared) == 32, "tlock layout");

typedef struct mc__tlock {
  mc__tlock_shared *s;
  mc__plat_futex wake;
  uint64_t id; /* this handle's holder id: random, never 0 */
} mc__tlock;

/* Binds to the lock at byte `offset` of region r. */
int mc__tlock_bind(mc__tlock *l, mc__region *r, mc__tlock_shared *s, uint64_t offset);
void mc__tlock_unbind(mc__tlock *l);
/* MC_OK, MC_EOWNERDEAD (taken from a dead holder: the state it protected may be half-done),
   MC_ETIMEDOUT, or MC_ESTATE (this handle holds it already). The timeout's deadline is fixed
   only if the lock is not free at once: an uncontended acquire reads no clock. */
int mc__tlock_acquire(mc__tlock *l, mc__timeout *to);
/* Releases a lock this handle holds (MC_ESTATE otherwise). */
int mc__tlock_release(mc__tlock *l);

#endif
