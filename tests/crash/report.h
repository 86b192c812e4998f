/* The report block of a crash scenario: what every process of a run counts and finds, in a
 * block of its own (unprotected: atomics only), so that a driver can judge the run after the
 * processes are gone - the dead one included, up to its last completed step. */
#ifndef MC_TEST_CRASH_REPORT_H
#define MC_TEST_CRASH_REPORT_H

#include <stdint.h>

#include "internal.h"

#define REP_SENDERS   4096 /* sender ids: every sender of a storm has one of its own */
#define REP_INHERITED 4096 /* receivers that died while receiving */
#define PENDING_RECV  (1ull << 63)

/* Failure classes: what a survivor found wrong. */
enum {
  FAIL_NONE = 0,
  FAIL_HANG,     /* a call that should have gone on timed out (a wait past its deadline) */
  FAIL_LOSS,     /* a committed message never arrived */
  FAIL_DUP,      /* a message arrived twice */
  FAIL_ORDER,    /* a sender's messages arrived out of order */
  FAIL_INVENTED, /* a message that nobody committed, or with wrong contents */
  FAIL_ATTACH,   /* a new sender or receiver could not attach */
  FAIL_LOCK,     /* a lock's next taker got neither MC_OK nor MC_EOWNERDEAD in time */
  FAIL_ERROR,    /* any other unexpected result */
  FAIL_LEAK,     /* names left behind after everyone closed */
  FAIL_CLASSES
};

typedef struct report {
  _Atomic uint64_t stop;       /* set by the driver: finish what you do, then end */
  _Atomic uint64_t ready;      /* processes connected and running */
  _Atomic uint64_t fail;       /* the first failure: FAIL_* */
  _Atomic uint64_t line;       /* ... its source line */
  _Atomic uint64_t code;       /* ... the MC_E* code behind it, negated */
  _Atomic uint64_t ops;        /* operations survivors completed */
  _Atomic uint64_t ended;      /* how the last receiver's stream ended, negated MC_E* */
  _Atomic uint64_t aborted;    /* a tx_abort's mc_chan_abort returned */
  _Atomic uint64_t side_got;   /* rx_side: messages it received */
  _Atomic uint64_t dropped;    /* rx_side drop: its stats.dropped at the end */
  _Atomic uint64_t pending;    /* receiver: (sender id << 48 | seq) + 1 being consumed, or 0;
                                  PENDING_RECV in a copying receive (any sender's next) */
  _Atomic uint64_t ninherited; /* receivers that died while receiving */
  _Atomic uint64_t inherited[REP_INHERITED]; /* ... what each was taking (0 once explained) */
  _Atomic uint64_t next_id;                  /* sender ids handed out so far (the storm) */
  _Atomic uint64_t committed[REP_SENDERS];   /* per sender: commits that returned MC_OK */
  _Atomic uint64_t delivered[REP_SENDERS];   /* per sender: messages taken, in order */
  _Atomic uint64_t counts[FAIL_CLASSES];     /* failures of each class (the storm) */
  _Atomic uint64_t passes[MC__CP_COUNT];     /* a victim's crash-point passes, when it ends */
} report;

static const char *const fail_names[FAIL_CLASSES] = {
    "ok", "hang", "loss", "duplicate", "reorder", "invented", "attach", "lock", "error", "leak"};

/* Records the first failure (later ones are counted only). Returns 1. */
static inline int report_fail(report *r, int cls, int line, int code) {
  uint64_t none = FAIL_NONE;
  atomic_fetch_add(&r->counts[cls], 1);
  if (atomic_compare_exchange_strong(&r->fail, &none, (uint64_t)cls)) {
    atomic_store(&r->line, (uint64_t)line);
    atomic_store(&r->code, (uint64_t)(int64_t)-code);
  }
  return 1;
}
#define FAIL(rep, cls, code) report_fail((rep), (cls), __LINE__, (code))

/* Opens (creating) the report block `name`. NULL on failure. */
report *report_open(const char *name, mc_shm **shm);

#endif
