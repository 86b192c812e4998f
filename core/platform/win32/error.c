/* Win32 backend: GetLastError() -> MC_E*, in one place; UTF-8 <-> UTF-16; waiting on a
 * kernel object until a deadline. See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <limits.h>

#include "platform/win32/win32.h"

int mc__win_err(DWORD e) {
  switch (e) {
  case ERROR_SUCCESS:
    return MC_OK;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return MC_ENOENT;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return MC_EEXIST;
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
    return MC_EACCES;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_DISK_FULL:
    return MC_ENOMEM;
  case ERROR_INVALID_PARAMETER:
  case ERROR_INVALID_NAME:
  case ERROR_FILENAME_EXCED_RANGE:
    return MC_EINVAL;
  case ERROR_TIMEOUT:
  case WAIT_TIMEOUT:
    return MC_ETIMEDOUT;
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED:
    return MC_ENOTSUP;
  case ERROR_INVALID_HANDLE:
    /* What creating or opening a named object reports when the name belongs to another
       kind of kernel object (an event where a mapping was asked for, say). */
    return MC_EMISMATCH;
  default:
    return MC_ESYS;
  }
}

int mc__win_fail(const char *call, const char *object) {
  DWORD e = GetLastError();
  mc__os_fail((long)e, call, object);
  return mc__win_err(e);
}

int mc__win_wide(const char *s, wchar_t *buf, int cap) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, buf, cap);
  return n > 0 ? MC_OK : MC_EINVAL;
}

int mc__win_utf8(const wchar_t *s, char *buf, size_t cap) {
  int n =
      WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, cap > INT_MAX ? INT_MAX : (int)cap, NULL, NULL);
  return n > 0 ? MC_OK : MC_ENOSPC;
}

int mc__win_objname(const mc__objname *n, const char *suffix, wchar_t *buf, int cap) {
  char name[MC__OS_NAME_MAX];
  int rc = mc__plat_os_name(n, suffix, name, sizeof name);
  return rc == MC_OK ? mc__win_wide(name, buf, cap) : rc;
}

DWORD mc__win_wait_ms(uint64_t deadline) {
  if (deadline == MC__NO_DEADLINE) return INFINITE;
  uint64_t now = mc__plat_now_ns();
  if (now >= deadline) return 0;
  uint64_t ms = (deadline - now + 999999) / 1000000;
  return ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

DWORD mc__win_wait(HANDLE h, uint64_t deadline) {
  for (;;) {
    DWORD r = WaitForSingleObject(h, mc__win_wait_ms(deadline));
    /* The system timer may end a wait slightly before the requested time: never report a
       timeout before the deadline. */
    if (r != WAIT_TIMEOUT || mc__deadline_passed(deadline)) return r;
  }
}

int mc__win_wait_rc(HANDLE h, uint64_t deadline, const char *what, const char *object) {
  switch (mc__win_wait(h, deadline)) {
  case WAIT_OBJECT_0:
    return MC_OK;
  case WAIT_ABANDONED:
    return MC_EOWNERDEAD;
  case WAIT_TIMEOUT:
    return MC_ETIMEDOUT;
  default:
    return mc__win_fail(what, object);
  }
}
