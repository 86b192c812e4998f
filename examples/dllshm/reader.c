/* examples/dllshm/reader: loads the dllshm library, prints the text its block holds, checks
 * it against --expect, writes --reply, and unloads the library. */
#include "common.h"
#include "dllshm.h"
#include "dllshm_lib.h"

#include <string.h>

static int usage(FILE *f, int code) {
  fprintf(f, "usage: dllshm-reader [--expect TEXT] [--reply TEXT]\n"
             "  Loads dllshm (beside this program), whose block is named by DLLSHM_NAME in the\n"
             "  environment (default \"dllshm-demo\"), prints its text, checks it is TEXT\n"
             "  (--expect), replaces it with --reply's, and unloads the library.\n"
             "exit status: 0 done; 1 bad arguments; 2 the library or its block failed;\n"
             "3 the text was not the one expected.\n");
  return code;
}

int main(int argc, char **argv) {
  const char *expect = NULL, *reply = NULL;
  if (mc_args_utf8(&argc, &argv) != MC_OK) return EXIT_LIB;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
      expect = argv[++i];
    else if (strcmp(argv[i], "--reply") == 0 && i + 1 < argc)
      reply = argv[++i];
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return usage(stdout, 0);
    else
      return usage(stderr, EXIT_USAGE);
  }
  dllshm_lib lib;
  if (dllshm_load(&lib) != 0) return EXIT_LIB;
  int code = dllshm_check("dllshm-reader", "opening the block", lib.status());
  char text[DLLSHM_BYTES];
  size_t len = 0;
  if (!code) code = dllshm_check("dllshm-reader", "dllshm_get", lib.get(text, sizeof text, &len));
  if (!code) {
    printf("dllshm-reader: block %s (%s) holds \"%s\"\n", lib.name(),
           lib.created() ? "created by this load" : "opened", text);
    if (expect && (len != strlen(expect) || memcmp(text, expect, len) != 0)) {
      fprintf(stderr, "dllshm-reader: expected \"%s\"\n", expect);
      code = EXIT_WRONG;
    }
  }
  if (!code && reply)
    code = dllshm_check("dllshm-reader", "dllshm_set", lib.set(reply, strlen(reply)));
  dllshm_unload(&lib);
  return code;
}
