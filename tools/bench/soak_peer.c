/* The soak's processes (see soak.h): a sender or the receiver of one lane's channel, started
 * by the driver as "memchan-bench --soak-peer tx|rx ..." and killed by it at random moments.
 *
 * Both take the copying and the zero-copy API at random, message by message. Every call has
 * a deadline; one that returns well past it counts as a hang. A peer records what it finds
 * in the report block and goes on; it ends by itself only when told to (stop, drain), when
 * the driver is gone, or on an error its channel handle keeps returning (exit code 3: the
 * failure is in the report). */
#define MB_SOAK_FILE 1 /* failures recorded here say so */
#include "soak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sys.h"

typedef struct peer {
  mc_shm *shm;
  mb_soak_rep *rep;
  mc_chan *ch;
  size_t max;
  uint64_t x; /* random state: which API, how much to reserve */
} peer;

static uint64_t ms_since(uint64_t t0) {
  return (mb_now_ns() - t0) / 1000000u;
}

static int coin(peer *p) { /* a 64-bit LCG's top bit */
  p->x = p->x * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
  return (int)(p->x >> 63);
}

static int stopping(const peer *p) {
  return atomic_load_explicit(&p->rep->stop, memory_order_relaxed) != 0;
}

/* The driver has not been seen for a long time: it died, and nobody will stop us. */
static int orphaned(const peer *p) {
  uint64_t beat = atomic_load_explicit(&p->rep->beat, memory_order_relaxed), now = mb_now_ns();
  return now > beat && now - beat > (uint64_t)MB_SOAK_ORPHAN_MS * 1000000u;
}

/* A call that came back long after its deadline. */
static void check_deadline(peer *p, uint64_t t0, int timeout_ms, int rc, uint64_t id,
                           uint64_t seq) {
  uint64_t took = ms_since(t0);
  if (took > (uint64_t)timeout_ms + MB_SOAK_SLACK_MS)
    MB_SOAK_FAIL(p->rep, MB_SF_HANG, 1, rc, id, seq, took);
}

/* ---- the sender ---- */

/* Sends message (id, seq): by mc_chan_send, or by reserve (its size, or the largest) and
   commit. MC_OK; another code once told to stop, or on an error (recorded). */
static int send_one(peer *p, uint32_t id, uint64_t seq, unsigned char *buf) {
  size_t n = mb_soak_size(id, seq, p->max);
  int zc = coin(p), waited = 0;
  uint64_t t0 = mb_now_ns();
  if (!zc) mb_soak_fill(buf, id, seq, n);
  for (;;) {
    uint64_t t1 = mb_now_ns();
    int rc;
    if (zc) {
      void *w;
      rc = mc_chan_reserve(p->ch, coin(p) ? p->max : n, &w, MB_SOAK_CALL_MS);
      if (rc == MC_OK) {
        mb_soak_fill(w, id, seq, n); /* produced in place */
        rc = mc_chan_commit(p->ch, n);
        if (rc != MC_OK) return MB_SOAK_FAIL(p->rep, MB_SF_ERROR, 1, rc, id, seq, 1), rc;
      }
    } else {
      rc = mc_chan_send(p->ch, buf, n, MB_SOAK_CALL_MS);
    }
    check_deadline(p, t1, MB_SOAK_CALL_MS, rc, id, seq);
    if (rc == MC_OK) return MC_OK;
    if (stopping(p) || orphaned(p)) return rc;
    if (rc == MC_EPEERDEAD) {
      /* The receiver is gone and the ring full: the driver starts the next one at once. */
      if (!waited && ms_since(t0) > MB_SOAK_CALL_MS)
        waited = 1, MB_SOAK_FAIL(p->rep, MB_SF_HANG, 1, rc, id, seq, 2);
      mb_yield();
      continue;
    }
    if (rc == MC_ETIMEDOUT) { /* a live receiver took nothing for MB_SOAK_CALL_MS */
      MB_SOAK_FAIL(p->rep, MB_SF_HANG, 1, rc, id, seq, 3);
      continue;
    }
    MB_SOAK_FAIL(p->rep, MB_SF_ERROR, 1, rc, id, seq, 4);
    return rc;
  }
}

static int tx_main(peer *p, uint32_t id) {
  mb_soak_slot *slot = &p->rep->slots[id % MB_SOAK_IDS];
  if (atomic_load(&slot->owner) != (uint64_t)id + 1)
    return MB_SOAK_FAIL(p->rep, MB_SF_ERROR, 1, 0, id, 0, 5), 3; /* not the driver's sender */
  unsigned char *buf = malloc(p->max);
  if (!buf) return MB_SOAK_FAIL(p->rep, MB_SF_ERROR, 1, MC_ENOMEM, id, 0, 6), 3;
  int code = 0;
  for (uint64_t seq = 0; !stopping(p); seq++) {
    if ((seq & 4095) == 4095 && orphaned(p)) break;
    if (send_one(p, id, seq, buf) != MC_OK) {
      code = stopping(p) || orphaned(p) ? 0 : 3;
      break;
    }
    /* Relaxed: a receiver that sees the message's stamp (acquire) sees this store too,
       since the next commit's stamp is stored with release after it. The driver reads it
       only once this process is gone. */
    atomic_store_explicit(&slot->committed, seq + 1, memory_order_relaxed);
  }
  free(buf);
  return code;
}

/* ---- the receiver ---- */

/* What the previous receiver was taking when it died (soak.h): that message is maybe lost.
   Done before this receiver takes anything; doing it twice changes nothing. */
static void inherit(peer *p) {
  mb_soak_rep *rep = p->rep;
  uint64_t kind = atomic_load_explicit(&rep->pend_kind, memory_order_acquire), seq = 0;
  uint32_t id = 0;
  int known = 0;
  if (kind == MB_PEND_ZC) {
    id = (uint32_t)atomic_load(&rep->pend_id);
    seq = atomic_load(&rep->pend_seq);
    known = 1;
  } else if (kind == MB_PEND_COPY) {
    /* A whole message in rxbuf was copied there before it was consumed (or not consumed at
       all); a partial one fails the check and was not consumed. */
    known = mb_soak_check_buf(rep->rxbuf, p->max, &id, &seq) == 0;
  }
  if (known) {
    mb_soak_slot *s = &rep->slots[id % MB_SOAK_IDS];
    uint64_t w = atomic_load(&s->rx), next = mb_rx_next(w);
    if (atomic_load(&s->owner) != (uint64_t)id + 1) {
      /* not a live sender's message: nothing to explain */
    } else if (seq == next) {
      atomic_store(&s->rx, w | MB_RX_MAYBE);
    } else if (seq == next + 1 && (w & MB_RX_MAYBE)) {
      /* It had taken the maybe-lost message's successor: that one is lost for sure (it
         would have come first), and this one is maybe lost. */
      atomic_store(&s->rx, mb_rx_word(next + 1, mb_rx_lost(w) + 1, 1));
    }
  }
  atomic_store(&rep->pend_kind, MB_PEND_NONE);
}

/* Decides what message (id, seq) means for its sender's state w: 1 with the new state in
 *nw if it is accounted, 0 (the failure recorded) if it is dropped. */
static int judge(peer *p, mb_soak_slot *s, uint32_t id, uint64_t seq, uint64_t w, uint64_t *nw) {
  mb_soak_rep *rep = p->rep;
  uint64_t next = mb_rx_next(w), lost = mb_rx_lost(w);
  int maybe = (w & MB_RX_MAYBE) != 0;
  if (seq == next) {
    *nw = mb_rx_word(next + 1, lost, 0); /* a maybe-lost message that came after all */
    return 1;
  }
  if (seq == next + 1 && maybe) {
    *nw = mb_rx_word(next + 2, lost + 1, 0); /* message `next` died with a receiver */
    return 1;
  }
  if (seq < next) {
    MB_SOAK_FAIL(rep, seq + 1 == next ? MB_SF_DUP : MB_SF_ORDER, 1, 0, id, seq, next);
    return 0;
  }
  uint64_t committed = atomic_load_explicit(&s->committed, memory_order_relaxed);
  if (seq > committed + 1) { /* even an unrecorded commit is at most one ahead */
    MB_SOAK_FAIL(rep, MB_SF_INVENTED, 1, 0, id, seq, committed);
    return 0;
  }
  /* Messages next .. seq-1 never came (but for a maybe-lost one): count them, go on. */
  uint64_t k = seq - next - (uint64_t)maybe;
  MB_SOAK_FAIL(rep, MB_SF_LOSS, k, 0, id, next, seq);
  atomic_fetch_add(&rep->skipped, k);
  *nw = mb_rx_word(seq + 1, lost + (uint64_t)maybe, 0);
  return 1;
}

/* Checks and accounts one message, consuming it if it was peeked. 0, or -1 when the
   channel fails. */
static int take(peer *p, const unsigned char *m, size_t n, int zc) {
  mb_soak_rep *rep = p->rep;
  mb_soak_slot *s = NULL;
  uint32_t id = 0;
  uint64_t seq = 0, nw = 0;
  int accept = 0;
  if (mb_soak_check(m, n, p->max, &id, &seq) != 0) {
    MB_SOAK_FAIL(rep, MB_SF_INVENTED, 1, 0, 0, 0, n); /* wrong size or contents */
  } else {
    s = &rep->slots[id % MB_SOAK_IDS];
    uint64_t owner = atomic_load_explicit(&s->owner, memory_order_acquire);
    uint64_t who = (owner & ~MB_OWNER_SETTLED) - 1;
    if (owner == 0 || who < id) { /* no such sender yet */
      MB_SOAK_FAIL(rep, MB_SF_INVENTED, 1, 0, id, seq, owner);
    } else if (who > id || (owner & MB_OWNER_SETTLED)) {
      /* Its sender's stream was settled: it came after a later sender's messages. */
      MB_SOAK_FAIL(rep, MB_SF_ORDER, 1, 0, id, seq, owner);
    } else {
      accept = judge(p, s, id, seq, atomic_load_explicit(&s->rx, memory_order_relaxed), &nw);
    }
  }
  if (zc) {
    if (accept) { /* said before it happens: a receiver that dies now explains one loss */
      atomic_store_explicit(&rep->pend_id, id, memory_order_relaxed);
      atomic_store_explicit(&rep->pend_seq, seq, memory_order_relaxed);
      atomic_store_explicit(&rep->pend_kind, MB_PEND_ZC, memory_order_release);
    }
    int rc = mc_chan_consume(p->ch);
    if (rc != MC_OK) return MB_SOAK_FAIL(rep, MB_SF_ERROR, 1, rc, id, seq, 7), -1;
  }
  if (accept) {
    atomic_store_explicit(&s->rx, nw, memory_order_relaxed);
    /* One receiver at a time writes these; max_seen with release after the rx words, for
       the driver's settling (acquire). */
    atomic_store_explicit(&rep->ops, atomic_load_explicit(&rep->ops, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (atomic_load_explicit(&rep->max_seen, memory_order_relaxed) < (uint64_t)id + 1)
      atomic_store_explicit(&rep->max_seen, (uint64_t)id + 1, memory_order_release);
  }
  atomic_store_explicit(&rep->pend_kind, MB_PEND_NONE, memory_order_release);
  return 0;
}

/* A message over max_msg that recv refuses (it stays queued): take it off by peek/consume. */
static int drop_oversized(peer *p) {
  const void *m;
  size_t n;
  MB_SOAK_FAIL(p->rep, MB_SF_INVENTED, 1, MC_ENOSPC, 0, 0, 8);
  int rc = mc_chan_peek(p->ch, &m, &n, 0);
  if (rc == MC_OK) rc = mc_chan_consume(p->ch);
  return rc == MC_OK ? 0 : (MB_SOAK_FAIL(p->rep, MB_SF_ERROR, 1, rc, 0, 0, 9), -1);
}

static int rx_main(peer *p) {
  mb_soak_rep *rep = p->rep;
  inherit(p);
  for (uint64_t k = 1;; k++) {
    const void *m = NULL;
    size_t n = 0;
    int zc = coin(p), e;
    uint64_t t0 = mb_now_ns();
    if (zc) {
      e = mc_chan_peek(p->ch, &m, &n, MB_SOAK_RECV_MS);
    } else {
      /* Into the report's buffer, so that what a receiver killed in here took is known. */
      atomic_store_explicit(&rep->pend_kind, MB_PEND_COPY, memory_order_release);
      memset(rep->rxbuf, 0xff, MB_SOAK_MIN_MSG); /* no header: a short copy leaves none */
      e = mc_chan_recv(p->ch, rep->rxbuf, p->max, &n, MB_SOAK_RECV_MS);
      m = rep->rxbuf;
    }
    check_deadline(p, t0, MB_SOAK_RECV_MS, e, 0, 0);
    if (e == MC_OK) {
      if (take(p, m, n, zc) != 0) return 3;
      if ((k & 4095) == 0 && orphaned(p)) return 0;
      continue;
    }
    atomic_store_explicit(&rep->pend_kind, MB_PEND_NONE, memory_order_release);
    if (orphaned(p)) return 0;
    if (e == MC_ECLOSED || e == MC_EPEERDEAD) {
      /* No sender is open now (one may be starting): the end only once the driver says
         every sender is gone. */
      if (atomic_load(&rep->drain)) return 0;
      mb_yield();
    } else if (e == MC_ENOSPC) {
      if (drop_oversized(p) != 0) return 3;
    } else if (e != MC_ETIMEDOUT) {
      MB_SOAK_FAIL(rep, MB_SF_ERROR, 1, e, 0, 0, 10);
      return 3;
    }
  }
}

/* argv: tx CHANNEL REPORT MAX ID | rx CHANNEL REPORT MAX */
int mb_soak_peer_main(int argc, char **argv) {
  int tx = argc == 5 && strcmp(argv[0], "tx") == 0;
  if (!tx && !(argc == 4 && strcmp(argv[0], "rx") == 0)) {
    fprintf(stderr, "memchan-bench --soak-peer: expected tx CHANNEL REPORT MAX ID or rx "
                    "CHANNEL REPORT MAX\n");
    return 2;
  }
  peer p;
  memset(&p, 0, sizeof p);
  p.max = (size_t)strtoul(argv[3], NULL, 10);
  uint32_t id = tx ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
  if (p.max < MB_SOAK_MIN_MSG || p.max > MB_SOAK_MAX_MSG) return 2;
  mb_ignore_interrupt(); /* only the driver ends us */
  p.rep = mb_soak_rep_open(argv[2], 0, &p.shm);
  if (!p.rep) return 1;
  p.x = mb_now_ns() ^ ((uint64_t)mb_pid() << 32);
  int code, rc = mc_chan_open(argv[1], tx ? MC_CHAN_SEND : MC_CHAN_RECV, MB_SOAK_CALL_MS, &p.ch);
  if (rc != MC_OK) {
    MB_SOAK_FAIL(p.rep, MB_SF_ERROR, 1, rc, id, 0, 11); /* a new end could not attach */
    code = 3;
  } else {
    code = tx ? tx_main(&p, id) : rx_main(&p);
  }
  mc_chan_close(p.ch);
  mc_shm_close(p.shm);
  return code;
}
