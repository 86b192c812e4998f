/* mc_proc: child processes, for spawning peers and test helpers. */
#include "internal.h"

#include <stdlib.h>

struct mc_proc {
  mc__plat_proc p;
};

static int impl_proc_spawn(const char *const argv[], mc_proc **out) {
  if (!out) return MC_EINVAL;
  *out = NULL;
  if (!argv || !argv[0] || !argv[0][0]) return MC_EINVAL;
  mc_proc *p = calloc(1, sizeof *p);
  if (!p) return MC_ENOMEM;
  int rc = mc__plat_spawn(argv, &p->p);
  if (rc != MC_OK) {
    free(p);
    return rc;
  }
  *out = p;
  return MC_OK;
}

int mc_proc_spawn(const char *const argv[], mc_proc **out) {
  return MC__LOGGED(argv && argv[0] ? argv[0] : "", impl_proc_spawn(argv, out));
}

static int impl_proc_wait(mc_proc *p, int timeout_ms, int *exit_code) {
  int dummy;
  if (!p || !mc__timeout_ok(timeout_ms)) return MC_EINVAL;
  return mc__plat_wait(&p->p, mc__deadline_ms(timeout_ms), exit_code ? exit_code : &dummy);
}

int mc_proc_wait(mc_proc *p, int timeout_ms, int *exit_code) {
  return MC__LOGGED("", impl_proc_wait(p, timeout_ms, exit_code));
}

static int impl_proc_kill(mc_proc *p) {
  if (!p) return MC_EINVAL;
  return mc__plat_kill(&p->p);
}

int mc_proc_kill(mc_proc *p) {
  return MC__LOGGED("", impl_proc_kill(p));
}

void mc_proc_free(mc_proc *p) {
  if (!p) return;
  mc__plat_proc_release(&p->p);
  free(p);
}

int mc_self_path(char *buf, size_t cap) {
  if (!buf) return MC_EINVAL;
  return mc__plat_self_path(buf, cap);
}

int mc_args_utf8(int *argc, char ***argv) {
  if (!argc || !argv) return MC_EINVAL;
  return mc__plat_args_utf8(argc, argv);
}
