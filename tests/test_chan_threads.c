/* The channel protocols with both endpoints in one process, one thread each: the harness
 * ThreadSanitizer runs (make test builds it with -fsanitize=thread), since TSan cannot
 * follow other processes.
 *
 * Two ways of sharing the ring:
 * - "two mappings": the endpoints map the channel separately, as two processes would. TSan
 *   tracks memory by virtual address, so it cannot see that the two views are one memory;
 *   this checks that each side alone is race-free and that the stream arrives intact.
 * - "one mapping": the receiver is pointed at the sender's view of the control block and the
 *   ring, so every shared access goes through one address range and TSan checks the
 *   protocol itself: each payload write happens-before its read (the head release/acquire),
 *   each consume before the space is reused (tail), the locks of several senders.
 *
 * Fan-out too, one mapping: broadcast (each receiver's cursor guards the space it has yet
 * to read) and shared work (the receivers' lock). DROP_OLDEST is left out: its receivers
 * copy bytes a sender may be overwriting and keep the copy only when their cursor says it
 * was not (a seqlock), a race TSan reports by design. */
#include "chan.h"
#include "harness.h"
#include "msgstream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define COUNT 200000
#define MAX   300

typedef struct sender_arg {
  mc_chan *ch;
  uint32_t id;
  uint64_t count;
  size_t min;
  int rc;
} sender_arg;

static void *sender(void *p) {
  sender_arg *a = p;
  unsigned char buf[MAX];
  a->rc = MC_OK;
  for (uint64_t seq = 0; seq < a->count && a->rc == MC_OK; seq++) {
    if (seq & 1) {
      void *w;
      a->rc = mc_chan_reserve(a->ch, MAX, &w, 30000);
      if (a->rc == MC_OK) a->rc = mc_chan_commit(a->ch, ms_make(a->id, seq, a->min, MAX, w));
    } else {
      a->rc = mc_chan_send(a->ch, buf, ms_make(a->id, seq, a->min, MAX, buf), 30000);
    }
  }
  if (a->rc == MC_OK) a->rc = mc_chan_close_send(a->ch);
  return NULL;
}

/* Points the receiver at the sender's view of the channel (see the top of this file). */
static void share_mapping(mc_chan *rx, mc_chan *tx) {
  uint64_t base = MC__STATE_OFFSET;
  const mc__objname *n = &tx->r.name;
  rx->ctl = tx->ctl;
  rx->data = tx->data;
  mc__plat_futex_unbind(&rx->data_f);
  mc__plat_futex_unbind(&rx->space_f);
  mc__plat_futex_bind(&rx->data_f, &tx->ctl->data, n, base + offsetof(mc__chan_ctl, data));
  mc__plat_futex_bind(&rx->space_f, &tx->ctl->space, n, base + offsetof(mc__chan_ctl, space));
  mc__tlock_unbind(&rx->send_lock);
  mc__tlock_unbind(&rx->slot_lock);
  mc__tlock_unbind(&rx->recv_lock);
  TH_OK(mc__tlock_bind(&rx->send_lock, &tx->r.name, &tx->ctl->send_lock,
                       base + offsetof(mc__chan_ctl, send_lock)));
  TH_OK(mc__tlock_bind(&rx->slot_lock, &tx->r.name, &tx->ctl->slot_lock,
                       base + offsetof(mc__chan_ctl, slot_lock)));
  TH_OK(mc__tlock_bind(&rx->recv_lock, &tx->r.name, &tx->ctl->recv_lock,
                       base + offsetof(mc__chan_ctl, recv_lock)));
}

static void run(int kind, int senders, int one_mapping, int spin_us) {
  char name[64];
  mc_chan *rx, *tx[3];
  sender_arg args[3];
  pthread_t th[3];
  mc_chan_options o = {.kind = kind,
                       .max_msg = MAX,
                       .capacity = 4096,
                       .spin_us = spin_us,
                       .flags = senders > 1 ? MC_CHAN_MULTI_SEND : 0};
  th_name(name, sizeof name, "threads");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &tx[0]));
  for (int i = 1; i < senders; i++) TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx[i]));
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx));
  if (one_mapping) {
    share_mapping(rx, tx[0]);
    for (int i = 1; i < senders; i++) share_mapping(tx[i], tx[0]);
  }
  uint64_t each = (uint64_t)(kind == MC_CHAN_SLOT ? COUNT / 10 : COUNT) / (uint64_t)senders;
  size_t min = senders > 1 ? 16 : 0;
  for (int i = 0; i < senders; i++) {
    args[i] = (sender_arg){tx[i], (uint32_t)i, each, min, MC_OK};
    ck_assert_int_eq(pthread_create(&th[i], NULL, sender, &args[i]), 0);
  }
  uint64_t next[3] = {0};
  unsigned char buf[MAX], scratch[MAX];
  size_t n;
  int rc;
  while ((rc = mc_chan_recv(rx, buf, sizeof buf, &n, 30000)) == MC_OK) {
    uint32_t id = senders > 1 ? ms_sender(buf, n) : 0;
    TH_REQUIRE(id < (uint32_t)senders, "unknown sender");
    TH_REQUIRE(ms_check(id, next[id], min, MAX, buf, n, scratch), "sender %u message %llu", id,
               (unsigned long long)next[id]);
    next[id]++;
  }
  TH_EXPECT(rc, MC_ECLOSED);
  for (int i = 0; i < senders; i++) {
    pthread_join(th[i], NULL);
    TH_OK(args[i].rc);
    ck_assert_uint_eq(next[i], each);
  }
  if (one_mapping) { /* give the receiver back its own view before closing it */
    rx->ctl = MC__REGION_STATE(&rx->r, mc__chan_ctl);
  }
  mc_chan_close(rx);
  for (int i = senders - 1; i >= 0; i--) mc_chan_close(tx[i]); /* tx[0]'s view last */
}

/* ---- fan-out ---------------------------------------------------------------------------------- */

typedef struct receiver_arg {
  mc_chan *ch;
  int senders, gaps; /* gaps: shared work, a sender's messages are spread over receivers */
  uint64_t got[3], rc;
  int bad;
} receiver_arg;

static void *receiver(void *p) {
  receiver_arg *a = p;
  unsigned char buf[MAX], scratch[MAX];
  uint64_t next[3] = {0};
  size_t n;
  int rc;
  for (uint64_t i = 0;; i++) {
    const unsigned char *msg = buf;
    const void *m;
    rc = (i & 1) ? mc_chan_peek(a->ch, &m, &n, 30000) : mc_chan_recv(a->ch, buf, MAX, &n, 30000);
    if (rc != MC_OK) break;
    if (i & 1) msg = m;
    uint32_t id = ms_sender(msg, n);
    uint64_t seq;
    memcpy(&seq, msg, 8);
    if (id >= (uint32_t)a->senders || (a->gaps ? seq < next[id] : seq != next[id]) ||
        !ms_check(id, seq, 16, MAX, msg, n, scratch)) {
      a->bad = 1;
      break;
    }
    next[id] = seq + 1;
    a->got[id]++;
    if ((i & 1) && (rc = mc_chan_consume(a->ch)) != MC_OK) break;
  }
  a->rc = (uint64_t)(int64_t)rc;
  return NULL;
}

/* `senders` sender threads, two receiver threads, one mapping. */
static void run_fanout(unsigned flags, int senders) {
  char name[64];
  mc_chan *rx[2], *tx[3];
  sender_arg args[3];
  receiver_arg rargs[2];
  pthread_t th[3], rth[2];
  mc_chan_options o = {.max_msg = MAX, .capacity = 4096, .flags = flags | MC_CHAN_MULTI_SEND};
  th_name(name, sizeof name, "fanthreads");
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &tx[0]));
  for (int i = 1; i < senders; i++) TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx[i]));
  for (int i = 0; i < 2; i++) {
    TH_OK(mc_chan_open(name, MC_CHAN_RECV, 0, &rx[i]));
    share_mapping(rx[i], tx[0]);
    rargs[i] = (receiver_arg){rx[i], senders, (flags & MC_CHAN_MULTI_RECV) != 0, {0}, 0, 0};
    ck_assert_int_eq(pthread_create(&rth[i], NULL, receiver, &rargs[i]), 0);
  }
  for (int i = 1; i < senders; i++) share_mapping(tx[i], tx[0]);
  uint64_t each = COUNT / 4 / (uint64_t)senders;
  for (int i = 0; i < senders; i++) {
    args[i] = (sender_arg){tx[i], (uint32_t)i, each, 16, MC_OK};
    ck_assert_int_eq(pthread_create(&th[i], NULL, sender, &args[i]), 0);
  }
  for (int i = 0; i < senders; i++) {
    pthread_join(th[i], NULL);
    TH_OK(args[i].rc);
  }
  for (int r = 0; r < 2; r++) {
    pthread_join(rth[r], NULL);
    ck_assert_msg(!rargs[r].bad, "receiver %d: a wrong, repeated or reordered message", r);
    TH_EXPECT((int)(int64_t)rargs[r].rc, MC_ECLOSED);
  }
  for (int i = 0; i < senders; i++) {
    if (flags & MC_CHAN_MULTI_RECV)
      ck_assert_uint_eq(rargs[0].got[i] + rargs[1].got[i], each);
    else
      ck_assert(rargs[0].got[i] == each && rargs[1].got[i] == each);
  }
  for (int r = 0; r < 2; r++) {
    rx[r]->ctl = MC__REGION_STATE(&rx[r]->r, mc__chan_ctl);
    mc_chan_close(rx[r]);
  }
  for (int i = senders - 1; i >= 0; i--) mc_chan_close(tx[i]);
}

START_TEST(broadcast_one_mapping) {
  run_fanout(MC_CHAN_BROADCAST, 1);
  run_fanout(MC_CHAN_BROADCAST, 2);
}
END_TEST

START_TEST(shared_work_one_mapping) {
  run_fanout(MC_CHAN_MULTI_RECV, 1);
  run_fanout(MC_CHAN_MULTI_RECV, 2);
}
END_TEST

START_TEST(ring_two_mappings) {
  run(MC_CHAN_RING, 1, 0, 0);
}
END_TEST

START_TEST(ring_one_mapping) {
  run(MC_CHAN_RING, 1, 1, 0);
  run(MC_CHAN_RING, 1, 1, -1); /* always sleeping: the futex path */
}
END_TEST

START_TEST(ring_three_senders_one_mapping) {
  run(MC_CHAN_RING, 3, 1, 0);
}
END_TEST

START_TEST(slot_one_mapping) {
  run(MC_CHAN_SLOT, 1, 1, 0);
  run(MC_CHAN_SLOT, 3, 1, 0);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan_threads");
  TCase *tc = th_tcase(s, "threads", 300);
  tcase_add_test(tc, ring_two_mappings);
  tcase_add_test(tc, ring_one_mapping);
  tcase_add_test(tc, ring_three_senders_one_mapping);
  tcase_add_test(tc, slot_one_mapping);
  tcase_add_test(tc, broadcast_one_mapping);
  tcase_add_test(tc, shared_work_one_mapping);
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
