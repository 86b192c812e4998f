/* fuzz_names: arbitrary bytes as names and as option fields for every call that opens or
 * creates a named object, then a second open of the same name with other options (the
 * mismatch paths) and one call on each handle.
 *
 * A name from the input could be a real object of some other program, so the input never
 * names one by itself: it is appended to a prefix unique to this process and iteration
 * ("fz<pid>x<n>-", optionally after a '/'), or given raw only when memchan.h's rules make it
 * invalid, in which case the call must refuse it. That refusal is checked here: a name the
 * rules reject that a call accepts is a finding (abort).
 *
 * Input: api, form, 2 x 24 option bytes (first open, second open), then the name bytes (up
 * to a NUL or the end).
 *   api   which call (API_*)
 *   form  bits 0-1 how the name is made (FORM_*); bit 2 set: the second open is of the kind
 *         bits 3-7 name (API_*), else of the same kind
 *   opts  u64 a, u64 b, u32 c, u32 d (LE), spread over each call's parameters in open_one */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

enum {
  API_SHM,
  API_EVENT,
  API_MUTEX,
  API_SEM,
  API_SWMR,
  API_CHAN_CREATE,
  API_CHAN_OPEN,
  API_UNLINK,
  API_COUNT
};
enum { FORM_PREFIXED, FORM_SLASH, FORM_RAW, FORM_NULL };

/* memchan.h "Names": 1 to 200 characters from A-Z a-z 0-9 . _ -, not "." or ".."; an
   optional "Local\" prefix, then an optional '/', are ignored; "Global\" is Windows' only.
   Written from the document, not from the library's parser, so the two can disagree. */
static int name_invalid_by_doc(const char *s) {
  if (strncmp(s, "Local\\", 6) == 0) s += 6;
  if (s[0] == '/') s++;
  size_t len = strlen(s);
  if (len < 1 || len > MC_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 1;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    if (!ok) return 1;
  }
  return 0;
}

/* A timeout from the input, kept from waiting: invalid ones (below MC_INFINITE) stay as they
   are; MC_INFINITE and positive ones become 1 ms (mc_chan_open of a name nobody creates
   waits as long as it is told to). */
static int timeout_of(uint32_t v) {
  int t = (int)v;
  return t < MC_INFINITE ? t : t == 0 ? 0 : 1;
}

typedef struct opts {
  uint64_t a, b;
  uint32_t c, d;
} opts;

static opts read_opts(fz_in *in) {
  opts o;
  o.a = fz_u64(in);
  o.b = fz_u64(in);
  o.c = fz_u32(in);
  o.d = fz_u32(in);
  return o;
}

/* One open (or create) of `name` by api with options o, and a call or two on what it opened,
   left in *out for close_one; `made` receives the name of an object created under a fresh
   unique name (name NULL), for the cleanup. Returns the open's code. */
static int open_one(int api, const char *name, const opts *o, void **out, char *made,
                    size_t made_cap) {
  int rc = MC_EINVAL;
  switch (api) {
  case API_SHM: {
    mc_shm *h = NULL;
    void *data;
    mc_shm_options so = {.size = o->a,
                         .max_size = o->b,
                         .flags = o->c & 0xff,
                         .mode = (o->c >> 8) & 0xfff,
                         .timeout_ms = timeout_of(o->d)};
    if (o->c & 0x100000) so.size &= 0xffff; /* small blocks as well as huge ones */
    if (o->c & 0x200000) so.max_size &= 0xfffff;
    rc = mc_shm_open(name, &so, &h);
    if (rc == MC_OK) {
      snprintf(made, made_cap, "%s", mc_shm_name(h));
      if (mc_shm_acquire(h, o->d & 1, 0, &data) == MC_OK) mc_shm_release(h);
      *out = h;
    }
    break;
  }
  case API_EVENT: {
    mc_event *ev = NULL;
    rc = mc_event_open(name, (int)(o->c & 1), (int)(o->c >> 1 & 1), &ev);
    if (rc == MC_OK) {
      mc_event_set(ev);
      mc_event_wait(ev, 0);
      mc_event_reset(ev);
      *out = ev;
    }
    break;
  }
  case API_MUTEX: {
    mc_mutex *mx = NULL;
    rc = mc_mutex_open(name, &mx);
    if (rc == MC_OK) {
      int l = mc_mutex_lock(mx, 0);
      if (l == MC_OK || l == MC_EOWNERDEAD) mc_mutex_unlock(mx);
      *out = mx;
    }
    break;
  }
  case API_SEM: {
    mc_sem *sem = NULL;
    rc = mc_sem_open(name, o->c, o->d, &sem);
    if (rc == MC_OK) {
      mc_sem_post(sem, (uint32_t)o->a);
      mc_sem_wait(sem, 0);
      *out = sem;
    }
    break;
  }
  case API_SWMR: {
    mc_swmr *g = NULL;
    rc = mc_swmr_open(name, &g);
    if (rc == MC_OK) {
      int l = (o->c & 1) ? mc_swmr_lock_write(g, 0) : mc_swmr_lock_read(g, 0);
      if (l == MC_OK || l == MC_EOWNERDEAD) mc_swmr_unlock(g);
      *out = g;
    }
    break;
  }
  case API_CHAN_CREATE:
  case API_CHAN_OPEN: {
    mc_chan *ch = NULL;
    int role = (int)(o->d & 0x7) - 1; /* -1..6: the three roles and invalid ones */
    if (api == API_CHAN_OPEN) {
      rc = mc_chan_open(name, role, timeout_of(o->c), &ch);
    } else {
      mc_chan_options co = {.kind = (int)(o->c & 3) - 1, /* -1..2: both kinds, two invalid */
                            .max_msg = (uint32_t)o->a,
                            .capacity = o->b,
                            .flags = (o->c >> 3) & 3,
                            .spin_us = (int)(o->d >> 8) % 20000 - 2,
                            .mode = (o->c >> 8) & 0xfff};
      if (o->c & 0x100000) co.max_msg &= 0x3ff; /* ones that fit as well as absurd ones */
      if (o->c & 0x200000) co.capacity &= 0xfffff;
      rc = mc_chan_create(name, (o->c & 0x400000) ? NULL : &co, role, &ch);
    }
    if (rc == MC_OK) {
      snprintf(made, made_cap, "%s", mc_chan_name(ch));
      char msg[8];
      size_t len;
      mc_chan_send(ch, "x", 1, 0);
      mc_chan_recv(ch, msg, (o->c & 0x800000) ? 0 : sizeof msg, &len, 0);
      *out = ch;
    }
    break;
  }
  case API_UNLINK:
    rc = mc_shm_unlink(name);
    break;
  }
  return rc;
}

static void close_one(int api, void *h) {
  if (!h) return;
  switch (api) {
  case API_SHM:
    mc_shm_close(h);
    break;
  case API_EVENT:
    mc_event_close(h);
    break;
  case API_MUTEX:
    mc_mutex_close(h);
    break;
  case API_SEM:
    mc_sem_close(h);
    break;
  case API_SWMR:
    mc_swmr_close(h);
    break;
  case API_CHAN_CREATE:
  case API_CHAN_OPEN:
    mc_chan_close(h);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  int api = fz_u8(&in) % API_COUNT, api2 = fz_u8(&in), form = api2 & 3;
  api2 = (api2 >> 2) & 1 ? (api2 >> 3) % API_COUNT : api; /* the second open: another kind */
  opts o1 = read_opts(&in), o2 = read_opts(&in);
  char raw[512], prefix[64], name[600], made[MC_NAME_MAX + 1] = "", made2[MC_NAME_MAX + 1] = "";
  size_t n;
  const uint8_t *b = fz_take(&in, sizeof raw - 1, &n);
  if (b) memcpy(raw, b, n);
  raw[n] = '\0'; /* a NUL inside ends the name there, as it would for any caller */

  fz_name(prefix, sizeof prefix, "n-");
  const char *use = name;
  switch (form) {
  case FORM_PREFIXED:
    snprintf(name, sizeof name, "%s%s", prefix, raw);
    break;
  case FORM_SLASH:
    snprintf(name, sizeof name, "/%s%s", prefix, raw);
    break;
  case FORM_RAW:
    if (!name_invalid_by_doc(raw)) return 0; /* could name someone else's object */
    snprintf(name, sizeof name, "%s", raw);
    break;
  default:
    use = NULL;
    if (api != API_SHM && api != API_CHAN_CREATE) return 0; /* NULL is for those two only */
    break;
  }
  int invalid = use && name_invalid_by_doc(use);

  void *h1 = NULL, *h2 = NULL;
  int rc = open_one(api, use, &o1, &h1, made, sizeof made);
  if (rc == MC_OK && invalid && api != API_UNLINK) abort(); /* accepted what the rules refuse */
  /* The same name again, as the same or another kind, with other options. */
  int rc2 = use || api2 == API_SHM || api2 == API_CHAN_CREATE
                ? open_one(api2, use ? use : made, &o2, &h2, made2, sizeof made2)
                : MC_EINVAL;
  if (rc2 == MC_OK && invalid && api2 != API_UNLINK) abort();
  close_one(api2, h2);
  close_one(api, h1);

  if (use && !invalid) fz_unlink(use);
  if (made[0]) fz_unlink(made);
  if (made2[0]) fz_unlink(made2);
  return 0;
}
