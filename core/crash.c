/* Crash points: see crash.h. */
#include "crash.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Control-path atomics below use the default (seq_cst) order unless a comment says which
   access a weaker one pairs with. */

static const char *const point_name[] = {
#define MC__CRASH_NAME(id, name, what) name,
    MC__CRASH_POINTS(MC__CRASH_NAME)
#undef MC__CRASH_NAME
};
static const char *const point_what[] = {
#define MC__CRASH_WHAT(id, name, what) what,
    MC__CRASH_POINTS(MC__CRASH_WHAT)
#undef MC__CRASH_WHAT
};

int mc__crash_enabled(void) {
#ifdef MEMCHAN_CRASH_POINTS
  return 1;
#else
  return 0;
#endif
}

const char *mc__crash_name(int id) {
  return id >= 0 && id < MC__CP_COUNT ? point_name[id] : NULL;
}

const char *mc__crash_what(int id) {
  return id >= 0 && id < MC__CP_COUNT ? point_what[id] : NULL;
}

int mc__crash_find(const char *name) {
  for (int i = 0; name && i < MC__CP_COUNT; i++)
    if (strcmp(point_name[i], name) == 0) return i;
  return -1;
}

#ifdef MEMCHAN_CRASH_POINTS
/* Counters are per process and relaxed: a pass is counted by the thread that makes it, and
   the count that kills is the one a single atomic increment returns. */
static _Atomic uint64_t passes[MC__CP_COUNT];
static _Atomic int armed_id = -1;
static _Atomic uint64_t armed_at; /* the value passes[armed_id] must reach */
static _Atomic int env_read;

static void read_env(void) {
  if (atomic_exchange(&env_read, 1)) return;
  const char *v = getenv("MEMCHAN_CRASH");
  if (!v || !*v) return;
  const char *colon = strrchr(v, ':');
  char name[64];
  size_t len = colon ? (size_t)(colon - v) : strlen(v);
  if (len >= sizeof name) return;
  memcpy(name, v, len);
  name[len] = '\0';
  int id = mc__crash_find(name);
  uint64_t pass = colon ? strtoull(colon + 1, NULL, 10) : 1;
  if (id >= 0 && pass > 0) mc__crash_arm(id, pass);
}

void mc__crash_pass(int id) {
  if (!atomic_load_explicit(&env_read, memory_order_relaxed)) read_env();
  uint64_t n = atomic_fetch_add_explicit(&passes[id], 1, memory_order_relaxed) + 1;
  if (id == atomic_load_explicit(&armed_id, memory_order_relaxed) &&
      n == atomic_load_explicit(&armed_at, memory_order_relaxed))
    mc__plat_die();
}

int mc__crash_arm(int id, uint64_t pass) {
  atomic_store(&env_read, 1); /* an explicit arming wins over the environment */
  if (id < 0 || id >= MC__CP_COUNT || pass == 0) {
    atomic_store(&armed_id, -1);
    return MC_OK;
  }
  atomic_store(&armed_id, -1);
  atomic_store(&armed_at, atomic_load(&passes[id]) + pass);
  atomic_store(&armed_id, id);
  return MC_OK;
}

uint64_t mc__crash_passes(int id) {
  return id >= 0 && id < MC__CP_COUNT ? atomic_load(&passes[id]) : 0;
}
#else
int mc__crash_arm(int id, uint64_t pass) {
  MC__UNUSED(id);
  MC__UNUSED(pass);
  return MC_ENOTSUP;
}

uint64_t mc__crash_passes(int id) {
  MC__UNUSED(id);
  return 0;
}
#endif
