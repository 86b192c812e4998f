/* tests/bitness/peer: one program, built for 64-bit and for 32-bit x86 (Linux and Win32),
 * that shares memchan objects with its other-width build. `peer drive OTHER [WIDTH]` plays
 * one side of each scenario and starts OTHER (the other build, of WIDTH bits: by default the
 * other width; the same width checks the peer itself, where no other build can run) for the
 * other side:
 *   - a block: typed values, a string and a reply, under the single-writer/multi-reader
 *     guard, in both directions;
 *   - a robust mutex and an SWMR guard whose holder (OTHER) exits holding it: the next taker
 *     gets MC_EOWNERDEAD (the crash rule, across widths: process identity and the lock words);
 *   - a ring channel, OTHER sending checked messages to us, then us to OTHER;
 *   - a block larger than a 32-bit address space: a 32-bit process is refused it
 *     (MC_ENOMEM), whichever made it, instead of mapping less than it then uses.
 * Exit status 0 when every check passed; a check that fails says which and exits 1. The
 * fixed-width layout (docs/layout.md) is what makes this work. */
#include <memchan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../msgstream.h"

#define BITS            ((int)(sizeof(void *) * 8))
#define OTHER_BITS      (BITS == 64 ? 32 : 64) /* the width of the peer it shares with */
#define BIG_BLOCK       (8ull << 30)           /* max_size of the too-big block: 8 GiB reserved */
#define WAIT_MS         30000
#define BLOCK           65536
#define MESSAGES        100000
#define MAX_MSG         512
#define CHECK(c)        check_((c), #c, __LINE__)
#define EXPECT(e, want) expect_((e), (want), #e, __LINE__)

static int other_bits = OTHER_BITS; /* the width of OTHER (drive's WIDTH) */

static void check_(int ok, const char *what, int line) {
  if (ok) return;
  fprintf(stderr, "peer (%d-bit): line %d: %s failed\n", BITS, line, what);
  exit(1);
}

static void expect_(int rc, int want, const char *what, int line) {
  if (rc == want) return;
  fprintf(stderr, "peer (%d-bit): line %d: %s returned %s, expected %s\n", BITS, line, what,
          mc_err_name(rc), mc_err_name(want));
  exit(1);
}

/* Runs OTHER with these arguments and checks it exits 0. */
static void run_other(const char *other, const char *a1, const char *a2, const char *a3) {
  const char *argv[] = {other, a1, a2, a3, NULL};
  mc_proc *p;
  int code = -1;
  EXPECT(mc_proc_spawn(argv, &p), MC_OK);
  EXPECT(mc_proc_wait(p, 2 * WAIT_MS, &code), MC_OK);
  mc_proc_free(p);
  if (code != 0) fprintf(stderr, "peer (%d-bit): %s %s exited with %d\n", BITS, other, a1, code);
  CHECK(code == 0);
}

static uint64_t pattern(uint64_t i) {
  return ms_mix(i ^ 0x6d656d6368616eull);
}

/* ---- a block ------------------------------------------------------------------------------ */

static void drive_block(const char *other, const char *name) {
  mc_shm *shm;
  mc_shm_options o = {.size = BLOCK, .flags = MC_SHM_CREATE};
  EXPECT(mc_shm_open(name, &o, &shm), MC_OK);
  EXPECT(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, NULL), MC_OK);
  char text[64];
  snprintf(text, sizeof text, "written by a %d-bit process", BITS);
  EXPECT(mc_shm_set_string(shm, text, strlen(text)), MC_OK);
  for (uint64_t i = 1024; i < BLOCK / 8; i++) EXPECT(mc_shm_set_u64_idx(shm, i, pattern(i)), MC_OK);
  EXPECT(mc_shm_set_u32(shm, 4093, 0xa1b2c3d4u), MC_OK); /* unaligned */
  EXPECT(mc_shm_release(shm), MC_OK);
  run_other(other, "block", name, text);
  EXPECT(mc_shm_acquire(shm, MC_READ, WAIT_MS, NULL), MC_OK);
  char reply[64];
  size_t len;
  EXPECT(mc_shm_get_string(shm, reply, sizeof reply, &len), MC_OK);
  snprintf(text, sizeof text, "answered by a %d-bit process", other_bits);
  CHECK(strcmp(reply, text) == 0);
  uint64_t v;
  EXPECT(mc_shm_get_u64(shm, BLOCK - 8, &v), MC_OK);
  CHECK(v == 0x0123456789abcdefull);
  CHECK(mc_shm_change_count(shm) == 2);
  EXPECT(mc_shm_release(shm), MC_OK);
  mc_shm_close(shm);
  printf("peer (%d-bit): block: both ways\n", BITS);
}

static int check_block(const char *name, const char *expect) {
  mc_shm *shm;
  mc_shm_options o = {.flags = MC_SHM_OPEN};
  EXPECT(mc_shm_open(name, &o, &shm), MC_OK);
  CHECK(mc_shm_size(shm) == BLOCK && !mc_shm_created(shm));
  EXPECT(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, NULL), MC_OK);
  char text[64];
  size_t len;
  EXPECT(mc_shm_get_string(shm, text, sizeof text, &len), MC_OK);
  CHECK(strcmp(text, expect) == 0);
  for (uint64_t i = 1024; i < BLOCK / 8; i++) {
    uint64_t v;
    EXPECT(mc_shm_get_u64_idx(shm, i, &v), MC_OK);
    CHECK(v == pattern(i));
  }
  uint32_t u;
  EXPECT(mc_shm_get_u32(shm, 4093, &u), MC_OK);
  CHECK(u == 0xa1b2c3d4u);
  snprintf(text, sizeof text, "answered by a %d-bit process", BITS);
  EXPECT(mc_shm_set_string(shm, text, strlen(text)), MC_OK);
  EXPECT(mc_shm_set_u64(shm, BLOCK - 8, 0x0123456789abcdefull), MC_OK);
  EXPECT(mc_shm_release(shm), MC_OK);
  mc_shm_close(shm);
  return 0;
}

/* ---- locks whose holder exits holding them ---------------------------------------------- */

static void drive_locks(const char *other, const char *name) {
  char mname[96], gname[96];
  snprintf(mname, sizeof mname, "%s-mx", name);
  snprintf(gname, sizeof gname, "%s-rw", name);
  mc_mutex *mx;
  mc_swmr *g;
  EXPECT(mc_mutex_open(mname, &mx), MC_OK); /* held open: the name outlives the dead holder */
  EXPECT(mc_swmr_open(gname, &g), MC_OK);
  run_other(other, "die-holding", mname, gname);
  EXPECT(mc_mutex_lock(mx, WAIT_MS), MC_EOWNERDEAD);
  EXPECT(mc_mutex_unlock(mx), MC_OK);
  EXPECT(mc_mutex_lock(mx, 0), MC_OK); /* repaired: an ordinary lock again */
  EXPECT(mc_mutex_unlock(mx), MC_OK);
  EXPECT(mc_swmr_lock_read(g, WAIT_MS), MC_EOWNERDEAD);
  EXPECT(mc_swmr_unlock(g), MC_OK);
  EXPECT(mc_swmr_lock_write(g, 0), MC_EOWNERDEAD); /* the next writer is told too: it repairs */
  EXPECT(mc_swmr_unlock(g), MC_OK);
  EXPECT(mc_swmr_lock_write(g, 0), MC_OK);
  EXPECT(mc_swmr_unlock(g), MC_OK);
  mc_mutex_close(mx);
  mc_swmr_close(g);
  printf("peer (%d-bit): mutex and SWMR guard: a dead %d-bit holder is taken over\n", BITS,
         other_bits);
}

static int die_holding(const char *mname, const char *gname) {
  mc_mutex *mx;
  mc_swmr *g;
  EXPECT(mc_mutex_open(mname, &mx), MC_OK);
  EXPECT(mc_swmr_open(gname, &g), MC_OK);
  EXPECT(mc_mutex_lock(mx, WAIT_MS), MC_OK);
  EXPECT(mc_swmr_lock_write(g, WAIT_MS), MC_OK);
  _Exit(0); /* holding both: closing nothing, as a crash would */
}

/* ---- a ring channel --------------------------------------------------------------------- */

static void send_stream(mc_chan *ch) {
  unsigned char buf[MAX_MSG];
  for (uint64_t seq = 0; seq < MESSAGES; seq++) {
    size_t n = ms_make((uint32_t)BITS, seq, 16, MAX_MSG, buf);
    if (seq & 1) {
      void *dst;
      EXPECT(mc_chan_reserve(ch, n, &dst, WAIT_MS), MC_OK);
      memcpy(dst, buf, n);
      EXPECT(mc_chan_commit(ch, n), MC_OK);
    } else {
      EXPECT(mc_chan_send(ch, buf, n, WAIT_MS), MC_OK);
    }
  }
  EXPECT(mc_chan_close_send(ch), MC_OK);
}

static void recv_stream(mc_chan *ch, uint32_t from) {
  unsigned char buf[MAX_MSG], scratch[MAX_MSG + 1];
  for (uint64_t seq = 0; seq < MESSAGES; seq++) {
    size_t n;
    const unsigned char *msg = buf;
    if (seq & 1) {
      const void *p;
      EXPECT(mc_chan_peek(ch, &p, &n, WAIT_MS), MC_OK);
      msg = p;
    } else {
      EXPECT(mc_chan_recv(ch, buf, sizeof buf, &n, WAIT_MS), MC_OK);
    }
    CHECK(ms_check(from, seq, 16, MAX_MSG, msg, n, scratch));
    if (seq & 1) EXPECT(mc_chan_consume(ch), MC_OK);
  }
  size_t n;
  EXPECT(mc_chan_recv(ch, buf, sizeof buf, &n, WAIT_MS), MC_ECLOSED);
}

static void drive_channel(const char *other, const char *name) {
  char in[96], out[96];
  snprintf(in, sizeof in, "%s-in", name);
  snprintf(out, sizeof out, "%s-out", name);
  mc_chan_options o = {.kind = MC_CHAN_RING, .max_msg = MAX_MSG, .capacity = 16384};
  mc_chan *rx, *tx;
  /* The other process sends; we created the channel and receive. */
  EXPECT(mc_chan_create(in, &o, MC_CHAN_RECV, &rx), MC_OK);
  char bits[8];
  snprintf(bits, sizeof bits, "%d", BITS); /* a receiving OTHER checks our messages' sender */
  const char *argv[] = {other, "send", in, bits, NULL};
  mc_proc *p;
  int code = -1;
  EXPECT(mc_proc_spawn(argv, &p), MC_OK);
  recv_stream(rx, (uint32_t)other_bits);
  EXPECT(mc_proc_wait(p, WAIT_MS, &code), MC_OK);
  mc_proc_free(p);
  CHECK(code == 0);
  mc_chan_close(rx);
  /* We created it and send; the other process receives. */
  EXPECT(mc_chan_create(out, &o, MC_CHAN_SEND, &tx), MC_OK);
  argv[1] = "recv";
  argv[2] = out;
  EXPECT(mc_proc_spawn(argv, &p), MC_OK);
  send_stream(tx);
  EXPECT(mc_proc_wait(p, WAIT_MS, &code), MC_OK);
  mc_proc_free(p);
  CHECK(code == 0);
  mc_chan_close(tx);
  printf("peer (%d-bit): ring channel: %d messages each way, copied and zero-copy\n", BITS,
         MESSAGES);
}

/* ---- a block too large for 32 bits ------------------------------------------------------ */

/* Opens or creates the too-big block: a 32-bit process cannot map its 8 GiB and is told so;
   a 64-bit one can. */
static mc_shm *open_big(const char *name, unsigned flags) {
  mc_shm *shm = NULL;
  mc_shm_options o = {.size = BLOCK, .max_size = BIG_BLOCK, .flags = flags};
  EXPECT(mc_shm_open(name, &o, &shm), BITS == 32 ? MC_ENOMEM : MC_OK);
  if (!shm) return NULL;
  CHECK(mc_shm_size(shm) == BLOCK && mc_shm_max_size(shm) == BIG_BLOCK);
  EXPECT(mc_shm_acquire(shm, MC_WRITE, WAIT_MS, NULL), MC_OK);
  uint64_t v = 0;
  EXPECT(mc_shm_get_u64(shm, BLOCK - 8, &v), MC_OK); /* the last byte in use: mapped */
  EXPECT(mc_shm_set_u64(shm, BLOCK - 8, v + 1), MC_OK);
  EXPECT(mc_shm_release(shm), MC_OK);
  return shm;
}

static void drive_big(const char *other, const char *name) {
  char bname[96];
  snprintf(bname, sizeof bname, "%s-big", name);
  mc_shm *shm = open_big(bname, MC_SHM_CREATE);
  if (shm) run_other(other, "open-big", bname, NULL); /* 32-bit: nothing made to open */
  mc_shm_close(shm);
  printf("peer (%d-bit): a block of %llu GiB: %s\n", BITS, BIG_BLOCK >> 30,
         shm ? "made, and opened by the other process as its width allows"
             : "refused to this 32-bit process (MC_ENOMEM)");
}

int main(int argc, char **argv) {
  if (mc_args_utf8(&argc, &argv) != MC_OK) return 1;
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "drive") == 0) {
    if (argc == 4) other_bits = atoi(argv[3]);
    CHECK(other_bits == 32 || other_bits == 64);
    char name[64];
    snprintf(name, sizeof name, "bitness-%d-%lu", BITS,
             (unsigned long)(ms_mix((uint64_t)time(NULL) ^ (uintptr_t)&name) % 1000000));
    drive_block(argv[2], name);
    drive_locks(argv[2], name);
    drive_channel(argv[2], name);
    drive_big(argv[2], name);
    /* The scripts take this line, not the exit status alone, for a pass: a launcher that
       cannot start a program of this width may still report 0 (Wine without its 32-bit
       loader does). */
    printf("peer (%d-bit): every scenario passed against a %d-bit peer\n", BITS, other_bits);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "block") == 0) return check_block(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "die-holding") == 0) return die_holding(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "open-big") == 0) {
    mc_shm_close(open_big(argv[2], MC_SHM_OPEN));
    return 0;
  }
  if (argc == 4 && (strcmp(argv[1], "send") == 0 || strcmp(argv[1], "recv") == 0)) {
    mc_chan *ch;
    int role = argv[1][0] == 's' ? MC_CHAN_SEND : MC_CHAN_RECV;
    EXPECT(mc_chan_open(argv[2], role, WAIT_MS, &ch), MC_OK);
    if (role == MC_CHAN_SEND)
      send_stream(ch);
    else
      recv_stream(ch, (uint32_t)atoi(argv[3])); /* the driver's width */
    mc_chan_close(ch);
    return 0;
  }
  fprintf(stderr, "usage: peer drive OTHER [WIDTH] | block NAME TEXT | die-holding MUTEX GUARD "
                  "| send NAME DRIVER_BITS | recv NAME DRIVER_BITS | open-big NAME\n");
  return 2;
}
