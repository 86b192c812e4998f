/* What both walkers share: building records, exclusions. */
#include "walk.h"

#include <string.h>

int ff_excluded(const ff_walk *w, const char *name) {
  for (int i = 0; i < w->n_exclude; i++)
    if (strcmp(w->exclude[i], name) == 0) return 1;
  return 0;
}

size_t ff_begin_record(findrec *rec, uint32_t kind, const char *parent, size_t parent_len,
                       const char *name) {
  /* An empty name stands for the parent itself (a directory that could not be read). */
  size_t nlen = strlen(name), len = parent_len && nlen ? parent_len + 1 + nlen : parent_len + nlen;
  if (len > FF_PATH_MAX) return 0;
  memset(rec, 0, sizeof *rec);
  rec->kind = kind;
  rec->flags = FF_LISTED;
  memcpy(rec->path, parent, parent_len);
  if (parent_len && nlen) rec->path[parent_len++] = '/';
  memcpy(rec->path + parent_len, name, nlen);
  rec->path_len = (uint32_t)len;
  return sizeof *rec + len;
}
