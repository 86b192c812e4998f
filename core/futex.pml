/* Futex words as core/platform/linux/futex.c uses them (the Win32 emulation keeps the same
 * contract): a value, a count of sleepers announced in shared memory, and the kernel's queue
 * (a bit per process slot). Included after core/crash.pml.
 *
 * The liveness slice: a sleep ends by a wake, or by its slice running out. The model lets a
 * slice run out only when memchan needs it to (the oracle `slice_ok`, given by the caller:
 * a crash happened since the sleeper took its snapshot, or the holder it waits for is dead).
 * So a sleeper that could only be freed by its slice while nobody died is a lost wake-up:
 * it sleeps for ever in the model. */
#ifndef MC_FUTEX_PML
#define MC_FUTEX_PML

typedef futex {
  byte value;   /* the word */
  byte waiters; /* sleepers announced (mc__futex_word.waiters) */
  byte asleep;  /* the kernel's queue: a bit per slot */
};

#define FUTEX_OK       0
#define FUTEX_TIMEDOUT 1

/* mc__plat_futex_wait(f, expected, slice): announce, sleep while the word is `expected`
   (the kernel's compare and enqueue are one step), then leave. A killed sleeper leaves the
   kernel's queue (repair: futex_drop) but not the count of waiters (nobody decrements it:
   it only costs later wakers a system call). */
inline futex_wait(f, expected, slice_ok, rc) {
  f.waiters++;
  atomic {
    if
    :: f.value == expected -> f.asleep = f.asleep | BIT(me)
    :: else -> skip
    fi
  }
  /* Leaving (woken, timed out, or the word had changed) and the decrement of waiters are one
     step here: in between, a waker would only make a needless system call. */
end_asleep: /* asleep with nothing to wake it: the model's final check decides if it is lost */
  if
  :: atomic { (f.asleep & BIT(me)) == 0 -> f.waiters--; rc = FUTEX_OK }
  :: atomic { (f.asleep & BIT(me)) && (slice_ok) -> f.asleep = f.asleep & ~BIT(me);
              f.waiters--; rc = FUTEX_TIMEDOUT }
  fi
}

#define ASLEEP(f, p) ((f.asleep & BIT(p)) != 0)
#define SLEEPING_LIVE(f, p) (ASLEEP(f, p) && !dead[p])
/* Some live process sleeps on f. */
#define ANY_ASLEEP(f) (SLEEPING_LIVE(f, 0) || (NPROC > 1 && SLEEPING_LIVE(f, 1)) || \
                       (NPROC > 2 && SLEEPING_LIVE(f, 2)) || (NPROC > 3 && SLEEPING_LIVE(f, 3)))

/* mc__plat_futex_wake(f, all): a fence, then no system call while nobody announced. */
inline futex_wake_all(f) {
  if
  :: f.waiters == 0 -> skip
  :: else -> f.asleep = 0
  fi
}

/* mc__plat_futex_wake(f, 1): the kernel wakes one sleeper of its queue (a dead one is no
   longer in it). */
inline futex_wake_one(f) {
  if
  :: f.waiters == 0 -> skip
  :: else ->
     atomic {
       if
       :: SLEEPING_LIVE(f, 0) -> f.asleep = f.asleep & ~BIT(0)
       :: NPROC > 1 && SLEEPING_LIVE(f, 1) -> f.asleep = f.asleep & ~BIT(1)
       :: NPROC > 2 && SLEEPING_LIVE(f, 2) -> f.asleep = f.asleep & ~BIT(2)
       :: NPROC > 3 && SLEEPING_LIVE(f, 3) -> f.asleep = f.asleep & ~BIT(3)
       :: else -> skip
       fi
     }
  fi
}

/* A dead sleeper's place in the kernel's queue is gone with it. */
#define futex_drop(f, p) f.asleep = f.asleep & ~BIT(p)

#endif
