/* Latency histogram with bounded relative error (HdrHistogram-like) and its statistics.
 *
 * Values are unsigned integers (nanoseconds in the tool). Values below 128 get a bucket each
 * (exact); above, every power of two is split into 64 equal buckets, so a bucket is at most
 * 1/64 of its lowest value wide and the value reported for it (its midpoint) is within 1/128
 * (0.8 %) of any value it holds. Buckets reach 2^40 (about 18 minutes in ns); larger values
 * are counted in the last bucket. Count, min, max and the sum (hence the mean) are exact. */
#ifndef MB_HIST_H
#define MB_HIST_H

#include <stddef.h>
#include <stdint.h>

#define MB_HIST_SUB_BITS 6                        /* 64 buckets per power of two */
#define MB_HIST_LINEAR   (2u << MB_HIST_SUB_BITS) /* 0..127: one bucket per value */
#define MB_HIST_TOP_BITS 40                       /* highest tracked value < 2^40 */
#define MB_HIST_BUCKETS                                                                            \
  (MB_HIST_LINEAR + (MB_HIST_TOP_BITS - MB_HIST_SUB_BITS - 1) * (1u << MB_HIST_SUB_BITS))
#define MB_HIST_MAX_TRACKED ((UINT64_C(1) << MB_HIST_TOP_BITS) - 1)

typedef struct mb_hist {
  uint64_t count;
  uint64_t min, max;       /* exact; min = UINT64_MAX while empty */
  uint64_t sum_lo, sum_hi; /* exact 128-bit sum of the values */
  uint64_t buckets[MB_HIST_BUCKETS];
} mb_hist;

void mb_hist_init(mb_hist *h);
void mb_hist_add(mb_hist *h, uint64_t v);
void mb_hist_add_n(mb_hist *h, uint64_t v, uint64_t n); /* n copies of v */
void mb_hist_merge(mb_hist *into, const mb_hist *from);

/* Bucket of a value and the bounds [lo, hi] of the values a bucket holds. */
size_t mb_hist_bucket(uint64_t v);
uint64_t mb_hist_bucket_lo(size_t b);
uint64_t mb_hist_bucket_hi(size_t b);

/* The p-th percentile (0 <= p <= 100) by nearest rank: the value of rank ceil(p/100 * n)
   (rank 1 for p = 0), reported as its bucket's midpoint clamped to [min, max]; p = 100 is
   the exact max. 0 for an empty histogram. */
uint64_t mb_hist_percentile(const mb_hist *h, double p);
double mb_hist_mean(const mb_hist *h); /* 0 for an empty histogram */

/* The numbers every latency record reports. */
typedef struct mb_summary {
  uint64_t count, min, max;
  uint64_t p50, p90, p99, p999;
  double mean;
} mb_summary;
void mb_hist_summary(const mb_hist *h, mb_summary *s);

/* Rates from a count over elapsed ns: per second, and GB/s (10^9 bytes) for `size`-byte
   messages. 0 when elapsed is 0. */
double mb_rate_per_s(uint64_t count, uint64_t elapsed_ns);
double mb_gbytes_per_s(uint64_t count, size_t size, uint64_t elapsed_ns);

#endif
