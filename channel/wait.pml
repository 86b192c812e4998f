/* The announce-then-sleep handshake (channel/wait.c, wait.h), modelled step by step; each
 * `atomic` is one atomic instruction of the C code. Included by channel/ring.pml and
 * channel/slot.pml (which define WAIT_LIB first); on its own it is the handshake's model:
 *
 *   NOTIFIERS processes each publish EVENTS events (a counter store, then the notify: a fence
 *   and a look at the waiting mask, and only when it is not 0 take it and wake); WAITERS
 *   processes wait for every event, each announcing itself with its own bit of the one mask.
 *   Any process may be killed at any step (MAXCRASH in all) and is replaced. Checked: every
 *   waiter sees every event, and no waiter sleeps for ever on a word whose event has come
 *   while nobody died (a slice may rescue a sleeper only after a death: a waker killed after
 *   taking the mask; core/futex.pml). A waiter's bit left behind by its death costs a needless
 *   wake-up, nothing else.
 *
 * Left out: the spin/yield phase (it only looks at the condition, as the first look does),
 * the peer-liveness check before each sleep (gone(): peers here are always replaced), the CPU
 * and busy hints (they only choose between spinning and yielding), deadlines. */
#ifndef MC_WAIT_PML
#define MC_WAIT_PML

#ifndef WAIT_LIB
#ifndef WAITERS
#define WAITERS 2
#endif
#ifndef NOTIFIERS
#define NOTIFIERS 1
#endif
#define NPROC (WAITERS + NOTIFIERS)
#ifndef MAXCRASH
#define MAXCRASH 2
#endif
#ifndef EVENTS
#define EVENTS 2
#endif
#include "../core/crash.pml"
#include "../core/futex.pml"
#endif

/* One side of a channel: the word its sleepers sleep on and the mask they announce in. */
typedef side {
  futex word;
  byte waiting; /* a bit per sleeper (recv_waiting, send_waiting) */
};

/* Locals of the waiting process; w_c0 is a ghost (the deaths counted at its snapshot). */
#define WAIT_LOCALS byte w_s, w_c0; bool w_r, w_frc

/* Run by the waiter after its re-check found nothing, before it sleeps (the ring's receiver
   validates head there: recv_gone). */
#ifndef WAIT_BEFORE_SLEEP
#define WAIT_BEFORE_SLEEP skip
#endif

/* mc__chan_wait, for a caller whose first look found `ready` false: `ready` is read in one
   step (one load of the shared word it tests), after the announcement and once more after
   WAIT_BEFORE_SLEEP (the C code's look after gone()). Returns when it is true. */
inline chan_wait(S, ready) {
  do
  :: atomic { w_s = S.word.value; w_c0 = crashes } /* s = word */
     S.waiting = S.waiting | BIT(me);              /* fetch_or(waiting, bit) */
     atomic { w_r = (ready) }                      /* look again */
     if
     :: w_r -> S.waiting = S.waiting & ~BIT(me); break /* fetch_and(waiting, ~bit) */
     :: else
     fi;
     WAIT_BEFORE_SLEEP;
     atomic { w_r = (ready) }                      /* and again after gone() */
     if
     :: w_r -> S.waiting = S.waiting & ~BIT(me); break
     :: else
     fi;
     futex_wait(S.word, w_s, crashes != w_c0, w_frc)
  od;
  w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0 /* dead locals */
}

/* mc__chan_notify after publishing: a fence, one load; mc__chan_wake only when someone
   announced itself: take the whole mask, and if it held a bit, bump the word and wake all. */
inline chan_notify(S, tmp) {
  if
  :: S.waiting == 0 -> skip
  :: else ->
     atomic { tmp = S.waiting; S.waiting = 0 }
     if
     :: tmp != 0 ->
        tmp = 0;
        S.word.value++;
        futex_wake_all(S.word)
     :: else
     fi
  fi
}

/* mc__chan_notify_room (a ring receiver that freed space up to pos): as chan_notify, but the
   mask is taken only when pos reached the tail the sleeping sender asked for in `want` (a
   second load, after the look at the mask). No waiter here waits on an OS handle. */
inline chan_notify_room(S, tmp, pos, want) {
  if
  :: S.waiting == 0 -> skip
  :: else ->
     if
     :: pos >= want ->
        atomic { tmp = S.waiting; S.waiting = 0 }
        if
        :: tmp != 0 ->
           tmp = 0;
           S.word.value++;
           futex_wake_all(S.word)
        :: else
        fi
     :: else
     fi
  fi
}

#ifndef WAIT_LIB
/* ---- the handshake's own model: slots 0 .. NOTIFIERS-1 notify, the others wait ----------- */

side sd;
byte posted[NOTIFIERS]; /* events each notifier published */
byte finished;

#if NOTIFIERS == 1
#define POSTED (posted[0])
#else
#define POSTED (posted[0] + posted[1])
#endif

proctype notifier(byte me) {
  byte tmp;
restart:
  {
    do
    :: posted[me] < EVENTS ->
       posted[me]++; /* publish (store release) */
       chan_notify(sd, tmp)
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] -> atomic { REINCARNATE(me); tmp = 0 }; goto restart
  :: else
  fi
}

proctype waiter(byte me) {
  WAIT_LOCALS;
  byte seen; /* events this slot has seen (carried over to a replacement: its work left) */
restart:
  {
    do
    :: seen < EVENTS * NOTIFIERS ->
       if
       :: POSTED > seen -> skip /* the first look (mc__chan_await) */
       :: else -> chan_wait(sd, POSTED > seen)
       fi;
       seen++
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] ->
     atomic { REINCARNATE(me); futex_drop(sd.word, me); w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0 }
     goto restart
  :: else
  fi
}

init {
  atomic {
    byte p;
    for (p : 0 .. NPROC - 1) {
      running[p] = 1;
      if
      :: p < NOTIFIERS -> run notifier(p)
      :: else -> run waiter(p)
      fi
    }
  }
}

/* At the end (nothing can move): every waiter saw every event, so none sleeps for ever. */
active proctype final() {
end:
  atomic { timeout -> assert(finished == NPROC) }
}
#endif

#endif
