/* The processes of crash scenarios (the crash matrix, tests/test_crash.c, and the kill storm,
 * tests/test_storm.c): senders, receivers, and users of blocks and sync objects, each
 * checking what it sees and recording it in the run's report block (report.h). Each is a
 * harness helper: "NAME args...". */
#ifndef MC_TEST_CRASH_ROLES_H
#define MC_TEST_CRASH_ROLES_H

#include "harness.h"
#include "report.h"

#define ROLE_MIN_MSG 16 /* every message carries its sender and sequence number */
#define ROLE_MAX_MSG 64
#define ROLE_ABORT_CODE 7 /* the reason tx_abort gives */
#define ROLE_WAIT_MS 5000 /* how long any single call may take before it counts as a hang */

/* The channel a scenario of kind k (MC_CHAN_RING / MC_CHAN_SLOT) and flags uses: small (it
   wraps often), and waiters always sleep (spin_us = -1), so that every wait step is taken. */
mc_chan_options role_chan_options(int kind, unsigned flags);

/* CRASH is a point to die at ("point:pass"), "-" for none, or "+" for none in the victim of a
   trace run, which then reports the crash-point passes it made. */
/* tx NAME REP ID COUNT CRASH [KIND FLAGS]: sends messages 0..COUNT-1 of sender ID (COUNT 0:
   until the report says stop; copy and zero-copy in turn), creating the channel when KIND is given,
   recording each commit; when the receiver is gone it waits for a new one until the report says
   stop. */
int role_tx(int argc, char **argv);
/* tx_abort NAME REP ID COUNT CRASH: as tx, then ends the stream with
   mc_chan_abort(ROLE_ABORT_CODE) instead of closing. */
int role_tx_abort(int argc, char **argv);
/* rx NAME REP LIMIT CRASH [KIND FLAGS]: receives (peek/consume and recv in turn), checking
   every message against the report (per-sender order, no loss, no duplicate, contents),
   until it has LIMIT messages (0: until the stream ends after the report says stop). */
int role_rx(int argc, char **argv);
/* rx_side NAME REP LIMIT CRASH MODE: a receiver beside the checked one, for fan-out channels:
   checks each message's contents and that each sender's come in order (gaps allowed), but
   records only its count (side_got). MODE plain: receives LIMIT messages (0: until the stream
   ends after the report says stop), then closes. MODE drop: reads nothing until the report
   says stop, then drains the stream and records its stats.dropped. */
int role_rx_side(int argc, char **argv);
/* mk NAME REP TIMES CRASH: creates the channel (as receiver) and closes it, TIMES times. */
int role_mk(int argc, char **argv);
/* blk NAME REP TIMES CRASH [file]: opens a resizable block (kept in role_block_file's file
   with "file"), writes, resizes, reads and closes it, TIMES times. */
int role_blk(int argc, char **argv);
/* The file of block NAME's file-backed scenarios. */
void role_block_file(const char *name, char *buf, size_t cap);
/* blk_peer NAME REP [file]: the same without end, until the report says stop. */
int role_blk_peer(int argc, char **argv);
/* sync NAME REP TIMES CRASH: mutex, guard (both ways), semaphore and event, TIMES rounds. */
int role_sync(int argc, char **argv);
/* sync_peer NAME REP: the same, plus waiting on the event while the other sets it, until
   the report says stop. */
int role_sync_peer(int argc, char **argv);
/* die NAME WHAT CRASH: opens object WHAT (create/write: a block; file_write: a file-backed
   block; mutex, guard, sender) and uses it until it dies at CRASH, leaving it held or
   half-made. */
int role_die(int argc, char **argv);

/* Checks the report after a channel run: every sender's delivered count is its committed
   count, or one more (a message whose commit the sender did not live to see return). */
void role_check_delivery(report *r);

#define ROLE_HELPERS                                                                               \
  {"tx", role_tx}, {"tx_abort", role_tx_abort}, {"rx", role_rx}, {"rx_side", role_rx_side},      \
      {"mk", role_mk}, {"blk", role_blk},                                                          \
      {"blk_peer", role_blk_peer}, {"sync", role_sync}, {"sync_peer", role_sync_peer}, {           \
    "die", role_die                                                                                \
  }

#endif
