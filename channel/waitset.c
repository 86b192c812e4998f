/* A wait over many channel ends and events (mc_waitset), for a thread that serves several
 * inputs without busy-polling.
 *
 * It looks at each member without blocking - a channel end with a probe (a zero-timeout
 * peek or reserve, given back at once, which arms the end's OS handle when it would block),
 * an event with a zero-timeout wait - and reports the ready ones; with none ready it sleeps
 * on all their OS handles at once (poll / WaitForMultipleObjects) and looks again. Events
 * are watched where they are not kernel objects (POSIX): a set signals the waitset's own
 * notifier. A reported auto-reset event has been taken by the wait, as with
 * WaitForMultipleObjects; a reported channel has taken nothing. */
#include "wait.h"

#include <stdlib.h>

/* Sleeps are cut into slices of this length: a peer that cannot be watched (no pidfd) is
   still found dead by the next probe. */
#define SLICE_NS 100000000ull

typedef struct member {
  void *tag;
  mc_chan *ch;  /* a channel end, or */
  mc_event *ev; /* an event */
  int taken;    /* the event was consumed by the OS wait: report it */
} member;

struct mc_waitset {
  member m[MC__WAIT_ANY_MAX - 1]; /* one OS handle each, and one for the events' notifier */
  int n;
  int next;                  /* where the next look starts (members get their turns) */
  mc__plat_notifier *events; /* POSIX: what watched events signal; NULL until one is added */
};

int mc__chan_probe(mc_chan *ch) {
  int rc;
  if (ch->corrupt) return 1;
  if (ch->role == MC_CHAN_RECV) {
    const void *msg;
    size_t len;
    if (ch->peeked) return 1; /* the caller holds one: it may consume */
    rc = mc_chan_peek(ch, &msg, &len, 0);
    if (rc == MC_OK) {
      ch->ops->cancel_peek(ch);
      ch->peeked = 0;
      return 1;
    }
  } else {
    void *buf;
    if (ch->reserved || ch->closed_send || ch->drop) return 1; /* DROP_OLDEST: never waits */
    rc = mc_chan_reserve(ch, ch->max_msg, &buf, 0);
    if (rc == MC_OK) {
      ch->ops->cancel_reserve(ch);
      ch->reserved = 0;
      return 1;
    }
  }
  return rc != MC_ETIMEDOUT; /* the end of the stream, a death, an error: the next call says */
}

int mc_waitset_create(mc_waitset **out) {
  if (!out) return MC_EINVAL;
  *out = calloc(1, sizeof **out);
  return *out ? MC_OK : MC_ENOMEM;
}

static int find(const mc_waitset *ws, void *tag) {
  for (int i = 0; i < ws->n; i++)
    if (ws->m[i].tag == tag) return i;
  return -1;
}

static int add(mc_waitset *ws, member m) {
  if (!ws) return MC_EINVAL;
  if (find(ws, m.tag) >= 0) return MC_EEXIST;
  if (ws->n == (int)(sizeof ws->m / sizeof ws->m[0])) return MC_ENOSPC;
  ws->m[ws->n++] = m;
  return MC_OK;
}

static int impl_waitset_add_chan(mc_waitset *ws, mc_chan *ch, void *tag) {
  mc_os_handle h;
  if (!ws || !ch) return MC_EINVAL;
  int rc = mc_chan_os_handle(ch, &h); /* MC_ESTATE for a handle of neither end */
  return rc == MC_OK ? add(ws, (member){tag, ch, NULL, 0}) : rc;
}

int mc_waitset_add_chan(mc_waitset *ws, mc_chan *ch, void *tag) {
  return MC__LOGGED(mc__log_object(ch), impl_waitset_add_chan(ws, ch, tag));
}

static int impl_waitset_add_event(mc_waitset *ws, mc_event *ev, void *tag) {
  if (!ws || !ev) return MC_EINVAL;
  if (find(ws, tag) >= 0) return MC_EEXIST;
  if (mc__event_os_handle(ev) == -1 && !ws->events) {
    mc__plat_notifier *n = calloc(1, sizeof *n);
    if (!n) return MC_ENOMEM;
    int rc = mc__plat_notifier_open(n, NULL);
    if (rc != MC_OK) {
      free(n);
      return rc;
    }
    ws->events = n;
  }
  if (ws->events) {
    int rc = mc__event_watch(ev, ws->events->id);
    if (rc != MC_OK) return rc;
  }
  int rc = add(ws, (member){tag, NULL, ev, 0});
  if (rc != MC_OK && ws->events) mc__event_unwatch(ev, ws->events->id);
  return rc;
}

int mc_waitset_add_event(mc_waitset *ws, mc_event *ev, void *tag) {
  return MC__LOGGED("", impl_waitset_add_event(ws, ev, tag));
}

int mc_waitset_remove(mc_waitset *ws, void *tag) {
  if (!ws) return MC_EINVAL;
  int i = find(ws, tag);
  if (i < 0) return MC_ENOENT;
  if (ws->m[i].ev && ws->events) mc__event_unwatch(ws->m[i].ev, ws->events->id);
  ws->m[i] = ws->m[--ws->n];
  if (ws->next >= ws->n) ws->next = 0;
  return MC_OK;
}

/* Looks at each member once, from ws->next on, and lists up to cap ready ones. */
static int look(mc_waitset *ws, void **ready, int cap) {
  int found = 0;
  for (int k = 0; k < ws->n && found < cap; k++) {
    member *m = &ws->m[(ws->next + k) % ws->n];
    int r;
    if (m->ch) {
      r = mc__chan_probe(m->ch);
    } else {
      r = m->taken || mc_event_wait(m->ev, 0) == MC_OK;
      m->taken = 0;
    }
    if (r) ready[found++] = m->tag;
  }
  if (ws->n) ws->next = (ws->next + 1) % ws->n;
  return found;
}

static int impl_waitset_wait(mc_waitset *ws, void **ready, int cap, int *n, int timeout_ms) {
  if (n) *n = 0;
  if (!ws || !ready || cap <= 0 || !n || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  if (ws->n == 0) return MC_ESTATE; /* an empty set: nothing could ever be ready */
  uint64_t deadline = mc__deadline_ms(timeout_ms);
  for (;;) {
    if (ws->events) mc__plat_notifier_drain(ws->events); /* before looking: sets after it wake us */
    int found = look(ws, ready, cap);
    if (found) {
      *n = found;
      return MC_OK;
    }
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    intptr_t h[MC__WAIT_ANY_MAX];
    int owner[MC__WAIT_ANY_MAX], k = 0;
    for (int i = 0; i < ws->n; i++) {
      intptr_t oh = -1;
      if (ws->m[i].ch)
        oh = (intptr_t)mc__plat_notifier_handle(ws->m[i].ch->notifier);
      else
        oh = mc__event_os_handle(ws->m[i].ev);
      if (oh == -1) continue; /* a watched event: the events' notifier speaks for it */
      owner[k] = i;
      h[k++] = oh;
    }
    if (ws->events) {
      owner[k] = -1;
      h[k++] = mc__plat_notifier_handle(ws->events);
    }
    int r = mc__plat_wait_any(h, k, mc__deadline_slice(deadline, SLICE_NS));
    if (r >= 0 && owner[r] >= 0 && ws->m[owner[r]].ev) ws->m[owner[r]].taken = 1;
    if (r < 0 && r != MC_ETIMEDOUT) return r;
  }
}

int mc_waitset_wait(mc_waitset *ws, void **ready, int cap, int *n, int timeout_ms) {
  return MC__LOGGED("", impl_waitset_wait(ws, ready, cap, n, timeout_ms));
}

void mc_waitset_free(mc_waitset *ws) {
  if (!ws) return;
  while (ws->n) mc_waitset_remove(ws, ws->m[0].tag);
  if (ws->events) {
    mc__plat_notifier_close(ws->events);
    free(ws->events);
  }
  free(ws);
}
