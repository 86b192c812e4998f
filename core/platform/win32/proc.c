/* Win32 backend: child processes. See core/platform.h for the rules. */
#include "internal.h"

#include <windows.h>
#include <shellapi.h>
#include <stdlib.h>
#include <string.h>

#include "platform/win32/win32.h"

static void put(wchar_t *out, size_t *o, wchar_t c, size_t times) {
  for (size_t i = 0; i < times; i++) {
    if (out) out[*o] = c;
    (*o)++;
  }
}

/* Appends one argument to a command line (or only counts, when out is NULL) so that
   CommandLineToArgvW and the C runtime give it back verbatim: quoted when it is empty or
   holds blanks or quotes; inside quotes, n backslashes before a quote become 2n+1, and n
   backslashes at the end become 2n. */
static size_t quote_arg(const wchar_t *a, wchar_t *out) {
  size_t o = 0;
  if (*a && !wcspbrk(a, L" \t\n\v\"")) {
    for (; *a; a++) put(out, &o, *a, 1);
    return o;
  }
  put(out, &o, L'"', 1);
  for (;; a++) {
    size_t bs = 0;
    while (*a == L'\\') a++, bs++;
    if (!*a) {
      put(out, &o, L'\\', 2 * bs);
      break;
    }
    put(out, &o, L'\\', *a == L'"' ? 2 * bs + 1 : bs);
    put(out, &o, *a, 1);
  }
  put(out, &o, L'"', 1);
  return o;
}

static wchar_t *widen(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) <= 0) {
    free(w);
    w = NULL;
  }
  return w;
}

/* The whole command line, or NULL (bad UTF-8 or no memory). */
static wchar_t *build_cmdline(const char *const argv[]) {
  size_t n = 0, len = 1;
  while (argv[n]) n++;
  wchar_t **wide = calloc(n, sizeof *wide);
  wchar_t *cmd = NULL;
  int ok = wide != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    wide[i] = widen(argv[i]);
    ok = wide[i] != NULL;
    if (ok) len += quote_arg(wide[i], NULL) + 1;
  }
  if (ok) cmd = malloc(len * sizeof *cmd);
  if (cmd) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
      if (i) cmd[o++] = L' ';
      o += quote_arg(wide[i], cmd + o);
    }
    cmd[o] = L'\0';
  }
  for (size_t i = 0; wide && i < n; i++) free(wide[i]);
  free(wide);
  return cmd;
}

/* CreateProcessW, tried again a few times when it fails with ERROR_INTERNAL_ERROR: Wine 8
   fails a process creation that way now and then while processes it started are being
   terminated (seen in the crash matrix and the kill storms; a loop that starts a process and
   terminates every other one reproduces it within a few hundred), and the next attempt
   succeeds. Windows itself documents no such transient failure; any other error, or this one
   again after the last attempt, is the caller's. */
#define SPAWN_ATTEMPTS 8
static BOOL create_process(wchar_t *app, wchar_t *cmd, STARTUPINFOW *si, PROCESS_INFORMATION *pi) {
  for (int attempt = 1;; attempt++) {
    if (CreateProcessW(app, cmd, NULL, NULL, FALSE, 0, NULL, NULL, si, pi)) return TRUE;
    if (GetLastError() != ERROR_INTERNAL_ERROR || attempt == SPAWN_ATTEMPTS) return FALSE;
    Sleep((DWORD)attempt); /* 1 + 2 + ... + 7 ms in all, at most */
  }
}

int mc__plat_spawn(const char *const argv[], mc__plat_proc *p) {
  memset(p, 0, sizeof *p);
  wchar_t *app = widen(argv[0]);
  wchar_t *cmd = build_cmdline(argv);
  int rc = MC_OK;
  if (!app || !cmd) {
    rc = MC_EINVAL; /* not UTF-8 (or, rarely, no memory) */
  } else {
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!create_process(app, cmd, &si, &pi)) {
      rc = mc__win_fail("CreateProcessW", argv[0]);
    } else {
      CloseHandle(pi.hThread);
      p->h = pi.hProcess;
      p->pid = (long)pi.dwProcessId;
    }
  }
  free(app);
  free(cmd);
  return rc;
}

int mc__plat_wait(mc__plat_proc *p, uint64_t deadline, int *exit_code) {
  if (!p->reaped) {
    DWORD r = mc__win_wait(p->h, deadline);
    if (r == WAIT_TIMEOUT) return MC_ETIMEDOUT;
    if (r != WAIT_OBJECT_0) return mc__win_fail("WaitForSingleObject(process)", "");
    DWORD code;
    if (!GetExitCodeProcess(p->h, &code)) return mc__win_fail("GetExitCodeProcess", "");
    p->exit_code = (int)code;
    p->reaped = 1;
  }
  *exit_code = p->exit_code;
  return MC_OK;
}

int mc__plat_kill(mc__plat_proc *p) {
  if (p->reaped) return MC_OK;
  if (TerminateProcess(p->h, 137)) return MC_OK;
  /* Already ended: TerminateProcess refuses with access denied. */
  if (WaitForSingleObject(p->h, 0) == WAIT_OBJECT_0) return MC_OK;
  return mc__win_fail("TerminateProcess", "");
}

void mc__plat_die(void) {
  TerminateProcess(GetCurrentProcess(), 137);
  ExitProcess(137); /* not reached */
}

void mc__plat_proc_release(mc__plat_proc *p) {
  if (p->h) CloseHandle(p->h);
  p->h = NULL;
}

int mc__plat_self_path(char *buf, size_t cap) {
  wchar_t w[32768];
  DWORD n = GetModuleFileNameW(NULL, w, 32768);
  if (n == 0 || n >= 32768) return mc__win_fail("GetModuleFileNameW", "");
  return mc__win_utf8(w, buf, cap);
}

int mc__plat_args_utf8(int *argc, char ***argv) {
  int n;
  wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
  if (!w) return mc__win_fail("CommandLineToArgvW", "");
  char **out = calloc((size_t)n + 1, sizeof *out);
  int rc = out ? MC_OK : MC_ENOMEM;
  for (int i = 0; rc == MC_OK && i < n; i++) {
    int len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    out[i] = len > 0 ? malloc((size_t)len) : NULL;
    if (!out[i] || WideCharToMultiByte(CP_UTF8, 0, w[i], -1, out[i], len, NULL, NULL) <= 0)
      rc = MC_ENOMEM;
  }
  LocalFree(w);
  if (rc != MC_OK) {
    for (int i = 0; out && i < n; i++) free(out[i]);
    free(out);
    return rc;
  }
  *argc = n;
  *argv = out; /* kept for the life of the process, as main's own argv is */
  return MC_OK;
}
