/* examples/dllshm: a shared library (dllshm.dll on Windows, dllshm.so elsewhere) that keeps a
 * piece of text in a memchan block every process loading it shares - the Win32 DLLSHMEM
 * example, with names, sizes and errors. The block is opened when the library is loaded and
 * closed when it is unloaded; the last process to unload it removes it. Its name is
 * DLLSHM_NAME from the environment when the library loads (so that a test or a second demo
 * keeps apart from the first), else "dllshm-demo". Programs load it at run time (dllshm_lib.c)
 * or link against it. Every function returns MC_OK or an MC_E* code. */
#ifndef DLLSHM_H
#define DLLSHM_H

#include <stddef.h>

#ifdef _WIN32
#ifdef DLLSHM_BUILDING
#define DLLSHM_API __declspec(dllexport)
#else
#define DLLSHM_API __declspec(dllimport)
#endif
#else
#define DLLSHM_API __attribute__((visibility("default")))
#endif

#define DLLSHM_BYTES      4096u /* the block's data: a 4-byte length and the text */
#define DLLSHM_MAX_TEXT   (DLLSHM_BYTES - 4u)
#define DLLSHM_TIMEOUT_MS 5000 /* how long a call waits for another process's access */

/* MC_OK while the block is open; otherwise why opening it at load time failed. */
DLLSHM_API int dllshm_status(void);
/* 1 if this process's load created the block (the first to load it: "MeFirst"), else 0. */
DLLSHM_API int dllshm_created(void);
/* The block's name ("" when it is not open). */
DLLSHM_API const char *dllshm_name(void);
/* Replaces the text (len bytes; any bytes). MC_ENOSPC when it is longer than
   DLLSHM_MAX_TEXT: the old text stays. */
DLLSHM_API int dllshm_set(const char *text, size_t len);
/* Copies the text into buf, NUL-terminated, and its length into *len. MC_ENOSPC (with *len
   set) when cap <= the length: nothing copied. */
DLLSHM_API int dllshm_get(char *buf, size_t cap, size_t *len);

#endif
