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
 *   each consume before the space is reused (tail), the locks of several senders. */
#include "chan.h"
#include "harness.h"
#include "msgstream.h"

#include <pthread.h>
#include <stdlib.h>

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
  TH_OK(mc__tlock_bind(&rx->send_lock, &tx->r.name, &tx->ctl->send_lock,
                       base + offsetof(mc__chan_ctl, send_lock)));
  TH_OK(mc__tlock_bind(&rx->slot_lock, &tx->r.name, &tx->ctl->slot_lock,
                       base + offsetof(mc__chan_ctl, slot_lock)));
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
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
