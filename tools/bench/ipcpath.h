/* ipc:// endpoints for the messaging-library baselines: a fresh socket path per channel. */
#ifndef MB_IPCPATH_H
#define MB_IPCPATH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "ipc:///tmp/mcb<pid>x<n>-<tag>.ipc" under $TMPDIR (or /tmp) when it is short enough for a
   socket path (about 100 bytes); the file path itself starts at url + 6. */
static inline void mb_ipc_url(char *url, size_t cap, const char *lib, const char *tag) {
  static unsigned counter;
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir || strlen(dir) > 60) dir = "/tmp";
  snprintf(url, cap, "ipc://%s/mcb%ldx%u-%s-%s.ipc", dir, (long)getpid(), ++counter, lib, tag);
}

#endif
