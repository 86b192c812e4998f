/* What the soak's driver and its processes share (soak.h): the message format, the report
 * block, failure records and the lanes' channel options. */
#include "soak.h"

#include <stdio.h>
#include <string.h>

const char *const mb_lane_names[MB_NLANES] = {"ring", "multi", "slot"};
const char *const mb_soak_fail_names[MB_SF_COUNT] = {"hangs",    "losses",   "duplicates",
                                                     "reorders", "invented", "errors"};

static uint64_t mix(uint64_t x) { /* splitmix64 */
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

static uint64_t key(uint32_t id, uint64_t seq) {
  return mix((uint64_t)id * UINT64_C(0xd6e8feb86659fd93) ^ seq);
}

size_t mb_soak_size(uint32_t id, uint64_t seq, size_t max) {
  /* A bucket first (16 B, 32 B, ... up to max, each as likely), then a size within it: most
     messages are small, and every size up to max occurs. */
  uint64_t r = key(id, seq);
  size_t cap = MB_SOAK_MIN_MSG;
  int buckets = 1;
  while (cap < max) cap <<= 1, buckets++;
  cap = (size_t)MB_SOAK_MIN_MSG << (r % (uint64_t)buckets);
  if (cap > max) cap = max;
  return MB_SOAK_MIN_MSG + (size_t)((r >> 8) % (cap - MB_SOAK_MIN_MSG + 1));
}

/* Word i (from 2, after the header) of a message: one multiply per 8 bytes, and no two
   messages share a word at the same place. */
static uint64_t word(uint64_t base, size_t i) {
  return base ^ ((uint64_t)i * UINT64_C(0x9e3779b97f4a7c15));
}

void mb_soak_fill(unsigned char *buf, uint32_t id, uint64_t seq, size_t size) {
  uint64_t base = mix(key(id, seq)), w;
  uint32_t n = (uint32_t)size;
  memcpy(buf, &seq, 8);
  memcpy(buf + 8, &id, 4);
  memcpy(buf + 12, &n, 4);
  size_t i = 2;
  for (; 8 * i + 8 <= size; i++) {
    w = word(base, i);
    memcpy(buf + 8 * i, &w, 8);
  }
  if (8 * i < size) {
    w = word(base, i);
    memcpy(buf + 8 * i, &w, size - 8 * i);
  }
}

int mb_soak_check(const unsigned char *msg, size_t len, size_t max, uint32_t *id, uint64_t *seq) {
  uint64_t s, w;
  uint32_t who, n;
  if (len < MB_SOAK_MIN_MSG || len > max) return -1;
  memcpy(&s, msg, 8);
  memcpy(&who, msg + 8, 4);
  memcpy(&n, msg + 12, 4);
  if (n != len || mb_soak_size(who, s, max) != len) return -1;
  uint64_t base = mix(key(who, s));
  size_t i = 2;
  for (; 8 * i + 8 <= len; i++) {
    memcpy(&w, msg + 8 * i, 8);
    if (w != word(base, i)) return -1;
  }
  if (8 * i < len) {
    uint64_t want = word(base, i);
    if (memcmp(msg + 8 * i, &want, len - 8 * i) != 0) return -1;
  }
  *id = who;
  *seq = s;
  return 0;
}

int mb_soak_check_buf(const unsigned char *buf, size_t max, uint32_t *id, uint64_t *seq) {
  uint32_t n;
  memcpy(&n, buf + 12, 4);
  return mb_soak_check(buf, n, max, id, seq);
}

const char *const mb_soak_files[2] = {"soak.c", "soak_peer.c"};

void mb_soak_fail(mb_soak_rep *rep, int cls, uint64_t n, int where, int code, uint64_t id,
                  uint64_t seq, uint64_t detail) {
  uint64_t none = 0;
  atomic_fetch_add(&rep->fails[cls], n);
  if (atomic_compare_exchange_strong(&rep->first[0], &none, (uint64_t)cls + 1)) {
    atomic_store(&rep->first[1], (uint64_t)where);
    atomic_store(&rep->first[2], (uint64_t)(int64_t)code);
    atomic_store(&rep->first[3], id);
    atomic_store(&rep->first[4], seq);
    atomic_store(&rep->first[5], detail);
  }
}

mb_soak_rep *mb_soak_rep_open(const char *name, int create, mc_shm **shm) {
  mc_shm_options o;
  void *data;
  memset(&o, 0, sizeof o);
  o.size = create ? sizeof(mb_soak_rep) + 64 : 0;
  o.flags = MC_SHM_UNPROTECTED | (create ? MC_SHM_CREATE : MC_SHM_OPEN);
  int rc = mc_shm_open(name, &o, shm);
  if (rc == MC_OK && mc_shm_size(*shm) < sizeof(mb_soak_rep) + 64) rc = MC_EMISMATCH;
  if (rc == MC_OK) rc = mc_shm_acquire(*shm, MC_WRITE, 0, &data);
  if (rc != MC_OK) {
    fprintf(stderr, "memchan-bench soak: report block %s: %s\n", name, mc_err_name(rc));
    mc_shm_close(*shm); /* NULL when the open itself failed */
    *shm = NULL;
    return NULL;
  }
  /* A new block reads as zeros: no sender, nothing pending, no failure. */
  return (mb_soak_rep *)(((uintptr_t)data + 63) & ~(uintptr_t)63);
}

mc_chan_options mb_soak_chan_options(int lane, size_t max) {
  mc_chan_options o;
  memset(&o, 0, sizeof o);
  o.kind = lane == MB_LANE_SLOT ? MC_CHAN_SLOT : MC_CHAN_RING;
  o.flags = lane == MB_LANE_RING ? 0 : MC_CHAN_MULTI_SEND;
  o.max_msg = (uint32_t)max;
  /* A small ring, so that it wraps and fills often: 64 KiB, or four largest records. */
  uint64_t cap = 1u << 16;
  while (cap < 4 * ((uint64_t)max + 32)) cap <<= 1;
  o.capacity = o.kind == MC_CHAN_RING ? cap : 0;
  o.spin_us = 0; /* the library's default waiting */
  return o;
}

int mb_soak_lane_senders(int lane) {
  return lane == MB_LANE_RING ? 1 : 3;
}
