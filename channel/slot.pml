/* The slot handshake (channel/slot.c), modelled step by step: state EMPTY/FULL, length and
 * bytes, the slot lock (a token lock, core/tlock.pml) and the two sides' waits
 * (channel/wait.pml). Each `atomic` is one atomic instruction of the C code.
 *
 *   SENDERS senders (slots 0..SENDERS-1) send MSGS messages each, one receiver (the last
 *   slot) takes them; any of them may be killed at any step (MAXCRASH in all) and is
 *   replaced. A replacement sender goes on with its next message: the one in flight at its
 *   death was published or is lost. Checked: the receiver reads only a slot whose sender set
 *   it FULL, with that message's bytes; every published message is delivered (its EMPTY
 *   stored) exactly once, each sender's in order; a message is lost only with a sender that
 *   died after saying it writes (slot_writing) and before FULL, and each such loss is
 *   counted in `abandoned` by the next sender to write, and nothing else is (a loss is
 *   missed only when that sender dies between its mark and its count); everyone finishes,
 *   nobody sleeps on a free lock or past an event while nobody died.
 *
 * Left out: as in channel/wait.pml and core/tlock.pml; the payload and the length are
 * written in one step (nobody reads them before FULL); slot_len's range check (nobody
 * scribbles); ends closing (peers here are always replaced). */
#ifndef SENDERS
#define SENDERS 1
#endif
#define NPROC (SENDERS + 1)
#define RECV SENDERS
#ifndef MAXCRASH
#define MAXCRASH 2
#endif
#ifndef MSGS
#define MSGS 2
#endif
#define TLOCK_LIB
#define WAIT_LIB
#include "../core/crash.pml"
#include "../core/futex.pml"
#include "../core/tlock.pml"
#include "wait.pml"

#define EMPTY 0
#define FULL  1

byte state;      /* slot_state.value */
byte slot_msg;   /* the slot's bytes and length: which message they hold (0 none) */
tlock lk;        /* slot_lock */
side data_side;  /* the receiver sleeps here: data word, recv_waiting */
side space_side; /* senders sleep here: space word, send_waiting */
byte abandoned;
bool slot_writing; /* a sender said it writes the slot; 0 once FULL (or a taker saw FULL) */

/* ghosts; a message is 1 + sender * MSGS + seq */
#define NMSG (SENDERS * MSGS + 1)
bool published[NMSG]; /* its sender stored FULL over it */
byte delivered[NMSG]; /* times the receiver stored EMPTY after reading it */
byte last_seq[SENDERS]; /* per sender: 1 + the seq of the last one delivered */
byte lost_writing;    /* messages whose sender died after its mark, before FULL */
byte uncounted;       /* senders that died between the mark (which found a loss) and the count */
byte finished;

proctype sender(byte me) {
  TLOCK_LOCALS;
  WAIT_LOCALS;
  byte seq, rc, tmp;
  bool writing; /* ghost: marked slot_writing for this message, FULL not stored */
  bool owe;     /* ghost: the mark found a predecessor's loss, not yet counted */
restart:
  {
    do
    :: seq < MSGS ->
       /* slot_reserve */
       do
       :: if
          :: state == EMPTY -> skip /* the first look */
          :: else -> chan_wait(space_side, state == EMPTY)
          fi;
          tlock_acquire(lk, rc);
          if
          :: state == EMPTY ->
             /* the mark, an exchange: a sender that died writing here left it set */
             atomic { owe = slot_writing; slot_writing = 1; writing = 1 }
             if
             :: owe -> atomic { abandoned++; owe = 0 }
             :: else
             fi;
             break
          :: else -> tlock_release(lk) /* another sender filled it first */
          fi
       od;
       slot_msg = 1 + me * MSGS + seq; /* the caller writes the bytes; slot_commit the length */
       atomic { state = FULL; published[slot_msg] = 1; writing = 0 }
       slot_writing = 0; /* published */
       tlock_release(lk);
       chan_notify(data_side, tmp);
       seq++
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] ->
     atomic {
       if
       :: writing -> lost_writing++ /* its message is lost */
       :: else
       fi;
       if
       :: owe -> uncounted++ /* the count it owed dies with it */
       :: else
       fi;
       writing = 0; owe = 0;
       seq++; /* the replacement goes on with the next message */
       REINCARNATE(me);
       futex_drop(lk.wake, me); futex_drop(space_side.word, me);
       tl_seq = 0; tl_o = 0; tl_c0 = 0; tl_ok = 0; tl_chk = 0; tl_frc = 0;
       w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; rc = 0; tmp = 0
     }
     if
     :: seq < MSGS -> goto restart
     :: else -> atomic { running[me] = 0; finished++ }
     fi
  :: else
  fi
}

proctype receiver(byte me) {
  TLOCK_LOCALS;
  WAIT_LOCALS;
  byte rc, tmp, m;
  bool owe; /* always 0: a receiver counts nothing */
restart:
  {
    do
    :: /* slot_peek */
       if
       :: state == FULL -> skip
       :: else -> chan_wait(data_side, state == FULL)
       fi;
       tlock_acquire(lk, rc);
       if
       :: state == FULL ->
          if
          :: rc == TL_OWNERDEAD -> slot_writing = 0 /* its sender died after FULL */
          :: else
          fi;
          atomic {
            m = slot_msg; /* read the length and the bytes */
            assert(m != 0 && published[m] && delivered[m] == 0) /* no uncommitted read */
          }
          /* slot_consume */
          atomic {
            state = EMPTY;
            delivered[m]++;
            assert(last_seq[(m - 1) / MSGS] <= (m - 1) % MSGS); /* in each sender's order */
            last_seq[(m - 1) / MSGS] = (m - 1) % MSGS + 1;
            m = 0
          }
          tlock_release(lk);
          chan_notify(space_side, tmp)
       :: else -> tlock_release(lk) /* a sender died mid-write: nothing to read */
       fi
    od
  } unless { dead[me] };
  atomic {
    REINCARNATE(me);
    futex_drop(lk.wake, me); futex_drop(data_side.word, me);
    tl_seq = 0; tl_o = 0; tl_c0 = 0; tl_ok = 0; tl_chk = 0; tl_frc = 0;
    w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; rc = 0; tmp = 0; m = 0
  }
  goto restart
}

init {
  atomic {
    byte p;
    for (p : 0 .. SENDERS - 1) { running[p] = 1; run sender(p) }
    running[RECV] = 1;
    run receiver(RECV)
  }
}

/* At the end (nothing can move): every sender finished; every published message was
   delivered; the receiver waits for data, not for the lock (which is free, or held by the
   dead: taken over by whoever wants it next); each loss was counted. */
active proctype final() {
  byte i;
end:
  atomic {
    timeout ->
    assert(finished == SENDERS);
    assert(!ALIVE(lk.owner) && !ANY_ASLEEP(lk.wake)); /* free, or a dead holder's */
    assert(state == EMPTY);
    for (i : 1 .. NMSG - 1) { assert(delivered[i] == published[i]) }
    /* abandoned counts losses and nothing else; a loss is counted by the next sender to
       write (one still marked at the end is not yet), unless that sender dies between its
       mark and its count. */
    assert(abandoned <= lost_writing);
    assert(lost_writing <= abandoned + uncounted + slot_writing);
  }
}
