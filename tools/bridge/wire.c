/* The bridge's wire format and its nng socket. One pair0 socket a side: the in side listens,
 * the out side dials and nng redials on its own after a loss. Pair0 talks to one peer at a
 * time, which is what a stream between two bridges is. */
#include "bridge.h"

#include <string.h>
#include <nng/protocol/pair0/pair.h>

#define MB_MAGIC 0x31424du /* "MB1", the low 24 bits of the type word */

void mb_put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void mb_put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t mb_get32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}

uint64_t mb_get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int mb_msg_new(nng_msg **out, int type, uint32_t aux, uint64_t seq, size_t body) {
  int rv = nng_msg_alloc(out, MB_HDR + body);
  if (rv != 0) return rv;
  unsigned char *p = nng_msg_body(*out);
  mb_put32(p, MB_MAGIC | (uint32_t)type << 24);
  mb_put32(p + 4, aux);
  mb_put64(p + 8, seq);
  return 0;
}

int mb_msg_parse(nng_msg *m, mb_hdr *h) {
  if (nng_msg_len(m) < MB_HDR) return -1;
  const unsigned char *p = nng_msg_body(m);
  uint32_t w = mb_get32(p);
  if ((w & 0xffffffu) != MB_MAGIC) return -1;
  h->type = (int)(w >> 24);
  if (h->type < MB_DATA || h->type > MB_ENDACK) return -1;
  h->aux = mb_get32(p + 4);
  h->seq = mb_get64(p + 8);
  return 0;
}

/* nng also reports the removal of a pipe that was never added (one pair0 refused while it
   had a peer): only those that were added count. nng calls this from its own threads. */
/* Closes every connection attached now; returns how many. */
static unsigned close_pipes(mb_link *l) {
  unsigned n = 0;
  for (int i = 0; i < MB_LINK_PIPES; i++) {
    uint32_t id = atomic_load(&l->ids[i]);
    if (id) {
      nng_pipe p = NNG_PIPE_INITIALIZER;
      p.id = id;
      nng_pipe_close(p);
      n++;
    }
  }
  return n;
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg) {
  mb_link *l = arg;
  uint32_t id = (uint32_t)nng_pipe_id(p);
  if (ev == NNG_PIPE_EV_ADD_PRE) {
    /* Listener: a new connection while one is attached. pair0 would refuse the newcomer
       for as long as the old one lasts - for ever, when the old peer vanished without its
       connection being closed (a host that lost power; a process Wine killed, whose socket
       wineserver keeps open). The out side is one process at a time, so the newer
       connection is the live one: the old is closed (the newcomer is not among the attached
       ones before ADD_POST), and the newcomer's next attempt (a few milliseconds on) finds
       the place free. */
    atomic_fetch_add(&l->replaced, close_pipes(l));
    return;
  }
  if (ev == NNG_PIPE_EV_ADD_POST) {
    for (int i = 0; i < MB_LINK_PIPES; i++) {
      uint32_t free_id = 0;
      if (atomic_compare_exchange_strong(&l->ids[i], &free_id, id)) break;
    }
    atomic_fetch_add(&l->pipes, 1);
    atomic_fetch_add(&l->epoch, 1);
  } else if (ev == NNG_PIPE_EV_REM_POST) {
    for (int i = 0; i < MB_LINK_PIPES; i++) {
      uint32_t was = id;
      if (atomic_compare_exchange_strong(&l->ids[i], &was, 0)) {
        atomic_fetch_sub(&l->pipes, 1);
        atomic_fetch_add(&l->drops, 1);
        break;
      }
    }
  }
}

int mb_link_open(mb_link *l, size_t recv_max, int listen, const char *url) {
  atomic_init(&l->epoch, 0);
  atomic_init(&l->pipes, 0);
  atomic_init(&l->drops, 0);
  atomic_init(&l->replaced, 0);
  for (int i = 0; i < MB_LINK_PIPES; i++) atomic_init(&l->ids[i], 0);
  int rv = nng_pair0_open(&l->s);
  if (rv != 0) return rv;
  /* Control messages are small; data messages are at most the source's max_msg. A peer
     that sends more is cut off by nng rather than make us allocate what it asks. */
  nng_socket_set_size(l->s, NNG_OPT_RECVMAXSZ, recv_max);
  /* Short timeouts: the loops look at the channel, the window and the connection between
     calls. Redial soon after a loss, and at most every half second while the peer is away. */
  nng_socket_set_ms(l->s, NNG_OPT_RECVTIMEO, 20);
  nng_socket_set_ms(l->s, NNG_OPT_SENDTIMEO, 50);
  nng_socket_set_ms(l->s, NNG_OPT_RECONNMINT, 10);
  nng_socket_set_ms(l->s, NNG_OPT_RECONNMAXT, 500);
  /* Queue some messages in nng so that sending overlaps the network (pair0 buffers from
     nng 1.5; older ones refuse the option and send unbuffered). */
  nng_socket_set_int(l->s, NNG_OPT_SENDBUF, 256);
  nng_socket_set_int(l->s, NNG_OPT_RECVBUF, 256);
  nng_socket_set_bool(l->s, NNG_OPT_TCP_NODELAY, true);
  if ((listen && (rv = nng_pipe_notify(l->s, NNG_PIPE_EV_ADD_PRE, on_pipe, l)) != 0) ||
      (rv = nng_pipe_notify(l->s, NNG_PIPE_EV_ADD_POST, on_pipe, l)) != 0 ||
      (rv = nng_pipe_notify(l->s, NNG_PIPE_EV_REM_POST, on_pipe, l)) != 0) {
    nng_close(l->s);
    return rv;
  }
  /* A dialer that finds nobody listening keeps trying in the background (NONBLOCK). */
  rv = listen ? nng_listen(l->s, url, NULL, 0) : nng_dial(l->s, url, NULL, NNG_FLAG_NONBLOCK);
  if (rv != 0) nng_close(l->s);
  return rv;
}

void mb_link_close(mb_link *l) {
  nng_close(l->s);
}

void mb_link_drop(mb_link *l) {
  close_pipes(l);
}

int mb_link_send(mb_link *l, nng_msg *m, int flags) {
  int rv = nng_sendmsg(l->s, m, flags);
  if (rv != 0) nng_msg_free(m); /* not sent: still ours */
  return rv;
}
