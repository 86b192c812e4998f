#include "harness.h"

#include "crash.h"
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <process.h>
#define th_getpid() ((long)_getpid())
#else
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define th_getpid() ((long)getpid())
#endif

#define MAX_LIVE 64
static mc_proc *live[MAX_LIVE];
static char self_path[4096];

static void track(mc_proc *p) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (!live[i]) {
      live[i] = p;
      return;
    }
}

static void untrack(mc_proc *p) {
  for (int i = 0; i < MAX_LIVE; i++)
    if (live[i] == p) live[i] = NULL;
}

/* A failed test may leave helpers running; they must not outlive it. */
static void kill_leftovers(void) {
  for (int i = 0; i < MAX_LIVE; i++) {
    if (!live[i]) continue;
    mc_proc_kill(live[i]);
    mc_proc_wait(live[i], 5000, NULL);
    mc_proc_free(live[i]);
    live[i] = NULL;
  }
}

TCase *th_tcase(Suite *s, const char *name, double timeout_s) {
  TCase *tc = tcase_create(name);
  tcase_set_timeout(tc, timeout_s);
  tcase_add_checked_fixture(tc, kill_leftovers, kill_leftovers);
  suite_add_tcase(s, tc);
  return tc;
}

mc_proc *th_spawn(const char *helper, ...) {
  const char *argv[32];
  int n = 0;
  va_list ap;
  argv[n++] = self_path;
  argv[n++] = "--helper";
  argv[n++] = helper;
  va_start(ap, helper);
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL && n < 31) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  mc_proc *p = NULL;
  int rc = mc_proc_spawn(argv, &p);
  ck_assert_msg(rc == MC_OK, "spawning helper %s: %s (OS error %d)", helper, mc_err_name(rc),
                rc == MC_ESYS ? mc_os_error() : 0);
  track(p);
  return p;
}

int th_wait(mc_proc *p, int timeout_ms) {
  int code = -1;
  int rc = mc_proc_wait(p, timeout_ms, &code);
  ck_assert_msg(rc == MC_OK, "helper did not end within %d ms: %s", timeout_ms, mc_err_name(rc));
  untrack(p);
  mc_proc_free(p);
  return code;
}

int th_reap(mc_proc *p, int timeout_ms, int *code) {
  int rc = mc_proc_wait(p, timeout_ms, code);
  if (rc != MC_OK) {
    mc_proc_kill(p);
    mc_proc_wait(p, 10000, code);
  }
  untrack(p);
  mc_proc_free(p);
  return rc;
}

int th_kill(mc_proc *p) {
  ck_assert_int_eq(mc_proc_kill(p), MC_OK);
  return th_wait(p, 10000);
}

void th_gate_open(th_gate *g, const char *tag) {
  char t[48];
  snprintf(t, sizeof t, "%s-ready", tag);
  th_name(g->ready_name, sizeof g->ready_name, t);
  snprintf(t, sizeof t, "%s-go", tag);
  th_name(g->go_name, sizeof g->go_name, t);
  ck_assert_int_eq(mc_sem_open(g->ready_name, 0, 0x7fffffff, &g->ready), MC_OK);
  ck_assert_int_eq(mc_event_open(g->go_name, 1, 0, &g->go), MC_OK);
}

void th_gate_wait(th_gate *g, int n, int timeout_ms) {
  for (int i = 0; i < n; i++) {
    int rc = mc_sem_wait(g->ready, timeout_ms);
    ck_assert_msg(rc == MC_OK, "only %d of %d helpers arrived: %s", i, n, mc_err_name(rc));
  }
}

void th_gate_release(th_gate *g) {
  ck_assert_int_eq(mc_event_set(g->go), MC_OK);
}

void th_gate_close(th_gate *g) {
  mc_sem_close(g->ready);
  mc_event_close(g->go);
  g->ready = NULL;
  g->go = NULL;
}

int th_signal(const char *ready_name) {
  mc_sem *ready;
  int rc = mc_sem_open(ready_name, 0, 0x7fffffff, &ready);
  if (rc != MC_OK) return rc;
  rc = mc_sem_post(ready, 1);
  mc_sem_close(ready);
  return rc;
}

int th_gate_arrive(const char *ready_name, const char *go_name, int timeout_ms) {
  mc_event *go;
  int rc = mc_event_open(go_name, 1, 0, &go);
  if (rc != MC_OK) return rc;
  rc = th_signal(ready_name);
  if (rc == MC_OK) rc = mc_event_wait(go, timeout_ms);
  mc_event_close(go);
  return rc;
}

int th_block_forever(const char *tag) {
  char name[96];
  mc_event *never;
  snprintf(name, sizeof name, "%s-never", tag);
  int rc = mc_event_open(name, 1, 0, &never);
  if (rc != MC_OK) return rc;
  for (;;) mc_event_wait(never, MC_INFINITE);
}

int th_crash_arm(const char *spec) {
  char name[64];
  if (strcmp(spec, "-") == 0) return MC_OK;
  const char *colon = strrchr(spec, ':');
  size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
  if (len >= sizeof name) return MC_EINVAL;
  memcpy(name, spec, len);
  name[len] = '\0';
  int id = mc__crash_find(name);
  unsigned long long pass = colon ? strtoull(colon + 1, NULL, 10) : 1;
  if (id < 0 || pass == 0) return MC_EINVAL;
  return mc__crash_arm(id, pass);
}

/* Copies len bytes between buf and byte `offset` of the named OS object (write: into it). */
static int raw_copy(const char *name, long offset, void *buf, size_t len, int write) {
#ifdef _WIN32
  wchar_t w[300];
  char full[300];
  snprintf(full, sizeof full, "Local\\%s", name);
  MultiByteToWideChar(CP_UTF8, 0, full, -1, w, 300);
  HANDLE h = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, w);
  if (!h) return -1;
  unsigned char *p = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, (SIZE_T)offset + len);
  if (p) {
    if (write)
      memcpy(p + offset, buf, len);
    else
      memcpy(buf, p + offset, len);
    UnmapViewOfFile(p);
  }
  CloseHandle(h);
  return p ? 0 : -1;
#else
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  int fd = open(path, write ? O_RDWR : O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = write ? pwrite(fd, buf, len, offset) : pread(fd, buf, len, offset);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
#endif
}

int th_raw_write(const char *name, long offset, const void *bytes, size_t len) {
  return raw_copy(name, offset, (void *)(uintptr_t)bytes, len, 1);
}

int th_raw_read(const char *name, long offset, void *bytes, size_t len) {
  return raw_copy(name, offset, bytes, len, 0);
}

#ifdef _WIN32
static HANDLE WINAPI failing_create(HANDLE f, LPSECURITY_ATTRIBUTES a, DWORD p, DWORD hi, DWORD lo,
                                    LPCWSTR n) {
  (void)f, (void)a, (void)p, (void)hi, (void)lo, (void)n;
  SetLastError(TH_FAIL_OSERR);
  return NULL;
}
#define FAILING ((void (*)(void))(void *)failing_create)
#else
static int failing_shm_open(const char *n, int f, mode_t m) {
  (void)n, (void)f, (void)m;
  errno = TH_FAIL_OSERR;
  return -1;
}
#define FAILING ((void (*)(void))failing_shm_open)
#endif

int th_fail_map_call(int on) {
  return mc__plat_syscall_override(TH_FAIL_CALL, on ? FAILING : NULL);
}

#ifdef _WIN32
static BOOL WINAPI failing_flush(LPCVOID base, SIZE_T n) {
  (void)base, (void)n;
  SetLastError(ERROR_WRITE_FAULT);
  return FALSE;
}
#define FAILING_FLUSH_CALL "FlushViewOfFile"
#define FAILING_FLUSH      ((void (*)(void))(void *)failing_flush)
#else
static int failing_msync(void *base, size_t n, int flags) {
  (void)base, (void)n, (void)flags;
  errno = EIO;
  return -1;
}
#define FAILING_FLUSH_CALL "msync"
#define FAILING_FLUSH      ((void (*)(void))failing_msync)
#endif

int th_fail_flush(int on) {
  return mc__plat_syscall_override(FAILING_FLUSH_CALL, on ? FAILING_FLUSH : NULL);
}

long long th_object_bytes(const char *name) {
#ifdef _WIN32
  MC__UNUSED(name);
  return -1;
#else
  char path[300];
  struct stat st;
  snprintf(path, sizeof path, "/dev/shm/%s", name);
  return stat(path, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
#endif
}

mc_shm *th_open_block(const char *tag, uint64_t size, uint64_t max, unsigned flags, char *name,
                      size_t cap) {
  mc_shm *shm;
  th_name(name, cap, tag);
  mc_shm_options o = {.size = size, .max_size = max, .flags = flags};
  TH_OK(mc_shm_open(name, &o, &shm));
  return shm;
}

uint64_t th_ms_since(uint64_t t0) {
  return (mc__plat_now_ns() - t0) / 1000000;
}

void th_temp_file(char *buf, size_t cap, const char *name) {
#ifdef _WIN32
  char dir[MAX_PATH + 1];
  DWORD n = GetTempPathA(sizeof dir, dir);
  if (n == 0 || n >= sizeof dir) snprintf(dir, sizeof dir, ".\\");
  snprintf(buf, cap, "%s%s.mcblk", dir, name);
#else
  const char *dir = getenv("TMPDIR");
  snprintf(buf, cap, "%s/%s.mcblk", dir && *dir ? dir : "/tmp", name);
#endif
}

void th_name(char *buf, size_t cap, const char *tag) {
  static unsigned counter;
  snprintf(buf, cap, "t%ldx%u-%s", th_getpid(), ++counter, tag);
}

int th_main(int argc, char **argv, Suite *suite, const th_helper *helpers) {
  if (mc_args_utf8(&argc, &argv) != MC_OK) {
    fprintf(stderr, "cannot read the command line\n");
    return 2;
  }
  if (mc_self_path(self_path, sizeof self_path) != MC_OK) {
    fprintf(stderr, "cannot find my own path\n");
    return 2;
  }
  SRunner *sr = srunner_create(suite); /* owns the suite: freeing it frees both */
  if (argc >= 3 && strcmp(argv[1], "--helper") == 0) {
    int rc = 2;
    const th_helper *h = helpers;
    while (h && h->name && strcmp(h->name, argv[2]) != 0) h++;
    if (h && h->name)
      rc = h->fn(argc - 3, argv + 3);
    else
      fprintf(stderr, "unknown helper %s\n", argv[2]);
    srunner_free(sr);
    return rc;
  }
#ifdef _WIN32
  srunner_set_fork_status(sr, CK_NOFORK); /* no fork(); ctest's TIMEOUT bounds the run */
#endif
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
