/* Helpers shared by the Win32 backend's files (core/platform/win32/). */
#ifndef MC_PLATFORM_WIN32_H
#define MC_PLATFORM_WIN32_H

#include <windows.h>

/* GetLastError() value -> MC_E*: the one translation (error.c). */
int mc__win_err(DWORD e);
/* Records GetLastError() for mc_os_error() and logs the failing call; returns the MC_E* code. */
int mc__win_fail(const char *call, const char *object);
/* UTF-8 -> UTF-16 into buf (cap wide chars). MC_EINVAL if it does not fit or is not UTF-8. */
int mc__win_wide(const char *s, wchar_t *buf, int cap);
/* UTF-16 -> UTF-8 into buf. MC_ENOSPC if it does not fit. */
int mc__win_utf8(const wchar_t *s, char *buf, size_t cap);
/* The OS name of n + suffix as UTF-16 ("Local\\base$suffix"). */
int mc__win_objname(const mc__objname *n, const char *suffix, wchar_t *buf, int cap);
/* Milliseconds to wait for a deadline, rounded up so a wait never ends early; INFINITE for
   MC__NO_DEADLINE. */
DWORD mc__win_wait_ms(uint64_t deadline);
/* WaitForSingleObject until signalled or the deadline: WAIT_OBJECT_0, WAIT_ABANDONED,
   WAIT_TIMEOUT (only once the deadline has passed) or WAIT_FAILED. */
DWORD mc__win_wait(HANDLE h, uint64_t deadline);
/* The same as an MC_E* code: MC_OK, MC_EOWNERDEAD (an abandoned mutex, now ours),
   MC_ETIMEDOUT, or the translated failure of `what` on `object`. */
int mc__win_wait_rc(HANDLE h, uint64_t deadline, const char *what, const char *object);

/* OpenProcess, through the backend's system call seam (mc__plat_syscall_override). */
typedef HANDLE(WINAPI *mc__win_open_process_fn)(DWORD, BOOL, DWORD);
extern mc__win_open_process_fn mc__win_open_process;

#endif
