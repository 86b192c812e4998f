/* The few OS calls the command needs beyond memchan's own: a pause between `watch`
 * refreshes, a monotonic clock for its rates, and whether output goes to a terminal. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#endif
#include "memchan_cli.h"

#ifdef _WIN32
#include <windows.h>
#include <io.h>

void cli_sleep_ms(int ms) {
  Sleep((DWORD)ms);
}

long long cli_now_ms(void) {
  return (long long)GetTickCount64();
}

int cli_isatty(FILE *f) {
  return _isatty(_fileno(f));
}
#else
#include <time.h>
#include <unistd.h>

void cli_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) { /* interrupted: sleep the rest */
  }
}

long long cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_isatty(FILE *f) {
  return isatty(fileno(f));
}
#endif
