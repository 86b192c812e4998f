/* The token lock: the robust lock in shared memory that every memchan lock is built on.
 *
 * Its whole state is one 64-bit word, `owner`: 0 when free, else the process token of the
 * holder (pid + start time, core/platform.h). Taking it, giving it back and taking it over
 * from a dead holder are each a single compare-and-swap, so a holder killed at any
 * instruction leaves either a free lock or one owned by a dead process, which the next
 * waiter takes over (MC_EOWNERDEAD) within one liveness slice. Any value a scribbler writes
 * is a token too: one naming a dead process or nobody is taken over, one naming a live
 * process makes waiters time out - never a hang past the deadline, never a crash.
 *
 * Which handle holds it is the handle's own business (a flag in the handle, and the
 * holder's random id stored beside the owner for inspection only), so threads of one
 * process using different handles exclude each other too. Not recursive. Uncontended,
 * acquire and release are one atomic operation each, with no system call on any platform;
 * contended, a waiter spins briefly, then sleeps on a futex word bumped by every release. */
#ifndef MC_TLOCK_H
#define MC_TLOCK_H

#include "internal.h"

typedef struct mc__tlock_shared {
  _Atomic uint64_t owner;     /*  0 holder's process token, 0 = free */
  _Atomic uint64_t holder;    /*  8 holder handle's id (informative: never trusted) */
  mc__futex_word wake;        /* 16 bumped by every release; waiters sleep on it */
  _Atomic uint64_t takeovers; /* 24 locks taken from dead holders, ever */
} mc__tlock_shared;           /* 32 bytes */
_Static_assert(sizeof(mc__tlock_shared) == 32, "tlock layout");

typedef struct mc__tlock {
  mc__tlock_shared *s;
  mc__plat_futex wake;
  uint64_t id;  /* this handle's id: random, never 0 */
  uint64_t own; /* the owner value this handle stored (its process token) */
  int held;     /* this handle holds the lock */
  uint64_t next_owner_check; /* a caller out of time may look at the owner from then (ns) */
} mc__tlock;

/* Binds to the lock at byte `offset` of the region named n (the offset names the Win32
   futex, so every process binds the same lock with the same offset). */
int mc__tlock_bind(mc__tlock *l, const mc__objname *n, mc__tlock_shared *s, uint64_t offset);
void mc__tlock_unbind(mc__tlock *l);
/* Fills a new lock's shared part (free). */
void mc__tlock_init_shared(mc__tlock_shared *s);
/* MC_OK, MC_EOWNERDEAD (taken from a dead holder: the state it protected may be half-done),
   MC_ETIMEDOUT, or MC_ESTATE (this handle holds it already). The timeout's deadline is fixed
   only if the lock is not free at once: an uncontended acquire reads no clock. A dead holder
   is noticed within a liveness slice of waiting, or - by callers that never wait (timeout
   0) - at the first call of each slice. */
int mc__tlock_acquire(mc__tlock *l, mc__timeout *to);
/* The same with an absolute deadline. */
int mc__tlock_acquire_by(mc__tlock *l, uint64_t deadline);
/* Gives back a lock this handle holds: MC_OK, MC_ESTATE when it holds nothing, or
   MC_ECORRUPT when the owner word no longer names us (someone wrote over it; the lock is
   then left to whoever it names). */
int mc__tlock_release(mc__tlock *l);

#endif
