/* Linux: a descriptor for a child process that poll() reports readable when it ends. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/posix/posix.h"

int mc__os_child_fd(long pid) {
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) mc__debug("pidfd_open failed (errno %d); waits will poll", errno);
  return fd;
#else
  MC__UNUSED(pid);
  return -1; /* an older kernel's headers: waits poll waitpid */
#endif
}
