/* The robust single-writer/multi-reader guard: used by mc_swmr and by every protected
 * mc_shm block. Its shared part lives in a region's state area (docs/layout.md). */
#ifndef MC_SWMR_H
#define MC_SWMR_H

#include "region.h"

#define MC__SWMR_READERS         128
#define MC__SWMR_WRITERS_WAITING 16

typedef struct mc__swmr_shared {
  mc__tlock_shared lock;       /*    0 token lock serialising acquisitions */
  uint8_t reserved_lock[32];   /*   32 zero */
  mc__futex_word seq;          /*   64 bumped by every release; waiters sleep on it */
  _Atomic uint32_t owner_died; /*   72 a writer died holding it (until a writer takes it) */
  uint32_t reserved0;          /*   76 */
  _Atomic uint64_t writer;     /*   80 token of the writer, 0 = none */
  _Atomic uint64_t reclaimed;  /*   88 holders found dead and released, ever */
  _Atomic uint64_t waiting_writers[MC__SWMR_WRITERS_WAITING]; /* 96 tokens; readers yield */
  _Atomic uint64_t readers[MC__SWMR_READERS];                 /* 224 tokens of readers */
} mc__swmr_shared;                                            /* 1248 bytes */
_Static_assert(sizeof(mc__swmr_shared) == 1248, "SWMR layout");

enum { MC__SWMR_FREE = 0, MC__SWMR_READ = 1, MC__SWMR_WRITE = 2 };

/* One process's handle on a guard. */
typedef struct mc__swmr {
  mc__swmr_shared *s;
  mc__tlock lock;
  mc__plat_futex seq;
  int held; /* MC__SWMR_* */
  int slot; /* reader slot while reading */
} mc__swmr;

/* Fills a new guard's shared part. */
void mc__swmr_init_shared(mc__swmr_shared *s);
/* A guard none of whose holders lives (a file block found unheld): frees it, its reader
   slots and its queue, and keeps a writer's death (owner_died) for the next acquirers. */
void mc__swmr_recover_shared(mc__swmr_shared *s);
/* Binds a handle to the guard whose shared part lies at s, inside region r. */
int mc__swmr_bind(mc__swmr *g, mc__region *r, mc__swmr_shared *s);
void mc__swmr_unbind(mc__swmr *g);
/* MC_OK, MC_EOWNERDEAD (acquired; a writer died holding it and no writer has taken it since),
   MC_ETIMEDOUT, MC_ESTATE (this handle holds it already). */
int mc__swmr_acquire(mc__swmr *g, int write, uint64_t deadline);
/* MC_OK, or MC_ESTATE when this handle holds nothing. Never blocks. */
int mc__swmr_release(mc__swmr *g);

#endif
