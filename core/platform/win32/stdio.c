/* Win32 backend: no stdio over a stream (msvcrt has no custom FILE streams). */
#include "internal.h"

FILE *mc__plat_fopen_cookie(void *cookie, const char *mode, const mc__plat_cookie_io *io) {
  MC__UNUSED(cookie);
  MC__UNUSED(mode);
  MC__UNUSED(io);
  return NULL; /* msvcrt has no custom FILE streams */
}
