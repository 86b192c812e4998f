/* Timeouts become absolute deadlines once, at the API edge, so loops that wait several times
   never stretch a caller's timeout. */
#include "internal.h"

uint64_t mc__deadline_ms(int timeout_ms) {
  if (timeout_ms < 0) return MC__NO_DEADLINE;
  return mc__plat_now_ns() + (uint64_t)timeout_ms * 1000000ull;
}

uint64_t mc__timeout_deadline(mc__timeout *t) {
  if (!t->fixed) {
    t->deadline = mc__deadline_ms(t->ms);
    t->fixed = 1;
  }
  return t->deadline;
}

uint64_t mc__deadline_slice(uint64_t deadline, uint64_t slice_ns) {
  uint64_t s = mc__plat_now_ns() + slice_ns;
  return s < deadline ? s : deadline;
}

int mc__deadline_passed(uint64_t deadline) {
  return deadline != MC__NO_DEADLINE && mc__plat_now_ns() >= deadline;
}

#define LIVENESS_SLICE_NS 10000000ull

static _Atomic uint64_t liveness_slice = LIVENESS_SLICE_NS;

uint64_t mc__liveness_slice(void) {
  return atomic_load_explicit(&liveness_slice, memory_order_relaxed);
}

uint64_t mc__deadline_liveness(uint64_t deadline) {
  return mc__deadline_slice(deadline, mc__liveness_slice());
}

void mc__set_liveness_slice(uint64_t ns) {
  atomic_store_explicit(&liveness_slice, ns ? ns : LIVENESS_SLICE_NS, memory_order_relaxed);
}
