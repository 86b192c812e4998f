/* The token lock (core/tlock.c), modelled step by step; each `atomic` is one atomic
 * instruction of the C code. Included by channel/ring.pml and channel/slot.pml (which define
 * TLOCK_LIB first); on its own it is the lock's model:
 *
 *   NPROC processes each take the lock ROUNDS times, any of them killed at any step up to
 *   MAXCRASH times in all, each dead one replaced by a new process that goes on with its
 *   rounds. Checked: never two live holders; a live holder's owner word is never changed by
 *   anyone else; every release succeeds (the owner word still names the releaser); the lock
 *   of a dead holder is taken over (MC_EOWNERDEAD) and everyone finishes; no waiter ever
 *   sleeps past a release while nobody died (the slice only rescues after a death, see
 *   core/futex.pml).
 *
 * Left out: the spin rounds before the first sleep (each is a try_take, which the loop's
 * first step is too), the `holder` word (informative, never read), deadlines (callers wait
 * for ever here), and a scribbled owner word. */
#ifndef MC_TLOCK_PML
#define MC_TLOCK_PML

#ifndef TLOCK_LIB
#ifndef NPROC
#define NPROC 3
#endif
#ifndef MAXCRASH
#define MAXCRASH 2
#endif
#ifndef ROUNDS
#define ROUNDS 2
#endif
#include "crash.pml"
#include "futex.pml"
#endif

typedef tlock {
  byte owner;     /* 0, or the holder's token */
  futex wake;     /* bumped by every release */
  byte takeovers; /* taken from a dead holder */
};

#define TL_OK        0
#define TL_OWNERDEAD 1

/* Ghost hooks a model may define: run inside the CAS that takes (any way, or from the dead)
   or gives the lock. */
#ifndef TLOCK_GOT
#define TLOCK_GOT(L) skip
#endif
#ifndef TLOCK_GAVE
#define TLOCK_GAVE(L) skip
#endif
#ifndef TLOCK_TOOK_OVER
#define TLOCK_TOOK_OVER(L) skip
#endif

/* The locals the inlines use, declared by each process that takes a lock. tl_c0 is a ghost:
   the deaths counted when the waiter took its snapshot (core/futex.pml's oracle). */
#define TLOCK_LOCALS byte tl_seq, tl_o, tl_c0; bool tl_ok, tl_chk, tl_frc

/* try_take: CAS owner 0 -> us (acquire). */
inline tlock_try_take(L, ok) {
  atomic {
    if
    :: L.owner == 0 -> L.owner = TOKEN(me); ok = 1; TLOCK_GOT(L)
    :: else -> ok = 0
    fi
  }
}

/* take_from_dead: ask whether o lives (mc__plat_token_alive), then CAS o -> us. */
inline tlock_take_from_dead(L, o, ok) {
  if
  :: o == TOKEN(me) || ALIVE(o) -> ok = 0
  :: else ->
     /* the CAS, and with it the count of takeovers (a separate fetch-add in the C code:
        a death in between loses a count, nothing else) */
     atomic {
       if
       :: L.owner == o -> L.owner = TOKEN(me); ok = 1; L.takeovers++; TLOCK_GOT(L); TLOCK_TOOK_OVER(L)
       :: else -> ok = 0
       fi
     }
  fi
}

/* acquire() with no deadline: rc = TL_OK or TL_OWNERDEAD. */
inline tlock_acquire(L, rc) {
  tlock_try_take(L, tl_ok);
  if
  :: tl_ok -> rc = TL_OK
  :: else ->
     tl_chk = 0;
     do
     :: atomic { tl_seq = L.wake.value; tl_c0 = crashes } /* snapshot the wake word */
        tlock_try_take(L, tl_ok);
        if
        :: tl_ok -> rc = TL_OK; break
        :: else
        fi;
        tl_o = L.owner;
        if
        :: tl_chk && tl_o != 0 ->
           tlock_take_from_dead(L, tl_o, tl_ok);
           if
           :: tl_ok -> rc = TL_OWNERDEAD; break
           :: else
           fi
        :: else
        fi;
        /* a slice runs out without a wake only after a death, or while a dead owner holds */
        futex_wait(L.wake, tl_seq, (crashes != tl_c0 || (L.owner != 0 && !ALIVE(L.owner))),
                   tl_frc);
        if
        :: tl_frc == FUTEX_TIMEDOUT -> tl_chk = 1
        :: else
        fi
     od
  fi;
  tl_seq = 0; tl_o = 0; tl_c0 = 0; tl_ok = 0; tl_chk = 0; tl_frc = 0 /* dead locals */
}

/* release(): CAS us -> 0 (it must still name us), bump the word, wake one. */
inline tlock_release(L) {
  atomic { assert(L.owner == TOKEN(me)); L.owner = 0; TLOCK_GAVE(L) }
  L.wake.value++;
  futex_wake_one(L.wake)
}

#ifndef TLOCK_LIB
/* ---- the lock's own model ---------------------------------------------------------------- */

tlock lk;
bool cs[NPROC]; /* ghost: the slot's process holds the lock */
byte finished;

#define LIVE_HOLDERS ((cs[0] && !dead[0]) + (cs[1] && !dead[1]) + (NPROC > 2 && cs[2] && !dead[2]))
#undef TLOCK_GOT
#define TLOCK_GOT(L) cs[me] = 1; assert(LIVE_HOLDERS == 1)
#undef TLOCK_GAVE
#define TLOCK_GAVE(L) cs[me] = 0

proctype user(byte me) {
  TLOCK_LOCALS;
  byte rounds, rc;
restart:
  {
    do
    :: rounds < ROUNDS ->
       tlock_acquire(lk, rc);
       assert(rc != TL_OWNERDEAD || lk.takeovers > 0);
       assert(lk.owner == TOKEN(me)); /* the critical section: still ours */
       tlock_release(lk);
       rounds++
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] ->
     atomic {
       REINCARNATE(me);
       cs[me] = 0;
       futex_drop(lk.wake, me);
       rc = 0
     }
     goto restart
  :: else
  fi
}

init {
  atomic {
    byte p;
    for (p : 0 .. NPROC - 1) { running[p] = 1; run user(p) }
  }
}

/* At the end (nothing can move): everyone finished, so no one sleeps on a free lock or on
   one held by the dead; takeovers happen only after deaths. */
active proctype final() {
end:
  atomic { timeout -> assert(finished == NPROC && lk.owner == 0 && lk.takeovers <= crashes) }
}
#endif

#endif
