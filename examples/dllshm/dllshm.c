/* The shared library of examples/dllshm (dllshm.h): the block is opened by the loader's call
 * (DllMain on Windows, a constructor elsewhere) and closed by the unloader's. */
#define DLLSHM_BUILDING
#include "dllshm.h"

#include <memchan.h>
#include <stdlib.h>

static mc_shm *shm;
static int status = MC_ENOENT; /* until loaded */

static void on_load(void) {
  const char *name = getenv("DLLSHM_NAME");
  mc_shm_options o = {.size = DLLSHM_BYTES};
  status = mc_shm_open(name && *name ? name : "dllshm-demo", &o, &shm);
  if (status == MC_OK && mc_shm_size(shm) != DLLSHM_BYTES) {
    /* Someone else's block of that name: not ours to use. */
    mc_shm_close(shm);
    shm = NULL;
    status = MC_EINVAL;
  }
}

static void on_unload(void) {
  mc_shm_close(shm);
  shm = NULL;
  status = MC_ENOENT;
}

#ifdef _WIN32
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE self, DWORD why, LPVOID reserved); /* the loader calls it */
BOOL WINAPI DllMain(HINSTANCE self, DWORD why, LPVOID reserved) {
  (void)self;
  if (why == DLL_PROCESS_ATTACH) on_load();
  /* FreeLibrary closes the block. At process exit (reserved != NULL) other threads are gone
     and Windows closes every handle itself: nothing is left to do then. */
  if (why == DLL_PROCESS_DETACH && !reserved) on_unload();
  return TRUE; /* a failed open is reported by dllshm_status, not by refusing to load */
}
#else
__attribute__((constructor)) static void load(void) {
  on_load();
}
__attribute__((destructor)) static void unload(void) {
  on_unload();
}
#endif

int dllshm_status(void) {
  return status;
}

int dllshm_created(void) {
  return shm ? mc_shm_created(shm) : 0;
}

const char *dllshm_name(void) {
  return shm ? mc_shm_name(shm) : "";
}

int dllshm_set(const char *text, size_t len) {
  if (!shm) return status;
  if (!text && len) return MC_EINVAL;
  if (len > DLLSHM_MAX_TEXT) return MC_ENOSPC; /* before acquiring: the old text stays */
  int rc = mc_shm_acquire(shm, MC_WRITE, DLLSHM_TIMEOUT_MS, NULL);
  if (rc != MC_OK && rc != MC_EOWNERDEAD) return rc; /* a dead writer's text is overwritten */
  rc = mc_shm_set_string(shm, text, len);
  int rel = mc_shm_release(shm);
  return rc != MC_OK ? rc : rel;
}

int dllshm_get(char *buf, size_t cap, size_t *len) {
  if (len) *len = 0;
  if (!shm) return status;
  if (!buf || !len) return MC_EINVAL;
  int rc = mc_shm_acquire(shm, MC_READ, DLLSHM_TIMEOUT_MS, NULL);
  if (rc == MC_EOWNERDEAD) rc = MC_OK; /* the length is checked against the block below */
  if (rc != MC_OK) return rc;
  rc = mc_shm_get_string(shm, buf, cap, len);
  int rel = mc_shm_release(shm);
  return rc != MC_OK ? rc : rel;
}
