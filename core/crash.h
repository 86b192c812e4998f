/* Crash points: a named place in a shared-state protocol where a process that dies leaves
 * the shared state half-changed. In a build with MEMCHAN_CRASH_POINTS (CMake option, on in
 * `make test`) a process can be told to kill itself - SIGKILL / TerminateProcess, exactly
 * as a kill from outside - at the Nth pass of one point; in every other build MC__CRASH
 * compiles to nothing. tests/test_crash.c (the crash matrix) dies at every point in turn and
 * checks what the survivors see; docs/design.md lists the points and the outcomes.
 *
 * Arming: the environment variable MEMCHAN_CRASH=<point>:<pass> (read at the first pass of
 * any point), or mc__crash_arm() from a test. A pass count of 1 is the first pass. */
#ifndef MC_CRASH_H
#define MC_CRASH_H

#include <stdint.h>

/* X(ID, "name", "what the dying process leaves behind"). Add new points at the end of their
   group; the names are what MEMCHAN_CRASH and the matrix's table use. */
#define MC__CRASH_POINTS(X)                                                                        \
  X(REGION_CREATED, "region.created", "a new OS object exists, unclaimed and empty")               \
  X(REGION_CLAIMED, "region.claimed", "the creator claimed it (init_owner) before sizing it")      \
  X(REGION_SIZED, "region.sized", "sized, header not written")                                     \
  X(REGION_HEADER, "region.header", "header written, the kind's state not initialised")            \
  X(REGION_STATE, "region.state", "the kind's state initialised, creator not attached")            \
  X(REGION_ATTACHED, "region.attached", "creator attached, READY not published")                   \
  X(REGION_READY, "region.ready", "READY published, sleepers not woken")                           \
  X(REGION_TAKEOVER, "region.takeover", "an opener claimed a dead creator's object")               \
  X(REGION_RECOVERED, "region.recovered", "a file block found unheld: its tokens cleared")       \
  X(REGION_JOIN_LOCKED, "region.join.locked", "an opener holds the lifetime lock")                 \
  X(REGION_JOIN_ATTACHED, "region.join.attached", "an opener took its attach slot, lock held")     \
  X(REGION_UNLINKED, "region.unlinked", "a name removed (stale, last close, unlink), not DEAD")    \
  X(REGION_CLOSE_LOCKED, "region.close.locked", "a closing holder holds the lifetime lock")        \
  X(REGION_CLOSE_DETACHED, "region.close.detached", "a closing holder left its slot, lock held")   \
  X(REGION_REAPED, "region.reaped", "a dead holder's slot freed, lock held")                       \
  X(REGION_GROW_LOCKED, "region.grow.locked", "the lifetime lock held for growth")                 \
  X(REGION_GROW_COMMITTED, "region.grow.committed", "the object grown, committed not published")   \
  X(LOCK_TAKEN, "lock.taken", "a lock's owner word claimed, holder id not stored")                 \
  X(LOCK_HELD, "lock.held", "a lock fully held")                                                   \
  X(LOCK_TAKEOVER, "lock.takeover", "a lock taken from a dead holder, not yet counted")            \
  X(LOCK_RELEASED, "lock.released", "a lock's owner word cleared, waiters not woken")              \
  X(LOCK_SLEEP, "lock.sleep", "a lock waiter about to sleep")                                      \
  X(SWMR_DECIDING, "swmr.deciding", "a guard's internal lock held, nothing decided")               \
  X(SWMR_READER_IN, "swmr.reader.in", "a reader recorded, the internal lock held")                 \
  X(SWMR_WRITER_IN, "swmr.writer.in", "a writer recorded, the internal lock held")                 \
  X(SWMR_WRITER_WAITING, "swmr.writer.waiting", "a writer registered as waiting")                  \
  X(SWMR_HELD, "swmr.held", "a guard held for reading or writing")                                 \
  X(SWMR_OUT, "swmr.out", "a holder's record cleared, waiters not woken")                          \
  X(MUTEX_HELD, "mutex.held", "an mc_mutex held")                                                  \
  X(EVENT_REGISTERED, "event.registered", "an event waiter registered in a slot")                  \
  X(EVENT_RELEASED, "event.released", "a set released one waiter, sleepers not woken")             \
  X(EVENT_LATCHED, "event.latched", "a set latched the event, sleepers not woken")                 \
  X(EVENT_TAKEN, "event.taken", "a waiter took its release, slot not left")                        \
  X(SEM_POSTED, "sem.posted", "a semaphore's count raised, sleepers not woken")                    \
  X(SEM_TAKEN, "sem.taken", "a unit taken from a semaphore")                                       \
  X(SHM_ACQUIRED, "shm.acquired", "a block acquired, its data half-written")                       \
  X(SHM_COUNTED, "shm.counted", "a writer's release counted, the guard not released")              \
  X(SHM_RESIZED, "shm.resized", "a block grown or shrunk, the new size not published")             \
  X(CHAN_INIT, "chan.init", "a channel's control block written, not READY")                        \
  X(CHAN_REG_LOCKED, "chan.register.locked", "an opener holds the registration lock")              \
  X(CHAN_REG_CLAIMED, "chan.register.claimed", "an end's slot claimed, registration lock held")    \
  X(CHAN_REPAIRED, "chan.repaired", "a sender found the ring's true head, not stored")             \
  X(CHAN_MARK_DEAD, "chan.mark_dead", "a dead end counted, not yet marked DEAD")                   \
  X(CHAN_CLOSING, "chan.closing", "a sender's end of stream counted, not yet CLOSED")              \
  X(CHAN_CLOSED, "chan.closed", "a sender CLOSED, the receiver not woken")                         \
  X(CHAN_ABORTING, "chan.aborting", "a sender's abort marked, its end not yet counted")            \
  X(WAIT_ANNOUNCED, "wait.announced", "a waiter announced itself, not asleep")                     \
  X(WAIT_WAKING, "wait.waking", "a waker took the announcements, sleepers not woken")              \
  X(RING_LOCKED, "ring.locked", "a sender holds the senders' lock")                                \
  X(RING_PAD, "ring.pad", "a padding record written, not stamped")                                 \
  X(RING_RESERVED, "ring.reserved", "a reservation handed out, payload half-written")              \
  X(RING_WRITTEN, "ring.written", "a record's header written, not stamped")                        \
  X(RING_CLEARED, "ring.cleared", "the stamps a receiver looks at next zeroed, not stamped")       \
  X(RING_PAD_STAMPED, "ring.pad.stamped", "the padding before a record stamped, record not")       \
  X(RING_STAMPED, "ring.stamped", "a record stamped, head not advanced")                           \
  X(RING_HEAD, "ring.head", "head advanced, the senders' lock not released")                       \
  X(RING_PEEKED, "ring.peeked", "a receiver holds a peeked record")                                \
  X(RING_TAIL, "ring.tail", "tail advanced, senders not woken")                                    \
  X(SLOT_LOCKED, "slot.locked", "a sender holds the slot lock, slot half-written")                 \
  X(SLOT_FULL, "slot.full", "the slot FULL, its lock not released")                                \
  X(SLOT_PEEKED, "slot.peeked", "a receiver holds the slot lock over a FULL slot")                 \
  X(SLOT_EMPTY, "slot.empty", "the slot EMPTY, its lock not released")                             \
  X(RING_JOINING, "ring.joining", "a broadcast receiver visible to senders, its place not set")    \
  X(RING_DROPPED, "ring.dropped", "a slow broadcast receiver moved on, its loss not counted")      \
  X(RING_RECV_LOCKED, "ring.recv.locked", "a receiver holds the receivers' lock, nothing peeked")  \
  X(RING_WANT, "ring.want", "a sender waiting for room stored the tail it wants, not announced")

enum {
#define MC__CRASH_ENUM(id, name, what) MC__CP_##id,
  MC__CRASH_POINTS(MC__CRASH_ENUM)
#undef MC__CRASH_ENUM
      MC__CP_COUNT
};

#ifdef MEMCHAN_CRASH_POINTS
/* One pass of point `id`: counted, and the process dies here if armed for this pass. */
void mc__crash_pass(int id);
#define MC__CRASH(id) mc__crash_pass(MC__CP_##id)
#else
#define MC__CRASH(id) ((void)0)
#endif

/* 1 in a build with crash points. */
int mc__crash_enabled(void);
/* The point's name and description; NULL past the last point. */
const char *mc__crash_name(int id);
const char *mc__crash_what(int id);
/* The point called `name`, or -1. */
int mc__crash_find(const char *name);
/* Dies at the pass-th pass (from now) of point id; id -1 disarms. MC_OK, or MC_ENOTSUP in a
   build without crash points. */
int mc__crash_arm(int id, uint64_t pass);
/* Passes of point id by this process so far (0 in a build without crash points). */
uint64_t mc__crash_passes(int id);

#endif
