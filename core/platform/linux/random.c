/* Linux: unpredictable bytes (getrandom). See core/platform.h for the rules. */
#include "internal.h"

#include <errno.h>
#include <sys/random.h>

#include "platform/posix/posix.h"

int mc__plat_random(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return mc__posix_fail("getrandom", "");
    }
    p += got;
    n -= (size_t)got;
  }
  return MC_OK;
}
