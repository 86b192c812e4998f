/* Named regions: the mechanism under every named object (blocks, sync objects, channels).
 * docs/layout.md describes the header byte by byte; keep the two in step. */
#ifndef MC_REGION_H
#define MC_REGION_H

#include "internal.h"
#include "tlock.h"

#define MC__REGION_MAGIC   0x314e414843454d4dull /* "MMECHAN1" little-endian; both guards */
#define MC__REGION_VERSION 3u
#define MC__HEADER_BYTES   4096u /* the header page; data starts here */
#define MC__ATTACH_SLOTS   128u
#define MC__STATE_OFFSET   1536u /* kind-specific state area inside the header page */
#define MC__STATE_BYTES    (MC__HEADER_BYTES - MC__STATE_OFFSET)
#define MC__REGION_LIMIT   (1ull << 46) /* largest reserve accepted, header included */
#define MC__PAGE           4096u
#define MC__LIFETIME_LOCK  256u /* offset of the lifetime lock in the header */

/* Object kinds (header.kind). Never renumber: they are part of the shared format. */
enum {
  MC__KIND_SHM = 1,
  MC__KIND_EVENT = 2,
  MC__KIND_MUTEX = 3,
  MC__KIND_SEM = 4,
  MC__KIND_SWMR = 5,
  MC__KIND_CHAN_RING = 6,
  MC__KIND_CHAN_SLOT = 7,
  MC__KIND_LAST = 7
};

/* header.state */
enum { MC__STATE_INIT = 0, MC__STATE_READY = 1, MC__STATE_DEAD = 2 };

/* header.flags */
enum {
  MC__RF_PERSIST = 1u << 0,     /* the name stays after the last close (POSIX) */
  MC__RF_UNPROTECTED = 1u << 1, /* block without SWMR guard */
  MC__RF_FILE = 1u << 2,        /* the region is a file (file-backed block); implies PERSIST */
  MC__RF_OPEN = 1u << 3,        /* created for every user (mode & 077): Win32 objects admit all */
  MC__RF_KNOWN = (1u << 4) - 1
};

typedef struct mc__region_hdr {
  uint64_t guard1;               /*   0 MC__REGION_MAGIC */
  uint32_t version;              /*   8 MC__REGION_VERSION */
  uint32_t kind;                 /*  12 MC__KIND_* */
  mc__futex_word state;          /*  16 MC__STATE_*; openers sleep on it until READY */
  uint32_t flags;                /*  24 MC__RF_* */
  uint32_t attach_slots;         /*  28 MC__ATTACH_SLOTS */
  uint64_t header_bytes;         /*  32 offset of the data area */
  _Atomic uint64_t size;         /*  40 data bytes now */
  uint64_t max_size;             /*  48 0 = fixed size */
  uint64_t reserve;              /*  56 bytes of address space, header included */
  _Atomic uint64_t committed;    /*  64 bytes usable, header included */
  _Atomic uint64_t change_count; /*  72 writer releases (blocks) */
  _Atomic uint64_t init_owner;   /*  80 token of the process initialising, or 0 */
  uint64_t creator;              /*  88 token of the process that completed initialisation */
  uint64_t params[4];            /*  96 kind-specific parameters, checked on open */
  _Atomic uint64_t untracked;    /* 128 holders beyond the attach table */
  uint64_t generation;           /* 136 random per initialisation */
  uint64_t created_ms;           /* 144 wall clock (ms since 1970, UTC) at initialisation */
  uint64_t file_name;            /* 152 file-backed: hash of the name (mc__name_hash), else 0 */
  uint8_t reserved0[248 - 160];  /* 160 zero */
  uint64_t guard2;               /* 248 MC__REGION_MAGIC */
  mc__tlock_shared lock;         /* 256 lifetime lock (POSIX; Win32: unused) */
  uint8_t reserved1[512 - 288];  /* 288 zero */
  _Atomic uint64_t attach[MC__ATTACH_SLOTS]; /* 512 holder tokens, 0 = free */
  uint8_t state_area[MC__STATE_BYTES];       /* 1536 kind-specific shared state */
} mc__region_hdr;

_Static_assert(sizeof(mc__region_hdr) == MC__HEADER_BYTES, "header is one page");
_Static_assert(offsetof(mc__region_hdr, state) == 16, "layout");
_Static_assert(offsetof(mc__region_hdr, params) == 96, "layout");
_Static_assert(offsetof(mc__region_hdr, created_ms) == 144, "layout");
_Static_assert(offsetof(mc__region_hdr, guard2) == 248, "layout");
_Static_assert(offsetof(mc__region_hdr, lock) == MC__LIFETIME_LOCK, "layout");
_Static_assert(offsetof(mc__region_hdr, attach) == 512, "layout");
_Static_assert(offsetof(mc__region_hdr, state_area) == MC__STATE_OFFSET, "layout");

struct mc__region;

/* How to open: who may create, and what the object must look like. */
typedef struct mc__region_spec {
  uint32_t kind;     /* the kind to create, and to accept */
  uint32_t kinds;    /* when opening: other kinds also accepted, as a mask of 1 << kind */
  int how;           /* MC__MAP_OPEN_ONLY / _CREATE_ONLY / _EITHER */
  uint64_t size;     /* data bytes for a new object; when opening, 0 = any */
  uint64_t max_size; /* 0 = fixed; must match when opening (unless size and max are 0) */
  uint32_t flags;    /* MC__RF_* for a new object */
  unsigned mode;     /* permission bits for a new object */
  int any_user;
  uint64_t deadline;  /* for waiting on an initialising creator */
  uint64_t params[4]; /* stored in a new object */
  /* Kind hooks, run with the object mapped. init: a new object, before READY (fills the
     state area). check: an existing READY object, before attaching: MC_EMISMATCH when the
     params differ from the request, MC_ECORRUPT when the state area is invalid. */
  int (*init)(struct mc__region *r, void *ctx);
  int (*check)(struct mc__region *r, void *ctx);
  /* A file-backed object of this kind that no live process holds (maybe from before a
     reboot): makes the state area's locks free, recording what their dead holders leave
     unfinished (a writer's death) as a death would be. NULL: nothing to repair. */
  void (*recover)(struct mc__region *r, void *ctx);
  void *ctx;
  const char *file; /* file-backed: the file's path (flags must include MC__RF_FILE) */
} mc__region_spec;

typedef struct mc__region {
  mc__plat_map map;
  mc__region_hdr *hdr;
  mc__objname name;
  mc__tlock lock; /* lifetime lock, bound where names outlive handles */
  int lock_bound;
  int slot;          /* our attach-table slot, -1 if untracked */
  int created;       /* this open initialised the object */
  int file;          /* file-backed: never unlinked, repaired when found unheld */
  uint64_t token;    /* our identity when attached */
  uint32_t kind;     /* MC__KIND_*, as validated when opened (or as created) */
  uint64_t size;     /* data bytes, likewise */
  uint64_t max_size; /* likewise */
} mc__region;

/* A header's geometry, as mc__region_header_check found it. */
typedef struct mc__region_geom {
  uint32_t kind;
  uint64_t size, max_size, reserve, committed;
} mc__region_geom;
/* The fixed header is one of ours and consistent with itself: guards, version, a known kind,
   the constants, known flags, and sizes that agree (docs/layout.md). Each field is read
   once; MC_ECORRUPT otherwise. The caller still checks that the OS object is `committed`
   bytes long. Used by openers and by inspection alike. */
int mc__region_header_check(const mc__region_hdr *h, mc__region_geom *g);

/* A file-backed region's name as stored in its header: 64-bit FNV-1a of the name, never 0. */
uint64_t mc__name_hash(const mc__objname *n);
/* Writes a file-backed region's bytes to disk (mc__plat_map_flush); MC_OK for others. */
static inline int mc__region_flush(mc__region *r) {
  return mc__plat_map_flush(&r->map);
}

/* Test hook: called by the initialising process just before it publishes READY. */
extern void (*mc__hook_before_ready)(const mc__objname *n);

/* Opens or creates the object `n` as spec says (first owner, READY handshake, validation,
   attach, stale take-over). On success r->created tells whether this call initialised it. */
int mc__region_open(const mc__objname *n, const mc__region_spec *spec, mc__region *r);
/* Detaches and unmaps; the last holder of a non-persistent object removes its name. */
void mc__region_close(mc__region *r);
/* Removes the name now (POSIX); Win32: MC_OK. */
int mc__region_unlink(const mc__objname *n);
/* The same; with only_stale, a READY object is removed only if it is not persistent and
   has no live holder, as decided under its lifetime lock (MC_EBUSY otherwise). */
int mc__region_unlink_if(const mc__objname *n, int only_stale);
/* The kind-specific state area, as a typed pointer. */
#define MC__REGION_STATE(r, type) ((type *)(void *)((r)->hdr->state_area))
/* Start of the data area. */
static inline unsigned char *mc__region_data(const mc__region *r) {
  return r->map.base + MC__HEADER_BYTES;
}
/* Makes the first `bytes` of data usable in this process (growing the object if needed;
   the growth lock is waited for until `deadline`). */
int mc__region_commit_data(mc__region *r, uint64_t bytes, uint64_t deadline);
/* The region owns what it maps: these bind a futex word or a token lock that lies inside the
   mapping (the offset that names a Win32 semaphore is the region's business), and map in a
   range of the data area. */
void mc__region_futex(mc__region *r, mc__plat_futex *f, mc__futex_word *w);
int mc__region_tlock(mc__region *r, mc__tlock *l, mc__tlock_shared *s);
/* Maps [offset, offset + len) of the data area in now (write: allocates it too, for a region
   nobody else has yet); a hint, see mc__plat_map_prefault. */
void mc__region_prefault(mc__region *r, uint64_t offset, uint64_t len, int write);
/* Makes len bytes at data offset `offset` read as zero, giving their pages back where the OS
   can (mc__plat_map_zero). */
void mc__region_zero_data(mc__region *r, uint64_t offset, uint64_t len);
/* MC_OK while the object still holds what this process has mapped of it, MC_ECORRUPT once
   someone cut its backing file shorter (see mc__plat_map_intact): for slow paths, before
   they touch the data. */
static inline int mc__region_intact(mc__region *r) {
  return mc__plat_map_intact(&r->map);
}
/* Rounds up to whole pages; 0 on overflow past MC__REGION_LIMIT. */
uint64_t mc__round_page(uint64_t bytes);

#endif /* MC_REGION_H */
