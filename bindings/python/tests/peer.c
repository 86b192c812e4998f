/* A C end for the Python binding's tests and benchmark: sends or receives a numbered stream
 * through libmemchan, so that Python meets C on the same channel.
 *   peer send NAME COUNT SIZE [READY-EVENT]   open NAME as sender, send COUNT messages
 *   peer recv NAME [READY-EVENT] [gaps]       open NAME as receiver, receive to the end
 * Message i is SIZE bytes (>= 8): i as a native u64, then the byte (i & 0xff) repeated. recv
 * checks every byte, and that numbers rise by one (by at least one with "gaps": shared work),
 * then prints "peer: N messages, sum S, end MC_E..." and exits 0 at MC_ECLOSED, 2 at
 * MC_EABORTED, 3 at MC_EPEERDEAD, 4 on bad data, 1 on any other failure. With READY-EVENT it
 * sets that (manual-reset) event once its end is open. */
#include <memchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int rc) {
  fprintf(stderr, "peer: %s: %s (%s)\n", what, mc_strerror(rc), mc_err_name(rc));
  return 1;
}

static int ready(const char *event) {
  mc_event *ev;
  if (!event || !*event) return MC_OK;
  int rc = mc_event_open(event, 1, 0, &ev);
  if (rc == MC_OK) rc = mc_event_set(ev);
  mc_event_close(ev);
  return rc;
}

static int do_send(const char *name, unsigned long long count, size_t size, const char *event) {
  mc_chan *tx;
  int rc = mc_chan_open(name, MC_CHAN_SEND, 10000, &tx);
  if (rc != MC_OK) return fail("open", rc);
  if ((rc = ready(event)) != MC_OK) return fail("ready event", rc);
  for (unsigned long long i = 0; i < count; i++) {
    void *buf;
    if ((rc = mc_chan_reserve(tx, size, &buf, MC_INFINITE)) != MC_OK) return fail("reserve", rc);
    memset((char *)buf + 8, (int)(i & 0xff), size - 8);
    memcpy(buf, &i, 8);
    if ((rc = mc_chan_commit(tx, size)) != MC_OK) return fail("commit", rc);
  }
  mc_chan_close(tx);
  return 0;
}

static int do_recv(const char *name, const char *event, int gaps) {
  mc_chan *rx;
  int rc = mc_chan_open(name, MC_CHAN_RECV, 10000, &rx);
  if (rc != MC_OK) return fail("open", rc);
  if ((rc = ready(event)) != MC_OK) return fail("ready event", rc);
  unsigned long long n = 0, sum = 0, next = 0;
  for (;;) {
    const void *msg;
    size_t len;
    if ((rc = mc_chan_peek(rx, &msg, &len, MC_INFINITE)) != MC_OK) break;
    unsigned long long seq;
    const unsigned char *p = msg;
    if (len < 8) return fail("a message shorter than 8 bytes", MC_ECORRUPT) * 4;
    memcpy(&seq, p, 8);
    if (gaps ? seq < next : seq != next) {
      fprintf(stderr, "peer: message %llu where %llu was due\n", seq, next);
      return 4;
    }
    for (size_t k = 8; k < len; k++)
      if (p[k] != (unsigned char)(seq & 0xff)) {
        fprintf(stderr, "peer: message %llu: byte %zu is %u\n", seq, k, p[k]);
        return 4;
      }
    next = seq + 1;
    n++;
    sum += seq;
    mc_chan_consume(rx);
  }
  printf("peer: %llu messages, sum %llu, end %s\n", n, sum, mc_err_name(rc));
  mc_chan_close(rx);
  return rc == MC_ECLOSED ? 0 : rc == MC_EABORTED ? 2 : rc == MC_EPEERDEAD ? 3 : fail("recv", rc);
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "send") == 0) {
    size_t size = strtoull(argv[4], NULL, 10);
    if (size < 8) return fail("SIZE must be at least 8", MC_EINVAL);
    return do_send(argv[2], strtoull(argv[3], NULL, 10), size, argc > 5 ? argv[5] : NULL);
  }
  if (argc >= 3 && strcmp(argv[1], "recv") == 0)
    return do_recv(argv[2], argc > 3 ? argv[3] : NULL, argc > 4 && strcmp(argv[4], "gaps") == 0);
  fprintf(stderr, "usage: peer send NAME COUNT SIZE [READY-EVENT] | recv NAME [READY-EVENT] [gaps]\n");
  return 1;
}
