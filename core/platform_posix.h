/* Helpers shared by the POSIX backend files only. */
#ifndef MC_PLATFORM_POSIX_H
#define MC_PLATFORM_POSIX_H

#include <time.h>

/* errno -> MC_E* */
int mc__posix_err(int e);
/* Records errno for mc_os_error() and logs the failing call; returns the MC_E* code. */
int mc__posix_fail(const char *call, const char *object);
/* A deadline on the mc__plat_now_ns() clock (CLOCK_MONOTONIC) as an absolute timespec. */
void mc__posix_timespec(uint64_t deadline, struct timespec *ts);

#endif
