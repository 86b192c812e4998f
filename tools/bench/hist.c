/* Histogram and statistics; see hist.h for the bucket scheme and its error bound. */
#include "hist.h"

#include <string.h>

static unsigned top_bit(uint64_t v) { /* v > 0 */
  unsigned n = 0;
  while (v >>= 1) n++;
  return n;
}

size_t mb_hist_bucket(uint64_t v) {
  if (v < MB_HIST_LINEAR) return (size_t)v;
  if (v > MB_HIST_MAX_TRACKED) v = MB_HIST_MAX_TRACKED;
  unsigned e = top_bit(v); /* >= SUB_BITS + 1 */
  unsigned shift = e - MB_HIST_SUB_BITS;
  size_t sub = (size_t)((v >> shift) & ((1u << MB_HIST_SUB_BITS) - 1));
  return MB_HIST_LINEAR + (size_t)(e - MB_HIST_SUB_BITS - 1) * (1u << MB_HIST_SUB_BITS) + sub;
}

uint64_t mb_hist_bucket_lo(size_t b) {
  if (b < MB_HIST_LINEAR) return b;
  size_t k = b - MB_HIST_LINEAR;
  unsigned e = (unsigned)(k >> MB_HIST_SUB_BITS) + MB_HIST_SUB_BITS + 1;
  uint64_t sub = k & ((1u << MB_HIST_SUB_BITS) - 1);
  unsigned shift = e - MB_HIST_SUB_BITS;
  return (UINT64_C(1) << e) + (sub << shift);
}

uint64_t mb_hist_bucket_hi(size_t b) {
  if (b < MB_HIST_LINEAR) return b;
  size_t k = b - MB_HIST_LINEAR;
  unsigned shift = (unsigned)(k >> MB_HIST_SUB_BITS) + 1;
  return mb_hist_bucket_lo(b) + (UINT64_C(1) << shift) - 1;
}

void mb_hist_init(mb_hist *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

void mb_hist_add_n(mb_hist *h, uint64_t v, uint64_t n) {
  if (n == 0) return;
  h->buckets[mb_hist_bucket(v)] += n;
  h->count += n;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
  /* 128-bit sum of v * n: the product split into 32-bit halves so that no term overflows. */
  uint64_t vl = v & 0xffffffffu, vh = v >> 32, nl = n & 0xffffffffu, nh = n >> 32;
  uint64_t ll = vl * nl, lh = vl * nh, hl = vh * nl, hh = vh * nh;
  uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
  uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  h->sum_lo += lo;
  h->sum_hi += hi + (h->sum_lo < lo);
}

void mb_hist_add(mb_hist *h, uint64_t v) {
  mb_hist_add_n(h, v, 1);
}

void mb_hist_merge(mb_hist *into, const mb_hist *from) {
  if (from->count == 0) return;
  for (size_t b = 0; b < MB_HIST_BUCKETS; b++) into->buckets[b] += from->buckets[b];
  into->count += from->count;
  if (from->min < into->min) into->min = from->min;
  if (from->max > into->max) into->max = from->max;
  into->sum_lo += from->sum_lo;
  into->sum_hi += from->sum_hi + (into->sum_lo < from->sum_lo);
}

uint64_t mb_hist_percentile(const mb_hist *h, double p) {
  if (h->count == 0) return 0;
  if (p >= 100.0) return h->max;
  if (p <= 0.0) return h->min;
  /* Nearest rank; the small epsilon keeps ranks such as 0.999 * 1000 = 999 from rounding up
     to 1000 through binary floating point. */
  double x = p / 100.0 * (double)h->count;
  uint64_t rank = (uint64_t)x; /* ceil(x), without libm */
  if ((double)rank < x - 1e-9) rank++;
  if (rank < 1) rank = 1;
  if (rank > h->count) rank = h->count;
  uint64_t seen = 0;
  for (size_t b = 0; b < MB_HIST_BUCKETS; b++) {
    seen += h->buckets[b];
    if (seen < rank) continue;
    uint64_t lo = mb_hist_bucket_lo(b), hi = mb_hist_bucket_hi(b);
    uint64_t v = lo + (hi - lo) / 2;
    if (v < h->min) v = h->min;
    if (v > h->max) v = h->max;
    return v;
  }
  return h->max; /* not reached: the buckets add up to count */
}

double mb_hist_mean(const mb_hist *h) {
  if (h->count == 0) return 0.0;
  return ((double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo) / (double)h->count;
}

void mb_hist_summary(const mb_hist *h, mb_summary *s) {
  s->count = h->count;
  s->min = h->count ? h->min : 0;
  s->max = h->max;
  s->p50 = mb_hist_percentile(h, 50.0);
  s->p90 = mb_hist_percentile(h, 90.0);
  s->p99 = mb_hist_percentile(h, 99.0);
  s->p999 = mb_hist_percentile(h, 99.9);
  s->mean = mb_hist_mean(h);
}

double mb_rate_per_s(uint64_t count, uint64_t elapsed_ns) {
  return elapsed_ns ? (double)count * 1e9 / (double)elapsed_ns : 0.0;
}

double mb_gbytes_per_s(uint64_t count, size_t size, uint64_t elapsed_ns) {
  return elapsed_ns ? (double)count * (double)size / (double)elapsed_ns : 0.0;
}
