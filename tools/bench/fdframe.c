/* Framing over byte streams (see fdframe.h). */
#include "fdframe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"
#include "sys.h"

int mb_frame_reader_init(mb_frame_reader *r, int fd, size_t max_msg) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
  /* Room for a large batch, and always for two whole frames. */
  r->cap = 1u << 20;
  if (r->cap < 2 * (max_msg + 4)) r->cap = 2 * (max_msg + 4);
  r->buf = malloc(r->cap);
  return r->buf ? 0 : mb_fail("out of memory");
}

void mb_frame_reader_free(mb_frame_reader *r) {
  free(r->buf);
  r->buf = NULL;
}

static int fill(mb_frame_reader *r, size_t need) {
  if (r->end - r->start >= need) return 0;
  if (r->start + need > r->cap) { /* no room after the partial frame: move it to the front */
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  while (r->end - r->start < need) {
    ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
    if (n > 0) {
      r->end += (size_t)n;
    } else if (n == 0) {
      return mb_fail("read: end of stream before a whole message");
    } else if (errno != EINTR || mb_watchdog_fired()) {
      return mb_fail("read: %s", strerror(errno));
    }
  }
  return 0;
}

int mb_frame_next(mb_frame_reader *r, const unsigned char **msg, size_t *len) {
  r->start += r->taken;
  r->taken = 0;
  if (r->start == r->end) r->start = r->end = 0; /* empty: read from the front again */
  if (fill(r, 4) != 0) return -1;
  uint32_t n;
  memcpy(&n, r->buf + r->start, 4);
  if ((size_t)n + 4 > r->cap) return mb_fail("frame of %u bytes is larger than expected", n);
  if (fill(r, 4 + (size_t)n) != 0) return -1;
  *msg = r->buf + r->start + 4;
  *len = n;
  r->taken = 4 + (size_t)n;
  return 0;
}

int mb_frame_write(int fd, const unsigned char *msg, size_t len) {
  uint32_t n = (uint32_t)len;
  struct iovec iov[2] = {{&n, 4}, {(void *)msg, len}};
  size_t total = 4 + len, done = 0;
  while (done < total) {
    ssize_t w = writev(fd, iov, 2);
    if (w < 0) {
      if (errno == EINTR && !mb_watchdog_fired()) continue;
      return mb_fail("write: %s", strerror(errno));
    }
    done += (size_t)w;
    /* A partial write (large messages): advance the vectors past what was written. */
    size_t skip = (size_t)w;
    for (int i = 0; i < 2; i++) {
      size_t k = skip < iov[i].iov_len ? skip : iov[i].iov_len;
      iov[i].iov_base = (char *)iov[i].iov_base + k;
      iov[i].iov_len -= k;
      skip -= k;
    }
  }
  return 0;
}

int mb_fd_cloexec(int fd, int on) {
  int f = fcntl(fd, F_GETFD);
  if (f < 0) return -1;
  f = on ? (f | FD_CLOEXEC) : (f & ~FD_CLOEXEC);
  return fcntl(fd, F_SETFD, f) == 0 ? 0 : -1;
}

int mb_parse_ints(const char *s, int *v, int n) {
  int k = 0;
  char *end;
  while (k < n) {
    long x = strtol(s, &end, 10);
    if (end == s) break;
    v[k++] = (int)x;
    s = end;
  }
  return k;
}
