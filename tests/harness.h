/* The test harness: Check suites, helper processes, unique names and assertion helpers.
 *
 * Each test binary is one Check runner. Run with "--helper NAME args..." it instead runs the
 * helper function NAME and exits with its return value: multi-process tests start helpers
 * with th_spawn() (re-executing this binary through mc_proc_spawn) and synchronise with them
 * through memchan's own named objects, never by sleeping. */
#ifndef MC_TEST_HARNESS_H
#define MC_TEST_HARNESS_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>

#include "memchan.h"

typedef int (*th_helper_fn)(int argc, char **argv);
typedef struct th_helper {
  const char *name;
  th_helper_fn fn;
} th_helper;

/* Runs the suite (or a helper, when argv[1] is "--helper"); returns the process exit code. */
int th_main(int argc, char **argv, Suite *suite, const th_helper *helpers);

/* A test case with a time limit (seconds, scaled by CK_TIMEOUT_MULTIPLIER) and a fixture
   that kills helpers a failed test left behind. */
TCase *th_tcase(Suite *s, const char *name, double timeout_s);

/* Starts this binary as helper `helper` with the given arguments (NULL-terminated). */
mc_proc *th_spawn(const char *helper, ...);
/* Waits for a helper and returns its exit code; fails the test if it does not end within
   timeout_ms. */
int th_wait(mc_proc *p, int timeout_ms);
/* Kills a helper and waits for it; returns its exit code. */
int th_kill(mc_proc *p);
/* Waits up to timeout_ms for a helper without failing the test: MC_OK with its exit code,
   or MC_ETIMEDOUT after killing it (*code is then the kill's). Frees the handle either way. */
int th_reap(mc_proc *p, int timeout_ms, int *code);

/* A gate: helpers arrive (posting "ready") and wait until the parent opens it ("go", a
   manual-reset event), so that all of them hold something at the same time. */
typedef struct th_gate {
  char ready_name[64], go_name[64];
  mc_sem *ready;
  mc_event *go;
} th_gate;
void th_gate_open(th_gate *g, const char *tag);
/* Waits until n helpers have arrived (fails the test after timeout_ms each). */
void th_gate_wait(th_gate *g, int n, int timeout_ms);
void th_gate_release(th_gate *g);
void th_gate_close(th_gate *g);
/* Helper side: arrive and wait for go. MC_OK or an error code. */
int th_gate_arrive(const char *ready_name, const char *go_name, int timeout_ms);
/* Helper side: signal readiness only (post "ready"). */
int th_signal(const char *ready_name);
/* Helper side: wait for ever on an event nobody sets (a helper that only a kill ends). */
int th_block_forever(const char *tag);

/* Helper side: dies at a crash point (core/crash.h), given as "point:pass" ("point" alone:
   the first pass); "-" arms nothing. MC_OK, or MC_EINVAL for an unknown point. */
int th_crash_arm(const char *spec);

/* Writes len bytes at byte `offset` of the named object's OS object, bypassing memchan:
   POSIX through /dev/shm/NAME, Win32 through a raw mapping of Local\NAME. 0 or -1. */
int th_raw_write(const char *name, long offset, const void *bytes, size_t len);
/* The same, reading. */
int th_raw_read(const char *name, long offset, void *bytes, size_t len);

/* Bytes of memory the named object's OS object holds (POSIX: the blocks of /dev/shm/NAME),
   or -1 where the OS does not say (Win32: a section's committed pages are charged whether
   touched or not). */
long long th_object_bytes(const char *name);

/* Makes the backend's object-creating system call (POSIX shm_open, Win32
   CreateFileMappingW) fail with TH_FAIL_OSERR (on = 1), or work again (on = 0). */
#ifdef _WIN32
#define TH_FAIL_CALL  "CreateFileMappingW"
#define TH_FAIL_OSERR 1816 /* ERROR_NOT_ENOUGH_QUOTA */
#else
#define TH_FAIL_CALL  "shm_open"
#define TH_FAIL_OSERR 24 /* EMFILE */
#endif
int th_fail_map_call(int on);
/* Makes the backend's flush of a file-backed block (POSIX msync, Win32 FlushViewOfFile) fail
   with an I/O error (on = 1), or work again (on = 0). */
int th_fail_flush(int on);

/* Creates a block named after tag (the name written to name), failing the test otherwise. */
mc_shm *th_open_block(const char *tag, uint64_t size, uint64_t max, unsigned flags, char *name,
                      size_t cap);

/* Milliseconds since t0, a time from mc__plat_now_ns(). */
uint64_t th_ms_since(uint64_t t0);

/* The path of a file named NAME.mcblk in the temporary directory (TMPDIR or /tmp; Win32:
   GetTempPath), for file-backed blocks. */
void th_temp_file(char *buf, size_t cap, const char *name);

/* A name no other test run uses: "t<pid>x<counter>-<tag>". */
void th_name(char *buf, size_t cap, const char *tag);

/* Fails the test unless expr returns want; shows both codes by name. Check's own ck_assert
   records a checkpoint (a system call) at every assertion, which dominates loops over a
   million messages: these macros call into Check only when they fail. */
#define TH_EXPECT(expr, want)                                                                      \
  do {                                                                                             \
    int th_rc_ = (expr);                                                                           \
    int th_want_ = (want);                                                                         \
    if (th_rc_ != th_want_)                                                                        \
      ck_abort_msg("%s returned %s (%d), expected %s", #expr, mc_err_name(th_rc_), th_rc_,         \
                   mc_err_name(th_want_));                                                         \
  } while (0)
#define TH_OK(expr) TH_EXPECT(expr, MC_OK)
/* ck_assert_msg without the per-call checkpoint. */
#define TH_REQUIRE(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) ck_abort_msg(__VA_ARGS__);                                                        \
  } while (0)

/* In a helper: return 100 + line from the helper when expr does not return want, so the
   parent's assertion names the failing line. */
#define HELPER_EXPECT(expr, want)                                                                  \
  do {                                                                                             \
    int h_rc_ = (expr);                                                                            \
    if (h_rc_ != (want)) {                                                                         \
      fprintf(stderr, "helper %s:%d: %s returned %s\n", __FILE__, __LINE__, #expr,                 \
              mc_err_name(h_rc_));                                                                 \
      return 100;                                                                                  \
    }                                                                                              \
  } while (0)
#define HELPER_OK(expr) HELPER_EXPECT(expr, MC_OK)
#define HELPER_CHECK(cond)                                                                         \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "helper %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
      return 101;                                                                                  \
    }                                                                                              \
  } while (0)

#ifdef _WIN32
#define TH_WINDOWS 1
#else
#define TH_WINDOWS 0
#endif

#endif
