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
#ifdef MEMCHAN_BUILDING
#define MC_EXTERN __declspec(dllexport)
#else
#define MC_EXTERN __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define MC_EXTERN __attribute__((visibility("default")))
#else
#define MC_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MC_VERSION_MAJOR 0
#define MC_VERSION_MINOR 1
#define MC_VERSION_PATCH 0

#define MC_INFINITE (-1) /* timeout: wait for ever */
/* The bound on waiting in calls that take no timeout (creating or closing a channel, opening
   a sync object, resizing or closing a block, ...): a lock held by a live process that never
   gives it back, or a creator that never finishes, makes them give up after this long. */
#define MC_DEFAULT_TIMEOUT_MS 5000

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */
/* The one error table: every code with its value and text. The enum, mc_err_name and
   mc_strerror are all generated from it, so a code cannot exist without its name and text.
   X(NAME, value, "text") gives MC_NAME = value. */
#define MC_ERRNO_MAP(X)                                                                            \
  X(OK, 0, "success")                                                                              \
  X(EINVAL, -1, "invalid argument")                                                                \
  X(ENOMEM, -2, "out of memory")                                                                   \
  X(ENOENT, -3, "no object of that name")                                                          \
  X(EEXIST, -4, "an object of that name already exists")                                           \
  X(EACCES, -5, "permission denied, or the object belongs to another user")                        \
  X(ETIMEDOUT, -6, "timed out")                                                                    \
  X(EMISMATCH, -7, "the object exists with another kind, size or geometry")                        \
  X(ECORRUPT, -8, "shared state failed validation")                                                \
  X(ENOSPC, -9, "does not fit")                                                                    \
  X(ERANGE, -10, "offset or length outside the block")                                             \
  X(ESTATE, -11, "not valid in the current state")                                                 \
  X(EOWNERDEAD, -12, "acquired, but the previous owner died holding it")                           \
  X(EPEERDEAD, -13, "the other side of the channel died")                                          \
  X(ECLOSED, -14, "channel closed and drained")                                                    \
  X(ENOTSUP, -15, "not supported on this platform")                                                \
  X(ESYS, -16, "operating system error")                                                           \
  X(EABORTED, -17, "the stream was ended by a sender with mc_chan_abort")                          \
  X(EBUSY, -18, "that end of the channel is taken")

enum {
#define MC__ERRNO_ENUM(name, value, text) MC_##name = (value),
  MC_ERRNO_MAP(MC__ERRNO_ENUM)
#undef MC__ERRNO_ENUM
};

MC_EXTERN const char *mc_strerror(int err); /* one-line English text, never NULL */
MC_EXTERN const char *mc_err_name(int err); /* "MC_ETIMEDOUT" etc., never NULL */
MC_EXTERN int mc_os_error(void); /* errno / GetLastError() behind this thread's last MC_ESYS */
MC_EXTERN const char *mc_version(void); /* "MAJOR.MINOR.PATCH" */

/* The diagnostic log: nothing is printed unless asked. A program installs a callback, which
   is then told of every failed call that opens, creates, waits, locks, sends, receives or
   manages a process - which call, which object, why (the library's most specific reason) and
   the OS error where there was one. MEMCHAN_LOG=1 in the environment prints the same to
   stderr ("memchan: mc_chan_open(jobs): MC_ENOENT (...)") when no callback is installed.
   The callback may run on any thread that made a call; it must not call memchan. */
typedef struct mc_log_record {
  const char *call;   /* "mc_chan_open" */
  const char *object; /* the object's name, "" when the call has none */
  int error;          /* the MC_E* code the call returns */
  int os_error;       /* errno / GetLastError() behind it, 0 when none */
  const char *detail; /* why, in words; "" when nothing more is known */
} mc_log_record;
typedef void (*mc_log_fn)(void *ctx, const mc_log_record *rec);
MC_EXTERN void mc_set_log(mc_log_fn fn, void *ctx); /* NULL: back to the environment's choice */

/* ------------------------------------------------------------------------------------------
 * Names: 1 to 200 characters from A-Z a-z 0-9 . _ -  but not "." or "..". One spelling
 * works on both systems: an optional "Local\" prefix, then an optional '/', are ignored
 * ("abc", "/abc" and "Local\abc" are one object). Windows also takes "Global\" (the
 * machine-wide namespace; POSIX refuses it). Derived objects add a suffix starting with
 * '$', which user names cannot contain. POSIX objects are /dev/shm/NAME, unprefixed.
 * ---------------------------------------------------------------------------------------- */
#define MC_NAME_MAX 200

/* ------------------------------------------------------------------------------------------
 * Shared memory block
 * ---------------------------------------------------------------------------------------- */
typedef struct mc_shm mc_shm;

enum {                          /* mc_shm_options.flags */
       MC_SHM_CREATE = 1u << 0, /* create only: MC_EEXIST if it exists */
       MC_SHM_OPEN = 1u << 1,   /* open only: MC_ENOENT if it does not; neither: create or open */
       MC_SHM_UNPROTECTED = 1u << 2, /* no single-writer/multi-reader guard: acquire never waits */
       MC_SHM_PERSIST = 1u << 3,     /* POSIX: keep the name after the last handle closes */
       MC_SHM_ANY_USER = 1u << 4     /* accept a block created by another user (mode permitting) */
};

typedef struct mc_shm_options {
  uint64_t size;     /* data bytes, header excluded; when opening, 0 = take it from the block */
  uint64_t max_size; /* 0: fixed size; else resizable up to max_size (reserve, commit on growth) */
  unsigned flags;    /* MC_SHM_* */
  unsigned mode;     /* permission bits for a new block; 0 = 0600 (Windows: group or other
                        bits admit Everyone, else only the user and SYSTEM; docs/core.md) */
  int timeout_ms;    /* how long an opener waits for a creator still initialising; 0 = 5000 */
  const char *path;  /* a file the block lives in, header included (created or opened; never
                        removed; a file that is not a memchan block is refused); NULL = memory
                        only. Openers pass the same path and name. See docs/core.md */
} mc_shm_options;    /* NULL options = all zero: fine for open, MC_EINVAL for create */

/* Opens or creates the block `name` (NULL: a fresh unique name, always created). */
MC_EXTERN int mc_shm_open(const char *name, const mc_shm_options *opt, mc_shm **out);
/* Closes the handle (releasing it first if acquired); the last close removes a POSIX name
   unless MC_SHM_PERSIST. NULL is fine. */
MC_EXTERN void mc_shm_close(mc_shm *shm);
/* POSIX: remove the name now (holders keep their mapping); Windows: MC_OK, nothing to do. */
MC_EXTERN int mc_shm_unlink(const char *name);
/* A file-backed block: writes its bytes to the file and the file to disk (msync + fsync;
   FlushViewOfFile + FlushFileBuffers) before returning. MC_OK at once for a memory block.
   What is durable when: docs/core.md. */
MC_EXTERN int mc_shm_flush(mc_shm *shm);
MC_EXTERN const char *mc_shm_name(const mc_shm *shm);  /* the name, without prefix; "" for NULL */
MC_EXTERN int mc_shm_created(const mc_shm *shm);       /* 1 if this open created the block */
MC_EXTERN uint64_t mc_shm_size(const mc_shm *shm);     /* data bytes now (0 for NULL) */
MC_EXTERN uint64_t mc_shm_max_size(const mc_shm *shm); /* 0 for a fixed-size block */

/* Guarded access. access: MC_READ (many readers at once) or MC_WRITE (one writer alone).
   *data (may be NULL) receives the data area; it stays valid until release. MC_OK;
   MC_ETIMEDOUT; MC_ESTATE if already acquired; MC_EOWNERDEAD: acquired, but a writer died
   while holding it, so the data may be half-written (see mc_swmr_lock_read). An unprotected
   block (MC_SHM_UNPROTECTED at creation) never waits. */
enum { MC_READ = 0, MC_WRITE = 1 };
MC_EXTERN int mc_shm_acquire(mc_shm *shm, int access, int timeout_ms, void **data);
MC_EXTERN int mc_shm_release(mc_shm *shm); /* a writer's release bumps the change count */
/* Acquired for write, resizable, size <= max (MC_ENOSPC past it). Growth commits memory and
   reads as zeros; other handles see the new size at their next acquire. */
MC_EXTERN int mc_shm_resize(mc_shm *shm, uint64_t size);
MC_EXTERN uint64_t mc_shm_change_count(const mc_shm *shm); /* writer releases, lock-free */
/* 1 if another writer released since this handle last released (or opened). */
MC_EXTERN int mc_shm_modified(const mc_shm *shm);

/* Bounded copies, while acquired. At the end of the block they copy what fits and say so in
 *done (may be NULL); an offset past the end is MC_ERANGE. */
MC_EXTERN int mc_shm_read(mc_shm *shm, uint64_t offset, void *buf, size_t len, size_t *done);
MC_EXTERN int mc_shm_write(mc_shm *shm, uint64_t offset, const void *buf, size_t len, size_t *done);

/* Typed access by byte offset (any alignment, native byte order), while acquired (setters:
   for write); all or nothing: MC_ERANGE unless the whole value lies inside the block. */
MC_EXTERN int mc_shm_get_u8(mc_shm *shm, uint64_t offset, uint8_t *v);
MC_EXTERN int mc_shm_get_u16(mc_shm *shm, uint64_t offset, uint16_t *v);
MC_EXTERN int mc_shm_get_u32(mc_shm *shm, uint64_t offset, uint32_t *v);
MC_EXTERN int mc_shm_get_u64(mc_shm *shm, uint64_t offset, uint64_t *v);
MC_EXTERN int mc_shm_set_u8(mc_shm *shm, uint64_t offset, uint8_t v);
MC_EXTERN int mc_shm_set_u16(mc_shm *shm, uint64_t offset, uint16_t v);
MC_EXTERN int mc_shm_set_u32(mc_shm *shm, uint64_t offset, uint32_t v);
MC_EXTERN int mc_shm_set_u64(mc_shm *shm, uint64_t offset, uint64_t v);
/* ...and by index (offset = index * width). */
MC_EXTERN int mc_shm_get_u8_idx(mc_shm *shm, uint64_t idx, uint8_t *v);
MC_EXTERN int mc_shm_get_u16_idx(mc_shm *shm, uint64_t idx, uint16_t *v);
MC_EXTERN int mc_shm_get_u32_idx(mc_shm *shm, uint64_t idx, uint32_t *v);
MC_EXTERN int mc_shm_get_u64_idx(mc_shm *shm, uint64_t idx, uint64_t *v);
MC_EXTERN int mc_shm_set_u8_idx(mc_shm *shm, uint64_t idx, uint8_t v);
MC_EXTERN int mc_shm_set_u16_idx(mc_shm *shm, uint64_t idx, uint16_t v);
MC_EXTERN int mc_shm_set_u32_idx(mc_shm *shm, uint64_t idx, uint32_t v);
MC_EXTERN int mc_shm_set_u64_idx(mc_shm *shm, uint64_t idx, uint64_t v);

/* Text: a u32 length, then the bytes. set grows a resizable block to fit (MC_ENOSPC past max
   size or in a fixed block too small); get copies, NUL-terminates, and reports the length in
   *len: MC_ENOSPC with *len set when cap <= length; MC_ECORRUPT if the stored length runs
   past the block; MC_ERANGE if the block is smaller than a length. */
MC_EXTERN int mc_shm_set_string(mc_shm *shm, const char *s, size_t len);
MC_EXTERN int mc_shm_get_string(mc_shm *shm, char *buf, size_t cap, size_t *len);

/* Stream over the data, while acquired; one per handle (asking again returns it), gone at
   release (its calls then return MC_ESTATE). While it is active, the direct accessors above
   return MC_ESTATE. Writes past the end grow a resizable block (up to max size) and stop at
   the end of a fixed one (returning what fitted, possibly 0). */
typedef struct mc_stream mc_stream;
MC_EXTERN int mc_shm_stream(mc_shm *shm, mc_stream **out);
MC_EXTERN int64_t mc_stream_read(mc_stream *st, void *buf, size_t len);        /* bytes or MC_E* */
MC_EXTERN int64_t mc_stream_write(mc_stream *st, const void *buf, size_t len); /* bytes or MC_E* */
MC_EXTERN int64_t mc_stream_seek(mc_stream *st, int64_t offset, int whence); /* SEEK_SET/CUR/END */
/* A stdio FILE over the stream where the C library allows (glibc); NULL elsewhere (Windows),
   when not acquired (write modes: for write) or when one is already open. "w" empties a
   resizable block, "a" starts at the end. Release flushes it and ends its use: fclose it
   before or after, but do no more I/O on it once released. */
MC_EXTERN FILE *mc_shm_fopen(mc_shm *shm, const char *mode);

/* Snapshot: a private, read-only copy taken while acquired. It is itself an mc_shm handle:
   acquire(MC_READ) never waits, every getter works, writes return MC_ESTATE, close frees. */
MC_EXTERN int mc_shm_snapshot(mc_shm *shm, mc_shm **snap);

/* ------------------------------------------------------------------------------------------
 * Named synchronisation objects: create-or-open by name, with the blocks' lifetime,
 * ownership and permission rules. A name belongs to one kind of object: opening it as
 * another kind is MC_EMISMATCH.
 * ---------------------------------------------------------------------------------------- */
typedef struct mc_event mc_event; /* auto-reset wakes one waiter; manual-reset stays set */
/* Opens or creates an event. initially_set applies to a new event only; opening an existing
   one with the other manual_reset is MC_EMISMATCH. */
MC_EXTERN int mc_event_open(const char *name, int manual_reset, int initially_set, mc_event **out);
MC_EXTERN int mc_event_set(mc_event *ev); /* auto-reset: releases one waiter, or stays set */
MC_EXTERN int mc_event_reset(mc_event *ev);
MC_EXTERN int mc_event_wait(mc_event *ev, int timeout_ms); /* MC_OK or MC_ETIMEDOUT */
MC_EXTERN void mc_event_close(mc_event *ev);

typedef struct mc_mutex mc_mutex; /* robust: a holder's death never blocks others for ever */
MC_EXTERN int mc_mutex_open(const char *name, mc_mutex **out);
/* MC_OK, MC_ETIMEDOUT, or MC_EOWNERDEAD: locked, but the last holder died holding it.
   Recursive for the thread holding it, as a Win32 mutex is; unlock from that thread. */
MC_EXTERN int mc_mutex_lock(mc_mutex *mx, int timeout_ms);
MC_EXTERN int mc_mutex_unlock(mc_mutex *mx); /* MC_ESTATE if not held by this handle */
MC_EXTERN void mc_mutex_close(mc_mutex *mx); /* unlocks first if held */

typedef struct mc_sem mc_sem;
/* 1 <= max <= 2^31-1, initial <= max; initial applies to a new semaphore only; opening an
   existing one with another max is MC_EMISMATCH. */
MC_EXTERN int mc_sem_open(const char *name, uint32_t initial, uint32_t max, mc_sem **out);
MC_EXTERN int mc_sem_post(mc_sem *sem, uint32_t count); /* MC_ERANGE past max; count >= 1 */
MC_EXTERN int mc_sem_wait(mc_sem *sem, int timeout_ms);
MC_EXTERN void mc_sem_close(mc_sem *sem);

typedef struct mc_swmr mc_swmr; /* single writer or many readers, robust like mc_mutex */
MC_EXTERN int mc_swmr_open(const char *name, mc_swmr **out);
/* MC_OK, MC_ETIMEDOUT, MC_ESTATE (this handle holds it already), or MC_EOWNERDEAD: taken,
   but a writer died holding it and no writer has taken it since (the data may be
   half-written; the next writer to take it is told too and should repair it). Waiting
   writers go before new readers. */
MC_EXTERN int mc_swmr_lock_read(mc_swmr *g, int timeout_ms);
MC_EXTERN int mc_swmr_lock_write(mc_swmr *g, int timeout_ms);
MC_EXTERN int mc_swmr_unlock(mc_swmr *g); /* MC_ESTATE if this handle holds nothing */
MC_EXTERN void mc_swmr_close(mc_swmr *g); /* unlocks first if held */

/* ------------------------------------------------------------------------------------------
 * Channels: named producer/consumer queues between processes (docs/channels.md).
 * Every committed message is delivered exactly once, in commit order per sender (to one of
 * the receivers with MC_CHAN_MULTI_RECV; to every receiver attached when it was committed
 * with MC_CHAN_BROADCAST, unless MC_CHAN_DROP_OLDEST drops it for a slow one). After the
 * last sender has closed and the queue is drained, recv returns MC_ECLOSED. If no sender is
 * alive and the channel was not closed, recv drains what was committed and then returns
 * MC_EPEERDEAD instead of waiting for ever; send likewise, once the ring is full, when the
 * receiver died. Shared state read from the channel is validated: a corrupted channel gives
 * MC_ECORRUPT (and keeps giving it on that handle).
 * ---------------------------------------------------------------------------------------- */
typedef struct mc_chan mc_chan;
enum { MC_CHAN_RING = 0, MC_CHAN_SLOT = 1 }; /* mc_chan_options.kind */
enum {                                       /* role of this endpoint */
       MC_CHAN_NONE = 0, /* hold the channel open (it lives while a holder lives), take no end */
       MC_CHAN_SEND = 1,
       MC_CHAN_RECV = 2
};
enum {                                 /* mc_chan_options.flags */
       MC_CHAN_MULTI_SEND = 1u << 0,  /* several senders */
       MC_CHAN_MULTI_RECV = 1u << 1,  /* ring: several receivers share the work, each message
                                         to one of them */
       MC_CHAN_BROADCAST = 1u << 2,   /* ring: every receiver gets every message committed
                                         after it attached */
       MC_CHAN_DROP_OLDEST = 1u << 3  /* broadcast: a receiver a whole ring behind loses its
                                         oldest messages (stats.dropped) instead of holding
                                         the senders back */
};

typedef struct mc_chan_options {
  int kind;          /* MC_CHAN_RING (default) or MC_CHAN_SLOT (one slot, the new-data /
                        read-finished handshake) */
  uint32_t max_msg;  /* largest message in bytes; 0 = 64 KiB; for a slot channel, the slot size */
  uint64_t capacity; /* ring bytes, rounded up to a power of two; 0 = 1 MiB (or more, to hold
                        two largest messages); slot: ignored */
  unsigned flags;    /* MC_CHAN_MULTI_SEND, and one of MC_CHAN_MULTI_RECV or
                        MC_CHAN_BROADCAST (+ MC_CHAN_DROP_OLDEST); see docs/channels.md */
  int spin_us;       /* busy-wait this long before blocking; 0 = library default; -1 = never */
  unsigned mode;     /* permission bits, as mc_shm_options.mode; 0 = 0600 */
} mc_chan_options;   /* NULL = all defaults */

/* Creates the channel `name` (NULL: a fresh unique name, see mc_chan_name) and opens this
   endpoint with `role`. MC_EEXIST if a live channel of that name exists. */
MC_EXTERN int mc_chan_create(const char *name, const mc_chan_options *opt, int role, mc_chan **out);
/* Opens an endpoint of an existing channel, waiting up to timeout_ms for it to exist and be
   initialised: MC_ENOENT when no channel of that name existed by then (timeout 0: now),
   MC_ETIMEDOUT when one existed but never became ready. MC_EBUSY if the role is taken: a
   live receiver of a one-receiver channel, or a live sender of a channel without
   MC_CHAN_MULTI_SEND (MC_ENOSPC: 64 senders, 16 fan-out receivers). A sender whose receiver
   never connects waits for space for ever with MC_INFINITE once the ring is full:
   mc_chan_get_ends tells whether it ever connected (a broadcast sender never waits for a
   receiver that is not there). */
MC_EXTERN int mc_chan_open(const char *name, int role, int timeout_ms, mc_chan **out);
/* Sends one message of len <= max_msg bytes (MC_ENOSPC beyond). MC_ETIMEDOUT leaves it
   unsent. */
MC_EXTERN int mc_chan_send(mc_chan *ch, const void *msg, size_t len, int timeout_ms);
/* Receives one message into buf. MC_ENOSPC with *len = needed size when cap is too small;
   the message stays queued. MC_ECLOSED / MC_EPEERDEAD at the end (see above). */
MC_EXTERN int mc_chan_recv(mc_chan *ch, void *buf, size_t cap, size_t *len, int timeout_ms);
/* Zero-copy send: a buffer for up to len bytes inside the channel, then commit n <= len of
   them. Between the two no other send or reserve is allowed on this handle (MC_ESTATE). */
MC_EXTERN int mc_chan_reserve(mc_chan *ch, size_t len, void **buf, int timeout_ms);
MC_EXTERN int mc_chan_commit(mc_chan *ch, size_t len);
/* Zero-copy receive: the next message in place (valid until consume), then consume it. */
MC_EXTERN int mc_chan_peek(mc_chan *ch, const void **msg, size_t *len, int timeout_ms);
MC_EXTERN int mc_chan_consume(mc_chan *ch);
MC_EXTERN int mc_chan_close_send(mc_chan *ch);         /* end of stream from this sender */
/* End of stream with a reason: as close_send, and the stream is marked aborted, so that once
   no sender can send and the queue is drained, receivers get MC_EABORTED (not MC_ECLOSED or
   MC_EPEERDEAD) and mc_chan_get_ends reports `code` (the application's, any value). The mark
   stays for the channel's life. */
MC_EXTERN int mc_chan_abort(mc_chan *ch, int code);
MC_EXTERN void mc_chan_close(mc_chan *ch);             /* a sender's close implies close_send */
MC_EXTERN const char *mc_chan_name(const mc_chan *ch); /* "" for NULL */

typedef struct mc_chan_stats {
  uint64_t sent, received, bytes_sent, bytes_received;
  uint64_t send_waits, recv_waits; /* times a call had to block */
  uint64_t wakeups;                /* event signals actually issued */
  uint64_t dropped;                /* DROP_OLDEST receiver: messages it lost for being slow */
} mc_chan_stats;
/* This endpoint's counters since it was opened. */
MC_EXTERN int mc_chan_get_stats(const mc_chan *ch, mc_chan_stats *out);

/* An OS handle to wait on in an event loop: a file descriptor on POSIX (poll, epoll, select,
   libuv's uv_poll), a HANDLE on Windows (WaitForMultipleObjects). It is ready (readable /
   signalled) when this end may proceed - a message to receive, room to send, or an end of
   stream or a peer's death for the next call to report - and it may be ready when the end
   may not (spurious readiness: look, and wait again). It is made ready again by this end's
   calls that could not proceed: after the handle reports ready, call recv/peek (send/
   reserve) with timeout 0 until one returns MC_ETIMEDOUT; that call arms the handle. A new
   handle starts ready. The same handle for every call; it lives until mc_chan_close, and is
   not the caller's to close. */
typedef intptr_t mc_os_handle;
MC_EXTERN int mc_chan_os_handle(mc_chan *ch, mc_os_handle *out);

/* A wait over many channel ends and events, for a thread that serves several: each member
   has a tag (any pointer, unique in the set: MC_EEXIST); up to 63 members (MC_ENOSPC).
   wait reports up to cap ready members' tags in ready[] (*n of them): MC_OK, MC_ETIMEDOUT
   when none became ready in time, MC_ESTATE for an empty set. A channel end is ready as its
   OS handle is (mc_chan_os_handle), but looked at first, so a report is never spurious at
   the moment it is made; the call to make next is the caller's (timeout 0), and takes
   nothing away: a message stays queued until received. An event is ready when set, and a
   reported auto-reset event has been taken by the wait (reset, as WaitForMultipleObjects
   does). Like a blocking recv, a wait over a channel whose peer died ends, reporting it
   ready: the next call returns MC_EPEERDEAD. One thread at a time per waitset. */
typedef struct mc_waitset mc_waitset;
MC_EXTERN int mc_waitset_create(mc_waitset **out);
MC_EXTERN int mc_waitset_add_chan(mc_waitset *ws, mc_chan *ch, void *tag);
MC_EXTERN int mc_waitset_add_event(mc_waitset *ws, mc_event *ev, void *tag);
MC_EXTERN int mc_waitset_remove(mc_waitset *ws, void *tag); /* MC_ENOENT: no such tag */
MC_EXTERN int mc_waitset_wait(mc_waitset *ws, void **ready, int cap, int *n, int timeout_ms);
MC_EXTERN void mc_waitset_free(mc_waitset *ws); /* members stay open: they are the caller's */

/* Who is attached to the channel, as its shared state says now. */
typedef struct mc_chan_ends {
  int senders;             /* senders attached, their processes alive */
  int receivers;           /* receivers attached, alive (fan-out: up to 16) */
  int sender_seen;         /* a sender has attached at some time */
  int receiver_seen;       /* a receiver has attached at some time */
  uint64_t senders_closed; /* close_send / abort calls, ever */
  uint64_t senders_died;   /* senders found dead without closing, ever */
  int aborted;             /* a sender called mc_chan_abort ... */
  int abort_code;          /* ... with this code */
} mc_chan_ends;
/* Any role (MC_CHAN_NONE included). Looks at each attached peer's process (a /proc read or
   an OpenProcess each): for supervision, not for every message. */
MC_EXTERN int mc_chan_get_ends(mc_chan *ch, mc_chan_ends *out);

/* ------------------------------------------------------------------------------------------
 * Inspection: what is in shared memory, read without taking part (the `memchan` command)
 * ---------------------------------------------------------------------------------------- */
enum { /* mc_obj_info.kind */
  MC_OBJ_BLOCK = 1, MC_OBJ_EVENT = 2, MC_OBJ_MUTEX = 3, MC_OBJ_SEM = 4, MC_OBJ_SWMR = 5,
  MC_OBJ_RING = 6, /* a ring channel (fan-out kinds included: see mc_chan_info.flags) */
  MC_OBJ_SLOT = 7  /* a slot channel */
};
enum { MC_OBJ_INITIALISING = 0, MC_OBJ_READY = 1, MC_OBJ_DEAD = 2 }; /* mc_obj_info.state */
enum { MC_END_OPEN = 1, MC_END_CLOSED = 2, MC_END_DEAD = 3 };        /* mc_end_info.state */
#define MC_INSPECT_HOLDERS 128 /* attach-table entries an object has */
#define MC_INSPECT_ENDS    80  /* channel ends: 64 senders and 16 receivers at most */

typedef struct mc_holder_info {
  uint32_t pid; /* a process holding the object open */
  int alive;    /* 1 if it runs now (pid and start time match), 0 if it has ended */
} mc_holder_info;

typedef struct mc_end_info {
  int role;          /* MC_CHAN_SEND or MC_CHAN_RECV */
  int index;         /* its place: sender 0..63, receiver 0..15 (0 on a one-receiver channel) */
  int state;         /* MC_END_OPEN, _CLOSED (closed its end) or _DEAD (found dead) */
  uint32_t pid;      /* its process */
  int alive;         /* ... running now */
  int counted;       /* 1 if the counters below are this end's (0: not published yet) */
  uint64_t messages; /* sent (sender) or received (receiver), as of its last message */
  uint64_t bytes;    /* payload bytes of those */
  uint64_t waits;    /* its calls that had to block */
  uint64_t wakeups;  /* wake-ups it issued to sleeping peers */
  uint64_t dropped;  /* DROP_OLDEST receiver: messages it lost for being slow */
  uint64_t backlog;  /* broadcast receiver: bytes of the ring it has still to read */
} mc_end_info;

typedef struct mc_chan_info {
  int kind;              /* MC_CHAN_RING or MC_CHAN_SLOT */
  unsigned flags;        /* MC_CHAN_MULTI_SEND, _MULTI_RECV, _BROADCAST, _DROP_OLDEST */
  uint64_t capacity;     /* ring bytes (slot: 0) */
  uint32_t max_msg;      /* largest message */
  int spin_us;           /* as created (0: the library default, -1: never spin) */
  uint64_t head, tail;   /* ring: bytes ever committed, and consumed (broadcast: by the
                            slowest receiver, as a sender last found it) */
  uint64_t used;         /* bytes queued: ring head - tail; slot: the message's, when full */
  int slot_full;         /* slot: a message waits in the slot */
  uint64_t senders_closed, senders_died; /* ever */
  uint64_t abandoned;    /* messages lost with senders that died writing them */
  int aborted, abort_code; /* a sender ended the stream with mc_chan_abort, and its code */
  int senders, receivers;  /* ends attached now (open, process alive) */
  int nends;               /* entries in ends[]: every end not FREE */
  mc_end_info ends[MC_INSPECT_ENDS];
} mc_chan_info;

typedef struct mc_obj_info {
  char name[MC_NAME_MAX + 32]; /* as the OS names it, without POSIX's "/" (derived objects
                                  keep their "$..." suffix) */
  uint32_t layout_version;     /* its shared-memory format (docs/layout.md) */
  int kind;                    /* MC_OBJ_*; 0 while initialising */
  int state;                   /* MC_OBJ_INITIALISING, _READY or _DEAD */
  int persistent;              /* created with MC_SHM_PERSIST */
  int unprotected;             /* a block created with MC_SHM_UNPROTECTED */
  int stale;                   /* garbage of a crashed run (POSIX): READY and not persistent
                                  with every holder dead, or never finished by a dead creator,
                                  or DEAD; opening it replaces it, `memchan gc` removes it */
  uint64_t size, max_size;     /* data bytes now, and the resizable limit (0: fixed) */
  uint64_t committed;          /* bytes usable, header included */
  uint64_t change_count;       /* block: writer releases */
  uint32_t creator_pid;        /* the process that created it (or took creation over) */
  int creator_alive;
  uint64_t created_ms;         /* when: ms since 1970-01-01 UTC */
  int nholders;                /* entries in holders[] */
  int live_holders;            /* of those, alive (plus untracked: counted, not named) */
  uint64_t untracked;          /* holders beyond the attach table */
  mc_holder_info holders[MC_INSPECT_HOLDERS];
  mc_chan_info chan;           /* kind MC_OBJ_RING or MC_OBJ_SLOT */
} mc_obj_info;

/* Fills *out with the object's state by name, read through a read-only mapping: it does not
   attach (it is not a holder, an end or a waiter), takes no lock and changes nothing, so a
   monitor never disturbs what it watches. The header and a channel's control block are
   validated as an opener validates them: MC_ECORRUPT for an object that fails (out->name
   and what could be read before are filled, nothing else is to be trusted); MC_EMISMATCH
   for an object of another layout version (another memchan build's; out->layout_version). The name may
   carry a derived object's "$..." suffix (as mc_list reports them). MC_ENOENT, MC_EACCES
   (not readable by this user), MC_EINVAL. */
MC_EXTERN int mc_inspect(const char *name, mc_obj_info *out);
/* Calls fn(name, ctx) with the name of every memchan object there is, in no order, until fn
   returns non-zero. POSIX: each object in /dev/shm with a memchan header (any state, corrupt
   ones too; other files are left out). Windows cannot list named sections, so memchan keeps a
   registry: the names its processes created, kept in a block of its own (docs/cli.md); it
   lists those whose object still exists. */
MC_EXTERN int mc_list(int (*fn)(const char *name, void *ctx), void *ctx);
enum { MC_REMOVE_STALE = 1u << 0 }; /* mc_remove: only if stale (see mc_obj_info.stale) */
/* Removes the object's name (POSIX), as mc_shm_unlink does, for any kind and for derived
   names: MC_OK, MC_ENOENT. With MC_REMOVE_STALE a ready object is removed only if it is not
   persistent and no holder is alive, decided under the lock its openers and closers take
   (MC_EBUSY otherwise); initialising or dead ones are removed as they are. Holders keep
   what they have mapped. Windows: MC_ENOTSUP (an object lives until its last handle
   closes). */
MC_EXTERN int mc_remove(const char *name, unsigned flags);

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
MC_EXTERN int mc_proc_kill(mc_proc *p);  /* SIGKILL / TerminateProcess; MC_OK if already gone */
MC_EXTERN void mc_proc_free(mc_proc *p); /* frees the handle; does not wait or kill; NULL fine */
MC_EXTERN int mc_self_path(char *buf, size_t cap); /* this executable's path (UTF-8) */
/* Replaces main's arguments with UTF-8 ones where they are not (Windows: the C runtime's
   argv is in the ANSI code page and loses characters; the wide command line is read
   instead). Elsewhere a no-op. The new array lives until the process ends. Call it first
   thing in a program started with mc_proc_spawn that takes names or paths as arguments. */
MC_EXTERN int mc_args_utf8(int *argc, char ***argv);

#ifdef __cplusplus
}
#endif
#endif /* MEMCHAN_H */
