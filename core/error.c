/* The one error table: codes, names and texts come from MC__ERRORS. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MC__ERRORS(X)                                                                              \
  X(MC_OK, "success")                                                                              \
  X(MC_EINVAL, "invalid argument")                                                                 \
  X(MC_ENOMEM, "out of memory")                                                                    \
  X(MC_ENOENT, "no object of that name")                                                           \
  X(MC_EEXIST, "an object of that name already exists")                                            \
  X(MC_EACCES, "permission denied, or the object belongs to another user")                         \
  X(MC_ETIMEDOUT, "timed out")                                                                     \
  X(MC_EMISMATCH, "the object exists with another kind, size or geometry")                         \
  X(MC_ECORRUPT, "shared state failed validation")                                                 \
  X(MC_ENOSPC, "does not fit")                                                                     \
  X(MC_ERANGE, "offset or length outside the block")                                               \
  X(MC_ESTATE, "not valid in the current state")                                                   \
  X(MC_EOWNERDEAD, "acquired, but the previous owner died holding it")                             \
  X(MC_EPEERDEAD, "the other side of the channel died")                                            \
  X(MC_ECLOSED, "channel closed and drained")                                                      \
  X(MC_ENOTSUP, "not supported on this platform")                                                  \
  X(MC_ESYS, "operating system error")

#define MC__TEXT(code, text) [-(code)] = text,
#define MC__NAME(code, text) [-(code)] = #code,
static const char *const error_text[] = {MC__ERRORS(MC__TEXT)};
static const char *const error_name[] = {MC__ERRORS(MC__NAME)};
#define MC__NERR ((int)(sizeof error_text / sizeof error_text[0]))

const char *mc_strerror(int err) {
  if (err > 0 || err <= -MC__NERR) return "unknown error";
  return error_text[-err];
}

const char *mc_err_name(int err) {
  if (err > 0 || err <= -MC__NERR) return "MC_E?";
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
  if (debug_on())
    fprintf(stderr, "memchan: %s(%s) failed: OS error %ld\n", call, object ? object : "", oserr);
}

void mc__debug(const char *fmt, ...) {
  if (!debug_on()) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("memchan: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
