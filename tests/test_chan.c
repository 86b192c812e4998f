/* Channels: both kinds - creating, opening and arguments, roles, zero copy and wrapping,
 * blocking, waking and timeouts. */
#include "chan_procs.h"

#include <stdlib.h>
#include <string.h>

/* ---- basics ------------------------------------------------------------------------------------
 */

START_TEST(basics_in_one_process) {
  char name[64], buf[64];
  size_t n = 99;
  mc_chan *rx = create_chan("basic", MC_CHAN_RING, 100, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx, *tx2, *rx2;
  ck_assert_str_eq(mc_chan_name(rx), name);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, 0, &tx2), MC_EBUSY); /* one sender */
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &rx2), MC_EBUSY); /* one receiver */
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  TH_OK(mc_chan_send(tx, "hello", 5, 0));
  TH_OK(mc_chan_send(tx, "", 0, 0));
  TH_EXPECT(mc_chan_recv(rx, buf, 3, &n, 0), MC_ENOSPC); /* too small: stays queued */
  ck_assert_uint_eq(n, 5);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  ck_assert_uint_eq(n, 5);
  ck_assert(memcmp(buf, "hello", 5) == 0);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 0));
  ck_assert_uint_eq(n, 0);
  static char big[101];
  TH_EXPECT(mc_chan_send(tx, big, 101, 0), MC_ENOSPC); /* over max_msg */
  TH_OK(mc_chan_send(tx, big, 100, 0));
  TH_OK(mc_chan_recv(rx, big, sizeof big, &n, 0));
  /* Roles. */
  TH_EXPECT(mc_chan_send(rx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(tx, buf, sizeof buf, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_close_send(rx), MC_ESTATE);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_eq(st.sent, 3);
  ck_assert_uint_eq(st.bytes_sent, 105);
  TH_OK(mc_chan_get_stats(rx, &st));
  ck_assert_uint_eq(st.received, 3);
  ck_assert_uint_eq(st.bytes_received, 105);
  /* End of stream. */
  TH_OK(mc_chan_close_send(tx));
  TH_EXPECT(mc_chan_close_send(tx), MC_ESTATE);
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 1000), MC_ECLOSED);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ECLOSED); /* and stays so */
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

START_TEST(create_open_and_arguments) {
  char name[64];
  mc_chan *a, *b = (mc_chan *)1;
  mc_chan_options o = {0};
  a = create_chan("args", MC_CHAN_RING, 0, 0, 0, MC_CHAN_SEND, name, sizeof name);
  TH_EXPECT(mc_chan_create(name, NULL, MC_CHAN_RECV, &b), MC_EEXIST);
  ck_assert_ptr_null(b);
  mc_chan_close(a);
  /* A unique name, told by mc_chan_name. */
  TH_OK(mc_chan_create(NULL, NULL, MC_CHAN_RECV, &a));
  TH_OK(mc_chan_open(mc_chan_name(a), MC_CHAN_SEND, 0, &b));
  mc_chan_close(b);
  mc_chan_close(a);
  /* Missing: open waits for its timeout, and not less (then: no such channel). */
  th_name(name, sizeof name, "missing");
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 80, &b), MC_ENOENT);
  ck_assert_uint_ge(th_ms_since(t0), 80);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_RECV, 0, &b), MC_ENOENT);
  /* Bad arguments. */
  TH_EXPECT(mc_chan_create(name, NULL, 3, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_create(name, NULL, MC_CHAN_SEND, NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_create("bad name", NULL, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.kind = 7};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.flags = 1u << 9};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.spin_us = -2};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.max_msg = 4096, .capacity = 4096}; /* cannot hold two records */
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.max_msg = (1u << 30) + 1};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  o = (mc_chan_options){.mode = 010000};
  TH_EXPECT(mc_chan_create(name, &o, MC_CHAN_SEND, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(NULL, MC_CHAN_SEND, 0, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(name, 3, 0, &a), MC_EINVAL); /* 0 is MC_CHAN_NONE */
  TH_EXPECT(mc_chan_open(name, -1, 0, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_SEND, -5, &a), MC_EINVAL);
  TH_EXPECT(mc_chan_send(NULL, "x", 1, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_recv(NULL, NULL, 0, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_reserve(NULL, 1, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_commit(NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_peek(NULL, NULL, NULL, 0), MC_EINVAL);
  TH_EXPECT(mc_chan_consume(NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_close_send(NULL), MC_EINVAL);
  TH_EXPECT(mc_chan_get_stats(NULL, NULL), MC_EINVAL);
  ck_assert_str_eq(mc_chan_name(NULL), "");
  mc_chan_close(NULL);
  /* Capacity rounds up to a power of two; defaults adapt to a large max_msg. */
  o = (mc_chan_options){.capacity = 5000, .max_msg = 100};
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &a));
  ck_assert_uint_eq(a->cap_mask + 1, 8192);
  mc_chan_close(a);
  o = (mc_chan_options){.max_msg = 1u << 20};
  TH_OK(mc_chan_create(name, &o, MC_CHAN_SEND, &a));
  ck_assert_uint_ge(a->cap_mask + 1, 2 * ((1u << 20) + 8));
  mc_chan_close(a);
  /* The name belongs to a channel: other kinds are refused. */
  mc_event *ev;
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_RECV, &a));
  TH_EXPECT(mc_event_open(name, 0, 0, &ev), MC_EMISMATCH);
  mc_chan_close(a);
}
END_TEST

/* A holder that takes neither end (MC_CHAN_NONE): a supervisor keeps a channel between two
   stages alive, whichever of them comes and goes; it can neither send nor receive. */
START_TEST(role_none_holds_the_channel) {
  char name[64], buf[8];
  size_t n;
  mc_chan *hold, *tx, *rx;
  void *w;
  const void *m;
  th_name(name, sizeof name, "none");
  TH_OK(mc_chan_create(name, NULL, MC_CHAN_NONE, &hold));
  TH_EXPECT(mc_chan_send(hold, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(hold, buf, sizeof buf, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_reserve(hold, 1, &w, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_peek(hold, &m, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_close_send(hold), MC_ESTATE);
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 1000, &tx));
  TH_OK(mc_chan_send(tx, "one", 3, 1000));
  mc_chan_close(tx); /* the only sender is gone, and no receiver came yet */
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, 1000, &rx));
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, 1000));
  ck_assert_uint_eq(n, 3);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 1000), MC_ECLOSED);
  mc_chan_close(rx);
  mc_chan *again;
  TH_OK(mc_chan_open(name, MC_CHAN_NONE, 0, &again)); /* still there */
  mc_chan_close(again);
  mc_chan_close(hold);
  TH_EXPECT(mc_chan_open(name, MC_CHAN_NONE, 0, &again), MC_ENOENT);
}
END_TEST

START_TEST(open_waits_for_the_creator) {
  char name[64], buf[8];
  size_t n;
  mc_chan *rx;
  th_name(name, sizeof name, "later");
  mc_proc *p = th_spawn("create_after_waiter", name, NULL);
  TH_OK(mc_chan_open(name, MC_CHAN_RECV, WAIT_MS, &rx));
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS));
  ck_assert_uint_eq(n, 2);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}
END_TEST

/* ---- zero copy ----------------------------------------------------------------------------------
 */

START_TEST(zero_copy_and_wrapping) {
  char name[64];
  const size_t max = 200;
  mc_chan *rx = create_chan("zc", MC_CHAN_RING, max, 1024, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  unsigned char scratch[256], tmp[256];
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  void *w;
  const void *r;
  size_t n;
  /* Reserve the maximum, commit less; sizes chosen so that records keep wrapping a ring of
     1024 bytes (padding records at its end). */
  for (uint64_t seq = 0; seq < 5000; seq++) {
    TH_OK(mc_chan_reserve(tx, max, &w, 0));
    n = ms_make(0, seq, 0, max, w);
    TH_OK(mc_chan_commit(tx, n));
    TH_OK(mc_chan_peek(rx, &r, &n, 0));
    TH_REQUIRE(ms_check(0, seq, 0, max, r, n, scratch), "message %llu", (unsigned long long)seq);
    TH_OK(mc_chan_consume(rx));
    if (seq % 3 == 0) { /* and sometimes two at once, so a second record wraps */
      TH_OK(mc_chan_send(tx, tmp, ms_make(1, seq, 0, max, tmp), 0));
      TH_OK(mc_chan_recv(rx, tmp, sizeof tmp, &n, 0));
      TH_REQUIRE(ms_check(1, seq, 0, max, tmp, n, scratch), "message %llu",
                 (unsigned long long)seq);
    }
  }
  /* States. */
  TH_OK(mc_chan_reserve(tx, 10, &w, 0));
  TH_EXPECT(mc_chan_reserve(tx, 10, &w, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_commit(tx, 11), MC_EINVAL); /* more than reserved */
  memcpy(w, "0123456789", 10);
  TH_OK(mc_chan_commit(tx, 10));
  TH_EXPECT(mc_chan_commit(tx, 1), MC_ESTATE);
  TH_EXPECT(mc_chan_reserve(tx, max + 1, &w, 0), MC_ENOSPC);
  TH_EXPECT(mc_chan_consume(rx), MC_ESTATE);
  TH_OK(mc_chan_peek(rx, &r, &n, 0));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 0), MC_ESTATE);
  TH_EXPECT(mc_chan_recv(rx, tmp, sizeof tmp, &n, 0), MC_ESTATE);
  TH_OK(mc_chan_consume(rx));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 0), MC_ETIMEDOUT);
  /* A reservation dropped by close_send is never delivered. */
  TH_OK(mc_chan_reserve(tx, 10, &w, 0));
  TH_OK(mc_chan_close_send(tx));
  TH_EXPECT(mc_chan_peek(rx, &r, &n, 100), MC_ECLOSED);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

/* A payload whose bytes look like a record header - the stamp the next lap's record at that
   offset will carry, a length, the tag - must not be taken for that record when the stream
   reaches the offset with nothing sent there yet. (Stale bytes of any kind: the storm found
   an old stamp torn by two bytes of a later payload.) */
START_TEST(stale_bytes_are_never_a_record) {
  char name[64];
  const size_t max = 200;
  mc_chan *rx = create_chan("forge", MC_CHAN_RING, max, 1024, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  const uint64_t cap = rx->cap_mask + 1, at = 64; /* the forged header's ring offset */
  unsigned char msg[200], out[256];
  size_t n;
  /* Lap 1: one message (record at 0, payload from 16) holds the fake header at offset `at`. */
  memset(msg, 0x5a, sizeof msg);
  mc__rec_hdr fake = {.len = 5, .tag = MC__REC_TAG};
  atomic_store(&fake.stamp, cap + at + 1);
  memcpy(msg + at - 16, &fake, sizeof fake);
  memcpy(msg + at, "FORGE", 5);
  TH_OK(mc_chan_send(tx, msg, 80, 0)); /* a 96-byte record: 0..95 */
  TH_OK(mc_chan_recv(rx, out, sizeof out, &n, 0));
  /* Records of 32 bytes up to the ring's end, then one of 64 at offset 0 of lap 2: the
     stream now stands at cap + at, over the fake header. */
  for (uint64_t pos = 96; pos < cap; pos += 32) {
    TH_OK(mc_chan_send(tx, msg, 16, 0));
    TH_OK(mc_chan_recv(rx, out, sizeof out, &n, 0));
    ck_assert_uint_eq(n, 16);
  }
  TH_OK(mc_chan_send(tx, msg, 48, 0));
  TH_OK(mc_chan_recv(rx, out, sizeof out, &n, 0));
  ck_assert_uint_eq(n, 48);
  TH_EXPECT(mc_chan_recv(rx, out, sizeof out, &n, 0), MC_ETIMEDOUT); /* nothing was sent */
  TH_OK(mc_chan_send(tx, "real", 4, 0));
  TH_OK(mc_chan_recv(rx, out, sizeof out, &n, 0));
  ck_assert_uint_eq(n, 4);
  ck_assert(memcmp(out, "real", 4) == 0);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

START_TEST(slot_zero_copy) {
  char name[64];
  mc_chan *rx = create_chan("szc", MC_CHAN_SLOT, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  void *w;
  const void *r;
  size_t n;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  TH_OK(mc_chan_reserve(tx, 64, &w, 0));
  memcpy(w, "slot!", 5);
  TH_OK(mc_chan_commit(tx, 5));
  TH_EXPECT(mc_chan_send(tx, "x", 1, 0), MC_ETIMEDOUT); /* one slot: full until read */
  TH_OK(mc_chan_peek(rx, &r, &n, 0));
  ck_assert_uint_eq(n, 5);
  ck_assert(memcmp(r, "slot!", 5) == 0);
  TH_OK(mc_chan_consume(rx));
  TH_OK(mc_chan_send(tx, "x", 1, 0)); /* "read finished": the slot is free again */
  char b[8];
  TH_EXPECT(mc_chan_recv(rx, b, 0, &n, 0), MC_ENOSPC);
  TH_OK(mc_chan_recv(rx, b, sizeof b, &n, 0));
  ck_assert_uint_eq(n, 1);
  TH_EXPECT(mc_chan_send(tx, b, 65, 0), MC_ENOSPC);
  mc_chan_close(tx);
  TH_EXPECT(mc_chan_recv(rx, b, sizeof b, &n, 0), MC_ECLOSED);
  mc_chan_close(rx);
}
END_TEST

/* ---- blocking and timeouts ------------------------------------------------------------------- */

START_TEST(timeouts_leave_nothing_behind) {
  char name[64], buf[300];
  size_t n;
  mc_chan *rx = create_chan("tmo", MC_CHAN_RING, 200, 1024, 0, MC_CHAN_RECV, name, sizeof name);
  mc_chan *tx;
  TH_OK(mc_chan_open(name, MC_CHAN_SEND, 0, &tx));
  uint64_t t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 60), MC_ETIMEDOUT);
  ck_assert_uint_ge(th_ms_since(t0), 60);
  uint64_t sent = 0;
  int rc;
  while ((rc = mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, (unsigned char *)buf), 0)) == MC_OK)
    sent++;
  TH_EXPECT(rc, MC_ETIMEDOUT);
  t0 = mc__plat_now_ns();
  TH_EXPECT(mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, (unsigned char *)buf), 40),
            MC_ETIMEDOUT);
  ck_assert_uint_ge(th_ms_since(t0), 40);
  /* Exactly the messages that were accepted arrive, and nothing else. */
  recv_checked(rx, 1, sent, 0, 200, 0);
  TH_EXPECT(mc_chan_recv(rx, buf, sizeof buf, &n, 0), MC_ETIMEDOUT);
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(tx, &st));
  ck_assert_uint_eq(st.sent, sent);
  ck_assert_uint_ge(st.send_waits, 2);
  mc_chan_close(tx);
  mc_chan_close(rx);
}
END_TEST

static void wake_on_send(int kind) {
  char name[64], buf[64];
  size_t n;
  mc_chan *rx = create_chan("wakerx", kind, 64, 0, 0, MC_CHAN_RECV, name, sizeof name);
  mc_proc *p = th_spawn("wake_peer", name, "send", "1", "0", "64", NULL);
  TH_OK(mc_chan_recv(rx, buf, sizeof buf, &n, WAIT_MS)); /* asleep until the helper sends */
  unsigned char scratch[64];
  ck_assert(ms_check(0, 0, 0, 64, (unsigned char *)buf, n, scratch));
  mc_chan_stats st;
  TH_OK(mc_chan_get_stats(rx, &st));
  ck_assert_uint_eq(st.recv_waits, 1);
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(rx);
}

START_TEST(receiver_wakes_on_send) {
  wake_on_send(MC_CHAN_RING);
  wake_on_send(MC_CHAN_SLOT);
}
END_TEST

static void wake_on_space(int kind) {
  char name[64], cnt[32];
  unsigned char buf[200];
  mc_chan *tx = create_chan("waketx", kind, 200, 1024, 0, MC_CHAN_SEND, name, sizeof name);
  uint64_t sent = 0;
  while (mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, buf), 0) == MC_OK) sent++;
  /* Full. The helper drains once it sees us asleep; our blocked send then goes through. */
  mc_proc *p = th_spawn("wake_peer", name, "recv", num(cnt, sent + 1), "0", "200", NULL);
  TH_OK(mc_chan_send(tx, buf, ms_make(0, sent, 0, 200, buf), WAIT_MS));
  ck_assert_int_eq(th_wait(p, WAIT_MS), 0);
  mc_chan_close(tx);
}

START_TEST(sender_wakes_when_space_frees) {
  wake_on_space(MC_CHAN_RING);
  wake_on_space(MC_CHAN_SLOT);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("chan");
  TCase *tc = th_tcase(s, "basics", 60);
  tcase_add_test(tc, basics_in_one_process);
  tcase_add_test(tc, create_open_and_arguments);
  tcase_add_test(tc, role_none_holds_the_channel);
  tcase_add_test(tc, open_waits_for_the_creator);
  tcase_add_test(tc, zero_copy_and_wrapping);
  tcase_add_test(tc, stale_bytes_are_never_a_record);
  tcase_add_test(tc, slot_zero_copy);
  tc = th_tcase(s, "blocking", 60);
  tcase_add_test(tc, timeouts_leave_nothing_behind);
  tcase_add_test(tc, receiver_wakes_on_send);
  tcase_add_test(tc, sender_wakes_when_space_frees);
  return s;
}

static const th_helper helpers[] = {CHAN_HELPERS, {NULL, NULL}};

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), helpers);
}
