/* Bounded, typed and string access to an acquired block, and resizing it. Every offset and length is checked
 * against the size this handle saw at acquire time; overflow-safe (offset > size - len, never
 * offset + len > size). */
#include "shm_internal.h"

#include <string.h>

int mc__shm_can_read(const mc_shm *shm) {
  if (!shm) return MC_EINVAL;
  if (shm->access == MC__NOT_ACQUIRED || shm->stream.active) return MC_ESTATE;
  return MC_OK;
}

int mc__shm_can_write(const mc_shm *shm) {
  int rc = mc__shm_can_read(shm);
  if (rc == MC_OK && shm->access != MC_WRITE) rc = MC_ESTATE;
  return rc;
}

/* [offset, offset + len) lies inside the block. */
static int inside(const mc_shm *shm, uint64_t offset, uint64_t len) {
  return offset <= shm->size && len <= shm->size - offset;
}

/* ---- bounded copies ------------------------------------------------------------------- */

int mc_shm_read(mc_shm *shm, uint64_t offset, void *buf, size_t len, size_t *done) {
  if (done) *done = 0;
  int rc = mc__shm_can_read(shm);
  if (rc != MC_OK) return rc;
  if (!buf && len) return MC_EINVAL;
  if (offset > shm->size) return MC_ERANGE;
  size_t n = (size_t)MC__MIN((uint64_t)len, shm->size - offset);
  if (n) memcpy(buf, mc__shm_data(shm) + offset, n);
  if (done) *done = n;
  return MC_OK;
}

int mc_shm_write(mc_shm *shm, uint64_t offset, const void *buf, size_t len, size_t *done) {
  if (done) *done = 0;
  int rc = mc__shm_can_write(shm);
  if (rc != MC_OK) return rc;
  if (!buf && len) return MC_EINVAL;
  if (offset > shm->size) return MC_ERANGE;
  size_t n = (size_t)MC__MIN((uint64_t)len, shm->size - offset);
  if (n) memcpy(mc__shm_data(shm) + offset, buf, n);
  if (done) *done = n;
  return MC_OK;
}

/* ---- typed access: all or nothing, any alignment, native byte order ------------------------ */

static int get_at(mc_shm *shm, uint64_t offset, void *v, size_t width) {
  int rc = mc__shm_can_read(shm);
  if (rc != MC_OK) return rc;
  if (!v) return MC_EINVAL;
  if (!inside(shm, offset, width)) return MC_ERANGE;
  memcpy(v, mc__shm_data(shm) + offset, width); /* memcpy: the offset may be unaligned */
  return MC_OK;
}

static int set_at(mc_shm *shm, uint64_t offset, const void *v, size_t width) {
  int rc = mc__shm_can_write(shm);
  if (rc != MC_OK) return rc;
  if (!inside(shm, offset, width)) return MC_ERANGE;
  memcpy(mc__shm_data(shm) + offset, v, width);
  return MC_OK;
}

/* index * width, or a value past any block when it overflows. */
static uint64_t index_offset(uint64_t idx, size_t width) {
  return idx > UINT64_MAX / width ? UINT64_MAX : idx * width;
}

#define MC__TYPED(bits)                                                                            \
  int mc_shm_get_u##bits(mc_shm *shm, uint64_t offset, uint##bits##_t *v) {                        \
    return get_at(shm, offset, v, sizeof *v);                                                      \
  }                                                                                                \
  int mc_shm_set_u##bits(mc_shm *shm, uint64_t offset, uint##bits##_t v) {                         \
    return set_at(shm, offset, &v, sizeof v);                                                      \
  }                                                                                                \
  int mc_shm_get_u##bits##_idx(mc_shm *shm, uint64_t idx, uint##bits##_t *v) {                     \
    return get_at(shm, index_offset(idx, sizeof *v), v, sizeof *v);                                \
  }                                                                                                \
  int mc_shm_set_u##bits##_idx(mc_shm *shm, uint64_t idx, uint##bits##_t v) {                      \
    return set_at(shm, index_offset(idx, sizeof v), &v, sizeof v);                                 \
  }

MC__TYPED(8)
MC__TYPED(16)
MC__TYPED(32)
MC__TYPED(64)

/* ---- text: a u32 length, then the bytes ------------------------------------------------ */

int mc_shm_set_string(mc_shm *shm, const char *s, size_t len) {
  int rc = mc__shm_can_write(shm);
  if (rc != MC_OK) return rc;
  if (!s && len) return MC_EINVAL;
  uint64_t need = 4 + (uint64_t)len;
  if (need - 4 > UINT32_MAX) return MC_ENOSPC; /* the length field is 32 bits */
  if (need > shm->size) {
    if (!shm->max_size) return MC_ENOSPC;
    rc = mc__shm_set_size(shm, need); /* MC_ENOSPC past max */
    if (rc != MC_OK) return rc;
  }
  uint32_t n = (uint32_t)len;
  unsigned char *d = mc__shm_data(shm);
  memcpy(d, &n, 4);
  if (len) memcpy(d + 4, s, len);
  return MC_OK;
}

int mc_shm_get_string(mc_shm *shm, char *buf, size_t cap, size_t *len) {
  if (len) *len = 0;
  int rc = mc__shm_can_read(shm);
  if (rc != MC_OK) return rc;
  if (!buf && cap) return MC_EINVAL;
  if (shm->size < 4) return MC_ERANGE; /* no room for even the length */
  uint32_t n;
  const unsigned char *d = mc__shm_data(shm);
  memcpy(&n, d, 4); /* read once: another process may change it (unprotected blocks) */
  if (!inside(shm, 4, n)) return MC_ECORRUPT;
  if (len) *len = n;
  if (cap <= n) return MC_ENOSPC;
  memcpy(buf, d + 4, n);
  buf[n] = '\0';
  return MC_OK;
}

/* ---- resizing ----------------------------------------------------------------------------- */

int mc__shm_set_size(mc_shm *shm, uint64_t size) {
  if (size > shm->max_size) return MC_ENOSPC;
  int rc = mc__region_commit_data(&shm->r, size, mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS));
  if (rc != MC_OK) return rc;
  if (size < shm->size) mc__region_zero_data(&shm->r, size, shm->size - size);
  MC__CRASH(SHM_RESIZED);
  atomic_store_explicit(&shm->r.hdr->size, size, memory_order_release);
  shm->size = size;
  return MC_OK;
}

static int impl_shm_resize(mc_shm *shm, uint64_t size) {
  int rc = mc__shm_can_write(shm);
  if (rc != MC_OK) return rc;
  if (!shm->max_size) return MC_ESTATE; /* a fixed-size block */
  return mc__shm_set_size(shm, size);
}

int mc_shm_resize(mc_shm *shm, uint64_t size) {
  return MC__LOGGED(mc__log_object(shm), impl_shm_resize(shm, size));
}
