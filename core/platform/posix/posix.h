/* Helpers shared by the POSIX backend's files (core/platform/posix/ and the POSIX system's own,
 * core/platform/linux/). */
#ifndef MC_PLATFORM_POSIX_H
#define MC_PLATFORM_POSIX_H

#include <time.h>

/* errno -> MC_E*: the one translation (error.c). */
int mc__posix_err(int e);
/* Records errno for mc_os_error(), logs "call(object)" when MEMCHAN_DEBUG is set, and returns
   the MC_E* code. */
int mc__posix_fail(const char *call, const char *object);
/* A deadline on the mc__plat_now_ns() clock (CLOCK_MONOTONIC) as an absolute timespec. */
void mc__posix_timespec(uint64_t deadline, struct timespec *ts);

/* ---- provided by the POSIX system's own files (linux/) ---- */
/* A descriptor that becomes readable when child pid ends (Linux: a pidfd), or -1: the caller
   then polls waitpid. */
int mc__os_child_fd(long pid);

#endif
