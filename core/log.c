/* The diagnostic log: each failed public call, with the object it was about and why (the
 * most specific reason the library noted on the way, and the OS error behind it). Off until
 * a program installs a callback (mc_set_log) or MEMCHAN_LOG / MEMCHAN_DEBUG is set in the
 * environment, which prints to stderr. Calls made inside other calls (mc_chan_send's
 * reserve) log nothing of their own: the outermost call says what failed. */
#include "region.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct sink {
  mc_log_fn fn;
  void *ctx;
} sink;

static sink installed; /* written by mc_set_log under the spin flag below, read likewise */
static atomic_flag sink_busy = ATOMIC_FLAG_INIT;
static _Atomic int have_sink;
static _Atomic int env_state = -1; /* -1 unknown, 0 quiet, 1 print to stderr */
_Atomic int mc__log_state = -1;

static _Thread_local int depth;
static _Thread_local char why[256];
static _Thread_local long why_os;

static int env_on(void) {
  int s = atomic_load_explicit(&env_state, memory_order_relaxed);
  if (s < 0) {
    const char *a = getenv("MEMCHAN_LOG"), *b = getenv("MEMCHAN_DEBUG");
    s = (a && *a && *a != '0') || (b && *b && *b != '0');
    atomic_store_explicit(&env_state, s, memory_order_relaxed);
  }
  return s;
}

int mc__log_on(void) {
  int on = atomic_load_explicit(&have_sink, memory_order_acquire) || env_on();
  atomic_store_explicit(&mc__log_state, on, memory_order_relaxed);
  return on;
}

void mc_set_log(mc_log_fn fn, void *ctx) {
  while (atomic_flag_test_and_set_explicit(&sink_busy, memory_order_acquire)) mc__cpu_relax();
  installed.fn = fn;
  installed.ctx = ctx;
  atomic_store_explicit(&have_sink, fn != NULL, memory_order_release);
  atomic_flag_clear_explicit(&sink_busy, memory_order_release);
  mc__log_on(); /* the data path's flag follows */
}

void mc__log_note(long oserr, const char *fmt, ...) {
  if (depth == 0 || !mc__log_on()) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap); /* the latest note is the most specific */
  va_end(ap);
  if (oserr) why_os = oserr;
}

void mc__log_enter(void) {
  /* The first wrapped call reads the environment: from then on, while nobody asks for the
     log, wrapped calls skip enter and leave altogether (MC__LOGGED). */
  if (atomic_load_explicit(&mc__log_state, memory_order_relaxed) < 0) mc__log_on();
  if (depth++ == 0) {
    why[0] = '\0';
    why_os = 0;
  }
}

const char *mc__log_object(const void *handle) {
  /* Every named handle (block, channel, event, mutex, semaphore, guard) begins with its
     region; a snapshot's is zero, so its name is "". */
  return handle ? ((const mc__region *)handle)->name.base : "";
}

int mc__log_leave(const char *call, const char *object, int rc) {
  if (--depth > 0 || rc >= 0 || !mc__log_on()) return rc;
  mc_log_record rec = {call, object ? object : "", rc, (int)why_os, why};
  sink s = {NULL, NULL};
  if (atomic_load_explicit(&have_sink, memory_order_acquire)) {
    while (atomic_flag_test_and_set_explicit(&sink_busy, memory_order_acquire)) mc__cpu_relax();
    s = installed;
    atomic_flag_clear_explicit(&sink_busy, memory_order_release);
  }
  if (s.fn) {
    s.fn(s.ctx, &rec);
  } else if (env_on()) {
    fprintf(stderr, "memchan: %s(%s): %s (%s)%s%s", call, rec.object, mc_err_name(rc),
            mc_strerror(rc), why[0] ? ": " : "", why);
    if (why_os) fprintf(stderr, " [OS error %ld]", why_os);
    fputc('\n', stderr);
  }
  return rc;
}
