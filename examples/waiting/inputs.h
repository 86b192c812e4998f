/* examples/waiting: what the three programs share - producer processes that each stream
 * numbered records into a channel of their own, and the check that a merged stream holds
 * every record of every input, in each input's order. */
#ifndef MC_EXAMPLE_INPUTS_H
#define MC_EXAMPLE_INPUTS_H

#include <memchan.h>
#include <stdint.h>

#define IN_MAX 8

typedef struct in_record { /* what a producer sends */
  uint32_t input;
  uint32_t pad;
  uint64_t seq;
} in_record;

typedef struct inputs {
  int n;
  uint64_t count;        /* records per input */
  mc_chan *ch[IN_MAX];   /* our receiving ends */
  mc_proc *proc[IN_MAX]; /* the producers */
  uint64_t next[IN_MAX]; /* the next record expected from each */
  int open;              /* inputs whose stream has not ended */
  char names[IN_MAX][64];
} inputs;

/* When this process was started as a producer ("--produce NAME INPUT COUNT"): produces and
   returns its exit status; else -1. */
int in_produce_if_asked(int argc, char **argv);
/* Creates n channels named after prefix and this process, and starts a producer for each. */
int in_start(inputs *in, const char *prefix, int n, uint64_t count);
/* Takes every record input i has now (calls with timeout 0) and checks them; returns 1 when
   its stream has ended (all of it received), 0 while it goes on, -1 on a wrong record or an
   unexpected end. */
int in_drain(inputs *in, int i);
/* Waits for the producers, closes the channels; 0 if all went well. */
int in_finish(inputs *in);

#endif
