/* Baseline: iceoryx (its C binding), publish/subscribe through RouDi's shared memory. A
 * message is loaned, written, published; the receiver takes the chunk and releases it after
 * reading it (the same zero-copy hand-over memchan's peek/consume gives). Lossless, as the
 * channels are: the publisher waits for a slow subscriber (WAIT_FOR_CONSUMER) and the
 * subscriber asks to block the producer (BLOCK_PRODUCER); a loan that finds the memory pool
 * empty is tried again. Two variants: "iceoryx" polls take_chunk, "iceoryx-ws" sleeps in a
 * WaitSet. RouDi (iox-roudi) is started by the first case that needs it, when none is
 * running, and stopped when the bench exits. Built only when iceoryx_binding_c is found;
 * Linux only. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>

#include "sys.h"

#define IOX_SERVICE   "memchan-bench"
#define IOX_QUEUE     256u                    /* the subscriber queue's capacity (iceoryx's most) */
#define IOX_MAX_SIZE  (1024u * 1024u)         /* RouDi's default pools end at 4 MiB chunks */
#define IOX_ROUDI_UDS "/tmp/roudi"            /* where RouDi listens (iceoryx 2.0) */
#define IOX_WAIT_NS   (10ull * 1000000000ull) /* for RouDi, and for a connection to form */

struct mb_ep {
  iox_pub_storage_t pub_s;
  iox_sub_storage_t sub_s;
  iox_ws_storage_t ws_s;
  iox_pub_t pub;
  iox_sub_t sub;
  iox_ws_t ws;      /* NULL: poll */
  const void *held; /* the chunk recv handed out, released by done() */
};

static pid_t roudi_pid; /* the RouDi this process started, or 0 */
static int runtime_up;

/* Whether a RouDi answers on its socket (a file left by a dead one does not). */
static int roudi_answers(void) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", IOX_ROUDI_UDS);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) return 0;
  int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static void stop_roudi(void) {
  if (!roudi_pid) return;
  kill(roudi_pid, SIGTERM); /* RouDi cleans its shared memory up on SIGTERM */
  int st;
  waitpid(roudi_pid, &st, 0);
  roudi_pid = 0;
}

/* A RouDi to talk to: one already running (the user's), or ours, started now. */
static int need_roudi(void) {
  if (roudi_answers()) return 0;
  extern char **environ;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  char *argv[] = {"iox-roudi", NULL};
  int e = posix_spawnp(&roudi_pid, "iox-roudi", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e != 0) {
    roudi_pid = 0;
    return mb_fail("iceoryx: cannot start iox-roudi: %s", strerror(e));
  }
  atexit(stop_roudi);
  for (uint64_t t0 = mb_now_ns(); !roudi_answers(); mb_sleep_us(1000)) {
    int st;
    if (waitpid(roudi_pid, &st, WNOHANG) == roudi_pid) {
      roudi_pid = 0;
      return mb_fail("iceoryx: iox-roudi exited at start (status %d)", st);
    }
    if (mb_now_ns() - t0 > IOX_WAIT_NS) return mb_fail("iceoryx: iox-roudi did not come up");
  }
  return 0;
}

/* This process's iceoryx runtime: once per process, under a name of its own. */
static void need_runtime(void) {
  if (runtime_up) return;
  char name[64];
  snprintf(name, sizeof name, "mcb-%ld", (long)getpid());
  iox_set_loglevel(Iceoryx_LogLevel_Error);
  iox_runtime_init(name);
  runtime_up = 1;
}

/* Whether iox-roudi is a program on PATH. */
static int roudi_installed(void) {
  const char *path = getenv("PATH");
  char dir[4096];
  while (path && *path) {
    size_t n = strcspn(path, ":");
    if (n && n < sizeof dir - 16) {
      memcpy(dir, path, n);
      memcpy(dir + n, "/iox-roudi", sizeof "/iox-roudi");
      if (access(dir, X_OK) == 0) return 1;
    }
    path += n + (path[n] == ':');
  }
  return 0;
}

static const char *skip(const mb_case *c, char *why, size_t cap) {
  if (!roudi_answers() && !roudi_installed()) {
    snprintf(why, cap, "no RouDi running and no iox-roudi on PATH (Debian package iceoryx)");
    return why;
  }
  if (c->size > IOX_MAX_SIZE) {
    snprintf(why, cap, "messages over %u B do not fit RouDi's default pools", IOX_MAX_SIZE);
    return why;
  }
  return NULL;
}

static void close_ep(mb_ep *ep) {
  if (!ep) return;
  if (ep->held) iox_sub_release_chunk(ep->sub, ep->held);
  if (ep->ws) iox_ws_deinit(ep->ws);
  if (ep->sub) iox_sub_deinit(ep->sub);
  if (ep->pub) iox_pub_deinit(ep->pub);
  free(ep);
}

static int make_pub(mb_ep *ep, const char *instance, const char *event) {
  iox_pub_options_t o;
  iox_pub_options_init(&o);
  o.historyCapacity = 0;
  o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
  ep->pub = iox_pub_init(&ep->pub_s, IOX_SERVICE, instance, event, &o);
  return ep->pub ? 0 : mb_fail("iceoryx: iox_pub_init failed");
}

static int make_sub(mb_ep *ep, const char *instance, const char *event, int waitset) {
  iox_sub_options_t o;
  iox_sub_options_init(&o);
  o.queueCapacity = IOX_QUEUE;
  o.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
  ep->sub = iox_sub_init(&ep->sub_s, IOX_SERVICE, instance, event, &o);
  if (!ep->sub) return mb_fail("iceoryx: iox_sub_init failed");
  if (!waitset) return 0;
  ep->ws = iox_ws_init(&ep->ws_s);
  if (!ep->ws) return mb_fail("iceoryx: iox_ws_init failed");
  if (iox_ws_attach_subscriber_state(ep->ws, ep->sub, SubscriberState_HAS_DATA, 0, NULL) !=
      WaitSetResult_SUCCESS)
    return mb_fail("iceoryx: cannot attach the subscriber to the WaitSet");
  return 0;
}

/* RouDi connects publishers and subscribers in its own time: a peer is ready only once its
   ends are connected, so that nothing it sends is published to nobody. */
static int connected(mb_ep *ep) {
  for (uint64_t t0 = mb_now_ns();; mb_sleep_us(1000)) {
    int ok = (!ep->pub || iox_pub_has_subscribers(ep->pub)) &&
             (!ep->sub || iox_sub_get_subscription_state(ep->sub) == SubscribeState_SUBSCRIBED);
    if (ok) return 0;
    if (mb_now_ns() - t0 > IOX_WAIT_NS) return mb_fail("iceoryx: publisher and subscriber never met");
  }
}

static int create_as(const mb_case *c, mb_ep **out, char *arg, size_t cap, int waitset) {
  static unsigned counter;
  if (need_roudi() != 0) return -1;
  need_runtime();
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  snprintf(arg, cap, "mcb%ldx%u", (long)getpid(), ++counter);
  int rc = make_sub(ep, arg, "up", waitset);
  if (rc == 0 && c->pattern == MB_PINGPONG) rc = make_pub(ep, arg, "dn");
  if (rc != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

static int open_as(const mb_case *c, const char *arg, mb_ep **out, int waitset) {
  need_runtime();
  mb_ep *ep = calloc(1, sizeof *ep);
  if (!ep) return mb_fail("out of memory");
  int rc = make_pub(ep, arg, "up");
  if (rc == 0 && c->pattern == MB_PINGPONG) rc = make_sub(ep, arg, "dn", waitset);
  if (rc == 0) rc = connected(ep);
  if (rc != 0) {
    close_ep(ep);
    return -1;
  }
  *out = ep;
  return 0;
}

static int create_poll(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  return create_as(c, out, arg, cap, 0);
}
static int create_ws(const mb_case *c, mb_ep **out, char *arg, size_t cap) {
  return create_as(c, out, arg, cap, 1);
}
static int open_poll(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  return open_as(c, arg, out, 0);
}
static int open_ws(const mb_case *c, const char *arg, int index, mb_ep **out) {
  (void)index;
  return open_as(c, arg, out, 1);
}

static int send_msg(mb_ep *ep, const unsigned char *src, size_t len) {
  void *chunk = NULL;
  for (;;) {
    /* The length rides in a user header: the C binding has no getter for the chunk's. */
    enum iox_AllocationResult r = iox_pub_loan_aligned_chunk_with_user_header(
        ep->pub, &chunk, (uint32_t)len, 8, sizeof(uint64_t), 8);
    if (r == AllocationResult_SUCCESS) break;
    /* Every chunk of that size is in a queue: the receiver frees one as it reads. */
    if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS)
      return mb_fail("iceoryx: iox_pub_loan_chunk failed (%d)", (int)r);
    mb_cpu_relax();
  }
  uint64_t n = len;
  memcpy(iox_chunk_header_to_user_header(iox_chunk_header_from_user_payload(chunk)), &n, sizeof n);
  memcpy(chunk, src, len);
  iox_pub_publish_chunk(ep->pub, chunk);
  return 0;
}

static int recv_msg(mb_ep *ep, const unsigned char **msg, size_t *len) {
  for (;;) {
    const void *p = NULL;
    enum iox_ChunkReceiveResult r = iox_sub_take_chunk(ep->sub, &p);
    if (r == ChunkReceiveResult_SUCCESS) {
      uint64_t n;
      memcpy(&n, iox_chunk_header_to_user_header_const(iox_chunk_header_from_user_payload_const(p)),
             sizeof n);
      ep->held = p;
      *msg = p;
      *len = (size_t)n;
      return 0;
    }
    if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE)
      return mb_fail("iceoryx: iox_sub_take_chunk failed (%d)", (int)r);
    if (ep->ws) {
      iox_notification_info_t info[1];
      uint64_t missed = 0;
      iox_ws_wait(ep->ws, info, 1, &missed);
    } else {
      mb_cpu_relax();
    }
  }
}

static int done(mb_ep *ep) {
  if (ep->held) iox_sub_release_chunk(ep->sub, ep->held);
  ep->held = NULL;
  return 0;
}

const mb_transport mb_tr_iox = {
    .name = "iceoryx",
    .about = "iceoryx 2 publish/subscribe (C binding), lossless, polling take_chunk",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .skip = skip,
    .create = create_poll,
    .open = open_poll,
    .send = send_msg,
    .recv = recv_msg,
    .done = done,
    .close = close_ep,
};

const mb_transport mb_tr_iox_ws = {
    .name = "iceoryx-ws",
    .about = "iceoryx 2 publish/subscribe (C binding), lossless, waiting in a WaitSet",
    .baseline = 1,
    .patterns = MB_BIT(MB_PINGPONG) | MB_BIT(MB_STREAM) | MB_BIT(MB_STRESS),
    .skip = skip,
    .create = create_ws,
    .open = open_ws,
    .send = send_msg,
    .recv = recv_msg,
    .done = done,
    .close = close_ep,
};
