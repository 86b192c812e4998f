/* The mc_shm handle, shared by the files that implement blocks. */
#ifndef MC_SHM_INTERNAL_H
#define MC_SHM_INTERNAL_H

#include "region.h"

struct mc_shm {
  mc__region r;
  uint64_t size;     /* data bytes as this handle last saw them */
  uint64_t max_size; /* 0 = fixed */
};

#endif
