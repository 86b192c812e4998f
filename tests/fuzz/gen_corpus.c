/* Writes the seed corpus (tests/fuzz/corpus/TARGET/) in the targets' input formats, the
 * region images among them taken from real blocks and channels made here:
 *
 *   fuzz_gen_corpus tests/fuzz/corpus
 *
 * Seeds are small: a script that reaches each group of calls, a real header (and the start of
 * its data) for the overwrite mode, and a few patches aimed at the fields that matter (the
 * string length, sizes, lock owners, ring indices). The fuzzer finds the rest. */
#include "fuzz.h"
#include "chan.h"
#include "shm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct seed {
  unsigned char b[16384];
  size_t n;
} seed;

static void put(seed *s, const void *p, size_t n) {
  if (s->n + n > sizeof s->b) abort();
  memcpy(s->b + s->n, p, n);
  s->n += n;
}

static void put8(seed *s, unsigned v) {
  unsigned char c = (unsigned char)v;
  put(s, &c, 1);
}

static void put_le(seed *s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) put8(s, (unsigned)(v >> (8 * i)) & 0xff);
}

/* One script step: code, arg1, arg2 (u16 LE). */
static void op(seed *s, unsigned code, unsigned a1, unsigned a2) {
  put8(s, code);
  put8(s, a1);
  put_le(s, a2, 2);
}

/* A patch for FZ_PATCH mode: offset, length, bytes. */
static void patch(seed *s, unsigned off, uint64_t v, int bytes) {
  put_le(s, off, 2);
  put8(s, (unsigned)bytes);
  put_le(s, v, bytes);
}

static const char *dir;

static void save(const char *target, const char *name, const seed *s) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, target);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

/* ---- fuzz_block (its op codes, see fuzz_block.c) ---- */
enum {
  B_OPEN2,
  B_ACQUIRE,
  B_RELEASE,
  B_GET,
  B_SET,
  B_COPY,
  B_GET_STRING,
  B_SET_STRING,
  B_RESIZE,
  B_SNAPSHOT,
  B_STREAM,
  B_FOPEN,
  B_INFO,
  B_CLOSE,
  B_POKE,
  B_OPEN_OTHER
};

/* The script every block seed runs: write a string through the first handle, read it back
   through the second, with the other groups of calls in between. */
static void block_script(seed *s, int resizable) {
  unsigned ops = resizable ? 18 : 15;
  put8(s, ops);
  op(s, B_ACQUIRE, 0x02 | 0x08, 0); /* h0 write */
  op(s, B_SET_STRING, 0x00, 11);
  op(s, B_SET, 0x04, 0x8008); /* u32 eight bytes before the end */
  op(s, B_COPY, 0x40, 0x0040);
  op(s, B_STREAM, 0x40, 16);
  if (resizable) {
    op(s, B_RESIZE, 0x02, 0x1000); /* grow */
    op(s, B_SET_STRING, 0x02, 0x0400);
    op(s, B_RESIZE, 0x00, 0); /* shrink to nothing */
  }
  op(s, B_RELEASE, 0x00, 0);
  op(s, B_ACQUIRE, 0x01, 0); /* h1 read */
  op(s, B_GET_STRING, 0x01, 100);
  op(s, B_GET, 0x07, 0x8004);
  op(s, B_SNAPSHOT, 0x01, 4);
  op(s, B_FOPEN, 0x01, 8);
  op(s, B_RELEASE, 0x01, 0);
  op(s, B_INFO, 0x01, 0);
  op(s, B_CLOSE, 0x01, 0);
  op(s, B_OPEN2, 0x0d, 4096);
  if (resizable) op(s, B_OPEN_OTHER, 0x06, 4096);
}

/* A real block's first bytes: header, guard, a string at the start of its data. */
static size_t block_image(unsigned char *img, size_t cap, unsigned flags) {
  char name[64];
  mc_shm *h;
  void *data;
  fz_name(name, sizeof name, "gen");
  mc_shm_options o = {.size = 4096, .flags = MC_SHM_CREATE | flags};
  if (mc_shm_open(name, &o, &h) != MC_OK || mc_shm_acquire(h, MC_WRITE, 0, &data) != MC_OK) abort();
  mc_shm_set_string(h, "hello, fuzz", 11);
  mc_shm_release(h);
  size_t n = MC__HEADER_BYTES + 64;
  if (n > cap) abort();
  memcpy(img, h->r.map.base, n);
  mc_shm_close(h);
  return n;
}

static void gen_block(void) {
  const char *t = "fuzz_block";
  seed s;
  unsigned char img[8192];

  s.n = 0; /* XOR mode with nothing to XOR: the plain API over an intact block */
  put8(&s, 0x10);
  put8(&s, 4);
  block_script(&s, 0);
  save(t, "script-fixed", &s);

  s.n = 0;
  put8(&s, 0x10 | 0x02); /* resizable up to 4096 << 6 */
  put8(&s, 4 | 3 << 3);
  block_script(&s, 1);
  save(t, "script-resizable", &s);

  s.n = 0;
  put8(&s, 0x10 | 0x02); /* resizable up to 2^45: grow far, then shrink */
  put8(&s, 4 | 0xc0);
  put8(&s, 5);
  op(&s, B_ACQUIRE, 0x02, 0);
  op(&s, B_RESIZE, 0x02 | 30 << 1, 0x1000); /* 0x1000 << 30 = 2^42 */
  op(&s, B_COPY, 0x40 | 0x80, 0);           /* far past the end */
  op(&s, B_RESIZE, 0x00, 0);
  op(&s, B_RELEASE, 0x00, 0);
  save(t, "script-huge", &s);

  s.n = 0;
  put8(&s, 0x10 | 0x01); /* unprotected: no guard, acquire never waits */
  put8(&s, 3);
  block_script(&s, 0);
  save(t, "script-unprotected", &s);

  s.n = 0; /* XOR with zeros over header and data: the fuzzer flips bits of a live block */
  put8(&s, 0x10 | FZ_XOR << 2);
  put8(&s, 4);
  block_script(&s, 0);
  memset(img, 0, MC__HEADER_BYTES + 64);
  put(&s, img, MC__HEADER_BYTES + 64);
  save(t, "xor-block", &s);

  s.n = 0; /* overwrite mode with a real image of another process's block: stale holders */
  put8(&s, 0x10 | FZ_COPY << 2);
  put8(&s, 4);
  block_script(&s, 0);
  put(&s, img, block_image(img, sizeof img, 0));
  save(t, "image-block", &s);

  s.n = 0; /* patches: the string length, the size, the guard's writer and lock owner */
  put8(&s, 0x10 | FZ_PATCH << 2);
  put8(&s, 4);
  block_script(&s, 0);
  patch(&s, MC__HEADER_BYTES, 0xfffffff0, 4);
  save(t, "patch-string-length", &s);

  s.n = 0;
  put8(&s, 0x10 | 0x02 | FZ_PATCH << 2);
  put8(&s, 4 | 3 << 3);
  block_script(&s, 1);
  patch(&s, offsetof(mc__region_hdr, size), 1u << 20, 8);
  patch(&s, MC__LIFETIME_LOCK, 1, 8); /* a live pid with no start time: made dead */
  save(t, "patch-size-lock", &s);

  s.n = 0;
  put8(&s, 0x10 | FZ_PATCH << 2);
  put8(&s, 4);
  block_script(&s, 0);
  patch(&s, MC__STATE_OFFSET + offsetof(mc__swmr_shared, writer), 0x7fffffff00000001ull, 8);
  patch(&s, MC__STATE_OFFSET + offsetof(mc__swmr_shared, readers), 0xffffffff, 8);
  save(t, "patch-guard", &s);
}

/* ---- fuzz_chan ---- */
enum {
  C_SEND,
  C_RESERVE,
  C_COMMIT,
  C_RECV,
  C_PEEK,
  C_CONSUME,
  C_CLOSE_SEND,
  C_CLOSE,
  C_OPEN,
  C_STATS,
  C_POKE,
  C_CREATE_AGAIN,
  C_ABORT
};
enum { E_RECV, E_SEND, E_SEND2 };

static void chan_script(seed *s, int multi) {
  put8(s, multi ? 16 : 13);
  op(s, C_RECV, E_RECV, 0x7ff);
  op(s, C_PEEK, E_RECV | 0x20, 0); /* peek and consume */
  op(s, C_SEND, E_SEND, 40);
  op(s, C_RESERVE, E_SEND | 0x20, 24); /* reserve and commit half */
  if (multi) {
    op(s, C_SEND, E_SEND2, 8);
    op(s, C_ABORT, E_SEND2, 7); /* end of stream with a reason, for this sender */
    op(s, C_OPEN, E_SEND2, 0);
  }
  op(s, C_RECV, E_RECV, 0x7ff);
  op(s, C_RECV, E_RECV | 0x80, 0);
  op(s, C_PEEK, E_RECV, 0); /* peek, then a recv while it is held: MC_ESTATE */
  op(s, C_RECV, E_RECV, 16);
  op(s, C_CONSUME, E_RECV, 0);
  op(s, C_CLOSE_SEND, E_SEND, 0);
  op(s, C_RECV, E_RECV, 0x7ff); /* closed and drained */
  op(s, C_STATS, E_RECV, 0);
  op(s, C_CREATE_AGAIN, E_RECV, 0);
}

/* A real channel's region after three messages: header, control block, the first records. */
static size_t chan_image(unsigned char *img, size_t cap, int kind) {
  char name[64];
  mc_chan *rx, *tx;
  fz_name(name, sizeof name, "gen");
  mc_chan_options o = {.kind = kind, .max_msg = 64, .capacity = 256, .spin_us = -1};
  if (mc_chan_create(name, &o, MC_CHAN_RECV, &rx) != MC_OK ||
      mc_chan_open(name, MC_CHAN_SEND, 0, &tx) != MC_OK)
    abort();
  char msg[64];
  memset(msg, 'm', sizeof msg);
  for (int i = 0; i < 3; i++) mc_chan_send(tx, msg, 7 + (size_t)i * 10, 0);
  size_t n = MC__HEADER_BYTES + 256;
  if (n > cap || n > rx->r.map.committed) abort();
  memcpy(img, rx->r.map.base, n);
  mc_chan_close(tx);
  mc_chan_close(rx);
  return n;
}

static void chan_seed(seed *s, unsigned cfg, unsigned geom, unsigned queued) {
  s->n = 0;
  put8(s, cfg);
  put8(s, geom);
  put8(s, queued);
  chan_script(s, (cfg & 0x02) != 0);
}

static void gen_chan(void) {
  const char *t = "fuzz_chan";
  seed s;
  unsigned char img[8192];
  /* geom 1: max_msg 64, ring of two records; queued: 3 messages of 16, 32, 48 bytes */
  chan_seed(&s, 0x00, 1, 3 | 16 << 3);
  save(t, "ring-live", &s);
  chan_seed(&s, 0x02, 1 | 2 << 2, 5 | 8 << 3 | 0x80);
  save(t, "ring-multi-live", &s);
  chan_seed(&s, 0x01, 1, 1 | 8 << 3);
  save(t, "slot-live", &s);
  chan_seed(&s, 0x03 | 0x40, 0, 1);
  save(t, "slot-multi-spin", &s);
  /* Frozen, XOR with zeros over the header, control block and first records: the bytes the
     fuzzer flips are those of a valid channel that senders left. */
  chan_seed(&s, 0x04 | FZ_XOR << 3, 1, 3 | 16 << 3);
  memset(img, 0, MC__HEADER_BYTES + 256);
  put(&s, img, MC__HEADER_BYTES + 256);
  save(t, "ring-frozen-xor", &s);
  chan_seed(&s, 0x05 | 0x20 | FZ_XOR << 3, 1, 1 | 16 << 3);
  put(&s, img, MC__STATE_BYTES + 64);
  save(t, "slot-frozen-xor", &s);
  /* A real image of another process's channel: every holder it names is dead (the stale
     take-over paths), its messages still queued. */
  chan_seed(&s, 0x04 | FZ_COPY << 3, 1, 0);
  put(&s, img, chan_image(img, sizeof img, MC_CHAN_RING));
  save(t, "ring-frozen-image", &s);
  chan_seed(&s, 0x05 | FZ_COPY << 3, 1, 0);
  put(&s, img, chan_image(img, sizeof img, MC_CHAN_SLOT));
  save(t, "slot-frozen-image", &s);
  /* Patches over the control block (offsets from it): head far ahead, a record length. */
  chan_seed(&s, 0x20 | FZ_PATCH << 3, 1, 3 | 16 << 3);
  patch(&s, offsetof(mc__chan_ctl, head), 1u << 20, 8);
  save(t, "ring-patch-head", &s);
  chan_seed(&s, FZ_PATCH << 3, 1, 3 | 16 << 3);
  patch(&s, MC__HEADER_BYTES + offsetof(mc__rec_hdr, len), 0x7fffffff, 4);
  save(t, "ring-patch-record", &s);
  chan_seed(&s, 0x02 | 0x20 | FZ_PATCH << 3, 1, 2 | 8 << 3);
  patch(&s, offsetof(mc__chan_ctl, send_lock), 1, 8); /* a live pid, made dead */
  patch(&s, offsetof(mc__chan_ctl, senders) + 16, 0xdeadbeef00000007ull, 8);
  save(t, "ring-patch-senders", &s);
}

/* ---- fuzz_names ---- */
enum { N_SHM, N_EVENT, N_MUTEX, N_SEM, N_SWMR, N_CHAN_CREATE, N_CHAN_OPEN, N_UNLINK };

static void names_opts(seed *s, uint64_t a, uint64_t b, uint32_t c, uint32_t d) {
  put_le(s, a, 8);
  put_le(s, b, 8);
  put_le(s, c, 4);
  put_le(s, d, 4);
}

static void names_seed(const char *file, unsigned api, unsigned form, const char *name, uint64_t a,
                       uint64_t b, uint32_t c, uint32_t d) {
  seed s = {.n = 0};
  put8(&s, api);
  put8(&s, form);
  names_opts(&s, a, b, c, d);
  names_opts(&s, a * 2, b, c ^ 1, d); /* the second open: other sizes, the other flag */
  put(&s, name, strlen(name));
  save("fuzz_names", file, &s);
}

static void gen_names(void) {
  char longname[260];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  names_seed("shm", N_SHM, 0, "blk", 4096, 0, 0, 1);
  names_seed("shm-resizable", N_SHM, 1, "blk.r", 100, 1 << 20, MC_SHM_CREATE, 0);
  names_seed("shm-unique", N_SHM, 3, "", 64, 0, 0, 0);
  names_seed("event", N_EVENT, 0, "ev", 0, 0, 1, 0);
  names_seed("mutex", N_MUTEX, 0, "mx_1", 0, 0, 0, 0);
  names_seed("sem", N_SEM, 0, "sem-2", 1, 0, 1, 5);
  names_seed("swmr", N_SWMR, 4 | N_SHM << 3, "guard", 0, 0, 1, 0); /* then as a block */
  names_seed("chan-create", N_CHAN_CREATE, 0, "ch", 64, 4096, 1 | 0x100000, 2);
  names_seed("chan-open", N_CHAN_OPEN, 0, "ch.o", 0, 0, 0, 3);
  names_seed("chan-unique", N_CHAN_CREATE, 3, "", 0, 0, 2 | 0x400000, 1);
  names_seed("unlink", N_UNLINK, 0, "gone", 0, 0, 0, 0);
  names_seed("raw-invalid", N_SHM, 2, "bad$name", 4096, 0, 0, 0);
  names_seed("raw-dots", N_EVENT, 2, "/..", 0, 0, 0, 0);
  names_seed("long", N_MUTEX, 0, longname, 0, 0, 0, 0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_gen_corpus DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  dir = argv[1];
  mkdir(dir, 0755);
  gen_block();
  gen_chan();
  gen_names();
  return 0;
}
