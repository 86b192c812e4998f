/* The channel suites' shared helper processes and checks (chan_procs.c). */
#ifndef MC_TEST_CHAN_PROCS_H
#define MC_TEST_CHAN_PROCS_H

#include "chan.h"
#include "harness.h"
#include "msgstream.h"

#define WAIT_MS         60000
#define MILLION         1000000
#define COUNTER_WAKEUPS    64 /* + sender id: the sender's stats.wakeups */
#define COUNTER_SEND_WAITS 80 /* + sender id: the sender's stats.send_waits */

/* A block of u64 counters the helpers report progress into (unprotected: atomics only). */
_Atomic uint64_t *open_counters(const char *name, mc_shm **shm);

/* Helper processes (their arguments are described in chan_procs.c). */
int helper_send_stream(int argc, char **argv);
int helper_recv_then_hold(int argc, char **argv);
int helper_wake_peer(int argc, char **argv);
int helper_create_after_waiter(int argc, char **argv);
int helper_scribble(int argc, char **argv);
#define CHAN_HELPERS                                                                               \
  {"send_stream", helper_send_stream}, {"recv_then_hold", helper_recv_then_hold},                  \
      {"wake_peer", helper_wake_peer}, {"create_after_waiter", helper_create_after_waiter}, {      \
    "scribble", helper_scribble                                                                    \
  }

/* Receives senders * each messages and checks every one: per-sender order, sizes, bytes. */
void recv_checked(mc_chan *ch, unsigned senders, uint64_t each, size_t min, size_t max,
                  int zero_copy);
/* Creates a channel named after tag (written to name) with this end. */
mc_chan *create_chan(const char *tag, int kind, uint32_t max_msg, uint64_t capacity, unsigned flags,
                     int role, char *name, size_t cap);
/* v in decimal, in buf. */
char *num(char *buf, uint64_t v);

#endif
