/* Streams over an acquired block, a stdio FILE over a stream, and snapshots. */
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- streams -------------------------------------------------------------------------- */

int mc_shm_stream(mc_shm *shm, mc_stream **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!shm) return MC_EINVAL;
  if (shm->access == MC__NOT_ACQUIRED) return MC_ESTATE;
  if (!shm->stream.active) {
    shm->stream.shm = shm;
    shm->stream.pos = 0;
    shm->stream.active = 1;
  }
  *out = &shm->stream; /* one per handle: asking again gives the same stream */
  return MC_OK;
}

int64_t mc_stream_read(mc_stream *st, void *buf, size_t len) {
  if (!st || (!buf && len)) return MC_EINVAL;
  if (!st->active) return MC_ESTATE;
  mc_shm *shm = st->shm;
  if (st->pos >= shm->size) return 0;
  uint64_t n = MC__MIN((uint64_t)len, shm->size - st->pos);
  memcpy(buf, mc__shm_data(shm) + st->pos, (size_t)n);
  st->pos += n;
  return (int64_t)n;
}

int64_t mc_stream_write(mc_stream *st, const void *buf, size_t len) {
  if (!st || (!buf && len)) return MC_EINVAL;
  if (!st->active) return MC_ESTATE;
  mc_shm *shm = st->shm;
  if (shm->access != MC_WRITE) return MC_ESTATE;
  uint64_t end = st->pos + mc__min_u64(len, MC__REGION_LIMIT);
  if (end > shm->size && shm->max_size && shm->size < shm->max_size) {
    int rc = mc__shm_set_size(shm, MC__MIN(end, shm->max_size)); /* grow, up to max */
    if (rc != MC_OK) return rc;
  }
  if (st->pos >= shm->size) return 0; /* at the end of a full block */
  uint64_t n = MC__MIN((uint64_t)len, shm->size - st->pos);
  memcpy(mc__shm_data(shm) + st->pos, buf, (size_t)n);
  st->pos += n;
  return (int64_t)n;
}

int64_t mc_stream_seek(mc_stream *st, int64_t offset, int whence) {
  if (!st) return MC_EINVAL;
  if (!st->active) return MC_ESTATE;
  int64_t base;
  switch (whence) {
  case SEEK_SET:
    base = 0;
    break;
  case SEEK_CUR:
    base = (int64_t)st->pos;
    break;
  case SEEK_END:
    base = (int64_t)st->shm->size;
    break;
  default:
    return MC_EINVAL;
  }
  if ((offset < 0 && base + offset < 0) || (offset > 0 && offset > (int64_t)MC__REGION_LIMIT))
    return MC_EINVAL;
  st->pos = (uint64_t)(base + offset);
  return (int64_t)st->pos;
}

/* ---- stdio ------------------------------------------------------------------------------- */

/* The FILE's cookie: detached (shm = NULL) when the block is released or closed, so a FILE
   that outlives its acquisition fails its I/O instead of touching freed memory. */
typedef struct file_cookie {
  mc_shm *shm;
} file_cookie;

static int64_t f_read(void *c, char *buf, size_t n) {
  file_cookie *k = c;
  return k->shm ? mc_stream_read(&k->shm->stream, buf, n) : -1;
}

static int64_t f_write(void *c, const char *buf, size_t n) {
  file_cookie *k = c;
  return k->shm ? mc_stream_write(&k->shm->stream, buf, n) : -1;
}

static int64_t f_seek(void *c, int64_t off, int whence) {
  file_cookie *k = c;
  return k->shm ? mc_stream_seek(&k->shm->stream, off, whence) : -1;
}

static void f_close(void *c) {
  file_cookie *k = c;
  if (k->shm) {
    k->shm->file = NULL;
    k->shm->file_cookie = NULL;
  }
  free(k);
}

static const mc__plat_cookie_io file_io = {f_read, f_write, f_seek, f_close};

FILE *mc_shm_fopen(mc_shm *shm, const char *mode) {
  if (!shm || !mode || shm->access == MC__NOT_ACQUIRED || shm->file) return NULL;
  int plus = strchr(mode, '+') != NULL;
  if (!mode[0] || !strchr("rwa", mode[0]) || strspn(mode + 1, "b+") != strlen(mode + 1))
    return NULL;
  int writes = mode[0] != 'r' || plus;
  if (writes && shm->access != MC_WRITE) return NULL;
  file_cookie *k = malloc(sizeof *k);
  if (!k) return NULL;
  k->shm = shm;
  FILE *f = mc__plat_fopen_cookie(k, mode, &file_io);
  if (!f) {
    free(k);
    return NULL;
  }
  mc_stream *st;
  mc_shm_stream(shm, &st); /* cannot fail: checked above that the block is acquired */
  st->pos = 0;
  if (mode[0] == 'w' && shm->max_size) mc__shm_set_size(shm, 0); /* truncate, as fopen("w") */
  if (mode[0] == 'a') st->pos = shm->size;
  shm->file = f;
  shm->file_cookie = k;
  return f;
}

void mc__shm_detach_file(mc_shm *shm) {
  if (!shm->file) return;
  fflush(shm->file); /* its buffered writes belong to this acquisition */
  ((file_cookie *)shm->file_cookie)->shm = NULL;
  shm->file = NULL;
  shm->file_cookie = NULL;
}

/* ---- snapshots ---------------------------------------------------------------------------- */

static int impl_shm_snapshot(mc_shm *shm, mc_shm **snap) {
  if (!snap) return MC_EINVAL;
  *snap = NULL;
  if (!shm) return MC_EINVAL;
  if (shm->access == MC__NOT_ACQUIRED) return MC_ESTATE;
  mc_shm *s = calloc(1, sizeof *s);
  if (!s) return MC_ENOMEM;
  s->snap = malloc(shm->size ? (size_t)shm->size : 1);
  if (!s->snap) {
    free(s);
    return MC_ENOMEM;
  }
  memcpy(s->snap, mc__shm_data(shm), (size_t)shm->size);
  s->access = MC__NOT_ACQUIRED;
  s->size = shm->size;
  s->snap_changes = mc_shm_change_count(shm);
  strcpy(s->snap_name, mc_shm_name(shm));
  *snap = s;
  return MC_OK;
}

int mc_shm_snapshot(mc_shm *shm, mc_shm **snap) {
  return MC__LOGGED(mc__log_object(shm), impl_shm_snapshot(shm, snap));
}
