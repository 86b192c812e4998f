/* POSIX backend: child processes (posix_spawn, waitpid, kill). See core/platform.h. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/posix/posix.h"

extern char **environ;

int mc__plat_spawn(const char *const argv[], mc__plat_proc *p) {
  pid_t pid;
  memset(p, 0, sizeof *p);
  p->pidfd = -1;
  /* posix_spawn takes char *const[]; it does not modify the strings. */
  int e = posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
  if (e != 0) {
    errno = e;
    return mc__posix_fail("posix_spawn", argv[0]);
  }
  p->pid = pid;
  p->pidfd = mc__os_child_fd(pid); /* lets wait() sleep in poll() with a timeout */
  return MC_OK;
}

static int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

static int try_reap(mc__plat_proc *p, int *exit_code) {
  int status;
  pid_t r;
  do r = waitpid((pid_t)p->pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return mc__posix_fail("waitpid", "");
  if (r == 0) return MC_ETIMEDOUT;
  p->reaped = 1;
  p->exit_code = exit_code_of(status);
  *exit_code = p->exit_code;
  return MC_OK;
}

int mc__plat_wait(mc__plat_proc *p, uint64_t deadline, int *exit_code) {
  if (p->reaped) {
    *exit_code = p->exit_code;
    return MC_OK;
  }
  for (;;) {
    int rc = try_reap(p, exit_code);
    if (rc != MC_ETIMEDOUT) return rc;
    uint64_t now = mc__plat_now_ns();
    if (deadline != MC__NO_DEADLINE && now >= deadline) return MC_ETIMEDOUT;
    int ms = -1;
    if (deadline != MC__NO_DEADLINE) ms = (int)MC__MIN((deadline - now + 999999) / 1000000, 60000);
    if (p->pidfd >= 0) {
      struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
      if (poll(&pfd, 1, ms) < 0 && errno != EINTR) return mc__posix_fail("poll(pidfd)", "");
    } else {
      /* No pidfd (old kernel): sleep in short steps; only child exit is awaited here. */
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
}

int mc__plat_kill(mc__plat_proc *p) {
  if (p->reaped) return MC_OK;
  if (kill((pid_t)p->pid, SIGKILL) == 0 || errno == ESRCH) return MC_OK;
  return mc__posix_fail("kill", "");
}

void mc__plat_die(void) {
  kill(getpid(), SIGKILL);
  _exit(137); /* not reached: SIGKILL cannot be caught */
}

void mc__plat_proc_release(mc__plat_proc *p) {
  if (p->pidfd >= 0) close(p->pidfd);
  p->pidfd = -1;
}

int mc__plat_args_utf8(int *argc, char ***argv) {
  MC__UNUSED(argc);
  MC__UNUSED(argv);
  return MC_OK; /* POSIX arguments are bytes, passed through as they came */
}
