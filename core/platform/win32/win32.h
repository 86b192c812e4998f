/* Helpers shared by the Win32 backend's files (core/platform/win32/). */
#ifndef MC_PLATFORM_WIN32_H
#define MC_PLATFORM_WIN32_H

#include <windows.h>
#include <accctrl.h>

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

/* Security of named objects (security.c). A new object's attributes: owner this process's
   user, DACL that user and SYSTEM (all access), plus Everyone with `everyone` access when not
   0. *s must outlive the call that makes the object. */
typedef struct mc__win_sa {
  SECURITY_ATTRIBUTES sa;
  SECURITY_DESCRIPTOR sd;
  DWORD acl[128]; /* the DACL: three entries of at most 76 bytes each, DWORD-aligned */
} mc__win_sa;
int mc__win_security(mc__win_sa *s, DWORD everyone, const char *object);
/* Everyone's access to objects of a name that admits all users (mc__objname.everyone). */
#define MC__WIN_ALL_USERS(n) ((n) && (n)->everyone ? (DWORD)GENERIC_ALL : (DWORD)0)
/* MC_OK when h's owner is this process's user; MC_EACCES (logged, mc_os_error()
   ERROR_ACCESS_DENIED) when it is someone else's; the query's failure otherwise. */
int mc__win_check_owner(HANDLE h, SE_OBJECT_TYPE type, const char *object);
/* GetSecurityInfo, through the backend's system call seam (mc__plat_syscall_override). */
typedef DWORD(WINAPI *mc__win_get_security_fn)(HANDLE, SE_OBJECT_TYPE, SECURITY_INFORMATION,
                                               PSID *, PSID *, PACL *, PACL *,
                                               PSECURITY_DESCRIPTOR *);
extern mc__win_get_security_fn mc__win_get_security;

/* OpenProcess, through the backend's system call seam (mc__plat_syscall_override). */
typedef HANDLE(WINAPI *mc__win_open_process_fn)(DWORD, BOOL, DWORD);
extern mc__win_open_process_fn mc__win_open_process;

#endif
