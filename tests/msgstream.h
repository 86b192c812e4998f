/* Deterministic message streams for channel tests: message `seq` of sender `id` has a size
 * and contents that both sides can compute, so a receiver checks every byte, the order, and
 * that nothing is missing or repeated. A message of 16 bytes or more also carries its
 * sequence number, its sender and a checksum of the rest. */
#ifndef MC_TEST_MSGSTREAM_H
#define MC_TEST_MSGSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ms_mix(uint64_t x) { /* splitmix64 */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static inline uint32_t ms_fnv(const unsigned char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

/* Size of message seq of sender id, in [min, max]. */
static inline size_t ms_size(uint32_t id, uint64_t seq, size_t min, size_t max) {
  return min + (size_t)(ms_mix(((uint64_t)id << 48) ^ seq) % (max - min + 1));
}

/* Writes the message (ms_size bytes) into buf; returns its size. */
static inline size_t ms_make(uint32_t id, uint64_t seq, size_t min, size_t max,
                             unsigned char *buf) {
  size_t n = ms_size(id, seq, min, max);
  uint64_t x = ms_mix(seq * 0x100000001b3ull ^ id);
  for (size_t i = 0; i < n; i++) {
    if ((i & 7) == 0) x = ms_mix(x);
    buf[i] = (unsigned char)(x >> ((i & 7) * 8));
  }
  if (n >= 16) {
    uint32_t sum = ms_fnv(buf + 16, n - 16);
    memcpy(buf, &seq, 8);
    memcpy(buf + 8, &id, 4);
    memcpy(buf + 12, &sum, 4);
  }
  return n;
}

/* The sender of a message of 16 bytes or more, or UINT32_MAX. */
static inline uint32_t ms_sender(const unsigned char *msg, size_t len) {
  uint32_t id;
  if (len < 16) return UINT32_MAX;
  memcpy(&id, msg + 8, 4);
  return id;
}

/* 1 if msg is exactly message seq of sender id. */
static inline int ms_check(uint32_t id, uint64_t seq, size_t min, size_t max,
                           const unsigned char *msg, size_t len, unsigned char *scratch) {
  if (len != ms_size(id, seq, min, max)) return 0;
  if (len >= 16) {
    uint64_t s;
    uint32_t sum;
    memcpy(&s, msg, 8);
    memcpy(&sum, msg + 12, 4);
    if (s != seq || ms_sender(msg, len) != id || sum != ms_fnv(msg + 16, len - 16)) return 0;
  }
  ms_make(id, seq, min, max, scratch);
  return memcmp(msg, scratch, len) == 0;
}

#endif
