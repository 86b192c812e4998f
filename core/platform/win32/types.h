/* The Win32 backend's handle types (core/platform.h includes this; nothing else does). */
#ifndef MC_PLATFORM_WIN32_TYPES_H
#define MC_PLATFORM_WIN32_TYPES_H

typedef struct mc__plat_map {
  unsigned char *base;        /* start of the view (the contract's fields first) */
  uint64_t reserve;           /* bytes of the section, all mapped */
  uint64_t committed;         /* bytes this process knows to be committed */
  void *section;              /* the file mapping */
  void *init_lock;            /* "N$init", held while initialising, else NULL */
  void *file;                 /* a file-backed region's file, else NULL */
  int alone;                  /* file: this open made the section (platform.h) */
  unsigned long everyone;     /* Everyone's access to what this open makes (security.c) */
  char name[MC__OS_NAME_MAX]; /* "Local\name": what every logged failure names */
} mc__plat_map;

typedef struct mc__plat_futex {
  mc__futex_word *w;          /* the word (the contract's field) */
  void *sem;                  /* "N$f<offset>", opened lazily */
  unsigned long everyone;     /* Everyone's access to its semaphore (MC__WIN_ALL_USERS) */
  char name[MC__OS_NAME_MAX]; /* its name */
} mc__plat_futex;

typedef struct mc__plat_proc {
  long pid;
  void *h;
  int reaped;
  int exit_code;
} mc__plat_proc;

#define MC__NOTIFY_WATCH 64 /* processes a notifier can watch */

typedef struct mc__plat_notifier {
  void *ev;    /* the manual-reset event "<ns><name>$n<id>": the handle */
  uint32_t id; /* never 0 */
  _Atomic int ended; /* a watched process ended (set by a thread-pool wait's callback) */
  int nwatch;
  uint64_t token[MC__NOTIFY_WATCH]; /* watched processes ... */
  void *proc[MC__NOTIFY_WATCH];     /* ... their handles ... */
  void *wait[MC__NOTIFY_WATCH];     /* ... and the registered waits, NULL where none */
  char name[MC__OS_NAME_MAX];
} mc__plat_notifier;

#define MC__SIGNAL_CACHE 4
typedef struct mc__plat_signaller {
  uint32_t id[MC__SIGNAL_CACHE]; /* events opened, by id (0 = empty) */
  void *h[MC__SIGNAL_CACHE];
  unsigned next; /* the entry to replace */
} mc__plat_signaller;

typedef struct mc__plat_lock {
  void *h; /* the mutex "N<suffix>" */
  char name[MC__OS_NAME_MAX];
} mc__plat_lock;

typedef struct mc__plat_event {
  void *h; /* the event "N$ev" */
  char name[MC__OS_NAME_MAX];
} mc__plat_event;

typedef struct mc__plat_sem {
  void *h; /* the semaphore "N$sem" */
  uint32_t max;
  char name[MC__OS_NAME_MAX];
} mc__plat_sem;

#endif
