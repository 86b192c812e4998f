/* A file-find server that sends what a broken or hostile one could: a record whose name
 * fills cFileName without a terminating NUL ("--root name"), or one of an unknown kind
 * ("--root kind"). The client (examples/filefind) must copy each record out of shared
 * memory, check the copy and use only the copy: it prints the bounded name, or refuses the
 * record, and never reads past it. Started by the client through --server. */
#include <memchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findrec.h"

int main(int argc, char **argv) {
  const char *chan = NULL, *mode = "name";
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--channel") == 0)
      chan = argv[++i];
    else if (strcmp(argv[i], "--root") == 0)
      mode = argv[++i];
  }
  if (!chan) return 1;
  mc_chan *ch;
  if (mc_chan_open(chan, MC_CHAN_SEND, 10000, &ch) != MC_OK) return 4;
  static const char path[] = "long-name";
  size_t len = sizeof(findrec) + sizeof path - 1;
  findrec *r = calloc(1, len);
  if (!r) return 4;
  r->kind = strcmp(mode, "kind") == 0 ? 99 : FF_FILE;
  r->path_len = sizeof path - 1;
  r->flags = FF_LISTED;
  memcpy(r->path, path, sizeof path - 1);
  for (size_t i = 0; i < sizeof r->fd.cFileName / sizeof r->fd.cFileName[0]; i++)
    r->fd.cFileName[i] = 'A'; /* no NUL anywhere */
  memset(r->fd.cAlternateFileName, 'B', sizeof r->fd.cAlternateFileName);
  int rc = mc_chan_send(ch, r, len, 10000);
  free(r);
  mc_chan_close(ch);
  return rc == MC_OK ? 0 : 4;
}
