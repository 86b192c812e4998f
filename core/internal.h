/* Internal declarations shared by the core files and the channel layer. Not installed. */
#ifndef MC_INTERNAL_H
#define MC_INTERNAL_H

#include "crash.h"
#include "memchan.h"
#include "platform.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if ATOMIC_LLONG_LOCK_FREE != 2 || ATOMIC_INT_LOCK_FREE != 2
#error "memchan needs lock-free 32- and 64-bit atomics: they live in shared memory"
#endif

#define MC__UNUSED(x) ((void)(x))
#define MC__MIN(a, b) ((a) < (b) ? (a) : (b))
#define MC__MAX(a, b) ((a) > (b) ? (a) : (b))
/* The smaller of two 64-bit values, as a function: a size_t widened into it may be a 32-bit
   one, whose range a macro's comparison would make "always true" (-Wtype-limits). */
static inline uint64_t mc__min_u64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

/* A CPU hint for spin-wait loops (PAUSE on x86): lets the sibling hyper-thread run and avoids
   a memory-order mis-speculation penalty when the awaited line changes. */
static inline void mc__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* ---- errors (error.c) -------------------------------------------------------------------- */
/* Records the OS error `oserr` behind the MC_E* code being returned, for mc_os_error(), and
   logs "memchan: <call>(<object>) failed: <oserr>" to stderr when MEMCHAN_DEBUG is set. */
void mc__os_fail(long oserr, const char *call, const char *object);
/* Logs a recovered or ignored failure (MEMCHAN_DEBUG only). */
void mc__debug(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- the diagnostic log (log.c) ------------------------------------------------------------ */
/* A public call's body runs between enter and leave; leave logs it when it failed and it was
   the outermost call. mc__log_note records why, in words (mc__os_fail and mc__debug note
   too). MC__LOGGED wraps a call: return MC__LOGGED(obj, impl(...)); */
void mc__log_enter(void);
int mc__log_leave(const char *call, const char *object, int rc);
void mc__log_note(long oserr, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int mc__log_on(void);
/* The name of a named handle (any whose struct begins with its mc__region), "" for NULL. */
const char *mc__log_object(const void *handle);
/* 0 while nobody asked for the log: a wrapped call then costs one relaxed load (the channel
   data path goes through it). -1 until the environment has been read. */
extern _Atomic int mc__log_state;
#define MC__LOGGED(object, call)                                                                   \
  (atomic_load_explicit(&mc__log_state, memory_order_relaxed) == 0                               \
       ? (call)                                                                                    \
       : (mc__log_enter(), mc__log_leave(__func__, (object), (call))))

/* ---- time (deadline.c) -------------------------------------------------------------------- */
/* Absolute deadline for a timeout in ms (MC_INFINITE -> MC__NO_DEADLINE, 0 -> now). */
uint64_t mc__deadline_ms(int timeout_ms);
/* The earlier of `deadline` and now + slice_ns. */
uint64_t mc__deadline_slice(uint64_t deadline, uint64_t slice_ns);
/* How long a sleeper waits before it looks again whether the process it waits for still
   lives (a dead process wakes nobody): this bounds how late a death is noticed. 10 ms. */
uint64_t mc__liveness_slice(void);
/* The earlier of `deadline` and now + one liveness slice. */
uint64_t mc__deadline_liveness(uint64_t deadline);
/* Tests only: a longer slice makes a missed wake-up a hang instead of a 10 ms delay; 0
   restores the default. */
void mc__set_liveness_slice(uint64_t ns);
/* 1 when the deadline has passed. */
int mc__deadline_passed(uint64_t deadline);
/* A caller's timeout whose deadline is fixed the first time something has to wait: an
   operation that finds its peer ready never reads the clock. */
typedef struct mc__timeout {
  int ms;
  int fixed;
  uint64_t deadline;
} mc__timeout;
static inline mc__timeout mc__timeout_ms(int timeout_ms) {
  mc__timeout t = {timeout_ms, 0, 0};
  return t;
}
/* The absolute deadline, fixed on the first call. */
uint64_t mc__timeout_deadline(mc__timeout *t);
/* timeout_ms is a valid timeout (>= 0 or MC_INFINITE). */
static inline int mc__timeout_ok(int timeout_ms) {
  return timeout_ms >= 0 || timeout_ms == MC_INFINITE;
}

/* ---- names (name.c) ------------------------------------------------------------------------ */
/* Validates a user name (see API.md) and splits it into namespace and base. MC_EINVAL if bad. */
int mc__name_parse(const char *name, mc__objname *out);
/* A fresh unique name ("mc-" + 24 random hex digits) in the default namespace. */
int mc__name_unique(mc__objname *out);
/* As mc__name_parse, and also a derived object's name: a user name, then "$" and 1 to 16
   name characters (as mc_list reports them: "chan$new"). For inspection and removal only. */
int mc__name_parse_derived(const char *name, mc__objname *out);
/* The name as a user writes it: the base (with any "$..." suffix), "Global\\" before it
   when it is in that namespace. */
void mc__name_user_spelling(const mc__objname *n, char *buf, size_t cap);
/* The derived object name "base$suffix" (suffix starts with '$'). */
int mc__name_derive(const mc__objname *n, const char *suffix, mc__objname *out);

/* ---- sync objects by internal name (sync.c) -------------------------------------------- */
/* Opens (how: MC__MAP_EITHER) or only opens (MC__MAP_OPEN_ONLY) the event named n, which may
   be a derived name. */
int mc__event_open_name(const mc__objname *n, int how, int manual_reset, int initially_set,
                        mc_event **out);

/* For waitsets: the event's own waitable OS handle where it is a kernel object (Win32), else
   -1; where it is not, watch asks its sets to signal notifier `id` (MC_ENOSPC: 7 watch it
   already). */
intptr_t mc__event_os_handle(mc_event *ev);
int mc__event_watch(mc_event *ev, uint32_t id);
void mc__event_unwatch(mc_event *ev, uint32_t id);
/* Waiters registered on an auto-reset event (POSIX), -1 where unknown (tests). */
int mc__event_waiters(mc_event *ev);
/* Writers registered as waiting for a guard (tests: a reader that must see one queue). */
int mc__swmr_writers_waiting(mc_swmr *g);

#endif /* MC_INTERNAL_H */
