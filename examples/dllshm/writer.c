/* examples/dllshm/writer: loads the dllshm library (which opens its block), writes a text,
 * starts dllshm-reader, which loads the same library in its own process, finds that text and
 * answers with its own, and reads the answer. Then it unloads the library and checks that the
 * block went with it (no other process holds it). Sizes and errors on the way: a text too
 * long for the block is refused and leaves the old one. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* setenv, dlopen */
#endif
#include "common.h"
#include "dllshm.h"
#include "dllshm_lib.h"

#include <stdlib.h>
#include <string.h>

#define PROG "dllshm-writer"

static int usage(FILE *f, int code) {
  fprintf(f, "usage: dllshm-writer [--name NAME] [TEXT]\n"
             "  Loads dllshm (beside this program) with its block named NAME (default: the\n"
             "  DLLSHM_NAME environment variable, else \"dllshm-demo\"), writes TEXT (default\n"
             "  \"hello from dllshm-writer\"), starts dllshm-reader to read it and answer, reads\n"
             "  the answer and unloads the library.\n"
             "exit status: 0 both processes saw each other's text; 1 bad arguments; 2 the\n"
             "library, its block or the reader failed; 3 a text was not the one written.\n");
  return code;
}

static int set_name(const char *name) {
#ifdef _WIN32
  return _putenv_s("DLLSHM_NAME", name) == 0 ? 0 : -1;
#else
  return setenv("DLLSHM_NAME", name, 1);
#endif
}

/* The text the block holds is `want`; 0, or an exit code. */
static int expect_text(dllshm_lib *lib, const char *want, const char *when) {
  char text[DLLSHM_BYTES];
  size_t len;
  int code = dllshm_check(PROG, "dllshm_get", lib->get(text, sizeof text, &len));
  if (code) return code;
  printf("%s: %s: \"%s\"\n", PROG, when, text);
  if (len != strlen(want) || memcmp(text, want, len) != 0) {
    fprintf(stderr, "%s: expected \"%s\"\n", PROG, want);
    return EXIT_WRONG;
  }
  return 0;
}

/* An over-long text is refused with MC_ENOSPC, and the old text stays. */
static int too_long(dllshm_lib *lib, const char *text) {
  char *big = malloc(DLLSHM_MAX_TEXT + 1);
  if (!big) return EXIT_LIB;
  memset(big, 'x', DLLSHM_MAX_TEXT + 1);
  int rc = lib->set(big, DLLSHM_MAX_TEXT + 1);
  free(big);
  if (rc != MC_ENOSPC) {
    fprintf(stderr, "%s: a %u-byte text gave %s, not MC_ENOSPC\n", PROG, DLLSHM_MAX_TEXT + 1,
            mc_err_name(rc));
    return EXIT_WRONG;
  }
  printf("%s: a %u-byte text: MC_ENOSPC (the block holds %u)\n", PROG, DLLSHM_MAX_TEXT + 1,
         DLLSHM_MAX_TEXT);
  return expect_text(lib, text, "still");
}

/* Starts the reader, which must find `text` and answer `reply`. */
static int run_reader(const char *text, const char *reply) {
#ifdef _WIN32
  static const char file[] = "dllshm-reader.exe";
#else
  static const char file[] = "dllshm-reader";
#endif
  char path[1024];
  if (dllshm_beside_self(file, path, sizeof path) != 0) return EXIT_LIB;
  const char *argv[] = {path, "--expect", text, "--reply", reply, NULL};
  fflush(stdout); /* our lines before the reader's */
  mc_proc *p;
  int code = -1, rc = mc_proc_spawn(argv, &p);
  if (rc == MC_OK) rc = mc_proc_wait(p, 60000, &code);
  mc_proc_free(p);
  if (dllshm_check(PROG, "running dllshm-reader", rc)) return EXIT_LIB;
  if (code != 0) fprintf(stderr, "%s: dllshm-reader exited with %d\n", PROG, code);
  return code == 0 ? 0 : code == EXIT_WRONG ? EXIT_WRONG : EXIT_LIB;
}

int main(int argc, char **argv) {
  const char *name = NULL, *text = "hello from dllshm-writer";
  const char *reply = "hello back from dllshm-reader";
  if (mc_args_utf8(&argc, &argv) != MC_OK) return EXIT_LIB;
  int texts = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      name = argv[++i];
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return usage(stdout, 0);
    else if (argv[i][0] != '-' && texts++ == 0)
      text = argv[i];
    else
      return usage(stderr, EXIT_USAGE);
  }
  if (strlen(text) > DLLSHM_MAX_TEXT) return usage(stderr, EXIT_USAGE);
  if (name && set_name(name) != 0) return EXIT_LIB;
  dllshm_lib lib;
  if (dllshm_load(&lib) != 0) return EXIT_LIB;
  int code = dllshm_check(PROG, "opening the block", lib.status());
  int created = !code && lib.created();
  if (!code)
    printf("%s: block %s %s\n", PROG, lib.name(),
           created ? "created" : "opened (another process holds it)");
  if (!code) code = dllshm_check(PROG, "dllshm_set", lib.set(text, strlen(text)));
  if (!code) code = too_long(&lib, text);
  if (!code) code = run_reader(text, reply);
  if (!code) code = expect_text(&lib, reply, "the reader answered");
  char block[256];
  snprintf(block, sizeof block, "%s", code ? "" : lib.name());
  dllshm_unload(&lib);
  if (!code && created) {
    /* Ours was the last hold: unloading removed the block. */
    mc_shm *shm;
    mc_shm_options o = {.flags = MC_SHM_OPEN};
    int rc = mc_shm_open(block, &o, &shm);
    if (rc == MC_OK) mc_shm_close(shm);
    if (rc != MC_ENOENT) {
      fprintf(stderr, "%s: after unloading, opening %s gave %s, not MC_ENOENT\n", PROG, block,
              mc_err_name(rc));
      code = EXIT_WRONG;
    } else {
      printf("%s: unloaded: block %s is gone\n", PROG, block);
    }
  }
  return code;
}
