/* memchan-bridge: carries one channel's stream over nng to a channel on another host
 * (docs/bridge.md). Shared declarations of the bridge's parts: the options, the wire format
 * (wire.c), the durable state blocks beside the channels (state.c), and the two directions
 * (out.c: channel -> nng, in.c: nng -> channel). */
#ifndef MEMCHAN_BRIDGE_H
#define MEMCHAN_BRIDGE_H

#include <memchan.h>
#include <nng/nng.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (the usage text lists them). */
enum {
  MB_EXIT_OK = 0,      /* the stream ended and the far side has all of it */
  MB_EXIT_FAIL = 1,    /* a channel, state or nng call failed (the message says which) */
  MB_EXIT_USAGE = 2,   /* bad command line */
  MB_EXIT_PEERDEAD = 3 /* in: the stream ended with its producer's death, passed on as a
                          death of this sender (the far receiver sees MC_EPEERDEAD) */
};

typedef struct mb_opts {
  const char *channel, *url, *state; /* state: the state block's name (default CHANNEL.bridge-...) */
  const char *state_dir; /* the state block in a file there (default: POSIX none, a persistent
                            memory block; Windows %LOCALAPPDATA%\memchan\bridge) */
  uint32_t window;    /* out: messages in flight, unacknowledged, at most */
  uint32_t max_msg;   /* in: a channel it creates (0: the library default) */
  uint64_t capacity;  /* in: a channel it creates (0: the library default) */
  int open_ms;        /* how long to wait for the channel to exist */
  int stats_s;        /* a stats line on stderr every this many seconds (0: at the end only) */
  int linger_ms;      /* in: after the end, how long to wait for the far side to leave */
  int quiet;          /* no stats line at the end */
  /* Tests only (MEMCHAN_BRIDGE_DIE=WHERE:SEQ): die (SIGKILL) at a step of message SEQ. */
  int die_where;
  uint64_t die_seq;
} mb_opts;
enum { MB_DIE_NONE = 0, MB_DIE_OUT_COPIED, MB_DIE_IN_PENDING, MB_DIE_IN_COMMITTED };
/* Dies there if the options say so (a step between two writes that must survive it). */
void mb_die_point(const mb_opts *o, int where, uint64_t seq);

int mb_out(const mb_opts *o); /* returns an MB_EXIT_* status */
int mb_in(const mb_opts *o);

/* ---- wire.c: the bridge's messages on the nng pair0 connection ----
   Each message starts with a 16-byte header, little-endian: u32 "MCB1" type word (magic in
   the low 24 bits, type in the high 8), u32 aux, u64 seq. */
enum {
  MB_DATA = 1,    /* out -> in: message `seq` of the stream; the payload follows */
  MB_HELLO = 2,   /* out -> in, first on each connection: aux = max_msg, seq = first
                     unacknowledged; body u64 stream id, u64 next seq to be appended */
  MB_WELCOME = 3, /* in -> out: seq = the next message it needs (every earlier one is in its
                     channel); body u64 stream id. Also sent again when a message is missing */
  MB_ACK = 4,     /* in -> out: seq = the next message it needs (cumulative) */
  MB_END = 5,     /* out -> in: the stream ended after seq messages; aux = how (MB_END_*);
                     body i32 abort code */
  MB_ENDACK = 6   /* in -> out: the end is in the channel, seq as in MB_END */
};
enum { MB_END_CLOSED = 0, MB_END_ABORTED = 1, MB_END_PEERDEAD = 2 };
#define MB_HDR 16

typedef struct mb_hdr {
  int type;
  uint32_t aux;
  uint64_t seq;
} mb_hdr;

void mb_put32(unsigned char *p, uint32_t v);
void mb_put64(unsigned char *p, uint64_t v);
uint32_t mb_get32(const unsigned char *p);
uint64_t mb_get64(const unsigned char *p);
/* A new message: the header and room for `body` bytes after it (at nng_msg_body + MB_HDR).
   0 or nng's error. */
int mb_msg_new(nng_msg **out, int type, uint32_t aux, uint64_t seq, size_t body);
/* The header of a received message: 0, or -1 for one that is not the bridge's (too short,
   bad magic, unknown type): it is dropped and counted. */
int mb_msg_parse(nng_msg *m, mb_hdr *h);

/* The socket of either side: pair0, with reconnection times and a receive size limit, and
   pipe events counted into *epoch (added) and *pipes (attached now). */
#define MB_LINK_PIPES 8 /* pair0 has one; a few more may be in their first steps */
typedef struct mb_link {
  nng_socket s;
  _Atomic uint32_t ids[MB_LINK_PIPES]; /* the pipes added and not yet removed */
  atomic_uint epoch;
  atomic_int pipes;
  atomic_uint drops;    /* connections lost */
  atomic_uint replaced; /* listener: connections dropped for a newer one */
} mb_link;
int mb_link_open(mb_link *l, size_t recv_max, int listen, const char *url);
void mb_link_close(mb_link *l);
/* Drops every connection (the dialer then dials again): for a peer that went silent. */
void mb_link_drop(mb_link *l);
/* Sends m (freed in every case); 0, or nng's error. flags: 0 waits up to the send timeout. */
int mb_link_send(mb_link *l, nng_msg *m, int flags);

/* ---- state.c: what survives a bridge's death, in a persistent memchan block ---- */
#define MB_STATE_MAGIC_OUT 0x54554f4742434d00ull /* "\0MCBGOUT" */
#define MB_STATE_MAGIC_IN  0x004e494742434d00ull /* "\0MCBGIN\0" */

/* The out side's window: message copies in slots, seq % window, kept until acknowledged. */
typedef struct mb_out_hdr {
  uint64_t magic;
  uint32_t version, window;
  uint32_t max_msg, slot_bytes;
  uint64_t stream;          /* this stream's id, random, made with the block */
  uint64_t chan_id;         /* the source channel's identity (creator pid and time) */
  _Atomic uint64_t next;    /* messages appended; slot (next - 1) % window is the newest */
  _Atomic uint64_t acked;   /* messages the far side has in its channel */
  uint64_t reserved[2];
} mb_out_hdr; /* 64 bytes; the slots follow */

typedef struct mb_slot {
  uint64_t seq;
  uint64_t pos; /* the message's position in the source channel (its record's stamp - 1) */
  uint32_t len, pad;
  uint64_t pad2;
  /* the message's bytes follow */
} mb_slot;      /* 32 bytes */

/* The in side's delivery record: which message was last put into the channel, and the one
   being put there now, so that a bridge killed during a commit can tell afterwards whether
   the commit happened (docs/bridge.md, "Delivery"). */
typedef struct mb_in_hdr {
  uint64_t magic;
  uint32_t version, pad;
  uint64_t stream;             /* the stream it follows (0: none yet) */
  uint64_t chan_id;            /* the channel it delivers into */
  _Atomic uint64_t next;       /* messages delivered: every seq below is in the channel */
  _Atomic uint64_t pend_seq;   /* seq + 1 of the message being committed */
  _Atomic uint64_t pend_head;  /* the channel's head (bytes committed) before that commit */
  _Atomic uint64_t ended;      /* 1 + how (MB_END_*) once the end is in the channel */
  int32_t end_code, pad2;
  uint64_t reserved;
} mb_in_hdr; /* 80 bytes */

typedef struct mb_state {
  mc_shm *shm;
  void *data;
  int created;    /* the block was new */
  char path[512]; /* its file ("" for a memory block) */
} mb_state;
/* The state block's name: opt or CHANNEL.bridge-SUFFIX (MC_EINVAL if too long). */
int mb_state_name(char *buf, size_t cap, const char *opt, const char *channel, const char *suffix);
/* Opens (creates when absent) the persistent block of `size` bytes: in the file DIR/NAME.mcblk
   when dir is given, else a memory block that outlives its processes (POSIX only: Windows
   removes a section with its last handle, so there the block is always a file, by default in
   %LOCALAPPDATA%\memchan\bridge). MC_EMISMATCH for a block of another size: another window
   or message size than the one it was made for. */
int mb_state_open(mb_state *st, const char *name, uint64_t size, const char *dir);
void mb_state_close(mb_state *st, int drop); /* drop: remove its name, or its file */
/* How a user removes the block to start afresh: "memchan rm NAME" or "delete the file PATH"
   (after mb_state_open, whether or not it succeeded). */
const char *mb_state_remedy(const mb_state *st, const char *name, char *buf, size_t cap);
/* The identity of a channel: its creator's pid and creation time, from mc_inspect. */
int mb_chan_identity(const char *name, mc_obj_info *info, uint64_t *id);
uint64_t mb_random64(void);

/* ---- main.c ---- */
uint64_t mb_now_ms(void);
void mb_log(const char *side, const char *fmt, ...)
#if defined(__MINGW32__) /* the C99 printf of mingw-w64's stdio (__USE_MINGW_ANSI_STDIO) */
    __attribute__((format(__MINGW_PRINTF_FORMAT, 2, 3)))
#elif defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
