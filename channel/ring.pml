/* The ring (channel/ring.c), modelled step by step; each `atomic` is one atomic instruction
 * (or one plain read or write of a record's header fields) of the C code.
 *
 * The ring is CAP cells of 16 bytes; a record is its header cell and payload cells (SIZE
 * cells in all), a padding record fills the rest of the ring when a record would not fit
 * before the end. Positions (head, tail, a stamp = position + 1) count cells and never wrap.
 *
 *   SENDERS senders (slots 0..SENDERS-1; 2 or more: MULTI_SEND with the senders' token lock,
 *   core/tlock.pml) send MSGS messages each; one receiver (the last slot) takes them. Any of
 *   them may be killed at any step (MAXCRASH in all) and is replaced as ring_start says: a
 *   lone sender repairs head (find_head), a multi sender reads tail and finds head under the
 *   lock (find_head after a takeover), a receiver starts at the shared tail. A replacement
 *   sender goes on with its next message, and sends EXTRA more than its predecessor would
 *   have (the stream must go on after a death). Checked:
 *   - the receiver reads only records a sender stamped, with that message's bytes and size,
 *     a padding record only where one was stamped, and none of memchan's own corruption
 *     checks (refresh_tail, find_head, published_at, recv_gone, the peek's) ever fires;
 *   - every stamped message is delivered (tail stored past it) exactly once, each sender's
 *     in order; a message whose commit returned was stamped; so a message is lost only with
 *     a sender that died before stamping it;
 *   - the stream continues after any death: everyone finishes, nobody sleeps while a record
 *     waits for it (or on a free lock) unless a death made a slice necessary;
 *   - MULTI_SEND: each message lost with a sender that died holding the lock is counted in
 *     `abandoned` by the next taker of the lock, and nothing else is (a loss is missed only
 *     when that taker dies between taking the dead one's mark and counting).
 *
 * A sender that waits for room waits for half the ring (the wake threshold): the receiver
 * wakes it only once its tail reaches the sender's send_want. The model leaves out the C
 * code's way out after a liveness slice (the record's own room is then enough), so that it
 * checks the stronger property: the threshold alone wakes every sleeping sender.
 *
 * Left out: as in channel/wait.pml and core/tlock.pml; payload bytes are modelled as never
 * equal to a stamp (where a receiver or find_head looks next, ring.c's clear_stamps zeroes
 * the stamp word before publishing, so that stale bytes, a torn old stamp among them, never
 * read as one; the model's whole-cell stamps need no such step); sizes are fixed per
 * message (SIZE), chosen to make padding and wrapping happen; the busy and CPU hints; ends closing. */
#ifndef SENDERS
#define SENDERS 1
#endif
#define MULTI (SENDERS > 1)
#define NPROC (SENDERS + 1)
#define RECV SENDERS
#ifndef MAXCRASH
#define MAXCRASH 1
#endif
#ifndef MSGS
#define MSGS 2
#endif
#ifndef CAP
#define CAP 4 /* open.c demands capacity >= 2 * the largest record (here 2 cells) */
#endif
#ifndef START
#define START 0 /* head and tail at the start: a stream that has run a while, for wrapping */
#endif
/* cells of message seq of sender s: 2, 1, 2, ... (1, 2, 1, ... for odd senders) */
#ifndef SIZE
#define SIZE(s, q) (((s) + (q)) % 2 == 0 -> 2 : 1)
#endif
#ifdef SENDERS_DIE_ONLY
#define KILLABLE(p) ((p) != RECV) /* a smaller search: receivers die in the one-sender model */
#endif
#define TLOCK_LIB
#define WAIT_LIB
#include "../core/crash.pml"
#include "../core/futex.pml"
#include "../core/tlock.pml"
#include "wait.pml"

#define NONE 255
#define REC  1
#define PAD  2

byte stamp[CAP]; /* each cell's header: stamp, len (here: cells), tag; the payload: msg */
byte rlen[CAP];
byte tag[CAP];
byte msg[CAP];
byte head, tail;
tlock lk;        /* send_lock */
side data_side;  /* the receiver sleeps here */
side space_side; /* senders sleep here */
byte abandoned;
byte writing_at; /* ctl->writing: position + 1 of the lock holder's record, 0 none */
byte send_want;  /* ctl->send_want: the tail a sleeping sender waits for (the wake threshold) */

/* ghosts; a message is 1 + sender * PER + seq; a sender sends MSGS messages, and its
   replacement EXTRA more after each death (so that a death is followed by a sender at work:
   the stream must go on, and a lock left by the dead is taken over) */
#ifndef EXTRA
#define EXTRA 1 /* messages a replacement sends beyond its predecessor's: 0 or 1 */
#endif
#define PER (MSGS + EXTRA * MAXCRASH)
#define NMSG (SENDERS * PER + 1)
bool stamped[NMSG];   /* its stamp is stored */
byte pos_of[NMSG];    /* where */
byte delivered[NMSG]; /* times tail was stored past it */
bool committed[NMSG]; /* ring_commit returned */
byte last_seq[SENDERS];
byte lost_writing;    /* died after its mark, its record not stamped (MULTI) */
byte uncounted;       /* died between taking a dead one's mark and counting it (MULTI) */
byte finished;

#define OFF(p) ((p) % CAP)

/* find_head: the true head, walking the records published from max(head, tail). */
inline find_head() {
  fh_h = head;
  fh_t = tail;
  assert(fh_h <= fh_t + CAP && fh_t <= fh_h + CAP); /* no false corruption */
  fh_pos = (fh_h > fh_t -> fh_h : fh_t);
  do
  :: fh_pos - fh_t < CAP ->
     atomic { /* published_at: the stamp (acquire), then len and tag read once */
       if
       :: stamp[OFF(fh_pos)] == fh_pos + 1 ->
          if
          :: tag[OFF(fh_pos)] == PAD -> assert(rlen[OFF(fh_pos)] == CAP - OFF(fh_pos))
          :: else -> assert(tag[OFF(fh_pos)] == REC && rlen[OFF(fh_pos)] <= CAP - OFF(fh_pos))
          fi;
          fh_pos = fh_pos + rlen[OFF(fh_pos)]
       :: else -> break
       fi
     }
  :: else -> break
  od;
  assert(fh_pos - fh_t <= CAP);
  r_head = fh_pos;
  cached = fh_t;
  if
  :: fh_pos == fh_h -> fh_moved = 0
  :: else -> head = fh_pos; fh_moved = 1 /* store release */
  fi;
  fh_h = 0; fh_t = 0; fh_pos = 0
}

proctype sender(byte me) {
  TLOCK_LOCALS;
  WAIT_LOCALS;
  byte seq, rc, tmp, id, size, r_head, cached, pos, res_pos, res_pad = NONE;
  byte fh_h, fh_t, fh_pos;
  bool fh_moved, writing, owe;
restart:
  {
    /* ring_start */
    if
    :: MULTI -> cached = tail
    :: else -> find_head()
    fi;
    do
    :: seq < MSGS + EXTRA * inc[me] ->
       atomic { id = 1 + me * PER + seq; size = SIZE(me, seq); writing = !MULTI }
       /* ring_reserve: lock_senders */
       if
       :: MULTI ->
          tlock_acquire(lk, rc);
          if
          :: rc == TL_OWNERDEAD ->
             find_head();
             /* the dead holder's mark, exchanged: its record not published means lost */
             atomic { tmp = writing_at; writing_at = 0; owe = (tmp != 0 && tmp - 1 >= r_head) }
             if
             :: owe -> atomic { abandoned++; owe = 0 }
             :: else
             fi;
             tmp = 0
          :: else ->
             r_head = head;
             if
             :: r_head - cached > CAP || cached > r_head -> /* refresh_tail */
                atomic { cached = tail; assert(cached <= r_head && r_head - cached <= CAP) }
             :: else
             fi
          fi
       :: else
       fi;
       if
       :: MULTI -> atomic { writing_at = r_head + 1; writing = 1 } /* the mark */
       :: else
       fi;
       /* space_ready: head + needed - tail <= capacity (refresh_tail when the copy says no) */
       atomic {
         tmp = (size <= CAP - OFF(r_head) -> size : CAP - OFF(r_head) + size);
         w_r = (r_head + tmp - cached <= CAP)
       }
       if
       :: w_r -> w_r = 0
       :: else ->
          atomic { cached = tail; assert(cached <= r_head && r_head - cached <= CAP) }
          if
          :: r_head + tmp - cached <= CAP -> skip
          :: else -> /* wait_room: half the ring, or the record's room when larger; the
                        tail that gives it stored before the wait announces us */
                     atomic { tmp = (tmp >= CAP / 2 -> tmp : CAP / 2) }
                     send_want = (r_head + tmp > CAP -> r_head + tmp - CAP : 0);
                     chan_wait(space_side, r_head + tmp - tail <= CAP);
                     cached = tail /* the ready look read it */
          fi
       fi;
       tmp = 0;
       pos = r_head;
       res_pad = NONE;
       if
       :: size > CAP - OFF(pos) -> /* padding to the end, published with the record */
          res_pad = pos;
          pos = pos + CAP - OFF(pos)
       :: else
       fi;
       res_pos = pos;
       if
       :: res_pad != NONE ->
          if
          :: MULTI -> writing_at = res_pos + 1 /* the mark follows the record */
          :: else
          fi;
          atomic { rlen[OFF(res_pad)] = CAP - OFF(res_pad); tag[OFF(res_pad)] = PAD }
       :: else
       fi;
       msg[OFF(res_pos)] = id; /* the caller writes the payload */
       /* ring_commit */
       atomic { rlen[OFF(res_pos)] = size; tag[OFF(res_pos)] = REC }
       if
       :: res_pad != NONE -> stamp[OFF(res_pad)] = res_pad + 1
       :: else
       fi;
       atomic { stamp[OFF(res_pos)] = res_pos + 1; stamped[id] = 1; pos_of[id] = res_pos;
                writing = 0 }
       head = res_pos + size;
       r_head = res_pos + size;
       if
       :: MULTI -> tlock_release(lk)
       :: else
       fi;
       chan_notify(data_side, tmp);
       atomic { committed[id] = 1; seq++; tmp = 0; pos = 0; res_pos = 0; res_pad = NONE; rc = 0 }
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] ->
     atomic {
       if
       :: writing -> lost_writing++
       :: else
       fi;
       if
       :: owe -> uncounted++
       :: else
       fi;
       seq++; /* the replacement goes on with the next message */
       REINCARNATE(me);
       futex_drop(lk.wake, me); futex_drop(space_side.word, me);
       tl_seq = 0; tl_o = 0; tl_c0 = 0; tl_ok = 0; tl_chk = 0; tl_frc = 0;
       w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; rc = 0; tmp = 0; id = 0; size = 0;
       r_head = 0; cached = 0; pos = 0; res_pos = 0; res_pad = NONE;
       fh_h = 0; fh_t = 0; fh_pos = 0; fh_moved = 0; writing = 0; owe = 0
     }
     if
     :: seq < MSGS + EXTRA * inc[me] -> goto restart
     :: else -> atomic { running[me] = 0; finished++ }
     fi
  :: else
  fi
}

/* recv_gone's check before each sleep: head against our tail */
#undef WAIT_BEFORE_SLEEP
#define WAIT_BEFORE_SLEEP \
  rh = head; \
  atomic { assert(rh <= t + CAP && t <= rh + CAP); assert(rh <= t || stamp[OFF(t)] == t + 1); rh = 0 }

proctype receiver(byte me) {
  TLOCK_LOCALS;
  WAIT_LOCALS;
  byte t, next, m, rh, tmp;
  bool writing, owe; /* always 0: used by the lock's hooks for senders */
restart:
  {
    t = tail; /* ring_start */
    do
    :: /* ring_peek */
       if
       :: stamp[OFF(t)] == t + 1 -> skip
       :: else -> chan_wait(data_side, stamp[OFF(t)] == t + 1)
       fi;
       atomic { /* len and tag, read once */
         if
         :: tag[OFF(t)] == PAD ->
            assert(rlen[OFF(t)] == CAP - OFF(t));
            t = t + CAP - OFF(t) /* skipped locally, freed with the next consume */
         :: else ->
            assert(tag[OFF(t)] == REC && rlen[OFF(t)] <= CAP - OFF(t));
            m = msg[OFF(t)];
            /* no read of an uncommitted record: this is message m, stamped here */
            assert(m != 0 && stamped[m] && pos_of[m] == t && rlen[OFF(t)] == SIZE((m - 1) / PER, (m - 1) % PER));
            next = t + rlen[OFF(t)]
         fi
       }
       if
       :: m != 0 ->
          /* ring_consume */
          t = next;
          atomic {
            tail = t;
            delivered[m]++;
            assert(delivered[m] == 1);
            assert(last_seq[(m - 1) / PER] <= (m - 1) % PER); /* in each sender's order */
            last_seq[(m - 1) / PER] = (m - 1) % PER + 1;
            m = 0; next = 0
          }
          chan_notify_room(space_side, tmp, t, send_want)
       :: else
       fi
    od
  } unless { dead[me] };
  atomic {
    REINCARNATE(me);
    futex_drop(data_side.word, me);
    w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; t = 0; next = 0; m = 0; rh = 0; tmp = 0
  }
  goto restart
}

init {
  atomic {
    byte p;
    assert(CAP >= 4); /* 2 * the largest record: smaller, a padding and a record may never fit */
    head = START; tail = START;
    for (p : 0 .. SENDERS - 1) { running[p] = 1; run sender(p) }
    running[RECV] = 1;
    run receiver(RECV)
  }
}

/* At the end (nothing can move): every sender finished; every stamped message was delivered
   and every returned commit stamped; the receiver waits for data, nobody for the lock. */
active proctype final() {
  byte i;
end:
  atomic {
    timeout ->
    assert(finished == SENDERS);
    for (i : 1 .. NMSG - 1) {
      assert(delivered[i] == stamped[i]);
      assert(stamped[i] || !committed[i])
    }
    assert(!ALIVE(lk.owner) && !ANY_ASLEEP(lk.wake));
    /* abandoned counts losses and nothing else; a loss is counted by the next taker of the
       lock (one left held by the dead is not yet), unless that taker dies between taking
       the mark and counting. */
    assert(!MULTI || abandoned <= lost_writing);
    assert(!MULTI || lost_writing <= abandoned + uncounted + (lk.owner != 0));
  }
}
