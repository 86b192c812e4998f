/* memchan: producer/consumer communication between processes through named shared memory.
 *
 * The one public header. docs/ explains the concepts; ../docs/core.md the blocks and sync
 * objects, docs/channels.md the channels. Every call that can fail returns MC_OK (0) or a
 * negative MC_E* code; results come back through out-parameters. Timeouts are milliseconds:
 * 0 = do not wait, MC_INFINITE = wait for ever. One handle is used by one thread at a time. */
#ifndef MEMCHAN_H
#define MEMCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(_WIN32) && !defined(MEMCHAN_STATIC)
#  ifdef MEMCHAN_BUILDING
#    define MC_EXTERN __declspec(dllexport)
#  else
#    define MC_EXTERN __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define MC_EXTERN __attribute__((visibility("default")))
#else
#  define MC_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MC_VERSION_MAJOR 0
#define MC_VERSION_MINOR 1
#define MC_VERSION_PATCH 0

#define MC_INFINITE (-1) /* timeout: wait for ever */

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */
enum {
  MC_OK = 0,
  MC_EINVAL = -1,      /* bad argument */
  MC_ENOMEM = -2,      /* out of memory */
  MC_ENOENT = -3,      /* no object of that name (open only) */
  MC_EEXIST = -4,      /* an object of that name exists (create only) */
  MC_EACCES = -5,      /* permission denied, or the object belongs to another user */
  MC_ETIMEDOUT = -6,   /* not within the timeout (also for timeout 0) */
  MC_EMISMATCH = -7,   /* exists with another kind, size, max size or geometry */
  MC_ECORRUPT = -8,    /* header or shared state failed validation */
  MC_ENOSPC = -9,      /* does not fit: past max size, message over the limit, buffer too small */
  MC_ERANGE = -10,     /* offset or length outside the block */
  MC_ESTATE = -11,     /* not valid now: not acquired, read-only access, already acquired */
  MC_EOWNERDEAD = -12, /* lock taken, but its previous owner died holding it */
  MC_EPEERDEAD = -13,  /* the other side of a channel died */
  MC_ECLOSED = -14,    /* channel closed by its senders and fully drained */
  MC_ENOTSUP = -15,    /* not supported on this platform */
  MC_ESYS = -16        /* another OS error; mc_os_error() tells which */
};

MC_EXTERN const char *mc_strerror(int err); /* one-line English text, never NULL */
MC_EXTERN const char *mc_err_name(int err); /* "MC_ETIMEDOUT" etc., never NULL */
MC_EXTERN int mc_os_error(void);            /* errno / GetLastError() behind this thread's last MC_ESYS */
MC_EXTERN const char *mc_version(void);     /* "MAJOR.MINOR.PATCH" */

/* ------------------------------------------------------------------------------------------
 * Names: 1 to 200 characters from A-Z a-z 0-9 . _ -  Windows: optional Local\ or Global\
 * prefix (default Local\); POSIX: an optional leading '/' is ignored. Derived objects add a
 * suffix starting with '$', which user names cannot contain.
 * ---------------------------------------------------------------------------------------- */
#define MC_NAME_MAX 200

/* ------------------------------------------------------------------------------------------
 * Shared memory block
 * ---------------------------------------------------------------------------------------- */
typedef struct mc_shm mc_shm;

enum {                          /* mc_shm_options.flags */
  MC_SHM_CREATE = 1u << 0,      /* create only: MC_EEXIST if it exists */
  MC_SHM_OPEN = 1u << 1,        /* open only: MC_ENOENT if it does not; neither: create or open */
  MC_SHM_UNPROTECTED = 1u << 2, /* no single-writer/multi-reader guard: acquire never waits */
  MC_SHM_PERSIST = 1u << 3,     /* POSIX: keep the name after the last handle closes */
  MC_SHM_ANY_USER = 1u << 4     /* accept a block created by another user (mode permitting) */
};

typedef struct mc_shm_options {
  uint64_t size;     /* data bytes, header excluded; when opening, 0 = take it from the block */
  uint64_t max_size; /* 0: fixed size; else resizable up to max_size (reserve, commit on growth) */
  unsigned flags;    /* MC_SHM_* */
  unsigned mode;     /* POSIX permission bits for a new block; 0 = 0600 */
  int timeout_ms;    /* how long an opener waits for a creator still initialising; 0 = 5000 */
} mc_shm_options;    /* NULL options = all zero: fine for open, MC_EINVAL for create */

/* Opens or creates the block `name` (NULL: a fresh unique name, always created). */
MC_EXTERN int mc_shm_open(const char *name, const mc_shm_options *opt, mc_shm **out);
/* Closes the handle (releasing it first if acquired); the last close removes a POSIX name
   unless MC_SHM_PERSIST. NULL is fine. */
MC_EXTERN void mc_shm_close(mc_shm *shm);
/* POSIX: remove the name now (holders keep their mapping); Windows: MC_OK, nothing to do. */
MC_EXTERN int mc_shm_unlink(const char *name);
MC_EXTERN const char *mc_shm_name(const mc_shm *shm); /* the name, without prefix; "" for NULL */
MC_EXTERN int mc_shm_created(const mc_shm *shm);      /* 1 if this open created the block */
MC_EXTERN uint64_t mc_shm_size(const mc_shm *shm);    /* data bytes now (0 for NULL) */
MC_EXTERN uint64_t mc_shm_max_size(const mc_shm *shm); /* 0 for a fixed-size block */

/* ------------------------------------------------------------------------------------------
 * Processes
 * ---------------------------------------------------------------------------------------- */
typedef struct mc_proc mc_proc;
/* Starts argv[0] (a path) with the NULL-terminated argv; arguments reach the child intact,
   spaces and quotes included. */
MC_EXTERN int mc_proc_spawn(const char *const argv[], mc_proc **out);
/* Waits for the child to end. *exit_code: its exit status, or 128 + signal number when a
   signal ended it (mc_proc_kill reports 137 on every platform). */
MC_EXTERN int mc_proc_wait(mc_proc *p, int timeout_ms, int *exit_code);
MC_EXTERN int mc_proc_kill(mc_proc *p);   /* SIGKILL / TerminateProcess; MC_OK if already gone */
MC_EXTERN void mc_proc_free(mc_proc *p);  /* frees the handle; does not wait or kill; NULL fine */
MC_EXTERN int mc_self_path(char *buf, size_t cap); /* this executable's path (UTF-8) */

#ifdef __cplusplus
}
#endif
#endif /* MEMCHAN_H */
