/* mc_sem: a named counting semaphore - a kernel semaphore where the platform has one
 * (MC__PLAT_KERNEL_SYNC), a futex word in the state area elsewhere (futex_sync.c). Not robust
 * by nature: a unit taken by a process that dies is lost (docs/core.md). */
#include "futex_sync.h"
#include "sync.h"

#include <stdlib.h>

#define SEM_MAX 0x7fffffffu /* Win32's LONG_MAX, on every platform */

struct mc_sem {
  mc__region r;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_sem sem;
#else
  mc__fsem sem;
#endif
  uint32_t initial, max;
};

static int sem_bind(void *obj, mc__region *r, int init) {
  mc_sem *s = obj;
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(init); /* the kernel object keeps its own count */
  return mc__plat_sem_bind(&s->sem, &r->name, s->initial, s->max);
#else
  if (init) mc__fsem_init_shared(r->hdr->state_area, s->initial, s->max);
  mc__fsem_bind(&s->sem, r, r->hdr->state_area, s->max);
  return MC_OK;
#endif
}

static void sem_unbind(void *obj) {
  mc_sem *s = obj;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_sem_unbind(&s->sem);
#else
  mc__fsem_unbind(&s->sem);
#endif
}

static int impl_sem_open(const char *name, uint32_t initial, uint32_t max, mc_sem **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name || max == 0 || max > SEM_MAX || initial > max) return MC_EINVAL;
  mc_sem *s = calloc(1, sizeof *s);
  if (!s) return MC_ENOMEM;
  s->initial = initial;
  s->max = max;
  int rc = mc__sync_open(name, MC__KIND_SEM, s, sizeof *s, &s->r, sem_bind, sem_unbind, 0, max);
  if (rc == MC_OK) *out = s;
  return rc;
}

int mc_sem_open(const char *name, uint32_t initial, uint32_t max, mc_sem **out) {
  return MC__LOGGED(name, impl_sem_open(name, initial, max, out));
}

static int impl_sem_post(mc_sem *sem, uint32_t count) {
  if (!sem || count == 0) return MC_EINVAL;
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_sem_post(&sem->sem, count);
#else
  return mc__fsem_post(&sem->sem, count);
#endif
}

int mc_sem_post(mc_sem *sem, uint32_t count) {
  return MC__LOGGED(mc__log_object(sem), impl_sem_post(sem, count));
}

static int impl_sem_wait(mc_sem *sem, int timeout_ms) {
  if (!sem || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_sem_wait(&sem->sem, mc__deadline_ms(timeout_ms));
#else
  return mc__fsem_wait(&sem->sem, mc__deadline_ms(timeout_ms));
#endif
}

int mc_sem_wait(mc_sem *sem, int timeout_ms) {
  return MC__LOGGED(mc__log_object(sem), impl_sem_wait(sem, timeout_ms));
}

void mc_sem_close(mc_sem *sem) {
  if (!sem) return;
  sem_unbind(sem);
  mc__region_close(&sem->r);
  free(sem);
}
