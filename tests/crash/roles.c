/* The processes of crash scenarios: see roles.h. Each role arms its crash point (if any)
 * once connected, does its work with every call bounded by ROLE_WAIT_MS, records what it
 * finds in the report, and - when it lives to the end - the crash-point passes it made. */
#include "roles.h"

#include "chan.h"
#include "msgstream.h"

#include <stdlib.h>
#include <string.h>

report *report_open(const char *name, mc_shm **shm) {
  void *data;
  mc_shm_options o = {.size = sizeof(report), .flags = MC_SHM_UNPROTECTED};
  if (mc_shm_open(name, &o, shm) != MC_OK) return NULL;
  if (mc_shm_acquire(*shm, MC_WRITE, 0, &data) != MC_OK) return NULL;
  return data;
}

mc_chan_options role_chan_options(int kind, unsigned flags) {
  mc_chan_options o = {
      .kind = kind, .max_msg = ROLE_MAX_MSG, .flags = flags, .spin_us = -1, .capacity = 1024};
  return o;
}

/* A role's common start: the report, and the crash point armed. */
typedef struct role {
  mc_shm *shm;
  report *rep;
  int traced;                  /* the victim of a trace run: reports its passes */
  uint64_t base[MC__CP_COUNT]; /* passes before the role began (opening the report) */
} role;

/* crash: a point to die at, "-" (none) or "+" (none, but report the passes: the victim of a
   trace run). */
static int role_begin(role *r, const char *rep_name, const char *crash) {
  r->rep = report_open(rep_name, &r->shm);
  if (!r->rep) return 0;
  for (int i = 0; i < MC__CP_COUNT; i++) r->base[i] = mc__crash_passes(i);
  r->traced = strcmp(crash, "+") == 0;
  return r->traced || th_crash_arm(crash) == MC_OK; /* counts passes from now on */
}

/* The end of a role that lived: the passes the trace's victim made. */
static int role_end(role *r, int rc) {
  if (rc == 0 && r->traced)
    for (int i = 0; i < MC__CP_COUNT; i++)
      atomic_fetch_add(&r->rep->passes[i], mc__crash_passes(i) - r->base[i]);
  mc_shm_close(r->shm);
  return rc;
}

static int stopping(const role *r) {
  return atomic_load(&r->rep->stop) != 0;
}

/* ---- channels ------------------------------------------------------------------------------ */

static int open_chan(role *r, int argc, char **argv, int at, int chan_role, mc_chan **ch) {
  int rc;
  if (argc > at + 1) {
    mc_chan_options o = role_chan_options(atoi(argv[at]), (unsigned)atoi(argv[at + 1]));
    rc = mc_chan_create(argv[0], &o, chan_role, ch);
  } else {
    rc = mc_chan_open(argv[0], chan_role, ROLE_WAIT_MS, ch);
  }
  if (rc != MC_OK) FAIL(r->rep, FAIL_ATTACH, rc);
  return rc;
}

/* Sends message (id, seq); MC_OK, or another code once the report says stop. */
static int send_one(role *r, mc_chan *ch, uint32_t id, uint64_t seq, unsigned char *buf,
                    int timeout_ms) {
  size_t n = ms_make(id, seq, ROLE_MIN_MSG, ROLE_MAX_MSG, buf);
  uint64_t t0 = mc__plat_now_ns();
  for (;;) {
    int rc;
    if (seq & 1) { /* zero-copy */
      void *w;
      rc = mc_chan_reserve(ch, ROLE_MAX_MSG, &w, timeout_ms);
      if (rc == MC_OK) {
        memcpy(w, buf, n);
        rc = mc_chan_commit(ch, n);
      }
    } else {
      rc = mc_chan_send(ch, buf, n, timeout_ms);
    }
    if (rc == MC_OK || (rc == MC_ETIMEDOUT && timeout_ms == 0)) return rc;
    if (rc == MC_EPEERDEAD) { /* the receiver is gone: wait for the next one */
      if (stopping(r)) return rc;
      if (th_ms_since(t0) > 4 * ROLE_WAIT_MS) return FAIL(r->rep, FAIL_ATTACH, rc), rc;
      mc__plat_yield();
      continue;
    }
    FAIL(r->rep, rc == MC_ETIMEDOUT ? FAIL_HANG : FAIL_ERROR, rc);
    return rc;
  }
}

/* A sender: sends its count (0: until the report says stop; "fill": without waiting, until the
   ring is full - its last try waits for room and gives up at once), then closes - or,
   abort = 1, ends the stream with mc_chan_abort(ROLE_ABORT_CODE). */
static int transmit(int argc, char **argv, int abort) {
  if (argc < 5) return 2;
  role r;
  mc_chan *ch;
  unsigned char buf[ROLE_MAX_MSG];
  uint32_t id = (uint32_t)atoi(argv[2]);
  int fill = strcmp(argv[3], "fill") == 0;
  uint64_t count = fill ? UINT64_MAX : strtoull(argv[3], NULL, 10);
  if (!role_begin(&r, argv[1], argv[4]) || id >= REP_SENDERS) return 2;
  if (open_chan(&r, argc, argv, 5, MC_CHAN_SEND, &ch) != MC_OK) return role_end(&r, 1);
  atomic_fetch_add(&r.rep->ready, 1);
  int rc = 0;
  for (uint64_t seq = 0; (count == 0 || seq < count) && rc == 0; seq++) {
    if (count == 0 && stopping(&r)) break;
    int sent = send_one(&r, ch, id, seq, buf, fill ? 0 : ROLE_WAIT_MS);
    if (sent == MC_ETIMEDOUT && fill) break; /* full */
    if (sent != MC_OK) {
      rc = stopping(&r) ? 0 : 1;
      break;
    }
    atomic_store(&r.rep->committed[id], seq + 1);
  }
  if (abort && rc == 0) {
    if (mc_chan_abort(ch, ROLE_ABORT_CODE) != MC_OK) rc = 1;
    atomic_store(&r.rep->aborted, 1);
  }
  mc_chan_close(ch);
  return role_end(&r, rc);
}

int role_tx(int argc, char **argv) {
  return transmit(argc, argv, 0);
}

int role_tx_abort(int argc, char **argv) {
  return transmit(argc, argv, 1);
}

/* A message that a receiver took and died before it could say so: the one it said it was
   taking (peek, then consume: its id and seq), or in a copying receive any sender's next.
   Each such death explains one missing message, once. */
static int explained(report *rep, uint32_t id, uint64_t seq) {
  uint64_t tag = (((uint64_t)id << 48) | seq) + 1, n = atomic_load(&rep->ninherited);
  if (n > REP_INHERITED) n = REP_INHERITED;
  for (int pass = 0; pass < 2; pass++)
    for (uint64_t i = 0; i < n; i++) {
      uint64_t want = pass ? PENDING_RECV : tag, v = want;
      if (atomic_load(&rep->inherited[i]) == want &&
          atomic_compare_exchange_strong(&rep->inherited[i], &v, 0))
        return 1;
    }
  return 0;
}

/* A new receiver: what the previous one was taking when it died, if it died receiving. */
static void inherit(report *rep) {
  uint64_t p = atomic_exchange(&rep->pending, 0);
  if (!p) return;
  uint64_t i = atomic_fetch_add(&rep->ninherited, 1);
  if (i < REP_INHERITED) atomic_store(&rep->inherited[i], p);
}

/* A message that is no sender's: what it looked like, and where the stream stood, for the
   one who has to find out why. */
static int invented(report *rep, const mc_chan *ch, const unsigned char *msg, size_t n,
                    int zero_copy, int line) {
  uint32_t id = ms_sender(msg, n);
  uint64_t seq = 0;
  if (n >= 8) memcpy(&seq, msg, sizeof seq);
  fprintf(stderr, "invented message (%s): %zu bytes, id %u seq %llu", zero_copy ? "peek" : "recv",
          n, id, (unsigned long long)seq);
  if (id < REP_SENDERS)
    fprintf(stderr, " (its size would be %zu; sender committed %llu, delivered %llu)",
            ms_size(id, seq, ROLE_MIN_MSG, ROLE_MAX_MSG),
            (unsigned long long)atomic_load(&rep->committed[id]),
            (unsigned long long)atomic_load(&rep->delivered[id]));
  fprintf(stderr, "; ring tail %llu, shared head %llu tail %llu; bytes:",
          (unsigned long long)ch->tail, (unsigned long long)atomic_load(&ch->ctl->head),
          (unsigned long long)atomic_load(&ch->ctl->tail));
  for (size_t i = 0; i < n && i < ROLE_MAX_MSG; i++) fprintf(stderr, " %02x", msg[i]);
  fputc('\n', stderr);
  return report_fail(rep, FAIL_INVENTED, line, 0);
}

/* Checks message (id, seq) against what earlier receivers took; MC_OK or a failure. */
static int check_message(role *r, const mc_chan *ch, const unsigned char *msg, size_t n,
                         int zero_copy, unsigned char *scratch, uint32_t *id_out,
                         uint64_t *seq_out) {
  report *rep = r->rep;
  uint32_t id = ms_sender(msg, n);
  uint64_t seq;
  if (n < ROLE_MIN_MSG || id >= REP_SENDERS)
    return invented(rep, ch, msg, n, zero_copy, __LINE__);
  memcpy(&seq, msg, sizeof seq);
  if (!ms_check(id, seq, ROLE_MIN_MSG, ROLE_MAX_MSG, msg, n, scratch))
    return invented(rep, ch, msg, n, zero_copy, __LINE__);
  uint64_t expect = atomic_load(&rep->delivered[id]);
  /* Receivers that died after consuming `expect` (and the next ones: two killed in a row may
     each have taken one of this sender's) but before recording it. */
  while (seq > expect && explained(rep, id, expect)) expect++;
  if (seq + 1 == expect) return FAIL(rep, FAIL_DUP, 0);
  if (seq < expect) return FAIL(rep, FAIL_ORDER, 0);
  if (seq > expect) {
    /* What the next one to look needs: which message is missing, and the channel's state. */
    const mc__chan_ctl *c = ch->ctl;
    fprintf(stderr,
            "gap (%s): sender %u message %llu arrived, %llu expected, %llu committed; pending "
            "%llx, inherited %llu; slot state %u len %u writing %u; abandoned %llu, senders "
            "closed %llu died %llu\n",
            zero_copy ? "peek" : "recv", id, (unsigned long long)seq, (unsigned long long)expect,
            (unsigned long long)atomic_load(&rep->committed[id]),
            (unsigned long long)atomic_load(&rep->pending),
            (unsigned long long)atomic_load(&rep->ninherited),
            (unsigned)atomic_load(&c->slot_state.value), (unsigned)atomic_load(&c->slot_len),
            (unsigned)atomic_load(&c->slot_writing), (unsigned long long)atomic_load(&c->abandoned),
            (unsigned long long)atomic_load(&c->senders_closed),
            (unsigned long long)atomic_load(&c->senders_died));
    return FAIL(rep, seq > atomic_load(&rep->committed[id]) + 1 ? FAIL_INVENTED : FAIL_LOSS, 0);
  }
  *id_out = id;
  *seq_out = seq;
  return 0;
}

int role_rx(int argc, char **argv) {
  if (argc < 4) return 2;
  role r;
  mc_chan *ch;
  unsigned char buf[ROLE_MAX_MSG], scratch[ROLE_MAX_MSG];
  uint64_t limit = strtoull(argv[2], NULL, 10), got = 0;
  if (!role_begin(&r, argv[1], argv[3])) return 2;
  if (open_chan(&r, argc, argv, 4, MC_CHAN_RECV, &ch) != MC_OK) return role_end(&r, 1);
  report *rep = r.rep;
  inherit(rep); /* one receiver at a time: a predecessor, if any, is gone */
  atomic_fetch_add(&r.rep->ready, 1);
  uint64_t idle_since = mc__plat_now_ns();
  int rc = 0;
  for (;;) {
    const void *m;
    size_t n;
    int zero_copy = got & 1;
    if (!zero_copy) atomic_store(&rep->pending, PENDING_RECV); /* it consumes as it returns */
    int e = zero_copy ? mc_chan_peek(ch, &m, &n, 200) : mc_chan_recv(ch, buf, sizeof buf, &n, 200);
    if (e == MC_ENOSPC) {
      rc = FAIL(rep, FAIL_INVENTED, e);
      break;
    }
    if (e == MC_OK) {
      const unsigned char *msg = zero_copy ? m : buf;
      uint32_t id = 0;
      uint64_t seq = 0;
      if (check_message(&r, ch, msg, n, zero_copy, scratch, &id, &seq)) {
        rc = 1;
        break;
      }
      if (zero_copy) {
        /* Said before it happens: a receiver that dies in between is not taken for a loss. */
        atomic_store(&rep->pending, (((uint64_t)id << 48) | seq) + 1);
        e = mc_chan_consume(ch);
        if (e != MC_OK) {
          rc = FAIL(rep, FAIL_ERROR, e);
          break;
        }
      }
      atomic_store(&rep->delivered[id], seq + 1);
      atomic_store(&rep->pending, 0);
      atomic_fetch_add(&rep->ops, 1);
      idle_since = mc__plat_now_ns();
      if (limit && ++got == limit) break;
      continue;
    }
    if (e == MC_ECLOSED || e == MC_EPEERDEAD || e == MC_EABORTED || e == MC_ETIMEDOUT) {
      /* The stream ended (for now: a new sender may come) or is idle. Once the driver says
         stop, every sender has finished: the end must come within a call's time. */
      if (stopping(&r) && e != MC_ETIMEDOUT) {
        atomic_store(&rep->ended, (uint64_t)(int64_t)-e);
        break;
      }
      if (th_ms_since(idle_since) > 4 * ROLE_WAIT_MS) {
        rc = FAIL(rep, FAIL_HANG, e);
        break;
      }
      if (e != MC_ETIMEDOUT) mc__plat_yield();
      continue;
    }
    rc = FAIL(rep, FAIL_ERROR, e);
    break;
  }
  mc_chan_close(ch);
  return role_end(&r, rc);
}

int role_rx_side(int argc, char **argv) {
  if (argc < 5) return 2;
  role r;
  mc_chan *ch;
  unsigned char buf[ROLE_MAX_MSG], scratch[ROLE_MAX_MSG];
  uint64_t limit = strtoull(argv[2], NULL, 10), got = 0, *next = calloc(REP_SENDERS, 8);
  int drop = strcmp(argv[4], "drop") == 0, rc = 0;
  if (!next || !role_begin(&r, argv[1], argv[3])) return 2;
  if (open_chan(&r, argc, argv, 5, MC_CHAN_RECV, &ch) != MC_OK) return role_end(&r, 1);
  atomic_fetch_add(&r.rep->ready, 1);
  uint64_t t0 = mc__plat_now_ns();
  while (drop && !stopping(&r)) { /* the slow one: the senders must not wait for it */
    if (th_ms_since(t0) > 8 * ROLE_WAIT_MS) {
      rc = FAIL(r.rep, FAIL_HANG, 0);
      break;
    }
    mc__plat_yield();
  }
  uint64_t idle_since = mc__plat_now_ns();
  while (rc == 0 && (limit == 0 || got < limit)) {
    size_t n;
    int e = mc_chan_recv(ch, buf, sizeof buf, &n, 200);
    if (e == MC_ECLOSED || e == MC_EPEERDEAD || e == MC_ETIMEDOUT) {
      /* The end, once the driver says stop; before that (a storm), senders come and go. */
      if (stopping(&r) && e != MC_ETIMEDOUT) break;
      if (th_ms_since(idle_since) > 4 * ROLE_WAIT_MS) {
        rc = FAIL(r.rep, FAIL_HANG, e);
        break;
      }
      if (e != MC_ETIMEDOUT) mc__plat_yield();
      continue;
    }
    if (e != MC_OK) {
      rc = FAIL(r.rep, FAIL_ERROR, e);
      break;
    }
    idle_since = mc__plat_now_ns();
    uint32_t id = ms_sender(buf, n);
    uint64_t seq = 0;
    if (n >= 8) memcpy(&seq, buf, sizeof seq);
    if (id >= REP_SENDERS || !ms_check(id, seq, ROLE_MIN_MSG, ROLE_MAX_MSG, buf, n, scratch)) {
      rc = invented(r.rep, ch, buf, n, 0, __LINE__);
      break;
    }
    if (seq < next[id]) {
      rc = FAIL(r.rep, FAIL_ORDER, 0);
      break;
    }
    next[id] = seq + 1;
    atomic_store(&r.rep->side_got, ++got);
  }
  mc_chan_stats st;
  mc_chan_get_stats(ch, &st);
  atomic_store(&r.rep->dropped, st.dropped);
  mc_chan_close(ch);
  free(next);
  return role_end(&r, rc);
}

int role_mk(int argc, char **argv) {
  if (argc < 4) return 2;
  role r;
  int times = atoi(argv[2]), rc = 0;
  if (!role_begin(&r, argv[1], argv[3])) return 2;
  mc_chan_options o = role_chan_options(MC_CHAN_RING, 0);
  for (int i = 0; i < times && rc == 0; i++) {
    mc_chan *ch;
    int e = mc_chan_create(argv[0], &o, MC_CHAN_RECV, &ch);
    if (e != MC_OK) {
      rc = FAIL(r.rep, FAIL_ATTACH, e);
      break;
    }
    atomic_fetch_add(&r.rep->ready, 1);
    mc_chan_close(ch);
  }
  return role_end(&r, rc);
}

void role_check_delivery(report *r) {
  inherit(r); /* the last receiver may have died receiving too */
  for (int id = 0; id < REP_SENDERS; id++) {
    uint64_t c = atomic_load(&r->committed[id]), d = atomic_load(&r->delivered[id]);
    if (d < c && !(d + 1 == c && explained(r, (uint32_t)id, d))) {
      fprintf(stderr, "sender %d: %llu committed, %llu delivered\n", id, (unsigned long long)c,
              (unsigned long long)d);
      FAIL(r, FAIL_LOSS, 0);
    }
    if (d > c + 1) FAIL(r, FAIL_INVENTED, 0);
  }
}

/* ---- blocks ---------------------------------------------------------------------------------- */

/* A lock's next taker gets it, or learns its holder died, within its timeout. */
static int locked_ok(role *r, int rc) {
  if (rc == MC_OK || rc == MC_EOWNERDEAD) return 1;
  FAIL(r->rep, FAIL_LOCK, rc);
  return 0;
}

void role_block_file(const char *name, char *buf, size_t cap) {
  th_temp_file(buf, cap, name);
}

/* One round over the block (kept in `file` unless NULL): open, write, resize, read, close.
   0 or 1 (failure recorded). */
static int block_round(role *r, const char *name, uint64_t i, const char *file) {
  mc_shm *shm;
  void *data;
  uint64_t v;
  mc_shm_options o = {
      .size = 4096, .max_size = 65536, .timeout_ms = ROLE_WAIT_MS, .path = file};
  int rc = mc_shm_open(name, &o, &shm);
  if (rc == MC_EMISMATCH) return 0; /* a peer's handle saw another size meanwhile: fine */
  if (rc != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  if (!locked_ok(r, mc_shm_acquire(shm, MC_WRITE, ROLE_WAIT_MS, &data))) goto fail;
  if (mc_shm_set_u64(shm, 0, i) != MC_OK) goto error;
  rc = mc_shm_resize(shm, (i & 1) ? 8192 : 4096);
  if (rc != MC_OK) goto error;
  mc_shm_release(shm);
  if (!locked_ok(r, mc_shm_acquire(shm, MC_READ, ROLE_WAIT_MS, &data))) goto fail;
  if (mc_shm_get_u64(shm, 0, &v) != MC_OK) goto error;
  mc_shm_release(shm);
  mc_shm_close(shm);
  atomic_fetch_add(&r->rep->ops, 1);
  return 0;
error:
  FAIL(r->rep, FAIL_ERROR, rc);
fail:
  mc_shm_close(shm);
  return 1;
}

/* The block's file when the role's argument `arg` says "file", else NULL. */
static const char *file_arg(int argc, char **argv, int arg, char *buf, size_t cap) {
  if (argc <= arg || strcmp(argv[arg], "file") != 0) return NULL;
  role_block_file(argv[0], buf, cap);
  return buf;
}

int role_blk(int argc, char **argv) {
  if (argc < 4) return 2;
  role r;
  char path[512];
  const char *file = file_arg(argc, argv, 4, path, sizeof path);
  int times = atoi(argv[2]), rc = 0;
  if (!role_begin(&r, argv[1], argv[3])) return 2;
  for (int i = 0; i < times && rc == 0; i++) {
    rc = block_round(&r, argv[0], (uint64_t)i, file);
    atomic_fetch_add(&r.rep->ready, 1);
  }
  return role_end(&r, rc);
}

int role_blk_peer(int argc, char **argv) {
  if (argc < 2) return 2;
  role r;
  char path[512];
  const char *file = file_arg(argc, argv, 2, path, sizeof path);
  int rc = 0;
  if (!role_begin(&r, argv[1], "-")) return 2;
  atomic_fetch_add(&r.rep->ready, 1);
  for (uint64_t i = 0; !stopping(&r) && rc == 0; i++) rc = block_round(&r, argv[0], i, file);
  mc_shm_close(r.shm);
  return rc;
}

/* ---- sync objects ------------------------------------------------------------------------------
 */

typedef struct syncs {
  mc_mutex *mx;
  mc_swmr *g;
  mc_sem *sem;
  mc_event *ev, *ev2; /* the peer waits on ev and sets ev2; the victim the other way */
} syncs;

static int open_syncs(role *r, const char *name, syncs *s) {
  char n[MC_NAME_MAX + 1];
  int rc;
  memset(s, 0, sizeof *s);
  snprintf(n, sizeof n, "%s-m", name);
  if ((rc = mc_mutex_open(n, &s->mx)) != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  snprintf(n, sizeof n, "%s-g", name);
  if ((rc = mc_swmr_open(n, &s->g)) != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  snprintf(n, sizeof n, "%s-s", name);
  if ((rc = mc_sem_open(n, 0, 1000000, &s->sem)) != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  snprintf(n, sizeof n, "%s-e", name);
  if ((rc = mc_event_open(n, 0, 0, &s->ev)) != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  snprintf(n, sizeof n, "%s-f", name);
  if ((rc = mc_event_open(n, 0, 0, &s->ev2)) != MC_OK) return FAIL(r->rep, FAIL_ATTACH, rc);
  return 0;
}

static void close_syncs(syncs *s) {
  mc_mutex_close(s->mx);
  mc_swmr_close(s->g);
  mc_sem_close(s->sem);
  mc_event_close(s->ev);
  mc_event_close(s->ev2);
}

/* A result that may be MC_ETIMEDOUT by design (a semaphore unit or an event's release taken
   by the other process): anything else but MC_OK is a failure. */
static int maybe(role *r, int rc) {
  if (rc == MC_OK || rc == MC_ETIMEDOUT) return 0;
  return FAIL(r->rep, FAIL_ERROR, rc);
}

/* The victim's round. The peer, each round, reads under the guard while it sets ev2 and
   waits on ev. The victim waits on ev2 (registered, then released), then: in even rounds it
   asks for the guard for writing at once - behind the peer's reader, so it waits as a writer
   until the peer sees it queued and lets go; in odd rounds it first sets ev while the
   peer waits on it (releasing a registered waiter). Then the mutex, reading, the semaphore. */
static int sync_round(role *r, syncs *s, int round) {
  if (mc_event_reset(s->ev2) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (maybe(r, mc_event_wait(s->ev2, 20))) return 1;
  if (round & 1) {
    /* Where it can be seen, give the peer the moment to register on ev. */
    for (int i = 0; i < 2000 && mc__event_waiters(s->ev) == 0; i++) mc__plat_yield();
    if (mc_event_set(s->ev) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  }
  if (!locked_ok(r, mc_swmr_lock_write(s->g, ROLE_WAIT_MS))) return 1;
  if (mc_swmr_unlock(s->g) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (!(round & 1) && mc_event_set(s->ev) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (!locked_ok(r, mc_mutex_lock(s->mx, ROLE_WAIT_MS))) return 1;
  if (mc_mutex_unlock(s->mx) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (!locked_ok(r, mc_swmr_lock_read(s->g, ROLE_WAIT_MS))) return 1;
  if (mc_swmr_unlock(s->g) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (mc_sem_post(s->sem, 1) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (maybe(r, mc_sem_wait(s->sem, 0))) return 1;
  atomic_fetch_add(&r->rep->ops, 1);
  return 0;
}

/* The peer's round: the mutex; reading under the guard while it sets ev2 and waits - for ev,
   which the victim sets as soon as ev2 wakes it in an odd round, or for the victim to queue
   as a writer in an even one. */
static int peer_round(role *r, syncs *s) {
  if (!locked_ok(r, mc_mutex_lock(s->mx, ROLE_WAIT_MS))) return 1;
  if (mc_mutex_unlock(s->mx) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (!locked_ok(r, mc_swmr_lock_read(s->g, ROLE_WAIT_MS))) return 1;
  if (mc_event_set(s->ev2) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  /* Held until the victim asks for writing (an even round: it queues as a waiting writer,
     swmr.writer.waiting, however late it wakes) or sets ev (an odd one); a dead victim
     does neither, and the wait ends after half a second. */
  int rc = MC_ETIMEDOUT;
  for (int i = 0; i < 100 && rc == MC_ETIMEDOUT && mc__swmr_writers_waiting(s->g) == 0; i++)
    rc = mc_event_wait(s->ev, 5);
  rc = maybe(r, rc);
  if (mc_swmr_unlock(s->g) != MC_OK) return FAIL(r->rep, FAIL_ERROR, 0);
  if (rc == 0) atomic_fetch_add(&r->rep->ops, 1);
  return rc;
}

int role_sync(int argc, char **argv) {
  if (argc < 4) return 2;
  role r;
  syncs s;
  int times = atoi(argv[2]), rc;
  if (!role_begin(&r, argv[1], argv[3])) return 2;
  rc = open_syncs(&r, argv[0], &s);
  for (int i = 0; i < times && rc == 0; i++) {
    rc = sync_round(&r, &s, i);
    atomic_fetch_add(&r.rep->ready, 1);
  }
  close_syncs(&s);
  return role_end(&r, rc);
}

int role_sync_peer(int argc, char **argv) {
  if (argc < 2) return 2;
  role r;
  syncs s;
  if (!role_begin(&r, argv[1], "-")) return 2;
  int rc = open_syncs(&r, argv[0], &s);
  atomic_fetch_add(&r.rep->ready, 1);
  while (rc == 0 && !stopping(&r)) rc = peer_round(&r, &s);
  close_syncs(&s);
  mc_shm_close(r.shm);
  return rc;
}

/* ---- dying holders -------------------------------------------------------------------------- */

int role_die(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *what = argv[1];
  char n[MC_NAME_MAX + 1];
  HELPER_OK(th_crash_arm(argv[2]));
  if (strcmp(what, "create") == 0 || strcmp(what, "write") == 0 ||
      strcmp(what, "file_write") == 0) {
    mc_shm *shm;
    void *data;
    char path[512];
    mc_shm_options o = {.size = 4096, .max_size = 65536, .timeout_ms = ROLE_WAIT_MS};
    if (strcmp(what, "file_write") == 0) {
      role_block_file(argv[0], path, sizeof path);
      o.path = path;
    }
    HELPER_OK(mc_shm_open(argv[0], &o, &shm));
    HELPER_OK(mc_shm_acquire(shm, MC_WRITE, ROLE_WAIT_MS, &data));
  } else if (strcmp(what, "mutex") == 0) {
    mc_mutex *mx;
    snprintf(n, sizeof n, "%s-m", argv[0]);
    HELPER_OK(mc_mutex_open(n, &mx));
    HELPER_OK(mc_mutex_lock(mx, ROLE_WAIT_MS));
  } else if (strcmp(what, "guard") == 0) {
    mc_swmr *g;
    snprintf(n, sizeof n, "%s-g", argv[0]);
    HELPER_OK(mc_swmr_open(n, &g));
    HELPER_OK(mc_swmr_lock_write(g, ROLE_WAIT_MS));
  } else if (strcmp(what, "sender") == 0) {
    mc_chan *ch;
    void *w;
    HELPER_OK(mc_chan_open(argv[0], MC_CHAN_SEND, ROLE_WAIT_MS, &ch));
    HELPER_OK(mc_chan_reserve(ch, ROLE_MAX_MSG, &w, ROLE_WAIT_MS));
  } else {
    return 2;
  }
  return 3; /* alive: the crash point was not passed */
}
