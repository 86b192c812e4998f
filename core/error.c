/* Error names and texts, from the one table (MC_ERRNO_MAP in include/memchan.h); the OS
 * error behind the last MC_ESYS; the diagnostic log. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Generated from MC_ERRNO_MAP (include/memchan.h): a code's value is minus its index. */
#define MC__TEXT(name, value, text) [-(value)] = text,
#define MC__NAME(name, value, text) [-(value)] = "MC_" #name,
static const char *const error_text[] = {MC_ERRNO_MAP(MC__TEXT)};
static const char *const error_name[] = {MC_ERRNO_MAP(MC__NAME)};
#define MC__NERR ((int)(sizeof error_text / sizeof error_text[0]))

/* Values run 0, -1, -2, ... without gaps, so each table has no hole. */
#define MC__COUNT(name, value, text) +1
_Static_assert(MC__NERR == 0 MC_ERRNO_MAP(MC__COUNT), "error codes must be 0, -1, -2, ...");

const char *mc_strerror(int err) {
  if (err > 0 || err <= -MC__NERR || !error_text[-err]) return "unknown error";
  return error_text[-err];
}

const char *mc_err_name(int err) {
  if (err > 0 || err <= -MC__NERR || !error_name[-err]) return "MC_E?";
  return error_name[-err];
}

static _Thread_local long last_os_error;

int mc_os_error(void) {
  return (int)last_os_error;
}

const char *mc_version(void) {
#define MC__STR2(x) #x
#define MC__STR(x)  MC__STR2(x)
  return MC__STR(MC_VERSION_MAJOR) "." MC__STR(MC_VERSION_MINOR) "." MC__STR(MC_VERSION_PATCH);
}

/* -1 unknown, 0 quiet, 1 log. Read once: getenv is not cheap on every failure path. */
static _Atomic int debug_state = -1;

static int debug_on(void) {
  int s = atomic_load_explicit(&debug_state, memory_order_relaxed);
  if (s < 0) {
    const char *v = getenv("MEMCHAN_DEBUG");
    s = (v && *v && *v != '0') ? 1 : 0;
    atomic_store_explicit(&debug_state, s, memory_order_relaxed);
  }
  return s;
}

void mc__os_fail(long oserr, const char *call, const char *object) {
  last_os_error = oserr;
  mc__log_note(oserr, "%s(%s) failed", call, object ? object : "");
  if (debug_on())
    fprintf(stderr, "memchan: %s(%s) failed: OS error %ld\n", call, object ? object : "", oserr);
}

void mc__debug(const char *fmt, ...) {
  int debug = debug_on();
  if (!debug && !mc__log_on()) return;
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  mc__log_note(0, "%s", line);
  if (debug) fprintf(stderr, "memchan: %s\n", line);
}
