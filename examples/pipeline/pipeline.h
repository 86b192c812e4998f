/* examples/pipeline: N producers -> transformer -> consumer, each stage its own process, joined
 * by two memchan channels. What the stages share: the record, the names, the progress block
 * and the exit codes. docs/tutorial.md walks through it. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <memchan.h>

#include <stdatomic.h>
#include <stdint.h>

#define PL_MAX_PRODUCERS 32
#define PL_OPEN_MS       10000 /* how long a stage waits for the supervisor's channels */
#define PL_UPSTREAM_DIED 1     /* the transformer's abort code: its input ended by a death */

/* Exit codes of every stage (and of the supervisor for the run as a whole). */
enum {
  PL_OK = 0,         /* did its whole part */
  PL_USAGE = 1,      /* bad arguments or setup */
  PL_PEER_ENDED = 3, /* a neighbour died or failed: this stage stopped cleanly and said so */
  PL_BAD_DATA = 4,   /* a record failed its check */
  PL_ERROR = 5       /* an unexpected memchan error */
};

/* One record. The producer fills producer, seq and value; the transformer replaces value
   with pl_transform(value) and sets check; the consumer checks all of it. */
typedef struct pl_record {
  uint32_t producer;
  uint32_t check; /* pl_check of the other fields, set by the transformer */
  uint64_t seq;   /* 0, 1, 2, ... per producer */
  uint64_t value;
} pl_record;

/* The progress block "<prefix>-progress": counters the stages publish for the supervisor
   (atomics in an unprotected block: one writer each, readers never wait). */
typedef struct pl_progress {
  _Atomic uint64_t transformed; /* records the transformer passed on */
  _Atomic uint64_t consumed;    /* records the consumer took and checked */
  _Atomic int64_t consumer_end; /* the code that ended the consumer's stream (0 while running) */
  _Atomic int64_t abort_code;   /* the reason upstream gave, when it aborted */
} pl_progress;

/* The names of one run: "<prefix>-a" (producers -> transformer), "<prefix>-b" (transformer ->
   consumer), "<prefix>-progress", and "<prefix>-go" (a manual-reset event: every producer is
   attached, start sending). */
typedef struct pl_names {
  char a[MC_NAME_MAX + 1], b[MC_NAME_MAX + 1], progress[MC_NAME_MAX + 1], go[MC_NAME_MAX + 1];
} pl_names;
int pl_names_for(const char *prefix, pl_names *n);

static inline uint64_t pl_value(uint32_t producer, uint64_t seq) { /* splitmix64 */
  uint64_t x = ((uint64_t)producer << 40) ^ seq ^ 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static inline uint64_t pl_transform(uint64_t v) {
  return v * 3 + 1;
}
static inline uint32_t pl_check(const pl_record *r) {
  uint64_t x = r->seq * 0x100000001b3ull ^ r->value ^ ((uint64_t)r->producer << 32);
  return (uint32_t)(x ^ (x >> 32));
}

/* Opens the progress block (created by the supervisor). NULL on failure, with a message. */
pl_progress *pl_progress_open(const char *name, mc_shm **shm, int create);

/* The stages (stages.c); each returns its exit code. */
int pl_producer(const pl_names *n, uint32_t id, uint64_t records);
int pl_transformer(const pl_names *n);
int pl_consumer(const pl_names *n, uint32_t producers, uint64_t records);

#endif
