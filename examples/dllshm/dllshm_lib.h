/* Loading the dllshm library at run time, as the programs of examples/dllshm do (LoadLibrary /
 * dlopen: the block opens then, and closes when they unload it). */
#ifndef DLLSHM_LIB_H
#define DLLSHM_LIB_H

#include <stddef.h>

typedef struct dllshm_lib {
  void *handle;
  int (*status)(void);
  int (*created)(void);
  const char *(*name)(void);
  int (*set)(const char *text, size_t len);
  int (*get)(char *buf, size_t cap, size_t *len);
} dllshm_lib;

/* Loads the library that sits beside this program (dllshm.dll / dllshm.so). 0, or -1 with a
   message on stderr. */
int dllshm_load(dllshm_lib *lib);
/* The path of `file` in this program's directory, in buf. 0, or -1 when it does not fit. */
int dllshm_beside_self(const char *file, char *buf, size_t cap);
/* Unloads it: its block is closed. */
void dllshm_unload(dllshm_lib *lib);

#endif
