/* The walker on POSIX: openat/readdir/statx, one system call per entry besides the
   directory reads (find does the same work). */
#define _GNU_SOURCE
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
#define EPOCH_DIFF 11644473600ll

static FILETIME filetime(int64_t sec, uint32_t nsec) {
  FILETIME ft = {0, 0};
  if (sec + EPOCH_DIFF >= 0) {
    uint64_t t = (uint64_t)(sec + EPOCH_DIFF) * 10000000ull + nsec / 100;
    ft.dwLowDateTime = (uint32_t)t;
    ft.dwHighDateTime = (uint32_t)(t >> 32);
  }
  return ft;
}

/* st_mode and the name mapped to Win32 attributes (docs in examples/filefind/README.md). */
static uint32_t attributes(mode_t mode, const char *name, uint64_t size, uint64_t blocks) {
  uint32_t a = 0;
  if (S_ISDIR(mode))
    a |= FILE_ATTRIBUTE_DIRECTORY;
  else if (S_ISLNK(mode))
    a |= FILE_ATTRIBUTE_REPARSE_POINT;
  else if (S_ISCHR(mode) || S_ISBLK(mode))
    a |= FILE_ATTRIBUTE_DEVICE | FILE_ATTRIBUTE_SYSTEM;
  else if (!S_ISREG(mode))
    a |= FILE_ATTRIBUTE_SYSTEM; /* fifo, socket */
  if (S_ISREG(mode) && blocks * 512 < size) a |= FILE_ATTRIBUTE_SPARSE_FILE;
  if (!S_ISDIR(mode) && !(mode & S_IWUSR)) a |= FILE_ATTRIBUTE_READONLY;
  if (name[0] == '.') a |= FILE_ATTRIBUTE_HIDDEN;
  return a ? a : FILE_ATTRIBUTE_NORMAL;
}

/* One entry's metadata, without following a symbolic link: statx for the birth time where
   the kernel has it, fstatat otherwise. */
static int entry_stat(int dfd, const char *name, ff_find_data *fd, mode_t *mode) {
  struct statx sx;
  if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME,
            &sx) == 0) {
    *mode = sx.stx_mode;
    fd->ftLastWriteTime = filetime(sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec);
    fd->ftLastAccessTime = filetime(sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec);
    fd->ftCreationTime = (sx.stx_mask & STATX_BTIME)
                             ? filetime(sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec)
                             : filetime(sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec);
    fd->nFileSizeHigh = (uint32_t)(sx.stx_size >> 32);
    fd->nFileSizeLow = (uint32_t)sx.stx_size;
    fd->dwFileAttributes = attributes(sx.stx_mode, name, sx.stx_size, sx.stx_blocks);
  } else if (errno == ENOSYS) {
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    *mode = st.st_mode;
    fd->ftLastWriteTime = filetime(st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec);
    fd->ftLastAccessTime = filetime(st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec);
    fd->ftCreationTime = filetime(st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec);
    fd->nFileSizeHigh = (uint32_t)((uint64_t)st.st_size >> 32);
    fd->nFileSizeLow = (uint32_t)st.st_size;
    fd->dwFileAttributes =
        attributes(st.st_mode, name, (uint64_t)st.st_size, (uint64_t)st.st_blocks);
  } else {
    return errno;
  }
  if (S_ISLNK(*mode)) fd->dwReserved0 = IO_REPARSE_TAG_SYMLINK;
  if (S_ISDIR(*mode)) fd->nFileSizeHigh = fd->nFileSizeLow = 0; /* as Windows reports them */
  return 0;
}

typedef struct walker {
  ff_walk *w;
  findrec *rec; /* FF_RECORD_MAX bytes */
} walker;

static int emit_error(walker *k, const char *parent, size_t plen, const char *name, int err) {
  size_t len = ff_begin_record(k->rec, FF_ERROR, parent, plen, name);
  if (!len) return 0;
  k->rec->error = err;
  snprintf(k->rec->fd.cFileName, sizeof k->rec->fd.cFileName, "%s", name);
  return k->w->emit(k->w->ctx, k->rec, len);
}

/* Walks the open directory dfd (owned here), whose relative path is rel[0..rlen). */
static int walk_dir(walker *k, int dfd, char *rel, size_t rlen) {
  DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return emit_error(k, rel, rlen, "", e);
  }
  int stop = 0;
  struct dirent *e;
  while (!stop && (errno = 0, e = readdir(d)) != NULL) {
    const char *name = e->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    ff_find_data fd;
    mode_t mode = 0;
    memset(&fd, 0, sizeof fd);
    int err = entry_stat(dirfd(d), name, &fd, &mode);
    if (err) { /* vanished or unreadable: say so, go on */
      stop = emit_error(k, rel, rlen, name, err);
      continue;
    }
    int is_dir = S_ISDIR(mode);
    if (is_dir && ff_excluded(k->w, name)) continue;
    uint32_t kind = is_dir ? FF_DIR : S_ISREG(mode) ? FF_FILE : S_ISLNK(mode) ? FF_LINK : FF_OTHER;
    int listed = (!is_dir || k->w->dirs) && ff_match(k->w->pattern, name);
    if (listed || is_dir) {
      size_t len = ff_begin_record(k->rec, kind, rel, rlen, name);
      if (!len) {
        stop = emit_error(k, rel, rlen, name, ENAMETOOLONG);
        continue;
      }
      if (!listed) k->rec->flags = 0; /* walked, counted, not listed */
      k->rec->fd = fd;
      snprintf(k->rec->fd.cFileName, sizeof k->rec->fd.cFileName, "%s", name);
      stop = k->w->emit(k->w->ctx, k->rec, len);
    }
    if (!stop && is_dir) {
      size_t nlen = strlen(name), sub = rlen ? rlen + 1 + nlen : nlen;
      if (sub > FF_PATH_MAX) {
        stop = emit_error(k, rel, rlen, name, ENAMETOOLONG);
        continue;
      }
      int cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (rlen) rel[rlen] = '/';
      memcpy(rel + (rlen ? rlen + 1 : 0), name, nlen);
      if (cfd < 0)
        stop = emit_error(k, rel, sub, "", errno); /* the directory itself, unreadable */
      else
        stop = walk_dir(k, cfd, rel, sub);
    }
  }
  if (!stop && !e && errno) stop = emit_error(k, rel, rlen, "", errno);
  closedir(d);
  return stop;
}

int ff_walk_tree(ff_walk *w, const char *root) {
  walker k = {w, malloc(FF_RECORD_MAX)};
  char *rel = malloc(FF_PATH_MAX + 1);
  int rc;
  if (!k.rec || !rel) {
    rc = 2;
  } else {
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      rc = emit_error(&k, "", 0, "", e);
      if (rc == 0) rc = 2;
    } else {
      rc = walk_dir(&k, fd, rel, 0);
    }
  }
  free(rel);
  free(k.rec);
  return rc;
}
