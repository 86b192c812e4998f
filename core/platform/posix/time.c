/* POSIX backend: the monotonic clock and yielding. See core/platform.h for the rules. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <sched.h>
#include <time.h>

#include "platform/posix/posix.h"

uint64_t mc__plat_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mc__posix_timespec(uint64_t deadline, struct timespec *ts) {
  ts->tv_sec = (time_t)(deadline / 1000000000ull);
  ts->tv_nsec = (long)(deadline % 1000000000ull);
}

void mc__plat_yield(void) {
  sched_yield();
}

uint64_t mc__plat_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}
