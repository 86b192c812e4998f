/* memchan-bench: the types shared by its parts.
 *
 * A run is a list of cases (one measurement each: a pattern, a transport and its variant,
 * a message size, a CPU placement). The runner (run.c) starts the peer processes a case
 * needs by re-executing this program with --peer, the patterns (patterns.c) drive the
 * transports (tr_*.c, floors.c) through the mb_transport table, and output.c / report.c
 * turn the results into the table, CSV and JSON. */
#ifndef MB_BENCH_H
#define MB_BENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"

enum { MB_PINGPONG, MB_STREAM, MB_STRESS, MB_FANOUT, MB_SHARE, MB_NPATTERNS };
enum { MB_CPUS_DIFFERENT, MB_CPUS_SAME, MB_CPUS_NONE, MB_NCPUS };
/* memchan waiting. poll and timed sleep at once (spin_us -1), like block, and are compared
   with it: poll receives with timeout 0 and sleeps in poll(2) on the end's OS handle; timed
   makes every call with a timeout (in a loop), as block makes it with MC_INFINITE. Both run
   on the plain ring, ping-pong and stream only (MB_MODE_EVLOOP). */
enum { MB_MODE_SPIN, MB_MODE_BLOCK, MB_MODE_HYBRID, MB_MODE_POLL, MB_MODE_TIMED, MB_NMODES };
#define MB_MODE_EVLOOP(mode) ((mode) == MB_MODE_POLL || (mode) == MB_MODE_TIMED)
enum { MB_PATH_COPY, MB_PATH_ZC, MB_NPATHS }; /* memchan API path */
/* memchan channel: the plain ring, the slot, and the ring's fan-out flavours (BROADCAST,
   BROADCAST | DROP_OLDEST, MULTI_RECV). */
enum { MB_KIND_RING, MB_KIND_SLOT, MB_KIND_BCAST, MB_KIND_BCAST_DROP, MB_KIND_SHARE, MB_NKINDS };

/* The fan-out patterns: one sender (the parent), c->receivers receiving peers. */
#define MB_IS_FAN(pattern) ((pattern) == MB_FANOUT || (pattern) == MB_SHARE)
#define MB_MAX_RECEIVERS   16 /* memchan's limit for a fan-out ring */

#define MB_BIT(x) (1u << (x))

typedef struct mb_transport mb_transport;

/* One measurement. */
typedef struct mb_case {
  int pattern;
  const mb_transport *tr;
  int kind, mode, path; /* memchan variant; 0 for the others */
  int cpus;
  size_t size;        /* message bytes */
  uint64_t count;     /* measured messages (round trips for ping-pong; per sender: stress) */
  uint64_t warmup;    /* messages before measuring (per sender: stress) */
  int senders;        /* stress: sender processes */
  int gap_us;         /* stress: pause between a sender's messages */
  uint64_t budget_ns; /* stream, fan-out: stop measuring after this long (0: after count) */
  int receivers;      /* fan-out: receiver processes */
  int work_ns;        /* share: CPU work per message after receiving it */
} mb_case;

/* What a fan-out receiver measured, written by it before it exits, read by the parent after
   it exited. Times from the monotonic clock, which the processes share. */
typedef struct mb_rx_result {
  uint64_t received;          /* messages, warm-up included, end markers not */
  uint64_t measured;          /* of those, sent after the warm-up */
  uint64_t first_ns, last_ns; /* when the first and last measured message were handled */
  uint64_t gaps;              /* fanout: sequence numbers skipped (dropped messages) */
  uint64_t dropped;           /* fanout: the channel's stats.dropped */
  uint64_t seq_sum;           /* share: sum of the measured sequence numbers */
  uint64_t cpu_ns, wall_ns;   /* CPU time and wall time of the receiving loop */
} mb_rx_result;

/* Shared by a case's processes (a memchan block made by the runner). */
typedef struct mb_ctl {
  _Atomic uint32_t stop; /* stream: the receiver has measured enough; senders end now */
  /* Fan-out: 1 + the first sequence number measured, stored by the sender before it sends
     that message (0 until then), so a receiver that has it sees the store. */
  _Atomic uint64_t measure_from;
  _Atomic uint64_t work_steps; /* share: steps of work per message, stored the same way */
  mb_rx_result rx[MB_MAX_RECEIVERS];
  uint64_t sent, sender_cpu_ns, sender_wall_ns; /* fan-out: the parent's own, for itself */
} mb_ctl;
#define MB_CTL_BYTES 4096 /* the block holding it (aligned to 64 inside) */

/* Header of the message that ends a stream early (after mb_ctl.stop). */
#define MB_END_OF_STREAM UINT64_MAX

/* A transport endpoint; each transport defines its own struct mb_ep. */
typedef struct mb_ep mb_ep;

#define MB_ARG_MAX 512 /* what a parent hands its peers to find the transport */

/* A transport is declared with designated initialisers, naming only what it has: the
   callbacks marked "may be NULL" below can be left out. */
struct mb_transport {
  const char *name;  /* as given to --transports */
  const char *about; /* one line for --help */
  int baseline;      /* 1: a baseline (compared against), 0: memchan or a floor */
  int floor;         /* 1: a floor: carries no payload, only the handoff (unless carries) */
  int carries;       /* a floor that carries each message, planned per size (floor-ring) */
  unsigned patterns; /* MB_BIT(pattern) for each pattern it can run */
  /* NULL if the case can run, else why not (written into why). May be NULL: every case runs. */
  const char *(*skip)(const mb_case *c, char *why, size_t cap);
  /* Parent: create the transport and its own endpoint; arg receives what peers need. */
  int (*create)(const mb_case *c, mb_ep **out, char *arg, size_t cap);
  /* Parent, after its peers started: drop what only they need. May be NULL. */
  void (*spawned)(mb_ep *ep);
  /* Peer number `index`: open its endpoint from arg. */
  int (*open)(const mb_case *c, const char *arg, int index, mb_ep **out);
  /* Sends len bytes produced from src (the parent sends down, peers send up). */
  int (*send)(mb_ep *ep, const unsigned char *src, size_t len);
  /* Receives the next message; *msg stays valid until done(). */
  int (*recv)(mb_ep *ep, const unsigned char **msg, size_t *len);
  int (*done)(mb_ep *ep); /* may be NULL */
  void (*close)(mb_ep *ep);
  /* Messages this receiving endpoint lost for being slow (a drop-oldest channel). May be
     NULL: none. */
  uint64_t (*dropped)(mb_ep *ep);
  /* A floor measured in this process alone (no peer): after a warm-up, times up to c->count
     messages (fewer when c->budget_ns runs out; *count says how many), folding what it
     reads into *sink. NULL for the others. */
  int (*local)(const mb_case *c, uint64_t *elapsed_ns, uint64_t *count, uint64_t *sink);
};

/* Every transport compiled in, in table order; NULL-terminated. */
extern const mb_transport *const mb_transports[];
const mb_transport *mb_transport_find(const char *name);
/* Transports that this build leaves out, and why (for the "skipped" list); NULL-terminated
   pairs {name, reason}. */
extern const char *const mb_not_built[][2];

/* The error of the last failed call in this process (set by mb_fail). */
#if defined(__MINGW32__) /* C99 formats (%zu, %llu) through mingw's own stdio */
#define MB_PRINTF __attribute__((format(__MINGW_PRINTF_FORMAT, 1, 2)))
#elif defined(__GNUC__)
#define MB_PRINTF __attribute__((format(printf, 1, 2)))
#else
#define MB_PRINTF
#endif
int mb_fail(const char *fmt, ...) MB_PRINTF;
const char *mb_last_error(void);

/* ---- results ---- */
enum { MB_OK, MB_SKIPPED, MB_FAILED };

typedef struct mb_result {
  mb_case c;
  int status;
  char note[240];                  /* why skipped or failed; remarks */
  mb_summary lat;                  /* ping-pong round trips / stress handoffs, ns */
  uint64_t messages;               /* measured messages (all senders) */
  uint64_t elapsed_ns;             /* wall time of the measured part */
  double msgs_per_s, gbytes_per_s; /* fanout: of the slowest receiver; share: of them all */
  uint64_t dropped;                /* fanout: messages the receivers lost, all together */
  /* Filled by mb_compare (output.c): the floor and the fastest baseline of the same
     pattern, placement and size, and the ratios against them (0: none). */
  const char *floor_name, *best_name;
  double floor_ratio, best_ratio;
} mb_result;

/* Runs one case (spawning its peers) into r. Returns r->status. */
int mb_run_case(const mb_case *c, mb_result *r);
/* The peer's side of a case: argv after "--peer". Returns the process exit code. */
int mb_peer_main(int argc, char **argv);

/* Patterns (patterns.c): the parent's and a peer's part of a case over an open endpoint. */
int mb_pattern_parent(const mb_case *c, mb_ep *ep, mb_ctl *ctl, mb_result *r);
int mb_pattern_peer(const mb_case *c, mb_ep *ep, mb_ctl *ctl, int index);
/* The fan-out patterns (fanout.c): the sender's part, a receiver's, and the results the
   receivers left in ctl, read once they have all exited. */
int mb_fan_send(const mb_case *c, mb_ep *ep, mb_ctl *ctl);
int mb_fan_recv(const mb_case *c, mb_ep *ep, mb_ctl *ctl, int index);
int mb_fan_collect(const mb_case *c, const mb_ctl *ctl, mb_result *r);
/* What the patterns share: a source buffer of a message's size (NULL: out of memory); one
   message sent with the 8-byte header `stamp`; one received and consumed (*stamp: its
   header). 0 or -1. */
unsigned char *mb_source(size_t size);
int mb_send_stamped(const mb_case *c, mb_ep *ep, unsigned char *src, uint64_t stamp);
int mb_recv_consume(const mb_case *c, mb_ep *ep, uint64_t *stamp);

/* Names and labels. */
extern const char *const mb_pattern_names[MB_NPATTERNS];
extern const char *const mb_cpus_names[MB_NCPUS];
extern const char *const mb_mode_names[MB_NMODES];
extern const char *const mb_path_names[MB_NPATHS];
extern const char *const mb_kind_names[MB_NKINDS];
int mb_name_index(const char *const *names, int n, const char *s); /* -1 if none */
/* "ring hybrid copy" for memchan, "" for others. */
void mb_variant_label(const mb_case *c, char *buf, size_t cap);

/* The ring size of a stream case of `size`-byte messages, the same for memchan's ring and
   the floor-ring: four messages at least (two records must fit, and a little slack keeps
   the sender from waiting on every message of a large size), never below the library's
   default of 1 MiB. */
uint64_t mb_ring_bytes(size_t size);

/* The fair rule for consuming data: read one 64-bit word from every 64-byte line of the
   message (and its last word), so every line really moves to the receiver. */
uint64_t mb_touch(const unsigned char *msg, size_t len);

#endif
