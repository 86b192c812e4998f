/* `memchan-bridge in URL CHANNEL`: listens at URL and sends what arrives into CHANNEL.
 *
 * Each message carries its sequence number; the one the stream needs next is put into the
 * channel (reserve, copy, commit) and every other is dropped (a repeat) or answered with a
 * welcome naming the one needed (a gap, after a lost connection). The state block records
 * how many messages are in the channel (`next`), and, around each commit, which message is
 * being committed and the channel's head before it. A bridge killed during a commit leaves
 * `pend_seq` = next + 1; the next one compares the channel's head (mc_inspect, after its
 * own open has found the true head) with `pend_head`: moved, the commit happened. As the
 * only sender it knows the head after each of its commits (a record's size and the padding
 * at the ring's end, docs/layout.md), and it checks that knowledge against every buffer
 * the channel hands out. */
#include "bridge.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct in_ctx {
  const mb_opts *o;
  mc_chan *ch;
  mb_state st;
  mb_in_hdr *r;
  mb_link link;
  uint64_t next;           /* messages in the channel */
  uint64_t head, capacity; /* the channel's head as we keep it, and its ring size */
  size_t recv_max;         /* the largest message we take from nng */
  unsigned char *base;     /* where the ring starts in our mapping, from the first reserve */
  nng_pipe pipe;           /* the connection that said hello */
  int welcomed_pipe;
  uint64_t nacked;         /* the seq we last asked for again (UINT64_MAX: none) */
  unsigned ack_pending, drops_seen;
  uint64_t ended_ms;       /* the end is in the channel: since when (for the linger) */
  /* stats */
  uint64_t delivered, bytes, dups, gaps, stale, junk, last_stats;
} in_ctx;

#define ACK_EVERY 32

static void stats(in_ctx *c, const char *when) {
  mb_log("in", "%s: %" PRIu64 " messages (%" PRIu64 " bytes) into %s, %" PRIu64
         " in the stream, %" PRIu64 " repeats and %" PRIu64 " stale dropped, %" PRIu64
         " gaps asked again, %u connections lost (%u replaced by a newer one)",
         when, c->delivered, c->bytes, c->o->channel, c->next, c->dups, c->stale, c->gaps,
         atomic_load(&c->link.drops), atomic_load(&c->link.replaced));
}

static int reply(in_ctx *c, int type, uint32_t aux, uint64_t seq, uint64_t stream) {
  nng_msg *m;
  if (mb_msg_new(&m, type, aux, seq, type == MB_WELCOME ? 8 : 0) != 0) return -1;
  if (type == MB_WELCOME) mb_put64((unsigned char *)nng_msg_body(m) + MB_HDR, stream);
  nng_msg_set_pipe(m, c->pipe);
  /* Never wait to answer: the out side may itself be waiting to send to us. An answer that
     finds no room is made again (acknowledgements are cumulative). */
  int rv = mb_link_send(&c->link, m, NNG_FLAG_NONBLOCK);
  if (type == MB_ACK && rv == 0) c->ack_pending = 0;
  return 0;
}

/* Opens the channel (making it when absent), checks it, and settles a commit that a bridge
   before us was killed in. */
static int open_channel(in_ctx *c) {
  const mb_opts *o = c->o;
  int rc = mc_chan_open(o->channel, MC_CHAN_SEND, o->open_ms, &c->ch);
  if (rc == MC_ENOENT) {
    mc_chan_options co = {.max_msg = o->max_msg, .capacity = o->capacity};
    rc = mc_chan_create(o->channel, &co, MC_CHAN_SEND, &c->ch);
    if (rc == MC_EEXIST) rc = mc_chan_open(o->channel, MC_CHAN_SEND, o->open_ms, &c->ch);
  }
  if (rc != MC_OK) {
    mb_log("in", "mc_chan_open(%s, send): %s", o->channel, mc_strerror(rc));
    return -1;
  }
  mc_obj_info *info = calloc(1, sizeof *info);
  uint64_t id;
  if (!info || (rc = mb_chan_identity(o->channel, info, &id)) != MC_OK) {
    mb_log("in", "mc_inspect(%s): %s", o->channel, mc_strerror(info ? rc : MC_ENOMEM));
    free(info);
    return -1;
  }
  int ok = info->kind == MC_OBJ_RING && !(info->chan.flags & MC_CHAN_MULTI_SEND);
  c->head = info->chan.head;
  c->capacity = info->chan.capacity;
  c->recv_max = (size_t)info->chan.max_msg + MB_HDR + 64;
  free(info);
  if (!ok) {
    mb_log("in", "%s is not a one-sender ring channel: the bridge must be its only sender"
           " (docs/bridge.md)", o->channel);
    return -1;
  }
  mb_in_hdr *r = c->r;
  uint64_t next = atomic_load(&r->next), pend = atomic_load(&r->pend_seq);
  if (r->chan_id != id) {
    if (r->chan_id && pend == next + 1)
      mb_log("in", "%s was made anew: message %" PRIu64 ", being committed into the old one"
             " when its bridge died, is asked for again", o->channel, next);
    r->chan_id = id;
  } else if (pend == next + 1 && c->head > atomic_load(&r->pend_head)) {
    /* The commit happened: the message is in the channel. */
    atomic_store_explicit(&r->next, pend, memory_order_release);
    mb_log("in", "message %" PRIu64 " was committed by the bridge before us, which died"
           " before recording it", next);
  } else if (pend == next + 1) {
    mb_log("in", "message %" PRIu64 " was not committed by the bridge before us, which died"
           " committing it: asked for again", next);
  }
  c->next = atomic_load(&r->next);
  return 0;
}

static int open_record(in_ctx *c) {
  char name[MC_NAME_MAX + 1];
  if (mb_state_name(name, sizeof name, c->o->state, c->o->channel, "in") != MC_OK) {
    mb_log("in", "the state block's name for %s is too long: give one with --state", c->o->channel);
    return -1;
  }
  int rc = mb_state_open(&c->st, name, sizeof(mb_in_hdr), c->o->state_dir);
  if (rc != MC_OK) {
    mb_log("in", "state block %s: %s", name, mc_strerror(rc));
    return -1;
  }
  mb_in_hdr *r = c->r = c->st.data;
  if (atomic_load_explicit((_Atomic uint64_t *)&r->magic, memory_order_acquire) == 0) {
    memset(r, 0, sizeof *r); /* new, or its maker died before it was done */
    r->version = 1;
    atomic_store_explicit((_Atomic uint64_t *)&r->magic, MB_STATE_MAGIC_IN, memory_order_release);
  }
  if (r->magic != MB_STATE_MAGIC_IN || r->version != 1 ||
      atomic_load(&r->pend_seq) > atomic_load(&r->next) + 1) {
    char how[600];
    mb_log("in", "state block %s is not a valid in-bridge record: %s to start afresh", name,
           mb_state_remedy(&c->st, name, how, sizeof how));
    return -1;
  }
  return 0;
}

static int on_hello(in_ctx *c, nng_msg *m, const mb_hdr *h) {
  if (nng_msg_len(m) < MB_HDR + 16) return 0;
  const unsigned char *b = (const unsigned char *)nng_msg_body(m) + MB_HDR;
  uint64_t stream = mb_get64(b);
  mb_in_hdr *r = c->r;
  c->pipe = nng_msg_get_pipe(m);
  c->welcomed_pipe = 1;
  c->nacked = UINT64_MAX;
  if (stream != r->stream) {
    if (c->ended_ms) {
      mb_log("in", "a new stream %016" PRIx64 " after the end of the last: start a bridge"
             " for it", stream);
      return 0;
    }
    /* A stream we have not followed: it starts where its sender's acknowledgements say
       (a stream of its own from the beginning, or one whose in side was replaced). */
    if (r->stream)
      mb_log("in", "following stream %016" PRIx64 " from message %" PRIu64
             " (the record followed %016" PRIx64 ")", stream, h->seq, r->stream);
    atomic_store(&r->pend_seq, 0); /* never next + 1 on the way, so nothing seems pending */
    atomic_store(&r->next, h->seq);
    r->stream = stream;
    c->next = h->seq;
  } else if (h->seq > c->next) {
    mb_log("in", "the sender had messages up to %" PRIu64 " acknowledged, the record says %"
           PRIu64 ": continuing from its count", h->seq, c->next);
    atomic_store(&r->next, h->seq);
    c->next = h->seq;
  }
  return reply(c, MB_WELCOME, 0, c->next, stream);
}

/* The ring position of a record of len bytes at our head: after a padding when it would not
   fit before the ring's end. */
static uint64_t record_pos(const in_ctx *c, size_t len, uint64_t *bytes) {
  uint64_t off = c->head & (c->capacity - 1), to_end = c->capacity - off;
  *bytes = 16 + ((len + 15) & ~(uint64_t)15);
  return *bytes > to_end ? c->head + to_end : c->head;
}

static int deliver(in_ctx *c, const mb_hdr *h, const unsigned char *p, size_t len) {
  void *buf;
  int rc;
  /* The channel being full is the back-pressure: wait (and so stop reading the network,
     which fills the sender's window). */
  while ((rc = mc_chan_reserve(c->ch, len, &buf, 1000)) == MC_ETIMEDOUT) {
    /* Every second, pending or not: the out side takes a silent connection for a dead one
       (out.c, SILENCE_MS). */
    reply(c, MB_ACK, 0, c->next, 0);
  }
  if (rc != MC_OK) {
    mb_log("in", "mc_chan_reserve(%s, %zu): %s", c->o->channel, len, mc_strerror(rc));
    return -1;
  }
  uint64_t bytes, pos = record_pos(c, len, &bytes);
  unsigned char *at = (unsigned char *)buf - 16 - (pos & (c->capacity - 1));
  if (!c->base) c->base = at;
  if (at != c->base) {
    mb_log("in", "%s's head is not where this bridge's count puts it: another sender writes"
           " into it", c->o->channel);
    return -1;
  }
  memcpy(buf, p, len);
  mb_in_hdr *r = c->r;
  atomic_store_explicit(&r->pend_head, c->head, memory_order_relaxed);
  atomic_store_explicit(&r->pend_seq, h->seq + 1, memory_order_release);
  mb_die_point(c->o, MB_DIE_IN_PENDING, h->seq);
  rc = mc_chan_commit(c->ch, len);
  if (rc != MC_OK) {
    mb_log("in", "mc_chan_commit(%s): %s", c->o->channel, mc_strerror(rc));
    return -1;
  }
  mb_die_point(c->o, MB_DIE_IN_COMMITTED, h->seq);
  c->head = pos + bytes;
  c->next = h->seq + 1;
  atomic_store_explicit(&r->next, c->next, memory_order_release);
  c->delivered++;
  c->bytes += len;
  if (++c->ack_pending >= ACK_EVERY) reply(c, MB_ACK, 0, c->next, 0);
  return 0;
}

static int on_end(in_ctx *c, const mb_hdr *h, const unsigned char *b, size_t blen) {
  mb_in_hdr *r = c->r;
  if (!atomic_load(&r->ended)) {
    if (h->seq != c->next) return reply(c, MB_WELCOME, 0, c->next, r->stream);
    int32_t code = blen >= 4 ? (int32_t)mb_get32(b) : 0;
    int rc = MC_OK;
    if (h->aux == MB_END_CLOSED) rc = mc_chan_close_send(c->ch);
    else if (h->aux == MB_END_ABORTED) rc = mc_chan_abort(c->ch, code);
    if (rc != MC_OK) {
      mb_log("in", "ending %s: %s", c->o->channel, mc_strerror(rc));
      return -1;
    }
    r->end_code = code;
    atomic_store_explicit(&r->ended, 1 + (h->aux <= MB_END_PEERDEAD ? h->aux : MB_END_CLOSED),
                          memory_order_release);
    mb_log("in", "the stream ended (%s) after %" PRIu64 " messages",
           h->aux == MB_END_CLOSED ? "closed" : h->aux == MB_END_ABORTED ? "aborted"
                                                                         : "its producer died",
           c->next);
  }
  if (!c->ended_ms) c->ended_ms = mb_now_ms();
  return reply(c, MB_ENDACK, 0, c->next, 0);
}

static int handle(in_ctx *c, nng_msg *m) {
  mb_hdr h;
  if (mb_msg_parse(m, &h) != 0) {
    c->junk++;
    return 0;
  }
  if (h.type == MB_HELLO) return on_hello(c, m, &h);
  /* Only what came after the hello on the same connection: a new connection may first carry
     what the out side had queued for the old one. */
  if (!c->welcomed_pipe || nng_pipe_id(nng_msg_get_pipe(m)) != nng_pipe_id(c->pipe)) {
    c->stale++;
    return 0;
  }
  const unsigned char *b = (const unsigned char *)nng_msg_body(m) + MB_HDR;
  size_t blen = nng_msg_len(m) - MB_HDR;
  if (h.type == MB_END) return on_end(c, &h, b, blen);
  if (h.type != MB_DATA) {
    c->junk++;
    return 0;
  }
  if (c->ended_ms) return 0;
  if (h.seq < c->next) {
    c->dups++;
    c->ack_pending++;
    return 0;
  }
  if (h.seq > c->next) { /* lost with a connection: ask once for the one we need */
    if (c->nacked != c->next) {
      c->nacked = c->next;
      c->gaps++;
      return reply(c, MB_WELCOME, 0, c->next, c->r->stream);
    }
    return 0;
  }
  return deliver(c, &h, b, blen);
}

static int run(in_ctx *c) {
  for (;;) {
    unsigned drops = atomic_load(&c->link.drops);
    if (drops != c->drops_seen) {
      c->drops_seen = drops;
      if (atomic_load(&c->link.pipes) == 0) c->welcomed_pipe = 0;
    }
    if (c->o->stats_s > 0 && mb_now_ms() - c->last_stats >= (uint64_t)c->o->stats_s * 1000) {
      c->last_stats = mb_now_ms();
      stats(c, "stats");
    }
    /* After the end: once the out side has gone (it leaves when it has our ENDACK) and has
       not come back within the linger, we are done. */
    if (c->ended_ms && atomic_load(&c->link.pipes) == 0 &&
        mb_now_ms() - c->ended_ms >= (uint64_t)c->o->linger_ms)
      return 0;
    nng_msg *m;
    int rv = nng_recvmsg(c->link.s, &m, 0);
    if (rv == NNG_ETIMEDOUT) {
      if (c->ack_pending && c->welcomed_pipe) reply(c, MB_ACK, 0, c->next, 0);
      continue;
    }
    if (rv != 0) {
      mb_log("in", "nng_recvmsg: %s", nng_strerror(rv));
      return -1;
    }
    rv = handle(c, m);
    nng_msg_free(m);
    if (rv != 0) return -1;
    if (c->ended_ms && atomic_load(&c->link.pipes) > 0) c->ended_ms = mb_now_ms();
  }
}

int mb_in(const mb_opts *o) {
  in_ctx c;
  memset(&c, 0, sizeof c);
  c.o = o;
  c.nacked = UINT64_MAX;
  c.recv_max = 4096;
  c.last_stats = mb_now_ms();
  if (open_record(&c) != 0) return MB_EXIT_FAIL;
  uint64_t ended = atomic_load(&c.r->ended);
  if (ended) {
    /* The end is in the channel already: only answer the out side, which may not know. */
    c.ended_ms = mb_now_ms();
    c.next = atomic_load(&c.r->next);
  } else if (open_channel(&c) != 0) {
    mb_state_close(&c.st, 0);
    return MB_EXIT_FAIL; /* the channel left open: see below */
  }
  int rv = mb_link_open(&c.link, c.recv_max, 1, o->url);
  if (rv != 0) {
    mb_log("in", "nng_listen(%s): %s", o->url, nng_strerror(rv));
    mb_state_close(&c.st, 0);
    return MB_EXIT_FAIL;
  }
  int rc = run(&c);
  if (!o->quiet || rc != 0) stats(&c, rc == 0 ? "done" : "stopped");
  mb_link_close(&c.link);
  ended = atomic_load(&c.r->ended);
  mb_state_close(&c.st, rc == 0);
  if (rc != 0) {
    /* A failing bridge must not close its channel: a sender's close ends the stream, and the
       far consumer would take the rest of it for lost. Left open, the exit reads as this
       sender's death (MC_EPEERDEAD), and the next in bridge carries the stream on. */
    return MB_EXIT_FAIL;
  }
  if (ended == 1 + MB_END_PEERDEAD) {
    /* Passed on as its own kind of end: this sender ends without closing, so the far
       receiver sees a dead sender (MC_EPEERDEAD), as a receiver of the source would. */
    return MB_EXIT_PEERDEAD;
  }
  mc_chan_close(c.ch);
  return MB_EXIT_OK;
}
