/* The heap settings of the bridge and of its benchmark's nng baseline, the same for both.
 * nng allocates each message it sends or receives (a 64 KiB message: 64 KiB from malloc, and
 * zeroed). glibc serves a block that size from the heap's top and gives the memory back to
 * the system when it is freed, so every message costs page faults and a zeroing of fresh
 * pages by the kernel: about a third of a bridge's time at 64 KiB. Keeping freed memory
 * (up to 64 MiB) and never mapping a message on its own makes the next one reuse it. */
#ifndef MEMCHAN_BRIDGE_HEAP_H
#define MEMCHAN_BRIDGE_HEAP_H

#if defined(__GLIBC__)
#include <malloc.h>
static inline void mb_heap_setup(void) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
#else
static inline void mb_heap_setup(void) {}
#endif

#endif
