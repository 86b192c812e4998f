/* Win32 backend: futex words (emulated with named semaphores) and robust locks (named
 * kernel mutexes). See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <limits.h>
#include <stdio.h>

#include "platform_win32.h"

/* ---- futex words ------------------------------------------------------------------------
 * Windows has no cross-process WaitOnAddress, so a word gets a named semaphore. Sleepers
 * count themselves in w->waiters before re-checking the word; a waker that changed the word
 * reads waiters afterwards (both seq_cst), so either the sleeper sees the change or the waker
 * sees the sleeper and posts a token, which the semaphore keeps until it is taken: no wake-up
 * is lost. A token left over by a sleeper that timed out causes one spurious wake-up later,
 * which the contract allows. */

#define FUTEX_MAX_TOKENS 64

void mc__plat_futex_bind(mc__plat_futex *f, mc__futex_word *w, const mc__objname *n,
                         uint64_t offset) {
  char suffix[32];
  f->w = w;
  f->h = NULL;
  snprintf(suffix, sizeof suffix, "$f%llu", (unsigned long long)offset);
  if (mc__name_os(n, suffix, f->name, sizeof f->name) != MC_OK) f->name[0] = '\0';
}

static int open_sem(mc__plat_futex *f) {
  if (f->h) return MC_OK;
  wchar_t wname[260];
  if (!f->name[0] || mc__win_wide(f->name, wname, 260) != MC_OK) return MC_EINVAL;
  /* A small maximum: a sleeper killed while counted in `waiters` makes every later wake
     post one token too many; capped, such leftovers cost a few spurious wake-ups at most. */
  f->h = CreateSemaphoreW(NULL, 0, FUTEX_MAX_TOKENS, wname);
  if (!f->h) return mc__win_fail("CreateSemaphoreW", f->name);
  return MC_OK;
}

int mc__plat_futex_wait(mc__plat_futex *f, uint32_t expected, uint64_t deadline) {
  int rc = open_sem(f);
  if (rc != MC_OK) return rc;
  mc__futex_word *w = f->w;
  atomic_fetch_add_explicit(&w->waiters, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&w->value, memory_order_seq_cst) == expected) {
    DWORD r = mc__win_wait(f->h, deadline);
    if (r == WAIT_TIMEOUT)
      rc = MC_ETIMEDOUT;
    else if (r != WAIT_OBJECT_0)
      rc = mc__win_fail("WaitForSingleObject(futex)", f->name);
  }
  atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_relaxed);
  return rc;
}

int mc__plat_futex_wake(mc__plat_futex *f, uint32_t count) {
  mc__futex_word *w = f->w;
  atomic_thread_fence(memory_order_seq_cst); /* pairs with the increment in wait */
  uint32_t n = atomic_load_explicit(&w->waiters, memory_order_relaxed);
  if (n == 0 || count == 0) return 0;
  int rc = open_sem(f);
  if (rc != MC_OK) return rc;
  /* n is shared and so untrusted; more tokens than sleepers are harmless anyway. */
  LONG posts = (LONG)MC__MIN(MC__MIN(n, count), (uint32_t)FUTEX_MAX_TOKENS);
  if (!ReleaseSemaphore(f->h, posts, NULL) && GetLastError() != ERROR_TOO_MANY_POSTS)
    return mc__win_fail("ReleaseSemaphore", f->name);
  return 1;
}

void mc__plat_futex_unbind(mc__plat_futex *f) {
  if (f->h) CloseHandle(f->h);
  f->h = NULL;
  f->w = NULL;
}

/* ---- robust locks: named kernel mutexes -------------------------------------------------- */

int mc__plat_lock_bind(mc__plat_lock *l, const mc__objname *n, const char *suffix) {
  wchar_t wname[300];
  l->h = NULL;
  int rc = mc__win_objname(n, suffix, wname, 300);
  if (rc != MC_OK) return rc;
  l->h = CreateMutexW(NULL, FALSE, wname);
  if (!l->h) {
    if (GetLastError() == ERROR_INVALID_HANDLE) return MC_EMISMATCH;
    return mc__win_fail("CreateMutexW", n->base);
  }
  return MC_OK;
}

int mc__plat_lock_acquire(mc__plat_lock *l, uint64_t deadline) {
  /* WAIT_ABANDONED: we own it now; its last owner died holding it. */
  return mc__win_wait_rc(l->h, deadline, "WaitForSingleObject(mutex)");
}

int mc__plat_lock_release(mc__plat_lock *l) {
  if (ReleaseMutex(l->h)) return MC_OK;
  if (GetLastError() == ERROR_NOT_OWNER) return MC_ESTATE;
  return mc__win_fail("ReleaseMutex", "");
}

void mc__plat_lock_unbind(mc__plat_lock *l) {
  if (l->h) CloseHandle(l->h);
  l->h = NULL;
}

/* ---- events and semaphores: named kernel objects ------------------------------------------ */

int mc__plat_event_bind(mc__plat_event *e, void *shared, const mc__objname *n, uint64_t offset,
                        int manual, int initially_set, int init) {
  wchar_t wname[300];
  MC__UNUSED(offset);
  MC__UNUSED(init); /* an existing kernel event keeps its state; CreateEvent ignores ours */
  e->shared = shared;
  e->manual = manual;
  int rc = mc__win_objname(n, "$ev", wname, 300);
  if (rc != MC_OK) return rc;
  e->h = CreateEventW(NULL, manual ? TRUE : FALSE, initially_set ? TRUE : FALSE, wname);
  if (!e->h) {
    if (GetLastError() == ERROR_INVALID_HANDLE) return MC_EMISMATCH;
    return mc__win_fail("CreateEventW", n->base);
  }
  return MC_OK;
}

int mc__plat_event_set(mc__plat_event *e) {
  return SetEvent(e->h) ? MC_OK : mc__win_fail("SetEvent", "");
}

int mc__plat_event_reset(mc__plat_event *e) {
  return ResetEvent(e->h) ? MC_OK : mc__win_fail("ResetEvent", "");
}

int mc__plat_event_wait(mc__plat_event *e, uint64_t deadline) {
  return mc__win_wait_rc(e->h, deadline, "WaitForSingleObject(event)");
}

int mc__plat_event_waiters(mc__plat_event *e) {
  MC__UNUSED(e);
  return -1;
}

void mc__plat_event_unbind(mc__plat_event *e) {
  if (e->h) CloseHandle(e->h);
  e->h = NULL;
}

int mc__plat_sem_bind(mc__plat_sem *s, void *shared, const mc__objname *n, uint64_t offset,
                      uint32_t initial, uint32_t max, int init) {
  wchar_t wname[300];
  MC__UNUSED(offset);
  MC__UNUSED(init);
  s->shared = shared;
  s->max = max;
  if (max > LONG_MAX || initial > max) return MC_EINVAL;
  int rc = mc__win_objname(n, "$sem", wname, 300);
  if (rc != MC_OK) return rc;
  s->h = CreateSemaphoreW(NULL, (LONG)initial, (LONG)max, wname);
  if (!s->h) {
    if (GetLastError() == ERROR_INVALID_HANDLE) return MC_EMISMATCH;
    return mc__win_fail("CreateSemaphoreW", n->base);
  }
  return MC_OK;
}

int mc__plat_sem_post(mc__plat_sem *s, uint32_t count) {
  if (count > s->max) return MC_ERANGE;
  if (ReleaseSemaphore(s->h, (LONG)count, NULL)) return MC_OK;
  if (GetLastError() == ERROR_TOO_MANY_POSTS) return MC_ERANGE;
  return mc__win_fail("ReleaseSemaphore", "");
}

int mc__plat_sem_wait(mc__plat_sem *s, uint64_t deadline) {
  return mc__win_wait_rc(s->h, deadline, "WaitForSingleObject(semaphore)");
}

void mc__plat_sem_unbind(mc__plat_sem *s) {
  if (s->h) CloseHandle(s->h);
  s->h = NULL;
}
