/* What the tool needs from the OS beyond memchan: a monotonic clock, CPU placement, a CPU
 * pause, a console check, and for the soak the names left behind and Ctrl-C. The baselines
 * and floors use their own OS calls. */
#ifndef MB_SYS_H
#define MB_SYS_H

#include <stddef.h>
#include <stdint.h>

uint64_t mb_now_ns(void); /* monotonic, comparable between processes of one machine */
uint64_t mb_cpu_ns(void); /* CPU time this process has used (user + system) */
void mb_cpu_relax(void);  /* a pause hint for spin loops */
void mb_yield(void);      /* give the CPU to another runnable thread */

/* CPUs this process may run on at start-up (at most max); returns how many. */
int mb_cpus_allowed(int *cpus, int max);
/* Pins this process to one CPU; cpu < 0 restores the affinity it started with. 0 or -1. */
int mb_pin(int cpu);
/* Sleeps about us microseconds: a load shape (stress --gap-us), never a synchronisation. */
void mb_sleep_us(int us);
/* Sleeps in poll(2) until the file descriptor h is readable (a memchan end's OS handle, in
   the poll mode), retrying after a signal unless the watchdog fired. 0, or -1 with the
   reason in mb_fail. POSIX only: on Win32 it always fails (the mode is skipped there). */
int mb_poll_readable(intptr_t h);
int mb_stderr_is_tty(void);
long mb_pid(void);
/* "linux" or "win32"; 1 when the Win32 build runs under Wine. */
const char *mb_platform(void);
int mb_under_wine(void);
/* Guards a measurement on POSIX: after `seconds`, blocking calls fail with EINTR so that a
   stuck transport ends the case instead of the run; 0 disarms. No-op on Win32. */
void mb_watchdog(unsigned seconds);
int mb_watchdog_fired(void);

/* The run's shared-memory objects that exist now. POSIX: the entries of /dev/shm whose name
   starts with prefix: returns how many, with an order-free hash of their names in *hash and
   one of them in first (names is not used). Win32, which lists no names: how many of
   names[0..n-1] (memchan names, "Local\\" implied) a file mapping can still be opened for;
   *hash is 0. -1 if it cannot look. */
int mb_shm_names(const char *prefix, const char *const *names, int n, uint64_t *hash, char *first,
                 size_t cap);
/* Ctrl-C (SIGINT, SIGTERM; a console break on Win32): the driver catches it and finishes
   its report (mb_interrupted() becomes 1); peers ignore it, so that only the driver ends
   them. */
void mb_catch_interrupt(void);
void mb_ignore_interrupt(void);
int mb_interrupted(void);

#endif
