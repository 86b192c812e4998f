/* The platform contract: what an operating system backend must provide to memchan.
 *
 * These are the only functions that touch the OS. Everything above them (core/, channel/)
 * is portable C11 and includes no OS header. A backend is a folder of files under
 * core/platform/: win32/, or posix/ together with the files of one POSIX system (linux/:
 * futex, /proc, pidfd, getrandom, fopencookie - a BSD or macOS port replaces those and no
 * others). CMake lists the files of exactly one backend. Each backend defines its handle
 * types in a header of its own (platform/<os>/types.h), included below; the fields named in
 * this contract (a map's base/reserve/committed, a futex handle's w) are the only ones
 * portable code may read. This header is also the one place where the OS is detected
 * (MC__PLAT_WINDOWS).
 *
 * Rules common to every function here:
 * - Errors are MC_E* codes. A backend translates the OS error at the point of failure, records
 *   the original errno/GetLastError() with mc__os_fail() (which also logs the failing call and
 *   the object name when MEMCHAN_DEBUG is set), and returns the code. Nothing is swallowed.
 * - Deadlines are absolute times on the mc__plat_now_ns() clock; MC__NO_DEADLINE waits for
 *   ever. A wait never returns MC_ETIMEDOUT before its deadline has passed.
 * - Shared-memory words passed in are untrusted: a backend never follows a pointer or index
 *   read from shared memory.
 * - Functions are safe to call from several threads at once on different objects. One
 *   per-process handle (mc__plat_map, mc__plat_futex, ...) is used by one thread at a time.
 */
#ifndef MC_PLATFORM_H
#define MC_PLATFORM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(_WIN32)
#define MC__PLAT_WINDOWS 1
#else
#define MC__PLAT_WINDOWS 0
#endif

#define MC__NO_DEADLINE UINT64_MAX
#define MC__OS_NAME_MAX 256 /* bytes of an OS-level object name, NUL included */

/* An object name as the library uses it: the validated user name without prefix, the
   namespace (Windows: "Local\\" or "Global\\"; POSIX: ""), and the suffix of a derived object
   ("" or "$..."). The OS-level name is built by the backend from these parts. */
typedef struct mc__objname {
  char base[224]; /* 1..200 chars of [A-Za-z0-9._-], plus a "$..." suffix if derived */
  char ns[8];     /* "Local\\", "Global\\" or "" */
  int everyone;   /* Win32: objects made under this name admit every user, not only ours */
} mc__objname;

/* A 32-bit word in shared memory with futex semantics (see "futex words" below), and its
   sleeper count, so that a wake with nobody asleep costs no system call. */
typedef struct mc__futex_word {
  _Atomic uint32_t value;
  _Atomic uint32_t waiters;
} mc__futex_word;

/* Each backend's handle types: mc__plat_map, mc__plat_futex, mc__plat_proc (and on Win32
   mc__plat_lock, mc__plat_event, mc__plat_sem). */
#if MC__PLAT_WINDOWS
#include "platform/win32/types.h"
#else
#include "platform/posix/types.h"
#endif

/* ---- names ------------------------------------------------------------------------------ */

/* The OS-level spelling of n plus suffix - POSIX "/base$suffix", Win32 "Local\\base$suffix" -
   into buf; MC_EINVAL if it does not fit in cap. */
int mc__plat_os_name(const mc__objname *n, const char *suffix, char *buf, size_t cap);

/* ---- time, scheduling, randomness ----------------------------------------------------- */

/* Monotonic nanoseconds from an arbitrary origin; never goes backwards. */
uint64_t mc__plat_now_ns(void);
/* Wall-clock milliseconds since 1970-01-01 UTC (CLOCK_REALTIME / GetSystemTimeAsFileTime):
   for timestamps other processes read (an object's creation time), never for deadlines. */
uint64_t mc__plat_wall_ms(void);
/* Gives the CPU to another runnable thread, if any. */
void mc__plat_yield(void);

/* The CPU the calling thread runs on now (sched_getcpu / GetCurrentProcessorNumber), or -1.
   A hint: the thread may move at any time. */
int mc__plat_current_cpu(void);
/* Fills buf with n unpredictable bytes (getrandom / BCryptGenRandom). */
int mc__plat_random(void *buf, size_t n);

/* ---- process identity -------------------------------------------------------------------
 * A token names one process for its whole life: (low 32 bits of its start time) << 32 | pid.
 * Start time is Linux /proc/PID/stat field 22 (clock ticks since boot) or Windows'
 * GetProcessTimes creation time in milliseconds. A reused pid has another start time, so a
 * token never names a later process. Token 0 names nobody. */
uint64_t mc__plat_self_token(void);
/* 1 if the process named by token is running, 0 if it has ended (or never existed). A process
   that cannot be inspected for lack of permission but whose pid exists counts as alive. */
int mc__plat_token_alive(uint64_t token);

/* ---- named regions ---------------------------------------------------------------------
 * A region is a named shared mapping: `reserve` bytes of address space of which the first
 * `committed` bytes are usable. POSIX: shm_open("/name") + ftruncate (commit) + one mmap of
 * `reserve` bytes. Win32: CreateFileMapping(SEC_RESERVE, reserve) + MapViewOfFile of the whole
 * section + VirtualAlloc(MEM_COMMIT) of the committed part. A map handle (mc__plat_map, the
 * backend's type) has at least: unsigned char *base (start of the mapping), uint64_t reserve
 * (bytes mapped), uint64_t committed (bytes this process knows to be committed); it keeps the
 * object's OS name for the failures it logs. */

enum { MC__MAP_OPEN_ONLY = 0, MC__MAP_CREATE_ONLY = 1, MC__MAP_EITHER = 2 };

typedef struct mc__map_req {
  int how;           /* MC__MAP_* */
  uint64_t reserve;  /* bytes to map for a new object */
  uint64_t probe;    /* bytes usable at first: the header */
  unsigned mode;     /* permission bits of a new object, applied whatever the umask */
  int any_user;      /* POSIX: accept an object owned by another user */
  uint64_t deadline; /* Win32: for the "N$init" mutex; files: for the opener's file lock */
  const char *file;  /* a file to map instead of a shared-memory object (file-backed block) */
} mc__map_req;

/* Opens the region `n` or creates it (rq->how). A new region is created with exactly
 * rq->mode and rq->reserve bytes mapped, of which only the first rq->probe (its header) are
 * usable: the creator claims it in the header, then commits the rest with
 * mc__plat_map_commit; *created = 1. Of an existing region the first rq->probe bytes are
 * mapped and usable (POSIX grows a still empty object to that size without ever shrinking
 * it; a smaller non-empty one is not memchan's: MC_ECORRUPT); the caller reads the header,
 * then calls mc__plat_map_reserve; *created = 0.
 * Initialisation is serialised against other openers until mc__plat_map_init_done(): on Win32
 * the call returns holding the named mutex "N$init" (taken before the section is created, so
 * an opener never sees a half-made header unless its maker died, which *abandoned reports);
 * POSIX holds nothing and the caller waits for the header's READY state instead.
 * Errors: MC_ENOENT (open only, missing), MC_EEXIST (create only, exists), MC_EACCES (OS
 * refusal, or POSIX: another user's object without any_user), MC_EMISMATCH (Win32: the name
 * belongs to another kind of kernel object), MC_ETIMEDOUT (Win32: "N$init" not obtained by the
 * deadline), MC_ENOMEM, MC_ESYS. */
int mc__plat_map_open(const mc__objname *n, const mc__map_req *rq, mc__plat_map *m, int *created,
                      int *abandoned);
/* File-backed regions (rq->file): the region is the file at that path, created (rq->mode) when
 * missing unless open only, never shrunk, never removed; the name still names its derived
 * objects (Win32: the section too). A new or empty file is *created = 1. Besides, m->alone is
 * set when no other process has the file mapped: the shared state in it was left by processes
 * that are all gone, maybe before a reboot, so their tokens mean nothing. Until
 * mc__plat_map_init_done, a process that is alone keeps every other opener waiting (POSIX: an
 * exclusive OFD lock on the file, which every holder keeps shared afterwards; Win32: "N$init"
 * and a section that did not exist yet), so it may repair that state first. A file that is
 * non-empty but shorter than rq->probe is MC_ECORRUPT, untouched. */
/* 0 once the name no longer refers to this object (POSIX: unlinked), else 1. */
int mc__plat_map_linked(mc__plat_map *m);
/* Maps `reserve` bytes of an opened region with `committed` of them usable (also used to make
   bytes another process committed usable here). MC_ECORRUPT if the OS object is smaller than
   either (a lying header). The base address may change. */
int mc__plat_map_reserve(mc__plat_map *m, uint64_t reserve, uint64_t committed);
/* Makes the first `bytes` (<= reserve) usable, growing the OS object when needed (POSIX
   ftruncate, Win32 VirtualAlloc MEM_COMMIT). Never shrinks. MC_ENOMEM when the OS refuses. */
int mc__plat_map_commit(mc__plat_map *m, uint64_t bytes);
/* Makes [offset, offset + len) of the committed part read as zero in every process that maps
   it, giving its memory back where the OS can: POSIX punches a hole in the object
   (fallocate PUNCH_HOLE, zeros written only over the partial pages at either end), so a
   shrink never allocates the pages it clears - a sparse block grown past what tmpfs holds
   would die of SIGBUS if it did. Win32 writes zeros: committed pages are already charged, so
   touching them cannot fail. */
void mc__plat_map_zero(mc__plat_map *m, uint64_t offset, uint64_t len);
/* Maps [offset, offset + len) of the committed part into this process now rather than page
   by page on first use (write = 1 also allocates it: only for an object not yet shared, as
   it may store to it). A hint: failure changes nothing but speed. */
void mc__plat_map_prefault(mc__plat_map *m, uint64_t offset, uint64_t len, int write);
/* MC_OK while the OS object still holds the `committed` bytes this process uses; MC_ECORRUPT
   once another process has cut it shorter (POSIX ftruncate; a Win32 section cannot shrink).
   Touching the missing part would fault (SIGBUS): callers look before they touch, on their
   slow paths. */
int mc__plat_map_intact(mc__plat_map *m);
/* Ends the initialisation window opened by mc__plat_map_open (Win32: releases "N$init";
   POSIX file: makes its exclusive file lock a shared one). */
void mc__plat_map_init_done(mc__plat_map *m);
/* A file-backed map: writes the committed bytes to the file and the file to its disk, and
   returns once the device has them (msync MS_SYNC + fsync; FlushViewOfFile +
   FlushFileBuffers). MC_OK at once for a shared-memory map. */
int mc__plat_map_flush(mc__plat_map *m);
/* Test seam (as SQLite's xSetSystemCall): replaces a system call the backend makes, by name
   (POSIX "shm_open", "ftruncate", "mmap", "geteuid", "msync"; Win32 "CreateFileMappingW",
   "MapViewOfFile", "VirtualAlloc", "FlushViewOfFile"). fn NULL restores the real one. MC_ENOENT if unknown. */
int mc__plat_syscall_override(const char *call, void (*fn)(void));
/* Unmaps and closes (ending the initialisation window if still open). Safe on a map that
   mc__plat_map_open filled in or failed on, and on one already closed. */
void mc__plat_map_close(mc__plat_map *m);
/* Maps an existing region for reading only, without creating, growing, locking or changing
   anything (inspection): POSIX shm_open(O_RDONLY) + mmap(PROT_READ) of the object's size,
   whoever owns it; Win32 OpenFileMapping(FILE_MAP_READ) + MapViewOfFile(FILE_MAP_READ) of
   the whole section. Afterwards m->committed bytes may be read: POSIX, the file size rounded
   down to pages; Win32, the header page (every object has it committed) if the section is
   that large, else 0. MC_ENOENT if absent, MC_EACCES if refused, MC_ESYS otherwise. Close
   with mc__plat_map_close. */
int mc__plat_map_peek(const mc__objname *n, mc__plat_map *m);
/* Makes the first `bytes` of a peeked map readable, where a validated header says they are
   committed: MC_ECORRUPT if the object is smaller (POSIX) or the view is (Win32, whose
   pages committed elsewhere are made readable in this view, read-only; a committed page
   stays committed, so nothing changes for the object). */
int mc__plat_map_peek_more(mc__plat_map *m, uint64_t bytes);
/* Calls fn(name, ctx) for each name in the shared-memory namespace that could be a memchan
   region (POSIX: the entries of /dev/shm, without the leading "/"), stopping when fn
   returns non-zero. MC_ENOTSUP where the OS cannot list its names (Win32). */
int mc__plat_map_list(int (*fn)(const char *name, void *ctx), void *ctx);
/* POSIX: removes the name (MC_ENOENT if absent). Win32: MC_OK (names die with their last
   handle). */
int mc__plat_map_unlink(const mc__objname *n);
/* 1 where a name outlives its last handle (POSIX), so the library manages lifetime itself. */
int mc__plat_names_outlive_handles(void);

/* ---- futex words ------------------------------------------------------------------------
 * A wait/wake pair on a 32-bit word in shared memory, with futex semantics across processes:
 * wait sleeps only while the word equals `expected`, and a wake that follows a change of the
 * word is never lost. Spurious wake-ups are allowed: callers re-check their condition.
 * The `waiters` word counts sleepers, so a wake costs no system call when nobody sleeps.
 * POSIX: FUTEX_WAIT/FUTEX_WAKE (shared, not PRIVATE). Win32: a named semaphore "N$f<offset>",
 * opened lazily on the first sleep or the first wake that finds a sleeper. */
/* A futex handle (mc__plat_futex, the backend's type) has at least mc__futex_word *w, the
   word it is bound to. POSIX: the word alone; Win32: the semaphore, opened lazily. */

/* Binds a handle to the word at byte `offset` of region `n` (the offset names the Win32
   semaphore, so every process must bind the same word with the same offset). */
void mc__plat_futex_bind(mc__plat_futex *f, mc__futex_word *w, const mc__objname *n,
                         uint64_t offset);
/* Sleeps until woken, the word differs from expected, or the deadline: MC_OK / MC_ETIMEDOUT. */
int mc__plat_futex_wait(mc__plat_futex *f, uint32_t expected, uint64_t deadline);
/* Wakes up to `count` sleepers (MC__WAKE_ALL: every one). Returns 1 if a wake-up was issued
   to the OS, 0 if nobody was sleeping (no system call), or an MC_E* code. */
#define MC__WAKE_ALL UINT32_MAX
int mc__plat_futex_wake(mc__plat_futex *f, uint32_t count);
void mc__plat_futex_unbind(mc__plat_futex *f);

/* ---- notifiers ------------------------------------------------------------------------------
 * A waitable OS handle of this process that other processes make ready by its id: what
 * mc_chan_os_handle returns. It is ready (readable / signalled) after a signal, or once a
 * process it watches has ended, until drained. Ids are random 32-bit numbers, never 0; `within`
 * is the channel's name, whose namespace (Win32) the notifier is made in. Linux: an epoll
 * descriptor over a datagram socket bound to the abstract address "memchan-n-<id>" and over
 * pidfds of the watched processes. Win32: the manual-reset event "<ns><name>$n<id>", set also by
 * a thread-pool wait on each watched process. mc__plat_notifier and mc__plat_signaller are the
 * backend's types. */
int mc__plat_notifier_open(mc__plat_notifier *n, const mc__objname *within);
intptr_t mc__plat_notifier_handle(const mc__plat_notifier *n); /* an fd / a HANDLE */
/* Clears readiness. Returns 1 if a watched process was found ended (it is no longer watched),
   else 0. */
int mc__plat_notifier_drain(mc__plat_notifier *n);
/* Watches exactly these processes (tokens; 0 entries ignored, at most MC__NOTIFY_WATCH). A
   process that cannot be watched is left to the caller's liveness checks. */
int mc__plat_notifier_watch(mc__plat_notifier *n, const uint64_t *tokens, int count);
void mc__plat_notifier_close(mc__plat_notifier *n);
/* Makes notifier `id` of channel `within` ready. A notifier that no longer exists is not an
   error (its owner went away). The signaller caches what it opened. */
/* Waits until one of n handles (notifiers' handles; Win32 also kernel event HANDLEs) is ready
   or the deadline passes: the index of a ready one (a Win32 auto-reset event is consumed by
   the wait), or MC_ETIMEDOUT. n <= MC__WAIT_ANY_MAX. */
#define MC__WAIT_ANY_MAX 64
int mc__plat_wait_any(const intptr_t *h, int n, uint64_t deadline);
void mc__plat_signaller_init(mc__plat_signaller *s);
int mc__plat_notify(mc__plat_signaller *s, const mc__objname *within, uint32_t id);
void mc__plat_signaller_close(mc__plat_signaller *s);

/* ---- kernel synchronisation objects ----------------------------------------------------
 * Where the OS has named mutexes, events and semaphores of its own, outside shared memory
 * (Win32: MC__PLAT_KERNEL_SYNC is 1), mc_mutex, mc_event and mc_sem are those: a scribbler
 * cannot touch them, and the kernel reports a dead mutex holder at once (WAIT_ABANDONED).
 * Elsewhere they are built above this layer on futex words in shared memory: mc_mutex is the
 * token lock (core/tlock.h), as every other memchan lock is on every platform (glibc's
 * robust mutex trusts its bytes, and scribbled ones abort or hang it), and events and
 * semaphores are core/futex_sync.c. The objects are named after the region n, with a suffix
 * ("$mx", "$ev", "$sem"). Opening a name that belongs to another kind of kernel object is
 * MC_EMISMATCH. */
#define MC__PLAT_KERNEL_SYNC MC__PLAT_WINDOWS

#if MC__PLAT_KERNEL_SYNC
/* Opens or creates the named mutex "N<suffix>". */
int mc__plat_lock_bind(mc__plat_lock *l, const mc__objname *n, const char *suffix);
/* MC_OK, MC_EOWNERDEAD (held; the previous holder died), MC_ETIMEDOUT. Recursive per thread. */
int mc__plat_lock_acquire(mc__plat_lock *l, uint64_t deadline);
/* MC_OK, or MC_ESTATE when the calling thread does not hold it. */
int mc__plat_lock_release(mc__plat_lock *l);
void mc__plat_lock_unbind(mc__plat_lock *l);

/* Win32 semantics: a set of an auto-reset event releases exactly one waiter or, with nobody
   waiting, leaves the event set for the next wait; a manual-reset event stays set, releasing
   everyone, until reset. manual/initially_set apply when this call creates the event. */
int mc__plat_event_bind(mc__plat_event *e, const mc__objname *n, int manual, int initially_set);
int mc__plat_event_set(mc__plat_event *e);
int mc__plat_event_reset(mc__plat_event *e);
/* MC_OK (released, and for auto-reset the event consumed) or MC_ETIMEDOUT. */
int mc__plat_event_wait(mc__plat_event *e, uint64_t deadline);
void mc__plat_event_unbind(mc__plat_event *e);

/* initial and max apply when this call creates the semaphore (max <= 2^31-1). */
int mc__plat_sem_bind(mc__plat_sem *s, const mc__objname *n, uint32_t initial, uint32_t max);
/* Adds count; MC_ERANGE (nothing added) if the count would pass max. */
int mc__plat_sem_post(mc__plat_sem *s, uint32_t count);
/* Takes one; MC_OK or MC_ETIMEDOUT. */
int mc__plat_sem_wait(mc__plat_sem *s, uint64_t deadline);
void mc__plat_sem_unbind(mc__plat_sem *s);
#endif

/* ---- stdio over a stream ------------------------------------------------------------------
 * A FILE whose reads, writes and seeks call io (glibc fopencookie); NULL where the C library
 * offers no such thing (Win32's msvcrt). io->close runs at fclose. */
typedef struct mc__plat_cookie_io {
  int64_t (*read)(void *cookie, char *buf, size_t n);        /* bytes, 0 at end, < 0 error */
  int64_t (*write)(void *cookie, const char *buf, size_t n); /* bytes, <= 0 error */
  int64_t (*seek)(void *cookie, int64_t offset, int whence); /* new position, < 0 error */
  void (*close)(void *cookie);
} mc__plat_cookie_io;
FILE *mc__plat_fopen_cookie(void *cookie, const char *mode, const mc__plat_cookie_io *io);

/* ---- processes -------------------------------------------------------------------------- */
/* A child handle (mc__plat_proc, the backend's type). */
/* Starts argv[0] with argv (NULL-terminated, UTF-8); arguments reach the child verbatim
   (Win32: quoted by the rules CommandLineToArgvW and the C runtime undo). */
int mc__plat_spawn(const char *const argv[], mc__plat_proc *p);
/* MC_OK with *exit_code (exit status, or 128 + signal), or MC_ETIMEDOUT. */
int mc__plat_wait(mc__plat_proc *p, uint64_t deadline, int *exit_code);
/* Kills the process at once (SIGKILL; TerminateProcess with exit code 137). */
int mc__plat_kill(mc__plat_proc *p);
/* Ends the calling process at once, exactly as mc__plat_kill from outside would: no exit
   handlers, no flushing, locks and shared state left as they are (crash points). */
void mc__plat_die(void);
void mc__plat_proc_release(mc__plat_proc *p);
/* This executable's path, UTF-8, NUL-terminated; MC_ENOSPC if cap is too small. */
int mc__plat_self_path(char *buf, size_t cap);
/* main's arguments in UTF-8 (Win32: from GetCommandLineW; POSIX: unchanged). */
int mc__plat_args_utf8(int *argc, char ***argv);

#endif /* MC_PLATFORM_H */
