/* Named regions: first-owner creation, the READY handshake, validation, the attach table and
 * lifetime. docs/layout.md and docs/design.md explain the protocol; this file is its only
 * implementation.
 *
 * Who writes what:
 * - The initialising process (creator, or an opener that took over from a dead one) writes
 *   every header field, then publishes state = READY with a release store.
 * - After READY the fixed fields never change; size/committed change only under the block's
 *   write guard, change_count on a writer's release, attach slots by CAS, state to DEAD once,
 *   under the lifetime lock, by the process that removes the name.
 * - Everything is read as untrusted: each field once into a local, checked, then used. */
#include "region.h"

#include "inspect.h" /* the registry */

#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

void (*mc__hook_before_ready)(const mc__objname *n);

/* Result of waiting for READY, beyond the MC_E* codes. */
enum { TAKE_OVER = 1, RETRY = 2 };

/* How long a waiter sleeps before re-checking that the process it waits for still lives: a
   dead process never wakes anyone, so this bounds how late a death is noticed. */

uint64_t mc__round_page(uint64_t bytes) {
  if (bytes > MC__REGION_LIMIT) return 0;
  return (bytes + MC__PAGE - 1) & ~(uint64_t)(MC__PAGE - 1);
}

/* Bytes of address space and of initial commit for a new object. */
static int sizes_for(uint64_t size, uint64_t max_size, uint64_t *reserve, uint64_t *commit) {
  uint64_t most = max_size ? max_size : size;
  if (most > MC__REGION_LIMIT || size > most) return MC_EINVAL;
  *reserve = mc__round_page(MC__HEADER_BYTES + most);
  *commit = mc__round_page(MC__HEADER_BYTES + size);
  return (*reserve && *commit) ? MC_OK : MC_EINVAL;
}

static int lifetime_managed(void) {
  return mc__plat_names_outlive_handles();
}

/* ---- initialisation ------------------------------------------------------------------- */

static int init_header(mc__region *r, const mc__region_spec *spec, uint64_t reserve,
                       uint64_t commit) {
  mc__region_hdr *h = r->hdr;
  uint64_t generation;
  int rc = mc__plat_random(&generation, sizeof generation);
  if (rc != MC_OK) return rc;
  /* Clear everything but init_owner, which names us to anyone waiting (and must never read
     as "nobody" while we work, or a waiter could claim it too). */
  memset(h, 0, offsetof(mc__region_hdr, init_owner));
  memset((char *)h + offsetof(mc__region_hdr, creator), 0,
         sizeof *h - offsetof(mc__region_hdr, creator));
  h->guard1 = MC__REGION_MAGIC;
  h->version = MC__REGION_VERSION;
  h->kind = spec->kind;
  h->flags = spec->flags | (r->name.everyone ? MC__RF_OPEN : 0);
  h->attach_slots = MC__ATTACH_SLOTS;
  h->header_bytes = MC__HEADER_BYTES;
  atomic_store_explicit(&h->size, spec->size, memory_order_relaxed);
  h->max_size = spec->max_size;
  h->reserve = reserve;
  atomic_store_explicit(&h->committed, commit, memory_order_relaxed);
  memcpy(h->params, spec->params, sizeof h->params);
  h->generation = generation;
  h->created_ms = mc__plat_wall_ms();
  h->file_name = r->file ? mc__name_hash(&r->name) : 0;
  h->guard2 = MC__REGION_MAGIC;
  mc__tlock_init_shared(&h->lock);
  MC__CRASH(REGION_HEADER);
  if (spec->init) {
    rc = spec->init(r, spec->ctx);
    if (rc != MC_OK) return rc;
  }
  MC__CRASH(REGION_STATE);
  r->token = mc__plat_self_token();
  atomic_store_explicit(&h->attach[0], r->token, memory_order_relaxed);
  r->slot = 0;
  h->creator = r->token;
  MC__CRASH(REGION_ATTACHED);
  if (mc__hook_before_ready) mc__hook_before_ready(&r->name);
  r->kind = spec->kind;
  r->size = spec->size;
  r->max_size = spec->max_size;
  /* Publishes every store above to openers, who load state with acquire. A CAS, not a
     store: should the object have been declared dead meanwhile, it must stay dead. */
  uint32_t init = MC__STATE_INIT;
  if (!atomic_compare_exchange_strong_explicit(&h->state.value, &init, MC__STATE_READY,
                                               memory_order_release, memory_order_relaxed))
    return RETRY;
  MC__CRASH(REGION_READY);
  mc__plat_futex wake;
  mc__region_futex(r, &wake, &h->state);
  /* READY is published and others may have joined: a failed wake-up only delays sleepers
     until their next look (they wake every slice), so it is not a reason to fail. */
  if (mc__plat_futex_wake(&wake, MC__WAKE_ALL) < 0)
    mc__debug("%s: READY wake failed", r->name.base);
  mc__plat_futex_unbind(&wake);
  return MC_OK;
}

/* Our own initialisation failed: tell waiters (who would otherwise wait for a live owner
   until their timeout) that this object will never be READY. */
static void abandon_init(mc__region *r) {
  /* Ours: we created or claimed it. (A file stays, for the next opener to initialise.) */
  if (lifetime_managed() && !r->file) mc__plat_map_unlink(&r->name);
  atomic_store_explicit(&r->hdr->state.value, MC__STATE_DEAD, memory_order_release);
  mc__plat_futex f;
  mc__region_futex(r, &f, &r->hdr->state);
  mc__plat_futex_wake(&f, MC__WAKE_ALL);
  mc__plat_futex_unbind(&f);
}

/* Claims initialisation from a dead or absent initialiser (CAS on init_owner: exactly one
   claimant wins) and initialises the object in place with our own spec. */
static int take_over(mc__region *r, const mc__region_spec *spec, uint64_t seen_owner) {
  mc__region_hdr *h = r->hdr;
  uint64_t me = mc__plat_self_token();
  if (!atomic_compare_exchange_strong(&h->init_owner, &seen_owner, me)) return RETRY;
  MC__CRASH(REGION_TAKEOVER);
  mc__debug("%s: taking over initialisation from dead process %u", r->name.base,
            (unsigned)(uint32_t)seen_owner);
  uint64_t reserve, commit;
  int rc = sizes_for(spec->size, spec->max_size, &reserve, &commit);
  if (rc == MC_OK) rc = mc__plat_map_reserve(&r->map, reserve, MC__HEADER_BYTES);
  if (rc == MC_OK) rc = mc__plat_map_commit(&r->map, commit);
  r->hdr = (mc__region_hdr *)(void *)r->map.base;
  if (rc == MC_OK) rc = init_header(r, spec, reserve, commit);
  if (rc != MC_OK && rc != RETRY) abandon_init(r);
  return rc;
}

/* An object nobody has claimed for this long lost its creator between creating it and
   claiming it (a window of microseconds), so it may be taken over. An opener whose timeout
   is shorter gives up first: it never takes over a creator that is merely slow. */
#define UNCLAIMED_GRACE_NS 1000000000ull

/* Waits until the object is READY, or finds its initialiser dead. */
static int wait_ready(mc__region *r, const mc__region_spec *spec, int abandoned) {
  mc__region_hdr *h = r->hdr;
  mc__plat_futex f;
  mc__region_futex(r, &f, &h->state);
  uint64_t first_seen = mc__plat_now_ns();
  int rc;
  for (;;) {
    uint32_t st = atomic_load_explicit(&h->state.value, memory_order_acquire);
    if (st == MC__STATE_READY) {
      rc = MC_OK;
      break;
    }
    if (!mc__plat_map_linked(&r->map)) {
      rc = RETRY; /* removed since we opened it: open the name again */
      break;
    }
    /* POSIX removes a name before marking its object DEAD: dead but still named is
       nothing memchan leaves behind. */
    if ((st == MC__STATE_DEAD && lifetime_managed()) ||
        (st != MC__STATE_INIT && st != MC__STATE_DEAD)) {
      rc = MC_ECORRUPT;
      break;
    }
    uint64_t owner = atomic_load_explicit(&h->init_owner, memory_order_acquire);
    if (st == MC__STATE_INIT && owner == 0 && h->guard1 != 0) {
      rc = MC_ECORRUPT; /* unclaimed, yet written: not an object a creator of ours made */
      break;
    }
    if (st == MC__STATE_INIT && owner == 0 && !lifetime_managed() && !abandoned) {
      /* Win32 serialises creation under "N$init", which we hold: a creator of ours would
         have claimed it before letting go (or died, abandoning the mutex). Unclaimed, it is
         someone else's mapping: never initialised over. */
      rc = MC_ECORRUPT;
      break;
    }
    int passed = mc__deadline_passed(spec->deadline);
    /* Win32 DEAD: its creator failed and gave up. Owner 0: its creator is between creating
       and claiming (microseconds) unless it died there, which only the deadline, or Win32's
       abandoned mutex, reveals. */
    int unclaimed_long = mc__plat_now_ns() - first_seen >= UNCLAIMED_GRACE_NS;
    int gone = st == MC__STATE_DEAD ||
               (owner ? !mc__plat_token_alive(owner) : (abandoned || unclaimed_long));
    if (gone) {
      if (spec->how == MC__MAP_OPEN_ONLY) {
        rc = MC_ENOENT; /* never became an object; an opener that may create takes it over */
        uint64_t me = mc__plat_self_token();
        if (lifetime_managed() && !r->file &&
            atomic_compare_exchange_strong(&h->init_owner, &owner, me)) {
          /* Remove it, so the name is free; only then is it DEAD. If it cannot be removed,
             give the claim back for an opener that may create to take it over. */
          int u = mc__plat_map_unlink(&r->name);
          if (u == MC_OK || u == MC_ENOENT) {
            atomic_store_explicit(&h->state.value, MC__STATE_DEAD, memory_order_release);
            mc__plat_futex_wake(&f, MC__WAKE_ALL);
          } else {
            atomic_compare_exchange_strong(&h->init_owner, &me, owner);
          }
        }
        break;
      }
      rc = take_over(r, spec, owner);
      if (rc == MC_OK) rc = TAKE_OVER;
      if (rc != RETRY) break;
      continue; /* someone else claimed it first: wait for them */
    }
    if (passed) {
      rc = MC_ETIMEDOUT;
      break;
    }
    rc = mc__plat_futex_wait(&f, MC__STATE_INIT, mc__deadline_liveness(spec->deadline));
    if (rc != MC_OK && rc != MC_ETIMEDOUT) break;
  }
  mc__plat_futex_unbind(&f);
  return rc;
}

/* ---- validation ------------------------------------------------------------------------ */

int mc__region_header_check(const mc__region_hdr *h, mc__region_geom *g) {
  if (h->guard1 != MC__REGION_MAGIC || h->guard2 != MC__REGION_MAGIC) return MC_ECORRUPT;
  if (h->version != MC__REGION_VERSION) return MC_ECORRUPT;
  uint32_t kind = h->kind;
  if (kind == 0 || kind > MC__KIND_LAST) return MC_ECORRUPT;
  if (h->header_bytes != MC__HEADER_BYTES || h->attach_slots != MC__ATTACH_SLOTS ||
      (h->flags & ~(uint32_t)MC__RF_KNOWN))
    return MC_ECORRUPT;
  uint64_t size = atomic_load_explicit(&h->size, memory_order_relaxed);
  uint64_t max = h->max_size;
  uint64_t reserve = h->reserve;
  uint64_t committed = atomic_load_explicit(&h->committed, memory_order_relaxed);
  uint64_t want_reserve, min_commit;
  if (sizes_for(size, max, &want_reserve, &min_commit) != MC_OK) return MC_ECORRUPT;
  if (reserve != want_reserve || committed < min_commit || committed > reserve ||
      committed % MC__PAGE)
    return MC_ECORRUPT;
  g->kind = kind;
  g->size = size;
  g->max_size = max;
  g->reserve = reserve;
  g->committed = committed;
  return MC_OK;
}

/* The header is one of ours and consistent with itself (whatever the caller wants of it),
   and the whole object is mapped: enough to trust its attach table and lifetime lock. */
static int check_integrity(mc__region *r) {
  mc__region_geom g;
  int rc = mc__region_header_check(r->hdr, &g);
  if (rc != MC_OK) return rc;
  rc = mc__plat_map_reserve(&r->map, g.reserve, g.committed);
  r->hdr = (mc__region_hdr *)(void *)r->map.base;
  if (rc != MC_OK) return rc;
  /* From here on the object's geometry is what was checked here, never re-read. */
  r->kind = g.kind;
  r->size = g.size;
  r->max_size = g.max_size;
  return MC_OK;
}

/* The object is what the caller asked for: MC_EMISMATCH for another kind, size or kind
   parameters, MC_ECORRUPT when the kind's state fails its check. */
static int check_spec(mc__region *r, const mc__region_spec *spec) {
  if (r->kind != spec->kind && !(spec->kinds & (1u << r->kind))) return MC_EMISMATCH;
  /* A file block is opened through its file, by the name it was made with: under another
     name its derived objects (Win32 semaphores, the section) would not meet. */
  uint32_t flags = r->hdr->flags;
  if (!(flags & MC__RF_FILE) != !r->file) return MC_EMISMATCH;
  if (r->file && r->hdr->file_name != mc__name_hash(&r->name)) return MC_EMISMATCH;
  if (spec->size || spec->max_size) {
    if (r->max_size != spec->max_size) return MC_EMISMATCH;
    if (r->max_size == 0 && r->size != spec->size) return MC_EMISMATCH;
  }
  return spec->check ? spec->check(r, spec->ctx) : MC_OK;
}

/* ---- attach table and lifetime ------------------------------------------------------------ */

static void attach(mc__region *r) {
  mc__region_hdr *h = r->hdr;
  r->token = mc__plat_self_token();
  for (unsigned i = 0; i < MC__ATTACH_SLOTS; i++) {
    uint64_t expect = 0;
    if (atomic_load_explicit(&h->attach[i], memory_order_relaxed) == 0 &&
        atomic_compare_exchange_strong(&h->attach[i], &expect, r->token)) {
      r->slot = (int)i;
      return;
    }
  }
  /* Table full: still a holder, counted but without identity (see docs/layout.md). */
  atomic_fetch_add(&h->untracked, 1);
  r->slot = -1;
}

static void detach(mc__region *r) {
  mc__region_hdr *h = r->hdr;
  if (r->slot >= 0) {
    uint64_t expect = r->token;
    atomic_compare_exchange_strong(&h->attach[r->slot], &expect, 0);
  } else {
    uint64_t n = atomic_load(&h->untracked);
    while (n > 0 && !atomic_compare_exchange_weak(&h->untracked, &n, n - 1)) {
    }
  }
  r->slot = -1;
}

/* Clears the slots of dead holders; returns how many holders are alive. Caller holds the
   lifetime lock. */
static uint64_t reap_holders(mc__region *r) {
  mc__region_hdr *h = r->hdr;
  uint64_t live = atomic_load(&h->untracked);
  for (unsigned i = 0; i < MC__ATTACH_SLOTS; i++) {
    uint64_t t = atomic_load_explicit(&h->attach[i], memory_order_relaxed);
    if (!t) continue;
    if (mc__plat_token_alive(t)) {
      live++;
    } else if (atomic_compare_exchange_strong(&h->attach[i], &t, 0)) {
      MC__CRASH(REGION_REAPED);
    }
  }
  return live;
}

/* Removes the name, then marks the object DEAD (so that a process that opened the name just
   before sees DEAD and opens it again). Returns 1 if the name is gone. If it cannot be
   removed (another user's object in a sticky /dev/shm), the object stays READY: marking it
   DEAD would leave a name nobody could use or remove. Caller holds the lifetime lock. */
static int remove_name(mc__region *r) {
  int rc = mc__plat_map_unlink(&r->name);
  if (rc != MC_OK && rc != MC_ENOENT) {
    mc__debug("%s: cannot remove the name: %s", r->name.base, mc_strerror(rc));
    return 0;
  }
  MC__CRASH(REGION_UNLINKED);
  atomic_store_explicit(&r->hdr->state.value, MC__STATE_DEAD, memory_order_release);
  return 1;
}

static int lock_lifetime(mc__region *r, uint64_t deadline) {
  if (!r->lock_bound) {
    int rc = mc__region_tlock(r, &r->lock, &r->hdr->lock);
    if (rc != MC_OK) return rc;
    r->lock_bound = 1;
  }
  int rc = mc__tlock_acquire_by(&r->lock, deadline);
  /* A holder died inside a critical section here: every step in them is a single atomic
     store, so the table is consistent; go on. */
  return rc == MC_EOWNERDEAD ? MC_OK : rc;
}

static void unlock_lifetime(mc__region *r) {
  /* Only a scribbler can make this fail (MC_ECORRUPT): the lock is then whoever's it says. */
  if (mc__tlock_release(&r->lock) != MC_OK) mc__debug("%s: lifetime lock lost", r->name.base);
}

/* Attaches to a READY object whose header passed check_integrity. On POSIX it first decides,
   under the lifetime lock, whether the object is stale: every holder dead makes it garbage
   left by a crashed run, whatever its kind, size or parameters, and the caller's spec wins.
   Only a live object is held to the caller's spec (check_spec). */
static int join(mc__region *r, const mc__region_spec *spec) {
  if (!lifetime_managed()) {
    int rc = check_spec(r, spec);
    if (rc == MC_OK) attach(r);
    return rc;
  }
  int rc = lock_lifetime(r, spec->deadline);
  if (rc != MC_OK) return rc;
  MC__CRASH(REGION_JOIN_LOCKED);
  mc__region_hdr *h = r->hdr;
  if (atomic_load_explicit(&h->state.value, memory_order_acquire) != MC__STATE_READY) {
    /* Its last holder removed it after we opened the name. */
    rc = mc__plat_map_linked(&r->map) ? MC_ECORRUPT : RETRY;
  } else if (!(h->flags & MC__RF_PERSIST) && reap_holders(r) == 0 && remove_name(r)) {
    /* Every holder died without closing: left over from a crashed run. (One we cannot
       remove is simply used as it is.) */
    mc__debug("%s: stale (all holders dead); re-creating", r->name.base);
    rc = spec->how == MC__MAP_OPEN_ONLY ? MC_ENOENT : RETRY;
  } else if (spec->how == MC__MAP_CREATE_ONLY) {
    rc = MC_EEXIST;
  } else {
    rc = check_spec(r, spec);
    if (rc == MC_OK) {
      attach(r);
      MC__CRASH(REGION_JOIN_ATTACHED);
    }
  }
  unlock_lifetime(r);
  return rc;
}

/* ---- file-backed regions ------------------------------------------------------------------ */

uint64_t mc__name_hash(const mc__objname *n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char *p = n->base; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  return h ? h : 1;
}

/* A header that an initialisation began and nobody finished: ours in every word written so
   far, or still all zero but for the claim (init_header writes the guards after clearing). */
static int unfinished(const mc__region_hdr *h) {
  if (h->guard1 == MC__REGION_MAGIC && h->guard2 == MC__REGION_MAGIC)
    return atomic_load(&h->state.value) != MC__STATE_READY;
  const unsigned char *b = (const unsigned char *)h;
  for (size_t i = 0; i < sizeof *h; i++)
    if (b[i] && (i < offsetof(mc__region_hdr, init_owner) ||
                 i >= offsetof(mc__region_hdr, init_owner) + sizeof h->init_owner))
      return 0;
  return 1;
}

/* A file-backed object that no other process has mapped (the backend's `alone`): every
   token in it names a process that is gone, perhaps of an earlier boot, where the same
   token may name a live process now. The backend keeps other openers out until
   mc__plat_map_init_done, so the state is repaired here: the attach table emptied, the
   lifetime lock freed, the kind's locks freed with what their holders left undone kept
   (recover), or an initialisation nobody finished taken over. Anything else is refused and
   left as it is (a file that is not a memchan block). */
static int recover_alone(mc__region *r, const mc__region_spec *spec) {
  mc__region_hdr *h = r->hdr;
  if (atomic_load(&h->state.value) != MC__STATE_READY) {
    if (!unfinished(h)) return MC_ECORRUPT;
    if (spec->how == MC__MAP_OPEN_ONLY) return MC_ENOENT; /* it never became a block */
    atomic_store(&h->state.value, MC__STATE_INIT);
    int rc = take_over(r, spec, atomic_load(&h->init_owner));
    return rc == MC_OK ? TAKE_OVER : rc;
  }
  int rc = check_integrity(r);
  if (rc != MC_OK) return rc;
  h = r->hdr;
  for (unsigned i = 0; i < MC__ATTACH_SLOTS; i++) atomic_store(&h->attach[i], 0);
  atomic_store(&h->untracked, 0);
  mc__tlock_init_shared(&h->lock);
  if (spec->recover && r->kind == spec->kind) spec->recover(r, spec->ctx);
  MC__CRASH(REGION_RECOVERED);
  return MC_OK;
}

/* ---- open / close ------------------------------------------------------------------------- */

static void drop(mc__region *r) {
  if (r->lock_bound) mc__tlock_unbind(&r->lock);
  r->lock_bound = 0;
  mc__plat_map_close(&r->map);
  r->hdr = NULL;
}

int mc__region_open(const mc__objname *n, const mc__region_spec *spec, mc__region *r) {
  mc__map_req rq = {0};
  uint64_t commit = 0;
  memset(r, 0, sizeof *r);
  r->slot = -1;
  r->name = *n;
  if (spec->how != MC__MAP_OPEN_ONLY) {
    int rc = sizes_for(spec->size, spec->max_size, &rq.reserve, &commit);
    if (rc != MC_OK) return rc;
  }
  /* POSIX creates with O_EXCL even when the caller wants "create only": an existing name may
     be stale, which join() finds out, removes and then re-creates. */
  rq.how = (spec->how == MC__MAP_CREATE_ONLY && lifetime_managed()) ? MC__MAP_EITHER : spec->how;
  rq.probe = MC__HEADER_BYTES;
  rq.mode = spec->mode;
  rq.any_user = spec->any_user;
  rq.deadline = spec->deadline;
  rq.file = spec->file;
  r->file = spec->file != NULL;
  for (;;) {
    int created, abandoned;
    /* Who the objects made under this name admit: a new object's, from its mode; an
       existing one's, from its header once validated (an opener's mode is not its say). */
    r->name.everyone = (spec->mode & 077) != 0;
    int rc = mc__plat_map_open(&r->name, &rq, &r->map, &created, &abandoned);
    /* Something that is not a memchan object has the name: for create-only, the name is
       taken (API.md); it is left exactly as it is. */
    if (rc == MC_ECORRUPT && spec->how == MC__MAP_CREATE_ONLY) return MC_EEXIST;
    if (rc != MC_OK) return rc;
    r->hdr = (mc__region_hdr *)(void *)r->map.base;
    if (created) {
      MC__CRASH(REGION_CREATED);
      /* Claim it by CAS: an opener that found it unclaimed for too long may have taken it
         over (we were stalled); then it is theirs and we open it as everyone else does. */
      uint64_t none = 0;
      if (atomic_compare_exchange_strong(&r->hdr->init_owner, &none, mc__plat_self_token())) {
        MC__CRASH(REGION_CLAIMED);
        rc = mc__plat_map_commit(&r->map, commit); /* ours: now size it */
        if (rc == MC_OK) MC__CRASH(REGION_SIZED);
        if (rc == MC_OK) rc = init_header(r, spec, rq.reserve, commit);
        r->created = 1;
        if (rc != MC_OK && rc != RETRY) abandon_init(r);
      } else {
        rc = RETRY;
      }
    } else {
      rc = r->map.alone ? recover_alone(r, spec) : MC_OK;
      if (rc == MC_OK) rc = wait_ready(r, spec, abandoned);
      if (rc == TAKE_OVER) {
        r->created = 1;
        rc = MC_OK;
      } else if (rc == MC_OK) {
        rc = check_integrity(r);
        if (rc == MC_OK) r->name.everyone = (r->hdr->flags & MC__RF_OPEN) != 0;
        if (rc == MC_OK) rc = join(r, spec);
      }
    }
    mc__plat_map_init_done(&r->map);
    if (rc == MC_OK && !lifetime_managed()) mc__registry_note(n); /* so that it can be listed */
    if (rc == MC_OK) return MC_OK;
    /* Create-only met a live object it could not use (still initialising, corrupt, another
       kind): for the caller, the name is simply taken. */
    if (spec->how == MC__MAP_CREATE_ONLY && !r->created && rc != RETRY) rc = MC_EEXIST;
    drop(r);
    r->created = 0;
    if (rc != RETRY) return rc;
    if (mc__deadline_passed(spec->deadline)) return MC_ETIMEDOUT;
  }
}

/* Close gives up on the lifetime lock after MC_DEFAULT_TIMEOUT_MS: the lock is robust, so
   only a live, stuck holder can keep it, and leaving the name is better than hanging. */

void mc__region_close(mc__region *r) {
  if (!r || !r->hdr) return;
  if (lifetime_managed() && lock_lifetime(r, mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS)) == MC_OK) {
    MC__CRASH(REGION_CLOSE_LOCKED);
    detach(r);
    MC__CRASH(REGION_CLOSE_DETACHED);
    mc__region_hdr *h = r->hdr;
    if (atomic_load_explicit(&h->state.value, memory_order_acquire) == MC__STATE_READY &&
        !(h->flags & MC__RF_PERSIST) && reap_holders(r) == 0)
      remove_name(r);
    unlock_lifetime(r);
  } else {
    if (lifetime_managed()) mc__debug("%s: lifetime lock not taken; name left", r->name.base);
    detach(r);
  }
  drop(r);
}

int mc__region_unlink(const mc__objname *n) {
  return mc__region_unlink_if(n, 0);
}

int mc__region_unlink_if(const mc__objname *n, int only_stale) {
  if (!lifetime_managed()) return MC_OK;
  mc__region r;
  mc__map_req rq = {.how = MC__MAP_OPEN_ONLY, .probe = MC__HEADER_BYTES, .any_user = 1};
  int created, abandoned;
  memset(&r, 0, sizeof r);
  r.name = *n;
  int rc = mc__plat_map_open(n, &rq, &r.map, &created, &abandoned);
  if (rc == MC_ECORRUPT) return mc__plat_map_unlink(n); /* not ours at all: just remove it */
  if (rc != MC_OK) return rc;
  r.hdr = (mc__region_hdr *)(void *)r.map.base;
  const mc__region_hdr *h = r.hdr;
  if (h->guard1 == MC__REGION_MAGIC && h->guard2 == MC__REGION_MAGIC &&
      atomic_load(&h->state.value) == MC__STATE_READY) {
    /* A live object: removed and marked DEAD under its lock, so that its last holder will
       not remove a later object of the same name. */
    rc = lock_lifetime(&r, mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS));
    if (rc == MC_OK) {
      if (atomic_load(&h->state.value) != MC__STATE_READY || !mc__plat_map_linked(&r.map))
        rc = MC_ENOENT; /* removed by its last holder meanwhile */
      else if (only_stale && ((h->flags & MC__RF_PERSIST) || reap_holders(&r) > 0))
        rc = MC_EBUSY; /* decided under the lock that every opener and closer takes */
      else
        rc = remove_name(&r) ? MC_OK : mc__plat_map_unlink(n);
      unlock_lifetime(&r);
    }
  } else {
    rc = mc__plat_map_unlink(n); /* initialising, dead or corrupt: nothing to keep it for */
  }
  drop(&r);
  return rc;
}

/* Byte offset of p, which points into the mapping. */
static uint64_t offset_of(const mc__region *r, const void *p) {
  return (uint64_t)((const unsigned char *)p - r->map.base);
}

void mc__region_futex(mc__region *r, mc__plat_futex *f, mc__futex_word *w) {
  mc__plat_futex_bind(f, w, &r->name, offset_of(r, w));
}

int mc__region_tlock(mc__region *r, mc__tlock *l, mc__tlock_shared *s) {
  return mc__tlock_bind(l, &r->name, s, offset_of(r, s));
}

void mc__region_prefault(mc__region *r, uint64_t offset, uint64_t len, int write) {
  mc__plat_map_prefault(&r->map, MC__HEADER_BYTES + offset, len, write);
}

void mc__region_zero_data(mc__region *r, uint64_t offset, uint64_t len) {
  mc__plat_map_zero(&r->map, MC__HEADER_BYTES + offset, len);
}

int mc__region_commit_data(mc__region *r, uint64_t bytes, uint64_t deadline) {
  uint64_t total = mc__round_page(MC__HEADER_BYTES + bytes);
  if (!total || total > r->map.reserve) return MC_ENOSPC;
  mc__region_hdr *h = r->hdr;
  uint64_t have = atomic_load_explicit(&h->committed, memory_order_acquire);
  if (total <= have) {
    /* Already committed by someone: make it usable here (Win32 view, POSIX size check). */
    if (total <= r->map.committed) return MC_OK;
    return mc__plat_map_reserve(&r->map, r->map.reserve, have);
  }
  int locked = 0;
  if (lifetime_managed()) {
    /* ftruncate must never run concurrently with a smaller ftruncate: serialise growth. */
    int rc = lock_lifetime(r, deadline);
    if (rc != MC_OK) return rc;
    locked = 1;
    MC__CRASH(REGION_GROW_LOCKED);
  }
  int rc = mc__plat_map_commit(&r->map, total);
  if (rc == MC_OK) {
    MC__CRASH(REGION_GROW_COMMITTED);
    while (have < total && !atomic_compare_exchange_weak(&h->committed, &have, total)) {
    }
  }
  if (locked) unlock_lifetime(r);
  return rc;
}
