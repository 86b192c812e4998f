/* The three kinds of stage. Each opens what the supervisor created, does its part, and ends
 * its output the way its input ended: closed when all went well, aborted with a reason when
 * something upstream failed - so every stage learns what happened, and none waits for ever. */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#define STEP_MS 1000 /* a blocked call looks up every so often: is the other end there at all? */

/* After a call timed out: 1 if waiting on makes no sense - the other end (receivers when we
   send, senders when we receive) is not attached, and has not been for PL_OPEN_MS. A peer
   that comes and goes is reported by the channel itself (MC_EPEERDEAD); this is for the one
   that never came. */
static int nobody_there(mc_chan *ch, int sending, int *idle_ms) {
  mc_chan_ends e;
  if (mc_chan_get_ends(ch, &e) != MC_OK) return 1;
  if ((sending ? e.receivers : e.senders) > 0) {
    *idle_ms = 0;
    return 0;
  }
  *idle_ms += STEP_MS;
  return *idle_ms >= PL_OPEN_MS;
}

/* Sends one record, waiting as long as a receiver is attached. */
static int send_record(mc_chan *tx, const pl_record *r) {
  int idle_ms = 0, rc;
  while ((rc = mc_chan_send(tx, r, sizeof *r, STEP_MS)) == MC_ETIMEDOUT)
    if (nobody_there(tx, 1, &idle_ms)) return MC_EPEERDEAD;
  return rc;
}

/* Receives one record (copied out: what is checked is what is used), waiting as long as a
   sender is attached or may still come. */
static int recv_record(mc_chan *rx, pl_record *r, size_t *len) {
  int idle_ms = 0, rc;
  while ((rc = mc_chan_recv(rx, r, sizeof *r, len, STEP_MS)) == MC_ETIMEDOUT)
    if (nobody_there(rx, 0, &idle_ms)) return MC_EPEERDEAD;
  return rc;
}

static int open_or_say(const char *who, const char *name, int role, mc_chan **ch) {
  int rc = mc_chan_open(name, role, PL_OPEN_MS, ch);
  if (rc != MC_OK)
    fprintf(stderr, "%s: cannot open channel %s: %s (%s)\n", who, name, mc_strerror(rc),
            mc_err_name(rc));
  return rc;
}

int pl_producer(const pl_names *n, uint32_t id, uint64_t records) {
  char who[32];
  mc_chan *tx;
  mc_event *go;
  snprintf(who, sizeof who, "producer %u", (unsigned)id);
  if (open_or_say(who, n->a, MC_CHAN_SEND, &tx) != MC_OK) return PL_USAGE;
  /* Attached: now wait until every producer is (the supervisor says go). */
  int rc = mc_event_open(n->go, 1, 0, &go);
  if (rc == MC_OK) {
    rc = mc_event_wait(go, PL_OPEN_MS);
    mc_event_close(go);
  }
  if (rc != MC_OK) {
    fprintf(stderr, "%s: no go from the supervisor: %s\n", who, mc_strerror(rc));
    mc_chan_close(tx);
    return PL_USAGE;
  }
  for (uint64_t seq = 0; seq < records; seq++) {
    pl_record r = {.producer = id, .seq = seq, .value = pl_value(id, seq)};
    rc = send_record(tx, &r);
    if (rc == MC_EPEERDEAD) {
      fprintf(stderr, "%s: the transformer is gone; stopping after %llu records\n", who,
              (unsigned long long)seq);
      mc_chan_close(tx);
      return PL_PEER_ENDED;
    }
    if (rc != MC_OK) {
      fprintf(stderr, "%s: send: %s\n", who, mc_strerror(rc));
      mc_chan_abort(tx, rc);
      mc_chan_close(tx);
      return PL_ERROR;
    }
  }
  mc_chan_close(tx); /* our end of stream: "finished" */
  return PL_OK;
}

int pl_transformer(const pl_names *n) {
  mc_chan *rx, *tx;
  mc_shm *shm;
  pl_progress *pg = pl_progress_open(n->progress, &shm, 0);
  if (!pg) return PL_USAGE;
  if (open_or_say("transformer", n->a, MC_CHAN_RECV, &rx) != MC_OK) {
    mc_shm_close(shm);
    return PL_USAGE;
  }
  if (open_or_say("transformer", n->b, MC_CHAN_SEND, &tx) != MC_OK) {
    mc_chan_close(rx);
    mc_shm_close(shm);
    return PL_USAGE;
  }
  int status = PL_OK;
  for (;;) {
    pl_record r;
    size_t len;
    int rc = recv_record(rx, &r, &len);
    if (rc == MC_OK && len != sizeof r) {
      fprintf(stderr, "transformer: a record of %zu bytes\n", len);
      mc_chan_abort(tx, MC_ENOSPC);
      status = PL_BAD_DATA;
      break;
    }
    if (rc == MC_OK) {
      r.value = pl_transform(r.value);
      r.check = pl_check(&r);
      rc = send_record(tx, &r);
      if (rc != MC_OK) { /* the consumer is gone: closing our input tells the producers */
        fprintf(stderr, "transformer: the consumer is gone (%s)\n", mc_err_name(rc));
        status = rc == MC_EPEERDEAD ? PL_PEER_ENDED : PL_ERROR;
        break;
      }
      atomic_fetch_add_explicit(&pg->transformed, 1, memory_order_relaxed);
      continue;
    }
    if (rc == MC_ECLOSED) { /* every producer finished: so do we */
      mc_chan_close_send(tx);
      break;
    }
    /* Upstream failed: pass the failure on, with a reason, rather than a plain end. */
    mc_chan_ends e;
    int reason = rc;
    if (rc == MC_EABORTED && mc_chan_get_ends(rx, &e) == MC_OK) reason = e.abort_code;
    if (rc == MC_EPEERDEAD) reason = PL_UPSTREAM_DIED;
    fprintf(stderr, "transformer: input ended with %s; aborting the output (reason %d)\n",
            mc_err_name(rc), reason);
    mc_chan_abort(tx, reason);
    status = rc == MC_EPEERDEAD || rc == MC_EABORTED ? PL_PEER_ENDED : PL_ERROR;
    break;
  }
  mc_chan_close(tx);
  mc_chan_close(rx);
  mc_shm_close(shm);
  return status;
}

/* One record against what producer p must send next. */
static int record_ok(const pl_record *r, size_t len, uint32_t producers, const uint64_t *next) {
  return len == sizeof *r && r->producer < producers && r->seq == next[r->producer] &&
         r->value == pl_transform(pl_value(r->producer, r->seq)) && r->check == pl_check(r);
}

int pl_consumer(const pl_names *n, uint32_t producers, uint64_t records) {
  mc_chan *rx;
  mc_shm *shm;
  uint64_t next[PL_MAX_PRODUCERS] = {0}, total = 0;
  pl_progress *pg = pl_progress_open(n->progress, &shm, 0);
  if (!pg) return PL_USAGE;
  if (open_or_say("consumer", n->b, MC_CHAN_RECV, &rx) != MC_OK) {
    mc_shm_close(shm);
    return PL_USAGE;
  }
  int status, rc;
  for (;;) {
    pl_record r;
    size_t len;
    rc = recv_record(rx, &r, &len);
    if (rc != MC_OK) break;
    if (!record_ok(&r, len, producers, next)) {
      fprintf(stderr, "consumer: record %llu is wrong (producer %u, seq %llu)\n",
              (unsigned long long)total, (unsigned)r.producer, (unsigned long long)r.seq);
      status = PL_BAD_DATA;
      goto out;
    }
    next[r.producer]++;
    total++;
    atomic_store_explicit(&pg->consumed, total, memory_order_relaxed);
  }
  if (rc == MC_ECLOSED) {
    status = PL_OK;
    for (uint32_t p = 0; p < producers; p++)
      if (next[p] != records) {
        fprintf(stderr, "consumer: the stream closed with %llu of producer %u's %llu records\n",
                (unsigned long long)next[p], (unsigned)p, (unsigned long long)records);
        status = PL_BAD_DATA;
      }
  } else if (rc == MC_EABORTED || rc == MC_EPEERDEAD) {
    mc_chan_ends e;
    if (rc == MC_EABORTED && mc_chan_get_ends(rx, &e) == MC_OK)
      atomic_store(&pg->abort_code, e.abort_code);
    fprintf(stderr, "consumer: upstream %s after %llu records\n",
            rc == MC_EABORTED ? "failed" : "died", (unsigned long long)total);
    status = PL_PEER_ENDED;
  } else {
    fprintf(stderr, "consumer: receive: %s\n", mc_strerror(rc));
    status = PL_ERROR;
  }
  atomic_store(&pg->consumer_end, rc);
out:
  mc_chan_close(rx);
  mc_shm_close(shm);
  return status;
}
