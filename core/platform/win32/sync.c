/* Win32 backend: futex words (emulated with named semaphores) and the kernel mutexes, events
 * and semaphores behind mc_mutex, mc_event and mc_sem. See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <aclapi.h>
#include <limits.h>
#include <stdio.h>

#include "platform/win32/win32.h"

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
  f->sem = NULL;
  f->everyone = MC__WIN_ALL_USERS(n);
  snprintf(suffix, sizeof suffix, "$f%llu", (unsigned long long)offset);
  if (mc__plat_os_name(n, suffix, f->name, sizeof f->name) != MC_OK) f->name[0] = '\0';
}

/* Makes sure a kernel object of a private name that existed before us is ours: another
   user's squatting the name would otherwise share our locks and wake-ups. An open name's
   objects are made by whichever user gets there first, as intended. */
static int own_or_close(HANDLE *h, int existed, int everyone, const char *name) {
  if (!existed || everyone) return MC_OK;
  int rc = mc__win_check_owner(*h, SE_KERNEL_OBJECT, name);
  if (rc != MC_OK) {
    CloseHandle(*h);
    *h = NULL;
  }
  return rc;
}

static int open_sem(mc__plat_futex *f) {
  if (f->sem) return MC_OK;
  wchar_t wname[MC__OS_NAME_MAX];
  mc__win_sa sa;
  if (!f->name[0] || mc__win_wide(f->name, wname, MC__OS_NAME_MAX) != MC_OK) return MC_EINVAL;
  int rc = mc__win_security(&sa, f->everyone, f->name);
  if (rc != MC_OK) return rc;
  /* A small maximum: a sleeper killed while counted in `waiters` makes every later wake
     post one token too many; capped, such leftovers cost a few spurious wake-ups at most. */
  f->sem = CreateSemaphoreW(&sa.sa, 0, FUTEX_MAX_TOKENS, wname);
  if (!f->sem) return mc__win_fail("CreateSemaphoreW", f->name);
  return own_or_close(&f->sem, GetLastError() == ERROR_ALREADY_EXISTS, f->everyone != 0, f->name);
}

int mc__plat_futex_wait(mc__plat_futex *f, uint32_t expected, uint64_t deadline) {
  int rc = open_sem(f);
  if (rc != MC_OK) return rc;
  mc__futex_word *w = f->w;
  atomic_fetch_add_explicit(&w->waiters, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&w->value, memory_order_seq_cst) == expected) {
    DWORD r = mc__win_wait(f->sem, deadline);
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
  if (!ReleaseSemaphore(f->sem, posts, NULL) && GetLastError() != ERROR_TOO_MANY_POSTS)
    return mc__win_fail("ReleaseSemaphore", f->name);
  return 1;
}

void mc__plat_futex_unbind(mc__plat_futex *f) {
  if (f->sem) CloseHandle(f->sem);
  f->sem = NULL;
  f->w = NULL;
}

/* ---- kernel objects ------------------------------------------------------------------------ */

/* Creates or opens the named kernel object "N<suffix>" with `create`, keeping its name. */
static HANDLE create_named(const mc__objname *n, const char *suffix, char *name, size_t cap,
                           HANDLE (*create)(const wchar_t *w, SECURITY_ATTRIBUTES *sa, void *arg),
                           void *arg, const char *call, int *rc) {
  wchar_t w[MC__OS_NAME_MAX];
  mc__win_sa sa;
  *rc = mc__plat_os_name(n, suffix, name, cap);
  if (*rc == MC_OK) *rc = mc__win_wide(name, w, MC__OS_NAME_MAX);
  if (*rc == MC_OK) *rc = mc__win_security(&sa, MC__WIN_ALL_USERS(n), name);
  if (*rc != MC_OK) return NULL;
  HANDLE h = create(w, &sa.sa, arg);
  if (!h) *rc = mc__win_fail(call, name); /* another kind of object's name: MC_EMISMATCH */
  else *rc = own_or_close(&h, GetLastError() == ERROR_ALREADY_EXISTS, n->everyone, name);
  return h;
}

static HANDLE new_mutex(const wchar_t *w, SECURITY_ATTRIBUTES *sa, void *arg) {
  MC__UNUSED(arg);
  return CreateMutexW(sa, FALSE, w);
}

int mc__plat_lock_bind(mc__plat_lock *l, const mc__objname *n, const char *suffix) {
  int rc;
  l->h = create_named(n, suffix, l->name, sizeof l->name, new_mutex, NULL, "CreateMutexW", &rc);
  return rc;
}

int mc__plat_lock_acquire(mc__plat_lock *l, uint64_t deadline) {
  /* WAIT_ABANDONED: we own it now; its last owner died holding it. */
  return mc__win_wait_rc(l->h, deadline, "WaitForSingleObject(mutex)", l->name);
}

int mc__plat_lock_release(mc__plat_lock *l) {
  if (ReleaseMutex(l->h)) return MC_OK;
  if (GetLastError() == ERROR_NOT_OWNER) return MC_ESTATE;
  return mc__win_fail("ReleaseMutex", l->name);
}

void mc__plat_lock_unbind(mc__plat_lock *l) {
  if (l->h) CloseHandle(l->h);
  l->h = NULL;
}

typedef struct event_args {
  int manual, initially_set;
} event_args;

static HANDLE new_event(const wchar_t *w, SECURITY_ATTRIBUTES *sa, void *arg) {
  const event_args *a = arg;
  return CreateEventW(sa, a->manual ? TRUE : FALSE, a->initially_set ? TRUE : FALSE, w);
}

int mc__plat_event_bind(mc__plat_event *e, const mc__objname *n, int manual, int initially_set) {
  int rc;
  event_args a = {manual, initially_set};
  e->h = create_named(n, "$ev", e->name, sizeof e->name, new_event, &a, "CreateEventW", &rc);
  return rc;
}

int mc__plat_event_set(mc__plat_event *e) {
  return SetEvent(e->h) ? MC_OK : mc__win_fail("SetEvent", e->name);
}

int mc__plat_event_reset(mc__plat_event *e) {
  return ResetEvent(e->h) ? MC_OK : mc__win_fail("ResetEvent", e->name);
}

int mc__plat_event_wait(mc__plat_event *e, uint64_t deadline) {
  return mc__win_wait_rc(e->h, deadline, "WaitForSingleObject(event)", e->name);
}

void mc__plat_event_unbind(mc__plat_event *e) {
  if (e->h) CloseHandle(e->h);
  e->h = NULL;
}

typedef struct sem_args {
  uint32_t initial, max;
} sem_args;

static HANDLE new_sem(const wchar_t *w, SECURITY_ATTRIBUTES *sa, void *arg) {
  const sem_args *a = arg;
  return CreateSemaphoreW(sa, (LONG)a->initial, (LONG)a->max, w);
}

int mc__plat_sem_bind(mc__plat_sem *s, const mc__objname *n, uint32_t initial, uint32_t max) {
  int rc;
  sem_args a = {initial, max};
  s->max = max;
  s->h = NULL;
  if (max > LONG_MAX || initial > max) return MC_EINVAL;
  s->h = create_named(n, "$sem", s->name, sizeof s->name, new_sem, &a, "CreateSemaphoreW", &rc);
  return rc;
}

int mc__plat_sem_post(mc__plat_sem *s, uint32_t count) {
  if (count > s->max) return MC_ERANGE;
  if (ReleaseSemaphore(s->h, (LONG)count, NULL)) return MC_OK;
  if (GetLastError() == ERROR_TOO_MANY_POSTS) return MC_ERANGE;
  return mc__win_fail("ReleaseSemaphore", s->name);
}

int mc__plat_sem_wait(mc__plat_sem *s, uint64_t deadline) {
  return mc__win_wait_rc(s->h, deadline, "WaitForSingleObject(semaphore)", s->name);
}

void mc__plat_sem_unbind(mc__plat_sem *s) {
  if (s->h) CloseHandle(s->h);
  s->h = NULL;
}
