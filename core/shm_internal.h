/* The mc_shm handle, shared by the files that implement blocks: shm.c (open, close,
 * acquire, release, change counts), shm_stream.c (streams, stdio, snapshots) and
 * shm_access.c (bounded, typed and string access, resizing). Calls run that way only:
 * shm.c -> shm_stream.c -> shm_access.c. */
#ifndef MC_SHM_INTERNAL_H
#define MC_SHM_INTERNAL_H

#include "swmr.h"

#include <stdio.h>

enum { MC__NOT_ACQUIRED = -1 };

struct mc_stream {
  struct mc_shm *shm;
  uint64_t pos;
  int active; /* 0 once its block is released: calls then fail with MC_ESTATE */
};

struct mc_shm {
  mc__region r;   /* unused (zero) for a snapshot */
  mc__swmr guard; /* the block's SWMR guard, unless unprotected */
  int guarded;
  int access;            /* MC__NOT_ACQUIRED, MC_READ or MC_WRITE */
  uint64_t size;         /* data bytes as this handle last saw them */
  uint64_t max_size;     /* 0 = fixed */
  uint64_t seen_changes; /* change count at this handle's last release (or open) */
  struct mc_stream stream;
  FILE *file;            /* mc_shm_fopen's FILE while open */
  void *file_cookie;     /* its cookie, detached at release */
  unsigned char *snap;   /* a snapshot's private copy; NULL for a live block */
  uint64_t snap_changes; /* change count when the snapshot was taken */
  char snap_name[MC_NAME_MAX + 1];
};

/* The data area in this process (the private copy for a snapshot). */
static inline unsigned char *mc__shm_data(const mc_shm *shm) {
  return shm->snap ? shm->snap : mc__region_data(&shm->r);
}

/* MC_OK when the handle may read now (acquired, no stream active), else MC_EINVAL/MC_ESTATE. */
int mc__shm_can_read(const mc_shm *shm);
/* The same for writing (acquired for write). */
int mc__shm_can_write(const mc_shm *shm);
/* Flushes and detaches the FILE of mc_shm_fopen, if any: it fails its I/O from now on. */
void mc__shm_detach_file(mc_shm *shm);
/* Sets the data size (acquired for write, resizable, <= max): commits growth, zeroes what a
   shrink gives up so that later growth reads as zeros. */
int mc__shm_set_size(mc_shm *shm, uint64_t size);

#endif
