/* memchan-bench's histogram and statistics (tools/bench/hist.c, compiled into this runner):
 * bucket layout and its relative-error bound, nearest-rank percentiles of known
 * distributions, exact count/min/max/mean, merging, empty and extreme histograms, rates. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "../tools/bench/hist.h"

static mb_hist *new_hist(void) {
  mb_hist *h = malloc(sizeof *h);
  ck_assert_ptr_nonnull(h);
  mb_hist_init(h);
  return h;
}

/* |got - want| <= want / 128: the documented bound for a reported value. */
static void assert_close(uint64_t got, uint64_t want, const char *what) {
  uint64_t d = got > want ? got - want : want - got;
  ck_assert_msg(d * 128 <= want, "%s: got %llu, want %llu (off by more than 1/128)", what,
                (unsigned long long)got, (unsigned long long)want);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 11;
}

START_TEST(empty_histogram) {
  mb_hist *h = new_hist();
  mb_summary s;
  ck_assert_uint_eq(h->count, 0);
  ck_assert_uint_eq(mb_hist_percentile(h, 50), 0);
  ck_assert_uint_eq(mb_hist_percentile(h, 100), 0);
  ck_assert(mb_hist_mean(h) == 0.0);
  mb_hist_summary(h, &s);
  ck_assert_uint_eq(s.count, 0);
  ck_assert_uint_eq(s.min, 0); /* not the UINT64_MAX sentinel */
  ck_assert_uint_eq(s.max, 0);
  ck_assert_uint_eq(s.p999, 0);
  free(h);
}
END_TEST

START_TEST(buckets_tile_the_range) {
  /* Contiguous, each bucket maps its own bounds back to itself, and the linear part is
     exact. */
  for (size_t b = 0; b < MB_HIST_BUCKETS; b++) {
    uint64_t lo = mb_hist_bucket_lo(b), hi = mb_hist_bucket_hi(b);
    ck_assert_msg(lo <= hi, "bucket %llu: lo %llu > hi %llu", (unsigned long long)b,
                  (unsigned long long)lo, (unsigned long long)hi);
    ck_assert_uint_eq(mb_hist_bucket(lo), b);
    ck_assert_uint_eq(mb_hist_bucket(hi), b);
    if (b + 1 < MB_HIST_BUCKETS) ck_assert_uint_eq(mb_hist_bucket_lo(b + 1), hi + 1);
    if (b < MB_HIST_LINEAR) ck_assert_uint_eq(lo, hi);
  }
  ck_assert_uint_eq(mb_hist_bucket_hi(MB_HIST_BUCKETS - 1), MB_HIST_MAX_TRACKED);
  ck_assert_uint_eq(mb_hist_bucket(UINT64_MAX), MB_HIST_BUCKETS - 1);
}
END_TEST

START_TEST(bucket_width_bounds_relative_error) {
  /* A bucket is at most 1/64 of its lowest value wide (<= 3% asked for). */
  for (size_t b = MB_HIST_LINEAR; b < MB_HIST_BUCKETS; b++) {
    uint64_t lo = mb_hist_bucket_lo(b), width = mb_hist_bucket_hi(b) - lo + 1;
    ck_assert_msg(width * 64 <= lo, "bucket %llu [%llu..]: width %llu", (unsigned long long)b,
                  (unsigned long long)lo, (unsigned long long)width);
  }
}
END_TEST

START_TEST(reported_values_within_bound_10ns_to_10s) {
  /* For values log-spaced from 10 ns to 10 s (and random ones), the value reported for a
     lone sample's rank among much larger ones is within 1/128 of it. */
  mb_hist *h = new_hist();
  uint64_t seed = 7;
  for (int i = 0; i <= 4000; i++) {
    uint64_t v;
    if (i % 2 == 0) {
      double x = 10.0;
      for (int k = 0; k < i / 2; k++) x *= 1.0046; /* 2000 steps: 10 ns .. ~10 s */
      v = (uint64_t)x;
    } else {
      v = 10 + lcg(&seed) % 10000000000ull;
    }
    mb_hist_init(h);
    mb_hist_add(h, v);
    mb_hist_add(h, v * 1000 + 1000); /* keeps the clamp to max from hiding an error */
    assert_close(mb_hist_percentile(h, 50), v, "p50");
    ck_assert_uint_eq(mb_hist_percentile(h, 0), v); /* min is exact */
  }
  free(h);
}
END_TEST

START_TEST(single_value_is_exact) {
  mb_hist *h = new_hist();
  const uint64_t vals[] = {0, 1, 127, 128, 1000, 123457, 9999999999ull};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    mb_hist_init(h);
    mb_hist_add_n(h, vals[i], 5);
    /* The bucket midpoint is clamped to [min, max], which are both the value. */
    ck_assert_uint_eq(mb_hist_percentile(h, 50), vals[i]);
    ck_assert_uint_eq(mb_hist_percentile(h, 99.9), vals[i]);
    ck_assert(mb_hist_mean(h) == (double)vals[i]);
  }
  free(h);
}
END_TEST

START_TEST(percentiles_of_small_uniform_are_exact) {
  mb_hist *h = new_hist();
  for (uint64_t v = 1; v <= 100; v++) mb_hist_add(h, v); /* the exact, linear region */
  ck_assert_uint_eq(mb_hist_percentile(h, 0), 1);
  ck_assert_uint_eq(mb_hist_percentile(h, 1), 1);
  ck_assert_uint_eq(mb_hist_percentile(h, 50), 50);
  ck_assert_uint_eq(mb_hist_percentile(h, 50.5), 51);
  ck_assert_uint_eq(mb_hist_percentile(h, 90), 90);
  ck_assert_uint_eq(mb_hist_percentile(h, 99), 99);
  ck_assert_uint_eq(mb_hist_percentile(h, 99.9), 100);
  ck_assert_uint_eq(mb_hist_percentile(h, 100), 100);
  ck_assert(mb_hist_mean(h) == 50.5);
  free(h);
}
END_TEST

START_TEST(nearest_rank_boundaries) {
  /* 1000 samples: p99.9 is rank 999, not 1000 (0.999 * 1000 must not round up). */
  mb_hist *h = new_hist();
  mb_hist_add_n(h, 10, 999);
  mb_hist_add(h, 100);
  ck_assert_uint_eq(mb_hist_percentile(h, 99.9), 10);
  ck_assert_uint_eq(mb_hist_percentile(h, 99.95), 100);
  ck_assert_uint_eq(mb_hist_percentile(h, 100), 100);
  mb_hist_init(h);
  mb_hist_add_n(h, 10, 998);
  mb_hist_add_n(h, 100, 2);
  ck_assert_uint_eq(mb_hist_percentile(h, 99.9), 100);
  ck_assert_uint_eq(mb_hist_percentile(h, 99.8), 10);
  free(h);
}
END_TEST

START_TEST(percentiles_of_large_uniform) {
  mb_hist *h = new_hist();
  for (uint64_t v = 1; v <= 1000000; v++) mb_hist_add(h, v);
  assert_close(mb_hist_percentile(h, 50), 500000, "p50");
  assert_close(mb_hist_percentile(h, 90), 900000, "p90");
  assert_close(mb_hist_percentile(h, 99), 990000, "p99");
  assert_close(mb_hist_percentile(h, 99.9), 999000, "p99.9");
  ck_assert_uint_eq(mb_hist_percentile(h, 100), 1000000);
  ck_assert(mb_hist_mean(h) == 500000.5);
  free(h);
}
END_TEST

START_TEST(percentiles_match_sorted_samples) {
  /* A skewed, latency-like distribution (a floor, a body spread over decades, a tail):
     every percentile agrees with the exact nearest-rank value of the sorted samples. */
  enum { N = 200000 };
  uint64_t *v = malloc(N * sizeof *v), seed = 42;
  ck_assert_ptr_nonnull(v);
  mb_hist *h = new_hist();
  for (int i = 0; i < N; i++) {
    uint64_t r = lcg(&seed);
    v[i] = 300 + (r % 1000) * (1 + (r >> 20) % 7) * ((r >> 30) % 100 == 0 ? 5000 : 1);
    mb_hist_add(h, v[i]);
  }
  qsort(v, N, sizeof *v, cmp_u64);
  const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
    size_t rank = (size_t)(ps[i] / 100.0 * N + 0.999999); /* ceil, exact for these */
    assert_close(mb_hist_percentile(h, ps[i]), v[rank - 1], "percentile");
  }
  ck_assert_uint_eq(h->min, v[0]);
  ck_assert_uint_eq(h->max, v[N - 1]);
  ck_assert_uint_eq(mb_hist_percentile(h, 100), v[N - 1]);
  free(v);
  free(h);
}
END_TEST

START_TEST(min_max_mean_exact) {
  mb_hist *h = new_hist();
  uint64_t seed = 3, sum = 0, mn = UINT64_MAX, mx = 0;
  for (int i = 0; i < 10000; i++) {
    uint64_t x = lcg(&seed) % 100000000;
    mb_hist_add(h, x);
    sum += x;
    if (x < mn) mn = x;
    if (x > mx) mx = x;
  }
  ck_assert_uint_eq(h->count, 10000);
  ck_assert_uint_eq(h->min, mn);
  ck_assert_uint_eq(h->max, mx);
  ck_assert_uint_eq(h->sum_lo, sum);
  ck_assert_uint_eq(h->sum_hi, 0);
  ck_assert(mb_hist_mean(h) == (double)sum / 10000.0);
  free(h);
}
END_TEST

START_TEST(sum_does_not_overflow) {
  /* Four values of 2^62 sum to 2^64: the 128-bit sum carries, the mean stays exact. */
  mb_hist *h = new_hist();
  mb_hist_add_n(h, UINT64_C(1) << 62, 4);
  ck_assert_uint_eq(h->sum_lo, 0);
  ck_assert_uint_eq(h->sum_hi, 1);
  ck_assert(mb_hist_mean(h) == 4611686018427387904.0);
  /* Two adds of 2^63: the low word wraps and carries into the high one. */
  mb_hist_init(h);
  mb_hist_add(h, UINT64_C(1) << 63);
  mb_hist_add(h, UINT64_C(1) << 63);
  ck_assert_uint_eq(h->sum_lo, 0);
  ck_assert_uint_eq(h->sum_hi, 1);
  /* add_n multiplies in 128 bits: (2^40 + 1) * 2^30 copies. */
  mb_hist_init(h);
  mb_hist_add_n(h, (UINT64_C(1) << 40) + 1, UINT64_C(1) << 30);
  ck_assert_uint_eq(h->sum_hi, 1 << 6);
  ck_assert_uint_eq(h->sum_lo, UINT64_C(1) << 30);
  free(h);
}
END_TEST

START_TEST(extreme_values) {
  mb_hist *h = new_hist();
  mb_hist_add(h, 0);
  mb_hist_add(h, UINT64_MAX); /* past the tracked range: last bucket, but max is exact */
  ck_assert_uint_eq(h->min, 0);
  ck_assert_uint_eq(h->max, UINT64_MAX);
  ck_assert_uint_eq(mb_hist_percentile(h, 50), 0);
  ck_assert_uint_eq(mb_hist_percentile(h, 100), UINT64_MAX);
  ck_assert_uint_eq(h->buckets[MB_HIST_BUCKETS - 1], 1);
  ck_assert_uint_eq(h->buckets[0], 1);
  ck_assert(mb_hist_mean(h) == (double)UINT64_MAX / 2.0);
  free(h);
}
END_TEST

START_TEST(merge_equals_recording_together) {
  mb_hist *a = new_hist(), *b = new_hist(), *all = new_hist(), *empty = new_hist();
  uint64_t seed = 11;
  for (int i = 0; i < 50000; i++) {
    uint64_t x = lcg(&seed) % 5000000 + (i % 2 ? 0 : 1000000000ull);
    mb_hist_add(i % 2 ? a : b, x);
    mb_hist_add(all, x);
  }
  mb_hist_merge(a, b);
  ck_assert_uint_eq(a->count, all->count);
  ck_assert_uint_eq(a->min, all->min);
  ck_assert_uint_eq(a->max, all->max);
  ck_assert_uint_eq(a->sum_lo, all->sum_lo);
  ck_assert_uint_eq(a->sum_hi, all->sum_hi);
  ck_assert(memcmp(a->buckets, all->buckets, sizeof a->buckets) == 0);
  ck_assert_uint_eq(mb_hist_percentile(a, 99), mb_hist_percentile(all, 99));
  /* Merging an empty one changes nothing; merging into an empty one copies. */
  mb_hist_merge(a, empty);
  ck_assert_uint_eq(a->min, all->min);
  ck_assert_uint_eq(a->count, all->count);
  mb_hist_merge(empty, all);
  ck_assert_uint_eq(empty->min, all->min);
  ck_assert_uint_eq(empty->max, all->max);
  ck_assert_uint_eq(mb_hist_percentile(empty, 50), mb_hist_percentile(all, 50));
  free(a);
  free(b);
  free(all);
  free(empty);
}
END_TEST

START_TEST(merge_carries_the_sum) {
  mb_hist *a = new_hist(), *b = new_hist();
  mb_hist_add_n(a, UINT64_C(1) << 62, 3);
  mb_hist_add(b, UINT64_C(1) << 62);
  mb_hist_merge(a, b);
  ck_assert_uint_eq(a->sum_hi, 1);
  ck_assert_uint_eq(a->sum_lo, 0);
  free(a);
  free(b);
}
END_TEST

START_TEST(summary_and_rates) {
  mb_hist *h = new_hist();
  for (uint64_t v = 1; v <= 100; v++) mb_hist_add(h, v);
  mb_summary s;
  mb_hist_summary(h, &s);
  ck_assert_uint_eq(s.count, 100);
  ck_assert_uint_eq(s.min, 1);
  ck_assert_uint_eq(s.max, 100);
  ck_assert_uint_eq(s.p50, 50);
  ck_assert_uint_eq(s.p90, 90);
  ck_assert_uint_eq(s.p99, 99);
  ck_assert_uint_eq(s.p999, 100);
  ck_assert(s.mean == 50.5);
  ck_assert(mb_rate_per_s(1000, 1000000000) == 1000.0);
  ck_assert(mb_rate_per_s(5, 0) == 0.0);
  ck_assert(mb_gbytes_per_s(1000, 1000000, 1000000000) == 1.0); /* 10^9 bytes in 1 s */
  ck_assert(mb_gbytes_per_s(1, 64, 0) == 0.0);
  free(h);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("bench_stats");
  TCase *tc = th_tcase(s, "buckets", 30);
  tcase_add_test(tc, buckets_tile_the_range);
  tcase_add_test(tc, bucket_width_bounds_relative_error);
  tcase_add_test(tc, reported_values_within_bound_10ns_to_10s);
  tc = th_tcase(s, "percentiles", 30);
  tcase_add_test(tc, empty_histogram);
  tcase_add_test(tc, single_value_is_exact);
  tcase_add_test(tc, percentiles_of_small_uniform_are_exact);
  tcase_add_test(tc, nearest_rank_boundaries);
  tcase_add_test(tc, percentiles_of_large_uniform);
  tcase_add_test(tc, percentiles_match_sorted_samples);
  tc = th_tcase(s, "exact", 30);
  tcase_add_test(tc, min_max_mean_exact);
  tcase_add_test(tc, sum_does_not_overflow);
  tcase_add_test(tc, extreme_values);
  tcase_add_test(tc, merge_equals_recording_together);
  tcase_add_test(tc, merge_carries_the_sum);
  tcase_add_test(tc, summary_and_rates);
  return s;
}

int main(int argc, char **argv) {
  return th_main(argc, argv, suite(), NULL);
}
