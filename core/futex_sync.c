/* Named events and semaphores as futex words in shared memory: what mc_event and mc_sem are
 * where the platform has no kernel objects of its own (see MC__PLAT_KERNEL_SYNC). Portable:
 * built on the platform's futex words and process identity only. docs/layout.md has the
 * shared bytes. */
#include "futex_sync.h"

#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

/* ---- events ----------------------------------------------------------------------------
 * Win32 semantics, exactly. The futex word is (generation << 1) | flag.
 * Manual reset: flag = signalled. A set that signals bumps the generation, so a waiter
 * asleep at the time of the set is released even if a reset follows before it runs.
 * Auto reset: flag = latched ("set with nobody waiting"). A waiter that cannot take the
 * latch registers in a slot (state WAITING, and its token, so that a dead one is known). A
 * set releases one live registered waiter by turning its slot to RELEASED (then bumps the
 * generation and wakes sleepers, who look at their own slots); with no waiter it latches.
 * A reset clears only the latch: a release already given to a waiter is not taken back. */
#define EVENT_SLOTS 31
#define WATCHERS    7 /* waitsets (mc_waitset) a set signals, besides waking its waiters */
enum { SLOT_FREE = 0, SLOT_WAITING = 1, SLOT_RELEASED = 2 };

typedef struct fevent_shared {
  mc__futex_word word;                 /*   0 */
  uint32_t manual;                     /*   8 */
  uint32_t reserved0;                  /*  12 */
  _Atomic uint32_t state[EVENT_SLOTS]; /*  16 SLOT_* */
  uint32_t reserved1;                  /* 140 */
  _Atomic uint64_t token[EVENT_SLOTS]; /* 144 the waiter, 0 while it comes or goes */
  _Atomic uint64_t watcher[WATCHERS];  /* 392 processes of waitsets watching the event ... */
  _Atomic uint32_t watch_id[WATCHERS]; /* 448 ... and their notifiers' ids (0 none) */
  uint8_t reserved2[MC__FEVENT_BYTES - 476];
} fevent_shared;
_Static_assert(sizeof(fevent_shared) == MC__FEVENT_BYTES, "event layout");
_Static_assert(offsetof(fevent_shared, token) == 144, "event layout");
_Static_assert(offsetof(fevent_shared, watch_id) == 448, "event layout");

void mc__fevent_init_shared(void *shared, int manual, int initially_set) {
  fevent_shared *ev = shared;
  memset(ev, 0, sizeof *ev);
  ev->manual = (uint32_t)(manual != 0);
  atomic_store_explicit(&ev->word.value, initially_set ? 1u : 0u, memory_order_relaxed);
}

void mc__fevent_bind(mc__fevent *e, mc__region *r, void *shared, int manual) {
  fevent_shared *ev = shared;
  e->shared = shared;
  e->manual = manual;
  e->name = &r->name;
  mc__plat_signaller_init(&e->sig);
  mc__region_futex(r, &e->f, &ev->word);
}

/* Wakes the sleepers, and signals the waitsets that watch the event: they look again. */
static int wake_all(mc__fevent *e) {
  fevent_shared *ev = e->shared;
  int w = mc__plat_futex_wake(&e->f, MC__WAKE_ALL);
  for (int i = 0; i < WATCHERS; i++) {
    uint32_t id = atomic_load(&ev->watch_id[i]);
    if (id && atomic_load(&ev->watcher[i])) mc__plat_notify(&e->sig, e->name, id);
  }
  return w < 0 ? w : MC_OK;
}

int mc__fevent_watch(mc__fevent *e, uint32_t id) {
  fevent_shared *ev = e->shared;
  uint64_t me = mc__plat_self_token();
  for (int i = 0; i < WATCHERS; i++) {
    uint64_t t = atomic_load(&ev->watcher[i]);
    /* free, or a watcher whose process is gone (it never said goodbye) */
    if (t && (t == me || mc__plat_token_alive(t))) continue;
    if (!atomic_compare_exchange_strong(&ev->watcher[i], &t, me)) continue;
    atomic_store(&ev->watch_id[i], id);
    return MC_OK;
  }
  return MC_ENOSPC;
}

void mc__fevent_unwatch(mc__fevent *e, uint32_t id) {
  fevent_shared *ev = e->shared;
  uint64_t me = mc__plat_self_token();
  for (int i = 0; i < WATCHERS; i++) {
    if (atomic_load(&ev->watch_id[i]) != id || atomic_load(&ev->watcher[i]) != me) continue;
    atomic_store(&ev->watch_id[i], 0);
    atomic_store(&ev->watcher[i], 0);
    return;
  }
}

/* Releases one live waiting waiter; 0 if there is none. */
static int release_one(fevent_shared *ev) {
  for (int i = 0; i < EVENT_SLOTS; i++) {
    if (atomic_load(&ev->state[i]) != SLOT_WAITING) continue;
    uint64_t t = atomic_load(&ev->token[i]);
    uint32_t waiting = SLOT_WAITING;
    if (t && !mc__plat_token_alive(t)) { /* killed while waiting: free its slot */
      if (atomic_compare_exchange_strong(&ev->token[i], &t, 0))
        atomic_compare_exchange_strong(&ev->state[i], &waiting, SLOT_FREE);
      continue;
    }
    if (atomic_compare_exchange_strong(&ev->state[i], &waiting, SLOT_RELEASED)) return 1;
  }
  return 0;
}

int mc__fevent_set(mc__fevent *e) {
  fevent_shared *ev = e->shared;
  if (e->manual) {
    uint32_t v = atomic_load_explicit(&ev->word.value, memory_order_relaxed);
    do {
      if (v & 1) return MC_OK; /* already set: waiters were released when it was set */
    } while (!atomic_compare_exchange_weak(&ev->word.value, &v, (v + 2) | 1));
    return wake_all(e);
  }
  if (release_one(ev)) {
    MC__CRASH(EVENT_RELEASED);
    atomic_fetch_add(&ev->word.value, 2); /* a new generation: sleepers look at their slots */
  } else {
    atomic_fetch_or(&ev->word.value, 1); /* nobody waiting: latch (a set on a set event: no-op) */
    MC__CRASH(EVENT_LATCHED);
  }
  /* Also after latching: a waiter that registered after our look may already be asleep. */
  return wake_all(e);
}

int mc__fevent_reset(mc__fevent *e) {
  atomic_fetch_and_explicit(&((fevent_shared *)e->shared)->word.value, ~1u, memory_order_seq_cst);
  return MC_OK;
}

static int take_latch(fevent_shared *ev) {
  uint32_t v = atomic_load_explicit(&ev->word.value, memory_order_acquire);
  while (v & 1)
    if (atomic_compare_exchange_weak(&ev->word.value, &v, v & ~1u)) return 1;
  return 0;
}

static int register_waiter(fevent_shared *ev, uint64_t me) {
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < EVENT_SLOTS; i++) {
      uint32_t st = atomic_load(&ev->state[i]);
      uint64_t t = atomic_load(&ev->token[i]);
      /* Second pass: slots of processes that died waiting or released are reusable. */
      if (st != SLOT_FREE && !(pass && t && !mc__plat_token_alive(t))) continue;
      if (st != SLOT_FREE && !atomic_compare_exchange_strong(&ev->token[i], &t, 0)) continue;
      if (atomic_compare_exchange_strong(&ev->state[i], &st, SLOT_WAITING)) {
        atomic_store(&ev->token[i], me);
        MC__CRASH(EVENT_REGISTERED);
        return i;
      }
    }
  }
  return -1; /* 31 live waiters: we wait on the latch alone */
}

/* Leaves the slot; 1 if a release was given to us meanwhile (then it is ours). */
static int leave(fevent_shared *ev, int slot) {
  uint32_t waiting = SLOT_WAITING;
  atomic_store(&ev->token[slot], 0);
  if (atomic_compare_exchange_strong(&ev->state[slot], &waiting, SLOT_FREE)) return 0;
  atomic_store(&ev->state[slot], SLOT_FREE); /* it was RELEASED */
  return 1;
}

static int wait_auto(mc__fevent *e, fevent_shared *ev, uint64_t deadline) {
  if (take_latch(ev)) return MC_OK;
  int slot = register_waiter(ev, mc__plat_self_token());
  for (;;) {
    uint32_t v = atomic_load_explicit(&ev->word.value, memory_order_seq_cst);
    if (slot >= 0 && atomic_load(&ev->state[slot]) == SLOT_RELEASED) {
      MC__CRASH(EVENT_TAKEN);
      leave(ev, slot);
      return MC_OK;
    }
    if (take_latch(ev)) {
      /* Released twice over (a set chose us as we took the latch): keep one, give the
         latch back. */
      if (slot >= 0 && leave(ev, slot)) {
        atomic_fetch_or(&ev->word.value, 1);
        wake_all(e);
      }
      return MC_OK;
    }
    if (mc__deadline_passed(deadline)) return (slot >= 0 && leave(ev, slot)) ? MC_OK : MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&e->f, v, deadline);
    if (rc != MC_OK && rc != MC_ETIMEDOUT) {
      if (slot >= 0 && leave(ev, slot)) return MC_OK;
      return rc;
    }
  }
}

static int wait_manual(mc__fevent *e, fevent_shared *ev, uint64_t deadline) {
  uint32_t seen = atomic_load_explicit(&ev->word.value, memory_order_acquire);
  for (;;) {
    uint32_t v = atomic_load_explicit(&ev->word.value, memory_order_acquire);
    if ((v & 1) || (v >> 1) != (seen >> 1)) return MC_OK; /* set, or set since we came */
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&e->f, v, deadline);
    if (rc != MC_OK && rc != MC_ETIMEDOUT) return rc;
  }
}

int mc__fevent_wait(mc__fevent *e, uint64_t deadline) {
  fevent_shared *ev = e->shared;
  return e->manual ? wait_manual(e, ev, deadline) : wait_auto(e, ev, deadline);
}

int mc__fevent_waiters(mc__fevent *e) {
  fevent_shared *ev = e->shared;
  int n = 0;
  for (int i = 0; i < EVENT_SLOTS; i++) n += atomic_load(&ev->state[i]) == SLOT_WAITING;
  return n;
}

void mc__fevent_unbind(mc__fevent *e) {
  mc__plat_futex_unbind(&e->f);
  mc__plat_signaller_close(&e->sig);
  e->shared = NULL;
}

/* ---- semaphores -------------------------------------------------------------------------- */

typedef struct fsem_shared {
  mc__futex_word count; /* 0 */
  uint32_t max;         /* 8 */
  uint8_t reserved[MC__FSEM_BYTES - 12];
} fsem_shared;
_Static_assert(sizeof(fsem_shared) == MC__FSEM_BYTES, "semaphore layout");

void mc__fsem_init_shared(void *shared, uint32_t initial, uint32_t max) {
  fsem_shared *ps = shared;
  memset(ps, 0, sizeof *ps);
  ps->max = max;
  atomic_store_explicit(&ps->count.value, initial, memory_order_relaxed);
}

void mc__fsem_bind(mc__fsem *s, mc__region *r, void *shared, uint32_t max) {
  fsem_shared *ps = shared;
  s->shared = shared;
  s->max = max;
  mc__region_futex(r, &s->f, &ps->count);
}

int mc__fsem_post(mc__fsem *s, uint32_t count) {
  fsem_shared *ps = s->shared;
  uint32_t c = atomic_load_explicit(&ps->count.value, memory_order_relaxed);
  do {
    /* The count is shared: a value past max (corruption) refuses posts instead of wrapping. */
    if (count > s->max || c > s->max - count) return MC_ERANGE;
  } while (!atomic_compare_exchange_weak_explicit(&ps->count.value, &c, c + count,
                                                  memory_order_release, memory_order_relaxed));
  MC__CRASH(SEM_POSTED);
  int w = mc__plat_futex_wake(&s->f, count);
  return w < 0 ? w : MC_OK;
}

int mc__fsem_wait(mc__fsem *s, uint64_t deadline) {
  fsem_shared *ps = s->shared;
  for (;;) {
    uint32_t c = atomic_load_explicit(&ps->count.value, memory_order_acquire);
    while (c > 0)
      if (atomic_compare_exchange_weak_explicit(&ps->count.value, &c, c - 1, memory_order_acquire,
                                                memory_order_acquire)) {
        MC__CRASH(SEM_TAKEN);
        return MC_OK;
      }
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    int rc = mc__plat_futex_wait(&s->f, 0, deadline);
    if (rc != MC_OK && rc != MC_ETIMEDOUT) return rc;
  }
}

void mc__fsem_unbind(mc__fsem *s) {
  mc__plat_futex_unbind(&s->f);
  s->shared = NULL;
}
