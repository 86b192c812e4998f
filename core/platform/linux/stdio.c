/* Linux (glibc): a stdio FILE over caller-supplied read/write/seek (fopencookie). */
#define _GNU_SOURCE
#include "internal.h"

#include <stdlib.h>

#if defined(__GLIBC__)

typedef struct cookie {
  void *user;
  const mc__plat_cookie_io *io;
} cookie;

static ssize_t c_read(void *c, char *buf, size_t n) {
  cookie *k = c;
  int64_t r = k->io->read(k->user, buf, n);
  return r < 0 ? -1 : (ssize_t)r;
}

static ssize_t c_write(void *c, const char *buf, size_t n) {
  cookie *k = c;
  int64_t r = k->io->write(k->user, buf, n);
  return r <= 0 ? 0 : (ssize_t)r; /* glibc: 0 means error for a cookie write */
}

static int c_seek(void *c, off64_t *pos, int whence) {
  cookie *k = c;
  int64_t r = k->io->seek(k->user, (int64_t)*pos, whence);
  if (r < 0) return -1;
  *pos = (off64_t)r;
  return 0;
}

static int c_close(void *c) {
  cookie *k = c;
  k->io->close(k->user);
  free(k);
  return 0;
}

FILE *mc__plat_fopen_cookie(void *user, const char *mode, const mc__plat_cookie_io *io) {
  cookie *k = malloc(sizeof *k);
  if (!k) return NULL;
  k->user = user;
  k->io = io;
  cookie_io_functions_t f = {c_read, c_write, c_seek, c_close};
  FILE *fp = fopencookie(k, mode, f);
  if (!fp) free(k);
  return fp;
}

#else

FILE *mc__plat_fopen_cookie(void *user, const char *mode, const mc__plat_cookie_io *io) {
  (void)user, (void)mode, (void)io;
  return NULL; /* no fopencookie in this C library */
}

#endif
