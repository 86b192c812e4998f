/* Walking a directory tree into find records: walk_posix.c or walk_win32.c. */
#ifndef FILEFIND_WALK_H
#define FILEFIND_WALK_H

#include "findrec.h"

typedef struct ff_walk {
  const char *pattern;  /* FindFirstFile-style name pattern; NULL = every name */
  int dirs;             /* also list directories (every one walked is sent, unlisted) */
  const char **exclude; /* directory names neither listed nor entered */
  int n_exclude;
  /* Receives each record (len bytes); a non-zero return stops the walk with that value. */
  int (*emit)(void *ctx, const findrec *rec, size_t len);
  void *ctx;
} ff_walk;

/* Walks root depth-first. Symbolic links (and Windows reparse points) are reported, never
   followed. A directory that cannot be read yields an FF_ERROR record and the walk goes on.
   Returns 0 when done, 2 when the root itself cannot be read (after an FF_ERROR record for
   it, with an empty path), or the value emit stopped it with. */
int ff_walk_tree(ff_walk *w, const char *root);

/* Shared by the walkers: whether a directory name is excluded. */
int ff_excluded(const ff_walk *w, const char *name);
/* Fills rec's kind, error, path (parent + "/" + name, or name at the top) and cFileName
   for an entry; returns the record's length, or 0 when the path does not fit. */
size_t ff_begin_record(findrec *rec, uint32_t kind, const char *parent, size_t parent_len,
                       const char *name);

#endif
