/* POSIX backend: errno -> MC_E*, in one place. See core/platform.h for the rules. */
#include "internal.h"

#include <errno.h>

#include "platform/posix/posix.h"

int mc__posix_err(int e) {
  switch (e) {
  case 0:
    return MC_OK;
  case ENOENT:
    return MC_ENOENT;
  case EEXIST:
    return MC_EEXIST;
  case EACCES:
  case EPERM:
    return MC_EACCES;
  case ENOMEM:
  case ENOSPC:
  case EFBIG:
    return MC_ENOMEM;
  case EINVAL:
  case ENAMETOOLONG:
    return MC_EINVAL;
  case ETIMEDOUT:
    return MC_ETIMEDOUT;
  case ENOSYS:
  case EOPNOTSUPP:
    return MC_ENOTSUP;
  default:
    return MC_ESYS;
  }
}

int mc__posix_fail(const char *call, const char *object) {
  int e = errno;
  mc__os_fail(e, call, object);
  return mc__posix_err(e);
}
