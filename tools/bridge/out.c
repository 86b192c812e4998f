/* `memchan-bridge out CHANNEL URL`: receives CHANNEL's messages and sends them over nng.
 *
 * A message is copied from the channel (peek) into the window - a slot of the persistent
 * state block, seq % window - and only then consumed; it is sent from the slot, and the slot
 * is reused once the far side acknowledges it. A bridge killed anywhere leaves each message
 * either still in the channel or in the window: one killed between the copy and the consume
 * leaves it in both, and the next bridge tells that case by the message's position in the
 * channel (the stamp of its record, docs/layout.md "Ring records"), which it recorded in the
 * slot: a peeked message at or before the newest slot's position is one it has already. */
#include "bridge.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct out_ctx {
  const mb_opts *o;
  mc_chan *ch;
  mb_state st;
  mb_out_hdr *w;
  unsigned char *slots;
  mb_link link;
  uint64_t next, acked, tx; /* appended, acknowledged, next to send */
  unsigned epoch_seen, drops_seen;
  int welcomed, connected;
  int ended, end_how, end_sent, done;
  int32_t end_code;
  int skip_valid;  /* recovery: the first peek may find the newest slot's message again */
  uint64_t skip_pos;
  /* stats */
  uint64_t received, bytes, sent, resent, max_inflight, skipped, junk, silences;
  uint64_t last_stats, last_heard;
} out_ctx;

/* How long the far side may say nothing while it owes us an answer (a welcome, or
   acknowledgements of what we sent) before its connection is taken for dead: the in side
   acknowledges at least every second while it waits on its channel, so only a connection
   whose peer has gone is this quiet - one that TCP may never report (a host that lost
   power keeps no connection to reset). */
#define SILENCE_MS 5000

static mb_slot *slot_of(out_ctx *c, uint64_t seq) {
  return (mb_slot *)(c->slots + (seq % c->w->window) * (uint64_t)c->w->slot_bytes);
}

static void stats(out_ctx *c, const char *when) {
  mb_log("out", "%s: %" PRIu64 " messages (%" PRIu64 " bytes) from %s, %" PRIu64
         " sent (%" PRIu64 " again), %" PRIu64 " acknowledged, window %" PRIu64 "/%u in use"
         " (at most %" PRIu64 "), %u connections lost (%" PRIu64 " dropped as silent)",
         when, c->received, c->bytes, c->o->channel, c->sent, c->resent, c->acked,
         c->next - c->acked, c->w->window, c->max_inflight, atomic_load(&c->link.drops),
         c->silences);
}

/* Opens or makes the window block, checks it, and finds where the stream stands. */
static int open_window(out_ctx *c, uint32_t max_msg, uint64_t chan_id) {
  char name[MC_NAME_MAX + 1];
  if (mb_state_name(name, sizeof name, c->o->state, c->o->channel, "out") != MC_OK) {
    mb_log("out", "the state block's name for %s is too long: give one with --state", c->o->channel);
    return -1;
  }
  uint32_t slot_bytes = (uint32_t)sizeof(mb_slot) + ((max_msg + 15u) & ~15u);
  uint64_t size = sizeof(mb_out_hdr) + (uint64_t)c->o->window * slot_bytes;
  int rc = mb_state_open(&c->st, name, size, c->o->state_dir);
  if (rc == MC_EMISMATCH) {
    char how[600];
    mb_log("out", "state block %s was made for another window or message size than --window %u"
           " and %s's max_msg %u: finish that stream with its settings, or %s to start afresh",
           name, c->o->window, c->o->channel, max_msg,
           mb_state_remedy(&c->st, name, how, sizeof how));
    return -1;
  }
  if (rc != MC_OK) {
    mb_log("out", "state block %s: %s", name, mc_strerror(rc));
    return -1;
  }
  c->w = c->st.data;
  c->slots = (unsigned char *)c->st.data + sizeof(mb_out_hdr);
  mb_out_hdr *w = c->w;
  /* A block whose magic is not set was never finished (its maker died first): make it now.
     The magic is stored last. */
  if (atomic_load_explicit((_Atomic uint64_t *)&w->magic, memory_order_acquire) == 0) {
    memset(w, 0, sizeof *w);
    w->version = 1;
    w->window = c->o->window;
    w->max_msg = max_msg;
    w->slot_bytes = slot_bytes;
    w->stream = mb_random64();
    w->chan_id = chan_id;
    atomic_store_explicit((_Atomic uint64_t *)&w->magic, MB_STATE_MAGIC_OUT, memory_order_release);
  }
  uint64_t next = atomic_load(&w->next), acked = atomic_load(&w->acked);
  if (w->magic != MB_STATE_MAGIC_OUT || w->version != 1 || w->window != c->o->window ||
      w->max_msg != max_msg || w->slot_bytes != slot_bytes || acked > next ||
      next - acked > w->window) {
    char how[600];
    mb_log("out", "state block %s is not a valid out-bridge window (or another --window's):"
           " %s to start afresh", name, mb_state_remedy(&c->st, name, how, sizeof how));
    return -1;
  }
  c->next = next;
  c->acked = c->tx = acked;
  if (next > acked) {
    mb_slot *s = slot_of(c, next - 1);
    if (s->seq != next - 1 || s->len > max_msg) {
      mb_log("out", "state block %s: slot of message %" PRIu64 " is damaged", name, next - 1);
      return -1;
    }
    if (w->chan_id == chan_id) {
      c->skip_valid = 1;
      c->skip_pos = s->pos;
    }
    mb_log("out", "resuming stream %016" PRIx64 ": %" PRIu64 " messages not yet acknowledged",
           w->stream, next - acked);
  }
  /* A channel made anew since: its positions start again; what the window holds of the old
     one is still to be delivered. */
  w->chan_id = chan_id;
  return 0;
}

static int send_hello(out_ctx *c) {
  nng_msg *m;
  if (mb_msg_new(&m, MB_HELLO, c->w->max_msg, c->acked, 16) != 0) return -1;
  unsigned char *b = (unsigned char *)nng_msg_body(m) + MB_HDR;
  mb_put64(b, c->w->stream);
  mb_put64(b + 8, c->next);
  return mb_link_send(&c->link, m, NNG_FLAG_NONBLOCK) == 0 ? 0 : -1;
}

static void set_acked(out_ctx *c, uint64_t n) {
  if (n <= c->acked) return;
  c->acked = n;
  /* Before any slot below n is written again (the next append comes after this store). */
  atomic_store_explicit(&c->w->acked, n, memory_order_release);
}

static int handle(out_ctx *c, nng_msg *m) {
  mb_hdr h;
  if (mb_msg_parse(m, &h) != 0) {
    c->junk++;
    return 0;
  }
  const unsigned char *b = (const unsigned char *)nng_msg_body(m) + MB_HDR;
  size_t blen = nng_msg_len(m) - MB_HDR;
  c->last_heard = mb_now_ms();
  switch (h.type) {
  case MB_WELCOME:
    if (blen < 8 || mb_get64(b) != c->w->stream) return 0; /* another stream's, or stale */
    if (h.seq > c->next) {
      mb_log("out", "the far side has %" PRIu64 " messages of this stream, more than were ever"
             " sent (%" PRIu64 "): its state belongs to another run", h.seq, c->next);
      return -1;
    }
    set_acked(c, h.seq);
    c->tx = h.seq > c->acked ? h.seq : c->acked;
    c->welcomed = 1;
    c->end_sent = 0; /* resent after what it still needs */
    return 0;
  case MB_ACK:
    if (h.seq <= c->next) set_acked(c, h.seq);
    return 0;
  case MB_ENDACK:
    if (c->ended && h.seq == c->next) {
      set_acked(c, h.seq); /* the whole stream is in the far channel */
      c->done = 1;
    }
    return 0;
  default:
    c->junk++;
    return 0;
  }
}

/* Takes what the far side sent: every waiting message (timeout 0), or the first one to come
   within the socket's receive timeout. */
static int pump(out_ctx *c, int wait) {
  for (;;) {
    nng_msg *m;
    int rv = nng_recvmsg(c->link.s, &m, wait ? 0 : NNG_FLAG_NONBLOCK);
    if (rv == NNG_EAGAIN || rv == NNG_ETIMEDOUT) return 0;
    if (rv != 0) {
      mb_log("out", "nng_recvmsg: %s", nng_strerror(rv));
      return -1;
    }
    rv = handle(c, m);
    nng_msg_free(m);
    if (rv != 0) return rv;
    wait = 0;
  }
}

/* A new connection says hello first and sends nothing else until welcomed. */
static int watch_link(out_ctx *c) {
  unsigned drops = atomic_load(&c->link.drops), epoch = atomic_load(&c->link.epoch);
  if (drops != c->drops_seen) {
    c->drops_seen = drops;
    c->welcomed = 0;
  }
  if (epoch != c->epoch_seen && atomic_load(&c->link.pipes) > 0) {
    c->epoch_seen = epoch;
    c->welcomed = 0;
    c->last_heard = mb_now_ms(); /* a new connection has its time to answer */
    if (send_hello(c) != 0) c->epoch_seen--; /* try again at the next turn */
  }
  uint64_t now = mb_now_ms();
  if (atomic_load(&c->link.pipes) > 0 && (!c->welcomed || c->next > c->acked) &&
      now - c->last_heard > SILENCE_MS) {
    mb_log("out", "no word from the far side for %d s with %s: dropping the connection to"
           " dial again", SILENCE_MS / 1000, c->welcomed ? "messages unacknowledged"
                                                        : "our hello unanswered");
    c->silences++;
    c->last_heard = now;
    mb_link_drop(&c->link);
  }
  return 0;
}

static int send_data(out_ctx *c) {
  mb_slot *s = slot_of(c, c->tx);
  uint32_t len = s->len;
  nng_msg *m;
  if (s->seq != c->tx || len > c->w->max_msg) {
    mb_log("out", "window slot of message %" PRIu64 " is damaged", c->tx);
    return -1;
  }
  if (mb_msg_new(&m, MB_DATA, 0, c->tx, len) != 0) return -1;
  memcpy((unsigned char *)nng_msg_body(m) + MB_HDR, s + 1, len);
  int rv = mb_link_send(&c->link, m, 0);
  if (rv == NNG_ETIMEDOUT || rv == NNG_EAGAIN) return 0; /* no peer, or it is slow: later */
  if (rv != 0) {
    mb_log("out", "nng_sendmsg: %s", nng_strerror(rv));
    return -1;
  }
  if (c->tx < c->sent) c->resent++;
  c->tx++;
  if (c->tx > c->sent) c->sent = c->tx;
  return 0;
}

/* The channel's next message into the window, then consumed; or the end of the stream. */
static int take(out_ctx *c, int timeout_ms) {
  const void *msg;
  size_t len;
  int rc = mc_chan_peek(c->ch, &msg, &len, timeout_ms);
  if (rc == MC_ETIMEDOUT) return 0;
  if (rc == MC_ECLOSED || rc == MC_EABORTED || rc == MC_EPEERDEAD) {
    c->ended = 1;
    c->end_how = rc == MC_ECLOSED ? MB_END_CLOSED : rc == MC_EABORTED ? MB_END_ABORTED
                                                                       : MB_END_PEERDEAD;
    mc_chan_ends e;
    if (rc == MC_EABORTED && mc_chan_get_ends(c->ch, &e) == MC_OK) c->end_code = e.abort_code;
    mb_log("out", "%s ended (%s) after %" PRIu64 " messages of the stream", c->o->channel,
           mc_err_name(rc), c->next);
    return 0;
  }
  if (rc != MC_OK) {
    mb_log("out", "mc_chan_peek(%s): %s", c->o->channel, mc_strerror(rc));
    return -1;
  }
  uint64_t stamp;
  memcpy(&stamp, (const unsigned char *)msg - 16, sizeof stamp); /* the record's header */
  uint64_t pos = stamp - 1;
  if (c->skip_valid && pos <= c->skip_pos) {
    c->skip_valid = 0; /* copied by the bridge before us, which died before consuming it */
    c->skipped++;
    mb_log("out", "message %" PRIu64 " was in the window already (its bridge died before"
           " consuming it): consumed, not copied again", c->next - 1);
    return mc_chan_consume(c->ch) == MC_OK ? 0 : -1;
  }
  c->skip_valid = 0;
  mb_slot *s = slot_of(c, c->next);
  s->seq = c->next;
  s->pos = pos;
  s->len = (uint32_t)len;
  memcpy(s + 1, msg, len);
  c->next++;
  /* The copy is complete before it counts; the consume comes after (see the top). */
  atomic_store_explicit(&c->w->next, c->next, memory_order_release);
  mb_die_point(c->o, MB_DIE_OUT_COPIED, c->next - 1);
  rc = mc_chan_consume(c->ch);
  if (rc != MC_OK) {
    mb_log("out", "mc_chan_consume(%s): %s", c->o->channel, mc_strerror(rc));
    return -1;
  }
  c->received++;
  c->bytes += len;
  if (c->next - c->acked > c->max_inflight) c->max_inflight = c->next - c->acked;
  return 0;
}

static int send_end(out_ctx *c) {
  nng_msg *m;
  if (mb_msg_new(&m, MB_END, (uint32_t)c->end_how, c->next, 4) != 0) return -1;
  mb_put32((unsigned char *)nng_msg_body(m) + MB_HDR, (uint32_t)c->end_code);
  int rv = mb_link_send(&c->link, m, 0);
  if (rv == 0) c->end_sent = 1;
  return rv == 0 || rv == NNG_ETIMEDOUT || rv == NNG_EAGAIN ? 0 : -1;
}

static int run(out_ctx *c) {
  unsigned turn = 0;
  while (!c->done) {
    /* Control messages are looked for every few data messages, at every turn while not
       welcomed, and whenever we would wait. */
    if (((turn++ & 15) == 0 || !c->welcomed) && (pump(c, 0) != 0 || watch_link(c) != 0))
      return -1;
    if (c->o->stats_s > 0 && mb_now_ms() - c->last_stats >= (uint64_t)c->o->stats_s * 1000) {
      c->last_stats = mb_now_ms();
      stats(c, "stats");
    }
    if (c->welcomed && c->tx < c->next) {
      if (send_data(c) != 0) return -1;
      continue;
    }
    if (c->welcomed && c->ended && !c->end_sent) {
      if (send_end(c) != 0) return -1;
      continue;
    }
    if (!c->ended && c->next - c->acked < c->w->window) {
      /* Nothing to send: wait on the channel, not for long (a hello may be due). */
      if (take(c, 20) != 0) return -1;
      continue;
    }
    /* The window is full, or the stream ended: wait for the far side. */
    if (pump(c, 1) != 0 || watch_link(c) != 0) return -1;
  }
  return 0;
}

int mb_out(const mb_opts *o) {
  out_ctx c;
  memset(&c, 0, sizeof c);
  c.o = o;
  c.last_stats = mb_now_ms();
  int rc = mc_chan_open(o->channel, MC_CHAN_RECV, o->open_ms, &c.ch);
  if (rc != MC_OK) {
    mb_log("out", "mc_chan_open(%s, receive): %s", o->channel, mc_strerror(rc));
    return MB_EXIT_FAIL;
  }
  mc_obj_info *info = calloc(1, sizeof *info);
  uint64_t chan_id = 0;
  int status = MB_EXIT_FAIL;
  if (!info || (rc = mb_chan_identity(o->channel, info, &chan_id)) != MC_OK) {
    mb_log("out", "mc_inspect(%s): %s", o->channel, mc_strerror(info ? rc : MC_ENOMEM));
    goto out;
  }
  /* Positions (record stamps) are those of a ring read in place by its one receiver. */
  if (info->kind != MC_OBJ_RING || (info->chan.flags & (MC_CHAN_MULTI_RECV | MC_CHAN_BROADCAST))) {
    mb_log("out", "%s is not a one-receiver ring channel: the bridge reads ring channels"
           " with one receiver (docs/bridge.md)", o->channel);
    goto out;
  }
  if (open_window(&c, info->chan.max_msg, chan_id) != 0) goto out;
  rc = mb_link_open(&c.link, 256, 0, o->url);
  if (rc != 0) {
    mb_log("out", "nng_dial(%s): %s", o->url, nng_strerror(rc));
    mb_state_close(&c.st, 0);
    goto out;
  }
  rc = run(&c);
  if (!o->quiet || rc != 0) stats(&c, rc == 0 ? "done" : "stopped");
  mb_link_close(&c.link);
  /* The far side has the whole stream: nothing of the window is needed any more. */
  mb_state_close(&c.st, rc == 0);
  status = rc == 0 ? MB_EXIT_OK : MB_EXIT_FAIL;
out:
  free(info);
  mc_chan_close(c.ch);
  return status;
}
