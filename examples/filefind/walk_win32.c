/* The walker on Windows: FindFirstFileExW/FindNextFileW, as the original sample, over
   "\\?\" paths so that deep trees are not cut at MAX_PATH. */
#include "walk.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define WPATH_MAX 32768 /* wide characters, the limit of "\\?\" paths */

typedef struct walker {
  ff_walk *w;
  findrec *rec;
  wchar_t *wpath; /* the directory being read, "\\?\..." */
  char *rel;      /* its path relative to the root, UTF-8 */
} walker;

static int emit_error(walker *k, size_t rlen, const char *name, DWORD err) {
  size_t len = ff_begin_record(k->rec, FF_ERROR, k->rel, rlen, name);
  if (!len) return 0;
  k->rec->error = (int32_t)err;
  return k->w->emit(k->w->ctx, k->rec, len);
}

/* Reads the directory k->wpath[0..wlen) whose relative path is k->rel[0..rlen). */
static int walk_dir(walker *k, size_t wlen, size_t rlen, int depth) {
  if (wlen + 3 >= WPATH_MAX) return emit_error(k, rlen, "", ERROR_FILENAME_EXCED_RANGE);
  wcscpy(k->wpath + wlen, L"\\*");
  WIN32_FIND_DATAW fd;
  HANDLE h = FindFirstFileExW(k->wpath, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL,
                              FIND_FIRST_EX_LARGE_FETCH);
  k->wpath[wlen] = L'\0';
  if (h == INVALID_HANDLE_VALUE) return emit_error(k, rlen, "", GetLastError());
  int stop = 0;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    char name[MAX_PATH * 4];
    if (WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, sizeof name, NULL, NULL) <= 0)
      continue;
    int link = (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    int is_dir = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !link;
    if (is_dir && ff_excluded(k->w, name)) continue;
    uint32_t kind = link ? FF_LINK : is_dir ? FF_DIR : FF_FILE;
    int listed = (!is_dir || k->w->dirs) && ff_match(k->w->pattern, name);
    if (listed || is_dir) {
      size_t len = ff_begin_record(k->rec, kind, k->rel, rlen, name);
      if (!len) {
        stop = emit_error(k, rlen, name, ERROR_FILENAME_EXCED_RANGE);
        continue;
      }
      if (!listed) k->rec->flags = 0; /* walked, counted, not listed */
      k->rec->fd = fd;
      stop = k->w->emit(k->w->ctx, k->rec, len);
    }
    if (!stop && is_dir) {
      size_t nw = wcslen(fd.cFileName), nlen = strlen(name);
      size_t sub = rlen ? rlen + 1 + nlen : nlen;
      /* Deeper than any real tree: a loop the file system did not show as a reparse point. */
      if (sub > FF_PATH_MAX || wlen + 1 + nw >= WPATH_MAX || depth > 512) {
        stop = emit_error(k, rlen, name, ERROR_FILENAME_EXCED_RANGE);
        continue;
      }
      k->wpath[wlen] = L'\\';
      wcscpy(k->wpath + wlen + 1, fd.cFileName);
      if (rlen) k->rel[rlen] = '/';
      memcpy(k->rel + (rlen ? rlen + 1 : 0), name, nlen);
      stop = walk_dir(k, wlen + 1 + nw, sub, depth + 1);
      k->wpath[wlen] = L'\0';
    }
  } while (!stop && FindNextFileW(h, &fd));
  DWORD e = stop ? ERROR_NO_MORE_FILES : GetLastError();
  FindClose(h);
  if (!stop && e != ERROR_NO_MORE_FILES) stop = emit_error(k, rlen, "", e);
  return stop;
}

/* "\\?\" + the absolute form of root (or "\\?\UNC\server\share..."). */
static size_t long_path(const char *root, wchar_t *out) {
  wchar_t wroot[WPATH_MAX], full[WPATH_MAX];
  if (MultiByteToWideChar(CP_UTF8, 0, root, -1, wroot, WPATH_MAX) <= 0) return 0;
  DWORD n = GetFullPathNameW(wroot, WPATH_MAX, full, NULL);
  if (n == 0 || n >= WPATH_MAX - 8) return 0;
  while (n > 3 && full[n - 1] == L'\\') full[--n] = L'\0'; /* "C:\dir\" -> "C:\dir" */
  if (wcsncmp(full, L"\\\\?\\", 4) == 0)
    wcscpy(out, full);
  else if (wcsncmp(full, L"\\\\", 2) == 0)
    swprintf(out, WPATH_MAX, L"\\\\?\\UNC\\%ls", full + 2);
  else
    swprintf(out, WPATH_MAX, L"\\\\?\\%ls", full);
  n = (DWORD)wcslen(out);
  if (n > 0 && out[n - 1] == L'\\') out[--n] = L'\0'; /* a drive root "C:\" */
  return n;
}

int ff_walk_tree(ff_walk *w, const char *root) {
  walker k = {w, malloc(FF_RECORD_MAX), malloc(WPATH_MAX * sizeof(wchar_t)),
              malloc(FF_PATH_MAX + 1)};
  int rc = 2;
  if (k.rec && k.wpath && k.rel) {
    size_t wlen = long_path(root, k.wpath);
    DWORD attr = wlen ? GetFileAttributesW(k.wpath) : INVALID_FILE_ATTRIBUTES;
    if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) {
      DWORD e = !wlen                             ? ERROR_INVALID_NAME
                : attr == INVALID_FILE_ATTRIBUTES ? GetLastError()
                                                  : ERROR_DIRECTORY;
      rc = emit_error(&k, 0, "", e);
      if (rc == 0) rc = 2;
    } else {
      rc = walk_dir(&k, wlen, 0, 0);
    }
  }
  free(k.rec);
  free(k.wpath);
  free(k.rel);
  return rc;
}
