/* The record the file-find server sends for each directory entry.
 *
 * As in the original Win32 sample, the heart of it is WIN32_FIND_DATA: on Windows the real
 * WIN32_FIND_DATAW from FindFirstFileW/FindNextFileW; on POSIX a struct with the same
 * fields and meanings, filled from readdir/fstatat (attributes mapped from st_mode, times as
 * FILETIME - 100 ns ticks since 1601 - and the size split in high and low halves), with the
 * name in UTF-8. What the sample lacked is added: the entry's kind, an error code for entries
 * that could not be read, and the path relative to the search root, so that the listing says
 * where a file is. The end of the stream is the channel's close, not an empty record. */
#ifndef FILEFIND_FINDREC_H
#define FILEFIND_FINDREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#include <windows.h>
typedef WIN32_FIND_DATAW ff_find_data;
#else
/* Win32's values, so both platforms describe entries in one vocabulary. */
#define FILE_ATTRIBUTE_READONLY      0x00000001u
#define FILE_ATTRIBUTE_HIDDEN        0x00000002u
#define FILE_ATTRIBUTE_SYSTEM        0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY     0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE       0x00000020u
#define FILE_ATTRIBUTE_DEVICE        0x00000040u
#define FILE_ATTRIBUTE_NORMAL        0x00000080u
#define FILE_ATTRIBUTE_SPARSE_FILE   0x00000200u
#define FILE_ATTRIBUTE_REPARSE_POINT 0x00000400u
#define IO_REPARSE_TAG_SYMLINK       0xA000000Cu
#define MAX_PATH                     260

typedef struct FILETIME {
  uint32_t dwLowDateTime;
  uint32_t dwHighDateTime;
} FILETIME;

typedef struct ff_find_data {
  uint32_t dwFileAttributes;
  FILETIME ftCreationTime; /* birth time where the file system keeps one, else ctime */
  FILETIME ftLastAccessTime;
  FILETIME ftLastWriteTime;
  uint32_t nFileSizeHigh;
  uint32_t nFileSizeLow;
  uint32_t dwReserved0; /* IO_REPARSE_TAG_SYMLINK for a symbolic link */
  uint32_t dwReserved1;
  char cFileName[MAX_PATH]; /* UTF-8 here; UTF-16 (WCHAR) on Windows */
  char cAlternateFileName[14];
} ff_find_data;
#endif

enum { FF_FILE = 1, FF_DIR = 2, FF_LINK = 3, FF_OTHER = 4, FF_ERROR = 5 };
/* The entry belongs in the listing. Every directory walked is sent, so that the summary can
   count them; one is listed only with --dirs, when its name matches the pattern. */
#define FF_LISTED 1u

#define FF_PATH_MAX 8192 /* bytes of relative path a record can carry */

typedef struct findrec {
  uint32_t kind;     /* FF_* */
  int32_t error;     /* FF_ERROR: errno / GetLastError() of the failed read */
  uint32_t path_len; /* bytes in path[] */
  uint32_t flags;    /* FF_LISTED */
  ff_find_data fd; /* FF_ERROR: zero but for cFileName */
  char path[];     /* UTF-8, relative to the root, '/'-separated, no NUL */
} findrec;

/* The largest record: what a slot channel's slot must hold. */
#define FF_RECORD_MAX (sizeof(findrec) + FF_PATH_MAX)

static inline uint64_t ff_filetime(const FILETIME *t) {
  return ((uint64_t)t->dwHighDateTime << 32) | t->dwLowDateTime;
}

static inline uint64_t ff_size(const ff_find_data *fd) {
  return ((uint64_t)fd->nFileSizeHigh << 32) | fd->nFileSizeLow;
}

/* Matches a file name against a FindFirstFile-style pattern: '*' any run of characters,
   '?' one character, letters compared without regard to ASCII case; "*.*" matches every
   name and "*." every name without a dot, as on Windows. Names and pattern are UTF-8. */
int ff_match(const char *pattern, const char *name);

#endif
