/* Broadcast channels (channel/ring.c, channel/peers.c; docs/channels.md "Fan-out"), modelled
 * step by step like channel/ring.pml: each `atomic` is one atomic instruction of the C code
 * (or one plain read or write of a record's header fields or of one cell of payload).
 *
 * The ring is CAP cells; a record is SIZE cells (its header cell and, for 2, a payload cell),
 * a padding record fills the rest of the ring when a record would not fit. Positions never
 * wrap. One sender (process slot 0) sends MSGS messages; RECEIVERS broadcast receivers
 * (process slots 1..RECEIVERS) each read them through a cursor of their own in a receiver
 * line (rx_*: state, token, cursor, dropped), which a receiver takes at registration: the
 * first line that is not OPEN with a live process, under the registration lock. Any process
 * may be killed at any step (MAXCRASH in all) and is replaced: a sender repairs head
 * (find_head, its tail the slowest cursor; a ring behind the true head when it passed over
 * a JOINING receiver), a receiver registers again and joins (cursor :=
 * JOINING, a new `dropped` generation, token, state OPEN; then head read and stored as its
 * cursor, and the senders kicked). -DJOIN: the last receiver is a late joiner, registering at
 * any moment of the stream; the others are attached before it begins.
 *
 * The sender takes the slowest OPEN cursor as its tail when its copy says "full" (a scan
 * after a full fence; it waits while a receiver is JOINING), with no receiver its own head;
 * before it sleeps for room it marks OPEN receivers with a dead process DEAD
 * (mc__chan_receiver_gone) and looks again. -DDROP (DROP_OLDEST): a sender that needs room
 * past the slowest cursor walks to the boundary `end` (drop_slow) and, for each OPEN receiver
 * before it, possibly finds it dead (mc__chan_rx_dead: the mark with a zero timeout, which
 * gets the registration lock if free or, maybe, held by the dead; passed over only if no
 * longer OPEN after it) or else counts its messages in [c, end), reads `dropped`, swaps the
 * cursor c -> end (again on failure) and adds the count within the generation; the receiver
 * (drop_peek) reads its cursor, the header, re-checks the cursor, copies the payload cell by
 * cell, and takes the message by swapping its cursor c -> next, starting again on any change.
 * A receiver's wait (mc__chan_wait): announce, look, recv_gone (head; DROP: then the cursor,
 * and a moved one ends the check; head against its tail), look again, sleep.
 *
 * Checked:
 *   - no sender writes a cell a live receiver still holds (a position at or past its cursor,
 *     or, while it joins, past the head it read, less a ring): a receiver never reads an
 *     overwritten record (DROP: the sender moved its cursor before it wrote there);
 *   - a receiver reads (non-DROP) or accepts (DROP: its swap succeeds) only the message
 *     stamped at its position, whole (every cell of the copy that message's), with its size;
 *   - it receives each message once, in order, none whose commit returned before it began
 *     to register, and none that was counted dropped for it; at the end every message
 *     stamped at or after the head it joined at was received or (DROP) dropped, and the
 *     dropped count is the number dropped, short only by those of a sender killed between a
 *     successful cursor swap and its add (ring.dropped); every message stamped after a
 *     receiver's join has a position at or after its start;
 *   - none of the C code's corruption checks fires on sound peers (bcast_min's, drop_slow's,
 *     find_head's, published_at's, the receivers' header checks, recv_gone's);
 *   - everyone finishes and nobody sleeps for ever on a word whose event came (a slice
 *     rescues a sleeper only after a death, or while an OPEN receiver's process is dead).
 *
 * The killer may also retire at any moment (crash_budget := crashes), so that the final
 * check runs after any number of deaths up to MAXCRASH, not only after all of them.
 *
 * Left out: as in channel/ring.pml; MULTI_SEND (one sender here), MULTI_RECV; the sender's
 * own registration; the registration lock is an abstract token lock (one step to take or
 * take over, one to release: core/tlock.pml checks the real one); closing ends, unregister
 * (after a failed join, which kicks the senders: bcast_join fails only on corruption) and
 * the end-of-stream decisions (mc__chan_senders_gone); the shared tail store "for
 * inspection"; the liveness checks' rate limits (receiver_gone, rx_dead and the zero-timeout
 * take-over of a dead holder's registration lock each look or not, a free choice); a
 * receiver's first look at its readiness inside the wait loop is one step per load. */
#ifndef RECEIVERS
#define RECEIVERS 1
#endif
#define NRX RECEIVERS
#define NPROC (1 + RECEIVERS)
#ifndef MAXCRASH
#define MAXCRASH 1
#endif
/* MAXCRASH as a number (array sizes), then the killer's bound as a variable it can retire */
#if MAXCRASH == 0
#define NCRASH 0
#elif MAXCRASH == 1
#define NCRASH 1
#elif MAXCRASH == 2
#define NCRASH 2
#elif MAXCRASH == 3
#define NCRASH 3
#else
#error "fanout.pml: MAXCRASH 0..3"
#endif
#undef MAXCRASH
#define MAXCRASH crash_budget
byte crash_budget = NCRASH;
#ifndef MSGS
#define MSGS 3
#endif
#ifndef EXTRA
#define EXTRA 0 /* messages a replacement sender sends beyond its predecessor's: 0 or 1 */
#endif
#ifndef CAP
#define CAP 4
#endif
#ifndef START
#define START 0
#endif
#ifdef DROP
#define DROPPING 1
#else
#define DROPPING 0
#endif
/* -DUNFIXED=n: the code as it was before the fix of fault n of docs/design.md, to show that
   the model still finds it: 1 find_head keeps the tail it found past a JOINING cursor (before
   ef0b7c1); 2 recv_gone reads a DROP receiver's cursor before head, and the wait sleeps when
   gone returns 0 (before feadf5e); 3 rx_dead passes over a dead receiver it could not mark
   (before feadf5e). */
#ifndef UNFIXED
#define UNFIXED 0
#endif
#ifdef JOIN
#define LATE(r) ((r) == RECEIVERS - 1) /* registers during the stream */
#else
#define LATE(r) 0
#endif
/* cells of message seq: 2, 1, 2, ... */
#ifndef SIZE
#define SIZE(q) ((q) % 2 == 0 -> 2 : 1)
#endif
#define WAIT_LIB
#include "../core/crash.pml"
#include "../core/futex.pml"
#include "wait.pml"

#define NONE    255
#define JOINING 254 /* MC__CURSOR_JOINING (odd in C: no position) */
#define REC     1
#define PAD     2
#define FREE    0 /* peer states */
#define OPEN    1
#define DEAD    3

byte stamp[CAP]; /* each cell: a header's stamp, len (cells), tag; msg: its payload bytes */
byte rlen[CAP];
byte tag[CAP];
byte msg[CAP];
byte head;
byte rx_state[NRX]; /* the receiver lines: peer.state, peer.token, cursor, dropped */
byte rx_tok[NRX];
byte rx_cur[NRX];
byte rx_drop[NRX];  /* generation << 4 | count (in C << 48) */
byte reg;           /* reg_lock's owner token, 0 free */
side data_side;     /* receivers sleep here */
side space_side;    /* the sender sleeps here */
byte send_want;     /* the cursor a sleeping sender waits for (the wake threshold) */

/* ghosts; message id = 1 + seq, a bit each in the masks */
#define PER (MSGS + EXTRA * NCRASH)
#define NMSG (PER + 1)
#define MB(m) (1 << ((m) - 1))
byte stamped_m;       /* its stamp is stored */
byte committed_m;     /* ring_commit returned */
byte pos_of[NMSG];
byte finished;
/* per receiver (process slot r + 1), reset by its replacement */
byte rslot[RECEIVERS];  /* its line */
bool joined[RECEIVERS]; /* bcast_join returned */
byte jpos[RECEIVERS];   /* the head it joined at */
byte hold[RECEIVERS];   /* what it holds: its cursor (while joining: the head it read) */
byte before[RECEIVERS]; /* committed_m when it began to register */
byte got[RECEIVERS];    /* received */
byte dmask[RECEIVERS];  /* moved past by a sender's cursor swap */
byte lastp[RECEIVERS];  /* position + 1 of the last received */
byte shortc[RECEIVERS]; /* dropped for it but never counted (a sender died in between) */

#define OFF(p) ((p) % CAP)
#define NEEDED(h, s) ((s) <= CAP - OFF(h) -> (s) : CAP - OFF(h) + (s))
/* published_at's checks of a stamped record */
#define VALID(p) ((tag[OFF(p)] == PAD && rlen[OFF(p)] == CAP - OFF(p)) || \
                  (tag[OFF(p)] == REC && rlen[OFF(p)] >= 1 && rlen[OFF(p)] <= CAP - OFF(p)))
/* a write of position p's cell is allowed by live receiver r */
#define HOLD_OK(r, p) (hold[r] == NONE || dead[(r) + 1] || (p) < hold[r] + CAP)
#if RECEIVERS == 1
#define WRITE_OK(p) HOLD_OK(0, p)
#define DEAD_OPEN (rx_state[0] == OPEN && !ALIVE(rx_tok[0]))
#elif RECEIVERS == 2
#define WRITE_OK(p) (HOLD_OK(0, p) && HOLD_OK(1, p))
#define DEAD_OPEN ((rx_state[0] == OPEN && !ALIVE(rx_tok[0])) || \
                   (rx_state[1] == OPEN && !ALIVE(rx_tok[1])))
#else
#error "fanout.pml: RECEIVERS 1 or 2"
#endif
#define TAKE_REG   atomic { reg == 0 || !ALIVE(reg) -> reg = TOKEN(me) }
/* mark_dead's step under the lock: OPEN and its process gone -> DEAD */
#define MARK_DEAD(i) atomic { if :: rx_state[i] == OPEN && !ALIVE(rx_tok[i]) -> rx_state[i] = DEAD \
                                 :: else fi }

/* ---- the sender ------------------------------------------------------------------------ */

/* bcast_min: the slowest OPEN cursor, h if none; res 0 while one is JOINING (loose: passed
   over, and res 2). The fence first: under sequential consistency it orders nothing more. */
inline bcast_min(h, loose, out, res) {
  atomic { out = h; res = 1; i = 0 }
  do
  :: i < NRX ->
     st = rx_state[i];
     if
     :: atomic { st == OPEN -> st = 0;
          c = rx_cur[i];
          if
          :: c == JOINING && !loose -> res = 0; i = NRX
          :: c == JOINING && loose -> res = 2
          :: else ->
             assert(!(c > h && (!loose || c - h > CAP)) && !(c < h && h - c > CAP));
             if
             :: c < out -> out = c
             :: else
             fi
          fi;
          c = 0 }
     :: else -> st = 0
     fi;
     i++
  :: else -> break
  od;
  i = 0
}

/* find_head (broadcast): from max(head, the slowest cursor), walk the published records. A
   receiver passed over while JOINING may start at a head older than fh_h: the tail copy is
   then a ring behind the true head (0 at most), so that room is found by a full scan, which
   waits for it. */
inline find_head() {
  fh_h = head;
  bcast_min(fh_h, 1, fh_t, rdy);
  assert(fh_h <= fh_t + CAP && fh_t <= fh_h + CAP); /* no false corruption */
  fh_pos = (fh_h > fh_t -> fh_h : fh_t);
  do
  :: fh_pos - fh_t < CAP ->
     atomic { /* published_at: the stamp (acquire), then len and tag read once */
       if
       :: stamp[OFF(fh_pos)] == fh_pos + 1 -> assert(VALID(fh_pos)); fh_pos = fh_pos + rlen[OFF(fh_pos)]
       :: else -> break
       fi
     }
  :: else -> break
  od;
  assert(fh_pos - fh_t <= CAP);
  r_head = fh_pos;
  cached = (rdy == 2 && UNFIXED != 1 -> (fh_pos > CAP -> fh_pos - CAP : 0) : fh_t);
  if
  :: fh_pos == fh_h -> skip
  :: else -> head = fh_pos /* store release */
  fi;
  fh_h = 0; fh_t = 0; fh_pos = 0; rdy = 0
}

/* drop_slow: tail mn is too slow; moves every OPEN receiver before `end` there and counts
   what it skipped. rdy 1 with mn = end, 0 while a receiver joins. */
inline drop_slow() {
  atomic { want = r_head + tmp - CAP; end = mn }
  do
  :: end < want ->
     atomic { assert(stamp[OFF(end)] == end + 1 && VALID(end)); end = end + rlen[OFF(end)] }
  :: else -> break
  od;
  assert(end <= r_head);
  atomic { want = 0; rdy = 1; i = 0 }
  do
  :: i < NRX ->
     do
     :: st = rx_state[i];
        if
        :: st != OPEN -> st = 0; break
        :: else -> st = 0
        fi;
        c = rx_cur[i];
        if
        :: c == JOINING -> rdy = 0; i = NRX; c = 0; break
        :: c != JOINING && c >= end -> c = 0; break
        :: else
        fi;
        assert(c >= mn); /* no false corruption */
        /* mc__chan_rx_dead: if its check is due and the process is gone, mark_dead with a
           zero timeout: the registration lock if free, or taken over from a dead holder
           (tlock.c looks at the owner once a liveness slice: a free choice here), else not
           marked; passed over only if no longer OPEN, else moved on like a live one */
        if
        :: atomic { !ALIVE(rx_tok[i]) -> ok = 0 }
           atomic {
             if
             :: reg == 0 || !ALIVE(reg) -> reg = TOKEN(me); ok = 1
             :: reg != 0 -> skip /* held (by the living, or not looked at this slice) */
             fi
           }
           if
           :: ok -> MARK_DEAD(i); reg = 0; ok = 0
           :: else
           fi;
           if
           :: atomic { rx_state[i] != OPEN || UNFIXED == 3 -> c = 0 } -> break
           :: atomic { rx_state[i] == OPEN && UNFIXED != 3 -> skip }
           fi
        :: skip /* not due, or alive */
        fi;
        /* records_between(c, end) */
        atomic { lost = 0; d = c }
        do
        :: d < end ->
           atomic { assert(stamp[OFF(d)] == d + 1 && VALID(d)); lost = lost + (tag[OFF(d)] == REC);
                    d = d + rlen[OFF(d)] }
        :: else -> break
        od;
        assert(d == end);
        d0 = rx_drop[i];
        atomic { /* compare-and-swap cursor c -> end */
          if
          :: rx_cur[i] == c ->
             rx_cur[i] = end;
             ok = 1;
             tk = TSLOT(rx_tok[i]) - 1; /* the receiver, if this incarnation lives on */
             if
             :: tk < RECEIVERS && inc[tk + 1] == (rx_tok[i] - 1) % 8 && rslot[tk] == i ->
                d = 0;
                for (m : 1 .. PER) {
                  if
                  :: (stamped_m & MB(m)) && pos_of[m] >= c && pos_of[m] < end ->
                     assert((got[tk] & MB(m)) == 0); /* not both received and dropped */
                     dmask[tk] = dmask[tk] | MB(m);
                     d++
                  :: else
                  fi
                }
                m = 0;
                assert(d == lost); /* records_between counted exactly those */
                hold[tk] = end;
                owe_r = tk; owe_i = inc[tk + 1]; owe_n = lost
             :: else -> tk = 0
             fi;
             d = 0
          :: else -> ok = 0
          fi
        }
        if
        :: !ok -> c = 0 /* it moved: look again */
        :: else ->
           /* count_dropped(rx, d0, lost) */
           d = d0;
           do
           :: (d >> 4) == (d0 >> 4) && ok ->
              atomic {
                if
                :: rx_drop[i] == d -> rx_drop[i] = d + lost; ok = 0; owe_r = NONE; owe_i = 0; owe_n = 0
                :: else -> d = rx_drop[i]
                fi
              }
           :: else -> break
           od;
           atomic { owe_r = NONE; owe_i = 0; owe_n = 0; ok = 0; d = 0; d0 = 0; lost = 0; c = 0; tk = 0 }
           break
        fi
     od;
     i++
  :: else -> break
  od;
  atomic { i = 0; if :: rdy -> mn = end :: else fi; end = 0 } /* the fence, then the tail */
}

/* bcast_refresh, then space_ready's second look: rdy = room now. */
inline bcast_refresh() {
  bcast_min(r_head, 0, mn, rdy);
  if
  :: rdy && DROPPING && r_head + tmp - mn > CAP -> drop_slow()
  :: else
  fi;
  atomic {
    if
    :: rdy -> cached = mn; rdy = (r_head + tmp - cached <= CAP)
    :: else
    fi;
    mn = 0
  }
}

/* mc__chan_receiver_gone before a sleep: OPEN receivers whose process is gone marked DEAD
   (under the registration lock, waited for; the check is due or not: a free choice). */
inline receiver_gone() {
  i = 0;
  do
  :: i < NRX ->
     st = rx_state[i];
     if
     :: st == OPEN ->
        if
        :: atomic { !ALIVE(rx_tok[i]) -> st = 0 }
           TAKE_REG;
           MARK_DEAD(i);
           reg = 0
        :: skip
        fi
     :: else
     fi;
     atomic { st = 0; i++ }
  :: else -> break
  od;
  i = 0
}

proctype sender(byte me) {
  WAIT_LOCALS;
  byte seq, tmp, id, size, r_head, cached, pos, res_pos, res_pad = NONE;
  byte fh_h, fh_t, fh_pos, i, st, c, mn, end, want, lost, d, d0, tk, m;
  byte owe_r = NONE, owe_i, owe_n; /* ghost: moved a receiver, not yet counted */
  bool ok;
  byte rdy; /* bcast_min's result: 0, 1, 2 */
restart:
  {
    find_head(); /* ring_start */
    do
    :: seq < MSGS + EXTRA * inc[me] ->
       atomic { id = 1 + seq; size = SIZE(seq) }
       /* space_ready: our copy of the tail first */
       atomic { tmp = NEEDED(r_head, size); rdy = (r_head + tmp - cached <= CAP) }
       if
       :: rdy -> rdy = 0
       :: else ->
          bcast_refresh();
          if
          :: rdy -> rdy = 0
          :: else -> /* wait_room: the wake threshold (not DROP_OLDEST), then mc__chan_wait */
             atomic { tmp = (DROPPING || tmp >= CAP / 2 -> tmp : CAP / 2) }
             send_want = (r_head + tmp > CAP -> r_head + tmp - CAP : 0);
             do
             :: atomic { w_s = space_side.word.value; w_c0 = crashes }
                space_side.waiting = space_side.waiting | BIT(me);
                bcast_refresh();
                if
                :: rdy -> space_side.waiting = space_side.waiting & ~BIT(me); rdy = 0; break
                :: else
                fi;
                receiver_gone();
                bcast_refresh(); /* looks again after gone (space_ready: our copy says full) */
                if
                :: rdy -> space_side.waiting = space_side.waiting & ~BIT(me); rdy = 0; break
                :: else
                fi;
                futex_wait(space_side.word, w_s, crashes != w_c0 || DEAD_OPEN, w_frc)
             od;
             w_s = 0; w_c0 = 0; w_frc = 0
          fi
       fi;
       /* ring_reserve */
       atomic {
         pos = r_head; res_pad = NONE;
         if
         :: size > CAP - OFF(pos) -> res_pad = pos; pos = pos + CAP - OFF(pos)
         :: else
         fi;
         res_pos = pos; pos = 0
       }
       if
       :: res_pad != NONE ->
          atomic { assert(WRITE_OK(res_pad)); rlen[OFF(res_pad)] = CAP - OFF(res_pad); tag[OFF(res_pad)] = PAD }
       :: else
       fi;
       /* the caller writes the payload, a cell at a time (bytes never equal to a stamp) */
       atomic { assert(WRITE_OK(res_pos)); msg[OFF(res_pos)] = id }
       if
       :: size == 2 ->
          atomic { assert(WRITE_OK(res_pos + 1)); msg[OFF(res_pos + 1)] = id; stamp[OFF(res_pos + 1)] = 0;
                   rlen[OFF(res_pos + 1)] = 0; tag[OFF(res_pos + 1)] = 0 }
       :: else
       fi;
       /* ring_commit */
       atomic { assert(WRITE_OK(res_pos)); rlen[OFF(res_pos)] = size; tag[OFF(res_pos)] = REC }
       if
       :: res_pad != NONE -> stamp[OFF(res_pad)] = res_pad + 1
       :: else
       fi;
       atomic {
         stamp[OFF(res_pos)] = res_pos + 1; stamped_m = stamped_m | MB(id); pos_of[id] = res_pos;
         for (i : 0 .. RECEIVERS - 1) { /* nobody joined after it has started later */
           assert(!joined[i] || dead[i + 1] || jpos[i] <= res_pos)
         }
         i = 0
       }
       head = res_pos + size;
       r_head = res_pos + size;
       chan_notify(data_side, tmp);
       atomic { committed_m = committed_m | MB(id); seq++; tmp = 0; res_pos = 0; res_pad = NONE; id = 0; size = 0 }
    :: else -> break
    od;
    atomic { running[me] = 0; finished++ }
  } unless { dead[me] };
  if
  :: dead[me] ->
     atomic {
       if
       :: owe_r != NONE && inc[owe_r + 1] == owe_i -> shortc[owe_r] = shortc[owe_r] + owe_n
       :: else
       fi;
       seq++; /* the replacement goes on with the next message */
       REINCARNATE(me);
       futex_drop(space_side.word, me);
       w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; tmp = 0; id = 0; size = 0; r_head = 0; cached = 0;
       pos = 0; res_pos = 0; res_pad = NONE; fh_h = 0; fh_t = 0; fh_pos = 0; i = 0; st = 0; c = 0;
       mn = 0; end = 0; want = 0; lost = 0; d = 0; d0 = 0; tk = 0; m = 0;
       owe_r = NONE; owe_i = 0; owe_n = 0; rdy = 0; ok = 0
     }
     if
     :: seq < MSGS + EXTRA * inc[me] -> goto restart
     :: else -> atomic { running[me] = 0; finished++ }
     fi
  :: else
  fi
}

/* ---- the receivers --------------------------------------------------------------------- */

#define R (me - 1)
#define SL rslot[R]

/* DROP: drop_ready, a load at a time: the stamp at our tail, then our cursor. */
inline drop_ready() {
  atomic { w_r = (stamp[OFF(t)] == t + 1) }
  if
  :: !w_r -> atomic { w_r = (rx_cur[SL] != cur) }
  :: else
  fi
}

/* mc__chan_wait for data, with recv_gone before each sleep */
inline rx_wait() {
  do
  :: atomic { w_s = data_side.word.value; w_c0 = crashes }
     data_side.waiting = data_side.waiting | BIT(me);
     if
     :: DROPPING -> drop_ready()
     :: else -> atomic { w_r = (stamp[OFF(t)] == t + 1) }
     fi;
     if
     :: w_r -> data_side.waiting = data_side.waiting & ~BIT(me); w_r = 0; break
     :: else
     fi;
#if UNFIXED == 2
     if
     :: DROPPING -> drop_ready()
     :: else
     fi;
     if
     :: w_r -> w_r = 0
     :: else ->
        rh = head;
        assert(rh <= t + CAP && t <= rh + CAP);
        atomic { assert(rh <= t || stamp[OFF(t)] == t + 1); rh = 0 }
     fi;
#else
     /* recv_gone: head first; DROP: then moved on? (returns 0, nothing to check); else head
        against our tail */
     rh = head;
     if
     :: DROPPING -> drop_ready()
     :: else
     fi;
     if
     :: w_r -> /* gone returned 0, and the second look is ready: the cursor moved stays
                  moved (we are its only other writer), a stamp at our tail stays ours
                  until a sender moves the cursor */
        atomic { rh = 0; data_side.waiting = data_side.waiting & ~BIT(me) }; w_r = 0; break
     :: else ->
        assert(rh <= t + CAP && t <= rh + CAP); /* no false corruption */
        atomic { assert(rh <= t || stamp[OFF(t)] == t + 1); rh = 0 }
     fi;
     /* mc__chan_wait: a second look after gone */
     if
     :: DROPPING -> drop_ready()
     :: else -> atomic { w_r = (stamp[OFF(t)] == t + 1) }
     fi;
     if
     :: w_r -> data_side.waiting = data_side.waiting & ~BIT(me); w_r = 0; break
     :: else
     fi;
#endif
     futex_wait(data_side.word, w_s, crashes != w_c0, w_frc)
  od;
  w_s = 0; w_c0 = 0; w_frc = 0
}

/* a message received: once, in order, not from before we registered, not dropped */
#define GOT(m) \
  assert((got[R] & MB(m)) == 0 && (before[R] & MB(m)) == 0 && (dmask[R] & MB(m)) == 0); \
  assert(pos_of[m] + 1 > lastp[R]); \
  lastp[R] = pos_of[m] + 1; \
  got[R] = got[R] | MB(m)
/* the message stamped at t, whole: m (and m2, its second cell's bytes), len hl */
#define WHOLE(m, m2) (m != 0 && m2 == m && (stamped_m & MB(m)) && pos_of[m] == t && hl == SIZE((m) - 1))

proctype receiver(byte me) {
  WAIT_LOCALS;
  byte t, cur, c, hl, ht, m, m2, next, rh, d, tmp;
  if
  :: joined[R] -> t = START; cur = START /* attached before the stream began */
  :: else
  fi;
restart:
  {
    if
    :: !joined[R] ->
       /* mc__chan_register: the first line not OPEN with a live process */
       atomic { reg == 0 || !ALIVE(reg) -> reg = TOKEN(me); before[R] = committed_m }
       atomic {
         d = 0;
         do
         :: d < NRX && rx_state[d] == OPEN && ALIVE(rx_tok[d]) -> d++
         :: else -> break
         od;
         assert(d < NRX);
         SL = d; d = 0
       }
       rx_cur[SL] = JOINING;
       d = rx_drop[SL];
       atomic { rx_drop[SL] = ((d >> 4) + 1) << 4; d = 0 } /* a new generation, at 0 */
       rx_tok[SL] = TOKEN(me);
       rx_state[SL] = OPEN; /* seq_cst */
       reg = 0;
       /* ring_start: bcast_join (a full fence, then head) */
       atomic { t = head; hold[R] = t }
       atomic { rx_cur[SL] = t; cur = t; jpos[R] = t }
       space_side.word.value++; /* mc__chan_kick */
       futex_wake_all(space_side.word);
       joined[R] = 1
    :: else
    fi;
    do
    :: !DROPPING -> /* ring_peek */
       if
       :: stamp[OFF(t)] == t + 1 -> skip
       :: else -> rx_wait()
       fi;
       atomic { /* len and tag read once; the caller reads the payload in place */
         hl = rlen[OFF(t)]; ht = tag[OFF(t)];
         if
         :: ht == PAD -> assert(hl == CAP - OFF(t)); t = t + hl
         :: else ->
            assert(ht == REC && hl >= 1 && hl <= CAP - OFF(t));
            m = msg[OFF(t)];
            m2 = (hl == 2 -> msg[OFF(t + 1)] : m);
            assert(WHOLE(m, m2));
            next = t + hl
         fi;
         hl = 0; ht = 0; m2 = 0
       }
       if
       :: m != 0 -> /* ring_consume: our cursor (release) */
          atomic { rx_cur[SL] = next; hold[R] = next; GOT(m); t = next; cur = next; m = 0; next = 0 }
          chan_notify_room(space_side, tmp, t, send_want)
       :: else
       fi
    :: DROPPING -> /* drop_peek */
       drop_ready(); /* mc__chan_await's first look */
       if
       :: w_r -> w_r = 0
       :: else -> rx_wait()
       fi;
       c = rx_cur[SL];
       if
       :: c != cur -> atomic { assert(c != JOINING && c > cur); cur = c; t = c; c = 0 } /* moved on */
       :: else ->
          atomic { hl = rlen[OFF(t)]; ht = tag[OFF(t)] }
          if
          :: atomic { rx_cur[SL] != c -> hl = 0; ht = 0; c = 0 } /* overwritten: again */
          :: atomic { rx_cur[SL] == c -> skip } ->
             if
             :: ht == PAD ->
                atomic { assert(hl == CAP - OFF(t)); t = t + hl; hl = 0; ht = 0; c = 0 }
             :: else ->
                assert(ht == REC && hl >= 1 && hl <= CAP - OFF(t)); /* no false corruption */
                m = msg[OFF(t)]; /* the copy, a cell at a time */
                if
                :: hl == 2 -> m2 = msg[OFF(t + 1)]
                :: else -> m2 = m
                fi;
                atomic { /* compare-and-swap cursor c -> next: ours only if not moved */
                  if
                  :: rx_cur[SL] == c ->
                     assert(WHOLE(m, m2)); /* never a torn or overwritten copy */
                     rx_cur[SL] = t + hl; hold[R] = t + hl;
                     GOT(m);
                     t = t + hl; cur = t
                  :: else
                  fi;
                  m = 0; m2 = 0; hl = 0; ht = 0; c = 0
                }
             fi
          fi
       fi
    od
  } unless { dead[me] };
  atomic {
    REINCARNATE(me);
    futex_drop(data_side.word, me);
    w_s = 0; w_c0 = 0; w_r = 0; w_frc = 0; t = 0; cur = 0; c = 0; hl = 0; ht = 0; m = 0; m2 = 0;
    next = 0; rh = 0; d = 0; tmp = 0;
    SL = NONE; joined[R] = 0; jpos[R] = NONE; hold[R] = NONE; before[R] = 0; got[R] = 0;
    dmask[R] = 0; lastp[R] = 0; shortc[R] = 0
  }
  goto restart
}

init {
  atomic {
    byte p;
    assert(CAP >= 4 && PER <= 8);
    head = START;
    for (p : 0 .. RECEIVERS - 1) {
      if
      :: !LATE(p) ->
         rx_state[p] = OPEN; rx_tok[p] = TOKEN(p + 1); rx_cur[p] = START; rslot[p] = p;
         joined[p] = 1; jpos[p] = START; hold[p] = START
      :: else -> rslot[p] = NONE; jpos[p] = NONE; hold[p] = NONE
      fi;
      running[p + 1] = 1;
      run receiver(p + 1)
    }
    running[0] = 1;
    run sender(0)
  }
}

/* The killer may stop for good at any moment (fewer deaths than MAXCRASH). */
active proctype retire() {
end:
  atomic { crashes < crash_budget -> crash_budget = crashes }
}

/* At the end (nothing can move): the sender finished, every receiver joined and has every
   message stamped from where it joined, received or (DROP) counted dropped. */
active proctype final() {
  byte r, m, n;
end:
  atomic {
    timeout ->
    assert(finished == 1);
    for (r : 0 .. RECEIVERS - 1) {
      assert(joined[r]);
      n = 0;
      for (m : 1 .. PER) {
        if
        :: (stamped_m & MB(m)) && pos_of[m] >= jpos[r] -> assert(((got[r] | dmask[r]) & MB(m)) != 0)
        :: else -> assert(((got[r] | dmask[r]) & MB(m)) == 0)
        fi;
        if
        :: dmask[r] & MB(m) -> n++
        :: else
        fi
      }
      assert((got[r] & dmask[r]) == 0);
      assert(DROPPING || n == 0);
      /* the count: every dropped one, but those of a sender killed between swap and add */
      assert(n == (rx_drop[rslot[r]] & 15) + shortc[r])
    }
  }
}
