/* Win32 notifiers (core/platform.h): a manual-reset named event, which a waker sets, and
 * which a thread-pool wait on each watched process sets when that process ends - so one
 * HANDLE, good for WaitForMultipleObjects, says both "look again" and "a peer is gone". */
#include "internal.h"

#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "platform/win32/win32.h"

static int event_name(const mc__objname *within, uint32_t id, char *buf, size_t cap) {
  char suffix[16];
  snprintf(suffix, sizeof suffix, "$n%08x", (unsigned)id);
  return mc__plat_os_name(within, suffix, buf, cap);
}

int mc__plat_notifier_open(mc__plat_notifier *n, const mc__objname *within) {
  memset(n, 0, sizeof *n);
  /* Wakers are the channel's peers: every user, where the channel admits every user. */
  mc__win_sa sa;
  int rc = mc__win_security(&sa, MC__WIN_ALL_USERS(within), "notifier");
  if (rc != MC_OK) return rc;
  for (int tries = 0;; tries++) {
    wchar_t w[MC__OS_NAME_MAX];
    rc = mc__plat_random(&n->id, sizeof n->id);
    if (rc != MC_OK) return rc;
    if (n->id == 0) continue;
    if ((rc = event_name(within, n->id, n->name, sizeof n->name)) != MC_OK) return rc;
    if ((rc = mc__win_wide(n->name, w, MC__OS_NAME_MAX)) != MC_OK) return rc;
    n->ev = CreateEventW(&sa.sa, TRUE, FALSE, w);
    if (!n->ev) return mc__win_fail("CreateEventW(notifier)", n->name);
    if (GetLastError() != ERROR_ALREADY_EXISTS) return MC_OK;
    CloseHandle(n->ev); /* someone else's: a fresh id */
    n->ev = NULL;
    if (tries > 16) return mc__win_fail("CreateEventW(notifier)", n->name);
  }
}

intptr_t mc__plat_notifier_handle(const mc__plat_notifier *n) {
  return (intptr_t)n->ev;
}

static VOID CALLBACK process_ended(PVOID ctx, BOOLEAN timed_out) {
  mc__plat_notifier *n = ctx;
  (void)timed_out;
  atomic_store(&n->ended, 1);
  SetEvent(n->ev);
}

static void unwatch(mc__plat_notifier *n, int i) {
  /* INVALID_HANDLE_VALUE: returns once a running callback has finished */
  if (n->wait[i]) UnregisterWaitEx(n->wait[i], INVALID_HANDLE_VALUE);
  if (n->proc[i]) CloseHandle(n->proc[i]);
  n->nwatch--;
  n->token[i] = n->token[n->nwatch];
  n->proc[i] = n->proc[n->nwatch];
  n->wait[i] = n->wait[n->nwatch];
}

int mc__plat_notifier_drain(mc__plat_notifier *n) {
  ResetEvent(n->ev);
  if (!atomic_exchange(&n->ended, 0)) return 0;
  /* Which one ended: the handles say (a callback's flag names none in particular). */
  for (int i = 0; i < n->nwatch;) {
    if (n->proc[i] && WaitForSingleObject(n->proc[i], 0) == WAIT_OBJECT_0)
      unwatch(n, i);
    else
      i++;
  }
  return 1;
}

int mc__plat_notifier_watch(mc__plat_notifier *n, const uint64_t *tokens, int count) {
  for (int i = 0; i < n->nwatch;) {
    int keep = 0;
    for (int j = 0; j < count && !keep; j++) keep = tokens[j] == n->token[i];
    if (keep)
      i++;
    else
      unwatch(n, i);
  }
  for (int j = 0; j < count; j++) {
    int have = tokens[j] == 0;
    for (int i = 0; i < n->nwatch && !have; i++) have = n->token[i] == tokens[j];
    if (have || n->nwatch == MC__NOTIFY_WATCH) continue;
    int i = n->nwatch++;
    n->token[i] = tokens[j];
    n->wait[i] = NULL;
    n->proc[i] = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)(uint32_t)tokens[j]);
    if (!n->proc[i]) continue; /* gone already, or not ours to see: liveness checks decide */
    /* The handle names whoever had the id when it was opened: the token's process if that
       still lives now (an id is not reused while its process runs). */
    if (!mc__plat_token_alive(tokens[j]) ||
        !RegisterWaitForSingleObject(&n->wait[i], n->proc[i], process_ended, n, INFINITE,
                                     WT_EXECUTEONLYONCE)) {
      n->wait[i] = NULL;
      CloseHandle(n->proc[i]);
      n->proc[i] = NULL;
    }
  }
  return MC_OK;
}

void mc__plat_notifier_close(mc__plat_notifier *n) {
  while (n->nwatch > 0) unwatch(n, n->nwatch - 1);
  if (n->ev) CloseHandle(n->ev);
  n->ev = NULL;
}

void mc__plat_signaller_init(mc__plat_signaller *s) {
  memset(s, 0, sizeof *s);
}

int mc__plat_notify(mc__plat_signaller *s, const mc__objname *within, uint32_t id) {
  HANDLE h = NULL;
  for (int i = 0; i < MC__SIGNAL_CACHE && !h; i++)
    if (s->id[i] == id) h = s->h[i];
  if (!h) {
    char name[MC__OS_NAME_MAX];
    wchar_t w[MC__OS_NAME_MAX];
    int rc = event_name(within, id, name, sizeof name);
    if (rc == MC_OK) rc = mc__win_wide(name, w, MC__OS_NAME_MAX);
    if (rc != MC_OK) return rc;
    h = OpenEventW(EVENT_MODIFY_STATE, FALSE, w);
    if (!h) return MC_OK; /* its owner went away */
    unsigned k = s->next++ % MC__SIGNAL_CACHE;
    if (s->h[k]) CloseHandle(s->h[k]);
    s->id[k] = id;
    s->h[k] = h;
  }
  if (!SetEvent(h)) return mc__win_fail("SetEvent(notifier)", NULL);
  return MC_OK;
}

void mc__plat_signaller_close(mc__plat_signaller *s) {
  for (int i = 0; i < MC__SIGNAL_CACHE; i++)
    if (s->h[i]) CloseHandle(s->h[i]);
  memset(s, 0, sizeof *s);
}

int mc__plat_wait_any(const intptr_t *h, int n, uint64_t deadline) {
  HANDLE hs[MC__WAIT_ANY_MAX];
  if (n <= 0 || n > MC__WAIT_ANY_MAX) return MC_EINVAL;
  for (int i = 0; i < n; i++) hs[i] = (HANDLE)h[i];
  for (;;) {
    DWORD r = WaitForMultipleObjects((DWORD)n, hs, FALSE, mc__win_wait_ms(deadline));
    if (r < WAIT_OBJECT_0 + (DWORD)n) return (int)(r - WAIT_OBJECT_0);
    if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + (DWORD)n)
      return (int)(r - WAIT_ABANDONED_0);
    if (r != WAIT_TIMEOUT) return mc__win_fail("WaitForMultipleObjects", NULL);
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
  }
}
