/* Loads dllshm beside the running program and looks up its functions (dllshm_lib.h). */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* setenv, dlopen */
#endif
#include "dllshm_lib.h"

#include <memchan.h>
#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#define LIB_FILE "dllshm.dll"
#else
#include <dlfcn.h>
#define LIB_FILE "dllshm.so"
#endif

int dllshm_beside_self(const char *file, char *buf, size_t cap) {
  if (mc_self_path(buf, cap) != MC_OK) return -1;
  char *slash = strrchr(buf, '/');
#ifdef _WIN32
  char *back = strrchr(buf, '\\');
  if (back && (!slash || back > slash)) slash = back;
#endif
  size_t dir = slash ? (size_t)(slash - buf) + 1 : 0, n = strlen(file) + 1;
  if (dir + n > cap) return -1;
  memcpy(buf + dir, file, n);
  return 0;
}

#ifdef _WIN32
static void *lib_open(const char *path) {
  wchar_t w[1024];
  if (!MultiByteToWideChar(CP_UTF8, 0, path, -1, w, 1024)) return NULL;
  return (void *)LoadLibraryW(w);
}
static void *lib_sym(void *h, const char *name) {
  return (void *)GetProcAddress((HMODULE)h, name);
}
static void lib_close(void *h) {
  FreeLibrary((HMODULE)h);
}
static const char *lib_error(void) {
  static char msg[32];
  snprintf(msg, sizeof msg, "error %lu", (unsigned long)GetLastError());
  return msg;
}
#else
static void *lib_open(const char *path) {
  return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}
static void *lib_sym(void *h, const char *name) {
  return dlsym(h, name);
}
static void lib_close(void *h) {
  dlclose(h);
}
static const char *lib_error(void) {
  const char *e = dlerror();
  return e ? e : "unknown error";
}
#endif

/* A function pointer from the library's symbol (object and function pointers convert through
   memcpy: ISO C leaves the cast undefined, and POSIX's dlsym relies on this). */
#define LOOK_UP(lib, field, sym)                                                                   \
  do {                                                                                             \
    void *p_ = lib_sym((lib)->handle, sym);                                                        \
    if (!p_) {                                                                                     \
      fprintf(stderr, "dllshm: %s is missing from the library\n", sym);                            \
      ok = 0;                                                                                      \
    } else {                                                                                       \
      memcpy(&(lib)->field, &p_, sizeof p_);                                                       \
    }                                                                                              \
  } while (0)

int dllshm_load(dllshm_lib *lib) {
  char path[1024];
  memset(lib, 0, sizeof *lib);
  if (dllshm_beside_self(LIB_FILE, path, sizeof path) != 0) {
    fprintf(stderr, "dllshm: cannot tell where this program is\n");
    return -1;
  }
  lib->handle = lib_open(path);
  if (!lib->handle) {
    fprintf(stderr, "dllshm: loading %s: %s\n", path, lib_error());
    return -1;
  }
  int ok = 1;
  LOOK_UP(lib, status, "dllshm_status");
  LOOK_UP(lib, created, "dllshm_created");
  LOOK_UP(lib, name, "dllshm_name");
  LOOK_UP(lib, set, "dllshm_set");
  LOOK_UP(lib, get, "dllshm_get");
  if (!ok) {
    dllshm_unload(lib);
    return -1;
  }
  return 0;
}

void dllshm_unload(dllshm_lib *lib) {
  if (lib->handle) lib_close(lib->handle);
  memset(lib, 0, sizeof *lib);
}
