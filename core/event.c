/* mc_event: a named event with Win32's semantics - a kernel event where the platform has one
 * (MC__PLAT_KERNEL_SYNC), futex words in the state area elsewhere (futex_sync.c). */
#include "futex_sync.h"
#include "sync.h"

#include <stdlib.h>

struct mc_event {
  mc__region r;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_event ev;
#else
  mc__fevent ev;
#endif
  int manual, initially_set;
};

static int event_bind(void *obj, mc__region *r, int init) {
  mc_event *e = obj;
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(init); /* the kernel object keeps its own state */
  return mc__plat_event_bind(&e->ev, &r->name, e->manual, e->initially_set);
#else
  if (init) mc__fevent_init_shared(r->hdr->state_area, e->manual, e->initially_set);
  mc__fevent_bind(&e->ev, r, r->hdr->state_area, e->manual);
  return MC_OK;
#endif
}

static void event_unbind(void *obj) {
  mc_event *e = obj;
#if MC__PLAT_KERNEL_SYNC
  mc__plat_event_unbind(&e->ev);
#else
  mc__fevent_unbind(&e->ev);
#endif
}

static mc_event *event_new(int manual_reset, int initially_set) {
  mc_event *e = calloc(1, sizeof *e);
  if (e) {
    e->manual = manual_reset != 0;
    e->initially_set = initially_set != 0;
  }
  return e;
}

static int impl_event_open(const char *name, int manual_reset, int initially_set, mc_event **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!name) return MC_EINVAL;
  mc_event *e = event_new(manual_reset, initially_set);
  if (!e) return MC_ENOMEM;
  int rc = mc__sync_open(name, MC__KIND_EVENT, e, sizeof *e, &e->r, event_bind, event_unbind,
                         (uint64_t)e->manual, 0);
  if (rc == MC_OK) *out = e;
  return rc;
}

int mc_event_open(const char *name, int manual_reset, int initially_set, mc_event **out) {
  return MC__LOGGED(name, impl_event_open(name, manual_reset, initially_set, out));
}

int mc__event_open_name(const mc__objname *n, int how, int manual_reset, int initially_set,
                        mc_event **out) {
  mc_event *e = event_new(manual_reset, initially_set);
  if (!e) return MC_ENOMEM;
  int rc = mc__sync_open_name(n, how, MC__KIND_EVENT, e, sizeof *e, &e->r, event_bind, event_unbind,
                              (uint64_t)e->manual, 0);
  *out = rc == MC_OK ? e : NULL;
  return rc;
}

static int impl_event_set(mc_event *ev) {
  if (!ev) return MC_EINVAL;
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_event_set(&ev->ev);
#else
  return mc__fevent_set(&ev->ev);
#endif
}

int mc_event_set(mc_event *ev) {
  return MC__LOGGED(mc__log_object(ev), impl_event_set(ev));
}

static int impl_event_reset(mc_event *ev) {
  if (!ev) return MC_EINVAL;
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_event_reset(&ev->ev);
#else
  return mc__fevent_reset(&ev->ev);
#endif
}

int mc_event_reset(mc_event *ev) {
  return MC__LOGGED(mc__log_object(ev), impl_event_reset(ev));
}

static int impl_event_wait(mc_event *ev, int timeout_ms) {
  if (!ev || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
#if MC__PLAT_KERNEL_SYNC
  return mc__plat_event_wait(&ev->ev, mc__deadline_ms(timeout_ms));
#else
  return mc__fevent_wait(&ev->ev, mc__deadline_ms(timeout_ms));
#endif
}

int mc_event_wait(mc_event *ev, int timeout_ms) {
  return MC__LOGGED(mc__log_object(ev), impl_event_wait(ev, timeout_ms));
}

int mc__event_waiters(mc_event *ev) {
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(ev);
  return -1; /* the kernel keeps that to itself */
#else
  return mc__fevent_waiters(&ev->ev);
#endif
}

void mc_event_close(mc_event *ev) {
  if (!ev) return;
  event_unbind(ev);
  mc__region_close(&ev->r);
  free(ev);
}

intptr_t mc__event_os_handle(mc_event *ev) {
#if MC__PLAT_KERNEL_SYNC
  return (intptr_t)ev->ev.h;
#else
  MC__UNUSED(ev);
  return -1;
#endif
}

int mc__event_watch(mc_event *ev, uint32_t id) {
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(ev);
  MC__UNUSED(id);
  return MC_OK; /* its handle is waited on itself */
#else
  return mc__fevent_watch(&ev->ev, id);
#endif
}

void mc__event_unwatch(mc_event *ev, uint32_t id) {
#if MC__PLAT_KERNEL_SYNC
  MC__UNUSED(ev);
  MC__UNUSED(id);
#else
  mc__fevent_unwatch(&ev->ev, id);
#endif
}
