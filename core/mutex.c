/* mc_mutex: a named robust mutex - a Win32 kernel mutex where there is one
 * (MC__PLAT_KERNEL_SYNC), else the token lock in the state area (tlock.h); recursive per
 * handle either way (one handle is used by one thread at a time, so per handle is per
 * thread, as with a Win32 mutex). */
#include "sync.h"

#include <stdlib.h>

struct mc_mutex {
  mc__region r;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_lock lock;
#else
  mc__tlock lock;
#endif
  unsigned held; /* times this handle holds it */
};

static int mutex_init_shared(mc__region *r) {
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(r);
#else
  mc__tlock_init_shared(MC__REGION_STATE(r, mc__tlock_shared));
#endif
  return MC_OK;
}

static int mutex_bind(void *obj, mc__region *r, int init) {
  mc_mutex *m = obj;
  if (init) mutex_init_shared(r);
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_lock_bind(&m->lock, &r->name, "$mx");
#else
  return mc__region_tlock(r, &m->lock, MC__REGION_STATE(r, mc__tlock_shared));
#endif
}

static void mutex_unbind(void *obj) {
  mc_mutex *m = obj;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_lock_unbind(&m->lock);
#else
  mc__tlock_unbind(&m->lock);
#endif
}

static int mutex_take(mc_mutex *m, uint64_t deadline) {
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_lock_acquire(&m->lock, deadline);
#else
  if (m->held) return MC_OK; /* recursive: the token lock itself is not */
  return mc__tlock_acquire_by(&m->lock, deadline);
#endif
}

static int mutex_give(mc_mutex *m) {
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_lock_release(&m->lock);
#else
  return m->held > 1 ? MC_OK : mc__tlock_release(&m->lock);
#endif
}

static int impl_mutex_open(const char *name, mc_mutex **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_mutex *m = calloc(1, sizeof *m);
  if (!m) return MC_ENOMEM;
  int rc = mc__sync_open(name, MC__KIND_MUTEX, m, sizeof *m, &m->r, mutex_bind, mutex_unbind, 0, 0);
  if (rc == MC_OK) *out = m;
  return rc;
}

int mc_mutex_open(const char *name, mc_mutex **out) {
  return MC__LOGGED(name, impl_mutex_open(name, out));
}

static int impl_mutex_lock(mc_mutex *mx, int timeout_ms) {
  if (!mx || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  int rc = mutex_take(mx, mc__deadline_ms(timeout_ms));
  if (rc == MC_OK || rc == MC_EOWNERDEAD) {
    mx->held++;
    MC__CRASH(MUTEX_HELD);
  }
  return rc;
}

int mc_mutex_lock(mc_mutex *mx, int timeout_ms) {
  return MC__LOGGED(mc__log_object(mx), impl_mutex_lock(mx, timeout_ms));
}

static int impl_mutex_unlock(mc_mutex *mx) {
  if (!mx) return MC_EINVAL;
  if (mx->held == 0) return MC_ESTATE;
  int rc = mutex_give(mx);
  /* MC_ECORRUPT: someone wrote over the lock; it is not ours any more either way. */
  if (rc == MC_OK || rc == MC_ECORRUPT) mx->held--;
  return rc;
}

int mc_mutex_unlock(mc_mutex *mx) {
  return MC__LOGGED(mc__log_object(mx), impl_mutex_unlock(mx));
}

void mc_mutex_close(mc_mutex *mx) {
  if (!mx) return;
  while (mx->held && mc_mutex_unlock(mx) != MC_ESTATE) {
  }
  mutex_unbind(mx);
  mc__region_close(&mx->r);
  free(mx);
}
