/* The POSIX backend's handle types (core/platform.h includes this; nothing else does). */
#ifndef MC_PLATFORM_POSIX_TYPES_H
#define MC_PLATFORM_POSIX_TYPES_H

typedef struct mc__plat_map {
  unsigned char *base;        /* start of the mapping (the contract's fields first) */
  uint64_t reserve;           /* bytes mapped */
  uint64_t committed;         /* bytes this process knows to be committed */
  int fd;                     /* the shared memory object or file, -1 when closed */
  int file;                   /* fd is a file (a file-backed block) */
  int alone;                  /* file: no other process had it when opened (platform.h) */
  int exclusive;              /* file: its OFD lock is still the exclusive one */
  char path[MC__OS_NAME_MAX]; /* "/name" or the file's path: what logged failures name */
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

#define MC__NOTIFY_WATCH 64 /* processes a notifier can watch */

typedef struct mc__plat_notifier {
  int ep;      /* epoll descriptor: the handle (the contract's field: intptr_t via handle()) */
  int sock;    /* datagram socket bound to "\0memchan-n-<id>" */
  uint32_t id; /* its random id, never 0 */
  int nwatch;
  uint64_t token[MC__NOTIFY_WATCH]; /* watched processes ... */
  int pidfd[MC__NOTIFY_WATCH];      /* ... and their descriptors, -1 where pidfd_open failed */
} mc__plat_notifier;

typedef struct mc__plat_signaller {
  int sock; /* an unbound datagram socket to send from, opened on first use; -1 none */
} mc__plat_signaller;

#endif
