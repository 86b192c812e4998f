/* fuzz_block: a named block whose region bytes (header, guard and lock words, data, the
 * string length) are the input, then a script of API calls on two handles.
 *
 * Input: cfg, size, nops, nops x 4 script bytes, then the bytes written over the region
 * (fuzz.h: XOR or overwrite from offset 0, or patches).
 *   cfg  bit 0 unprotected, bit 1 resizable, bits 2-3 scribble mode, bit 4 open the second
 *        handle before the scribbling (a live peer) rather than leave it to the script,
 *        bit 5 persist
 *   size bits 0-2 data size (sizes[]), bits 3-5 max size = size << (2 * that) when resizable,
 *        or 2^45 when bits 6-7 are both set
 *   op   code, arg1 (handle in bit 0, then flags), arg2 (u16 LE: offset or length) */
#include "fuzz.h"
#include "shm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  OP_OPEN2,
  OP_ACQUIRE,
  OP_RELEASE,
  OP_GET,
  OP_SET,
  OP_COPY,
  OP_GET_STRING,
  OP_SET_STRING,
  OP_RESIZE,
  OP_SNAPSHOT,
  OP_STREAM,
  OP_FOPEN,
  OP_INFO,
  OP_CLOSE,
  OP_POKE,
  OP_OPEN_OTHER,
  OP_COUNT
};

static const uint64_t sizes[8] = {1, 4, 16, 100, 4096, 4100, 8192, 65536};
static unsigned char buf[1 << 20]; /* the largest length a script can ask for fits */

typedef struct run {
  const char *name;
  mc_shm *h[2];
  uint64_t max; /* the max size asked for at creation */
} run;

/* An offset near the start, near the end, or far past it. */
static uint64_t pick_offset(mc_shm *h, uint8_t a1, uint16_t a2) {
  if (a1 & 0x80) return UINT64_MAX - (a2 & 0xff);
  if (a2 & 0x8000) return mc_shm_size(h) - (a2 & 0x7fff); /* may wrap: that is a test too */
  return a2;
}

static void op_typed(mc_shm *h, int set, uint8_t a1, uint16_t a2) {
  uint64_t off = pick_offset(h, a1, a2);
  int idx = (a1 >> 3) & 1, rc;
  uint8_t v8 = (uint8_t)a2;
  uint16_t v16 = a2;
  uint32_t v32 = a2 * 0x10001u;
  uint64_t v64 = a2 * 0x1000100010001ull;
  switch ((a1 >> 1) & 3) {
  case 0:
    rc = set ? (idx ? mc_shm_set_u8_idx(h, off, v8) : mc_shm_set_u8(h, off, v8))
             : (idx ? mc_shm_get_u8_idx(h, off, &v8) : mc_shm_get_u8(h, off, &v8));
    break;
  case 1:
    rc = set ? (idx ? mc_shm_set_u16_idx(h, off, v16) : mc_shm_set_u16(h, off, v16))
             : (idx ? mc_shm_get_u16_idx(h, off, &v16) : mc_shm_get_u16(h, off, &v16));
    break;
  case 2:
    rc = set ? (idx ? mc_shm_set_u32_idx(h, off, v32) : mc_shm_set_u32(h, off, v32))
             : (idx ? mc_shm_get_u32_idx(h, off, &v32) : mc_shm_get_u32(h, off, &v32));
    break;
  default:
    rc = set ? (idx ? mc_shm_set_u64_idx(h, off, v64) : mc_shm_set_u64(h, off, v64))
             : (idx ? mc_shm_get_u64_idx(h, off, &v64) : mc_shm_get_u64(h, off, &v64));
    break;
  }
  (void)rc; /* any code will do: only crashes, hangs and sanitizer reports are findings */
}

static void op_copy(mc_shm *h, uint8_t a1, uint16_t a2) {
  size_t len = (size_t)(a1 >> 1 & 0x3f) * 1024 + (a2 & 0x3ff), done;
  uint64_t off = pick_offset(h, a1 & 0x80, a2 >> 6 << 6);
  if (a1 & 0x40)
    mc_shm_write(h, off, buf, len, &done);
  else
    mc_shm_read(h, off, buf, len, (a2 & 1) ? NULL : &done);
}

static void op_stream(mc_shm *h, uint8_t a1, uint16_t a2) {
  mc_stream *st;
  if (mc_shm_stream(h, &st) != MC_OK) return;
  int64_t where = (a1 & 0x80) ? -(int64_t)a2 : (int64_t)a2;
  mc_stream_seek(st, where, (a1 >> 1) & 3); /* whence 3 is no whence at all */
  size_t len = (size_t)((a1 >> 3) & 0xf) * 4096 + (a2 & 0xfff);
  if (a1 & 0x40)
    mc_stream_write(st, buf, len);
  else
    mc_stream_read(st, buf, len);
  mc_stream_seek(st, 0, SEEK_END);
  mc_stream_read(st, buf, 16);
}

static void op_fopen(mc_shm *h, uint8_t a1, uint16_t a2) {
  static const char *const modes[8] = {"r", "w", "a", "r+", "w+", "a+", "x", ""};
  FILE *f = mc_shm_fopen(h, modes[(a1 >> 1) & 7]);
  if (!f) return;
  size_t len = a2 & 0x3fff;
  if (a1 & 0x10) {
    fwrite(buf, 1, len, f);
    fflush(f);
  } else {
    if (fread(buf, 1, len, f) < len) clearerr(f);
  }
  fseek(f, (long)(a2 >> 8), (a1 & 0x20) ? SEEK_END : SEEK_SET);
  fgetc(f);
  fclose(f);
}

/* A snapshot is a private copy: of a block grown huge it is a malloc that libFuzzer's
   malloc limit reports (rightly MC_ENOMEM without it), so only blocks up to SNAP_MAX. */
#define SNAP_MAX (64ull << 20)
static void op_snapshot(mc_shm *h, uint8_t a1, uint16_t a2) {
  mc_shm *snap;
  void *data;
  size_t len;
  if (mc_shm_size(h) > SNAP_MAX || mc_shm_snapshot(h, &snap) != MC_OK) return;
  if (mc_shm_acquire(snap, (a1 >> 1) & 1, 0, &data) == MC_OK) {
    uint64_t v;
    mc_shm_get_u64(snap, pick_offset(snap, a1 & 0x80, a2), &v);
    mc_shm_get_string(snap, (char *)buf, a2, &len);
    mc_shm_set_u8(snap, 0, 1);
    mc_shm_read(snap, 0, buf, sizeof buf, &len);
    mc_shm_release(snap);
  }
  mc_shm_close(snap);
}

/* Sizes up to 2^46: growth is sparse, and a shrink must give pages back, not write them. */
static void op_resize(mc_shm *h, uint8_t a1, uint16_t a2) {
  uint64_t size = (uint64_t)a2 << ((a1 >> 1) & 31);
  if (a1 & 0x40) size = mc_shm_max_size(h) + (a2 & 1); /* the limit, and just past it */
  mc_shm_resize(h, size);
}

/* The handle's own mapping, for writing over the region in the middle of a script. */
static void op_poke(mc_shm *h, uint8_t a1, uint16_t a2) {
  if (!h || h->snap) return;
  uint64_t limit = h->r.map.committed;
  uint8_t b = a1 | 1;
  fz_scribble(h->r.map.base, a2 % MC__HEADER_BYTES, limit, &b, 1, FZ_XOR);
}

static void op_open(run *r, int which, uint8_t a1, uint16_t a2) {
  mc_shm_close(r->h[which]);
  r->h[which] = NULL;
  mc_shm_options o = {.flags = MC_SHM_OPEN, .timeout_ms = 1};
  if (a1 & 0x02) o.flags |= MC_SHM_ANY_USER;
  if (a1 & 0x04) o.size = a2;
  if (a1 & 0x08) o.max_size = r->max;
  mc_shm_open(r->name, &o, &r->h[which]);
}

/* Create-or-open with sizes of the script's choosing: matches, mismatches, create-only. */
static void op_open_other(run *r, uint8_t a1, uint16_t a2) {
  mc_shm *h = NULL;
  mc_shm_options o = {.size = a2, .timeout_ms = 1};
  if (a1 & 0x02) o.max_size = (a1 & 0x04) ? r->max : (uint64_t)a2 * 2;
  if (a1 & 0x08) o.flags |= MC_SHM_CREATE;
  if (a1 & 0x10) o.flags |= MC_SHM_UNPROTECTED;
  if (mc_shm_open(r->name, &o, &h) == MC_OK) mc_shm_close(h);
}

static void step(run *r, uint8_t code, uint8_t a1, uint16_t a2) {
  mc_shm *h = r->h[a1 & 1];
  void *data;
  size_t len;
  switch (code % OP_COUNT) {
  case OP_OPEN2:
    op_open(r, 1, a1, a2);
    break;
  case OP_ACQUIRE:
    mc_shm_acquire(h, (a1 >> 1) & 1, fz_timeout(a1 >> 2), (a1 & 8) ? &data : NULL);
    break;
  case OP_RELEASE:
    mc_shm_release(h);
    break;
  case OP_GET:
    op_typed(h, 0, a1, a2);
    break;
  case OP_SET:
    op_typed(h, 1, a1, a2);
    break;
  case OP_COPY:
    op_copy(h, a1, a2);
    break;
  case OP_GET_STRING:
    mc_shm_get_string(h, (a1 & 2) ? NULL : (char *)buf, a2, &len);
    break;
  case OP_SET_STRING:
    mc_shm_set_string(h, (const char *)buf, (a1 & 2) ? (size_t)a2 << 4 : a2);
    break;
  case OP_RESIZE:
    op_resize(h, a1, a2);
    break;
  case OP_SNAPSHOT:
    op_snapshot(h, a1, a2);
    break;
  case OP_STREAM:
    op_stream(h, a1, a2);
    break;
  case OP_FOPEN:
    op_fopen(h, a1, a2);
    break;
  case OP_INFO:
    mc_shm_size(h);
    mc_shm_max_size(h);
    mc_shm_change_count(h);
    mc_shm_modified(h);
    mc_shm_created(h);
    if (strlen(mc_shm_name(h)) > MC_NAME_MAX) abort(); /* a name is never longer */
    break;
  case OP_CLOSE:
    mc_shm_close(h);
    r->h[a1 & 1] = NULL;
    break;
  case OP_POKE:
    op_poke(h, a1, a2);
    break;
  case OP_OPEN_OTHER:
    op_open_other(r, a1, a2);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  char name[64];
  uint8_t cfg = fz_u8(&in), sz = fz_u8(&in);
  fz_script sc;
  fz_read_script(&in, &sc);

  run r = {0};
  fz_name(name, sizeof name, "blk");
  r.name = name;
  mc_shm_options o = {.size = sizes[sz & 7], .flags = MC_SHM_CREATE, .timeout_ms = 1};
  if (cfg & 0x01) o.flags |= MC_SHM_UNPROTECTED;
  if (cfg & 0x20) o.flags |= MC_SHM_PERSIST;
  if (cfg & 0x02) o.max_size = o.size << (2 * ((sz >> 3) & 7));
  if ((cfg & 0x02) && (sz >> 6) == 3) o.max_size = 1ull << 45; /* far more than tmpfs holds */
  r.max = o.max_size;
  if (mc_shm_open(name, &o, &r.h[0]) != MC_OK) abort(); /* a fresh name: must work */
  if (cfg & 0x10) {
    mc_shm_options o2 = {.flags = MC_SHM_OPEN, .timeout_ms = 1};
    if (mc_shm_open(name, &o2, &r.h[1]) != MC_OK) abort();
  }

  mc__region *reg = &r.h[0]->r;
  int mode = (cfg >> 2) & 3;
  fz_scribble(reg->map.base, 0, reg->map.committed, in.p, in.n, mode % FZ_MODES);

  for (unsigned i = 0; i < sc.n; i++) step(&r, sc.step[i].code, sc.step[i].a1, sc.step[i].a2);
  mc_shm_close(r.h[1]);
  mc_shm_close(r.h[0]);
  fz_unlink(name);
  return 0;
}
