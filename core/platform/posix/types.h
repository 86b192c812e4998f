/* The POSIX backend's handle types (core/platform.h includes this; nothing else does). */
#ifndef MC_PLATFORM_POSIX_TYPES_H
#define MC_PLATFORM_POSIX_TYPES_H

typedef struct mc__plat_map {
  unsigned char *base;        /* start of the mapping (the contract's fields first) */
  uint64_t reserve;           /* bytes mapped */
  uint64_t committed;         /* bytes this process knows to be committed */
  int fd;                     /* the shared memory object, -1 when closed */
  char path[MC__OS_NAME_MAX]; /* "/name": what every logged failure names */
} mc__plat_map;

typedef struct mc__plat_futex {
  mc__futex_word *w;    /* the word (the contract's field) */
  const mc__objname *n; /* the region it lies in, for logged failures; NULL if none */
} mc__plat_futex;

typedef struct mc__plat_proc {
  long pid;
  int pidfd; /* readable when the child ends (Linux), or -1 */
  int reaped;
  int exit_code;
} mc__plat_proc;

#endif
