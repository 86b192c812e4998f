/* Linux backend: listing the shared-memory namespace, which glibc's shm_open keeps as files in
 * /dev/shm. See core/platform.h for the rules. */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>

#include "platform/posix/posix.h"

#define SHM_DIR "/dev/shm"

int mc__plat_map_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  DIR *d = opendir(SHM_DIR);
  if (!d) return mc__posix_fail("opendir", SHM_DIR);
  int rc = MC_OK;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno) rc = mc__posix_fail("readdir", SHM_DIR);
      break;
    }
    /* Regular files only (DT_UNKNOWN: a file system that does not say; the caller's open
       tells). Directories and sockets there are not shm_open's. */
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    if (e->d_name[0] == '.') continue;
    if (fn(e->d_name, ctx)) break;
  }
  closedir(d);
  return rc;
}
