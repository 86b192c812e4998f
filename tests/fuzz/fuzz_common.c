/* The fuzz targets' shared helpers (fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

uint8_t fz_u8(fz_in *in) {
  if (!in->n) return 0;
  in->n--;
  return *in->p++;
}

/* Little-endian, so that a seed written by hand reads the same on every machine. */
static uint64_t take_le(fz_in *in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)fz_u8(in) << (8 * i);
  return v;
}

uint16_t fz_u16(fz_in *in) {
  return (uint16_t)take_le(in, 2);
}

uint32_t fz_u32(fz_in *in) {
  return (uint32_t)take_le(in, 4);
}

uint64_t fz_u64(fz_in *in) {
  return take_le(in, 8);
}

const uint8_t *fz_take(fz_in *in, size_t n, size_t *len) {
  if (n > in->n) n = in->n;
  *len = n;
  if (!n) return NULL;
  const uint8_t *p = in->p;
  in->p += n;
  in->n -= n;
  return p;
}

void fz_read_script(fz_in *in, fz_script *s) {
  s->n = fz_u8(in) & FZ_MAX_STEPS;
  fz_in steps = {NULL, 0};
  steps.p = fz_take(in, (size_t)s->n * 4, &steps.n); /* the steps alone: zeros past them */
  for (unsigned i = 0; i < s->n; i++) {
    s->step[i].code = fz_u8(&steps);
    s->step[i].a1 = fz_u8(&steps);
    s->step[i].a2 = fz_u16(&steps);
  }
}

void fz_name(char *buf, size_t cap, const char *tag) {
  static unsigned counter;
  snprintf(buf, cap, "fz%ldx%u-%s", (long)getpid(), ++counter, tag);
}

void fz_unlink(const char *name) {
  mc__objname n, ev;
  if (mc__name_parse(name, &n) != MC_OK) return;
  /* Either may be missing (closed cleanly, or never created): nothing to report. */
  mc__plat_map_unlink(&n);
  if (mc__name_derive(&n, "$new", &ev) == MC_OK) mc__plat_map_unlink(&ev);
}

int fz_raw_read(const char *name, uint64_t offset, void *buf, size_t len) {
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/%s", name[0] == '/' ? name + 1 : name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = pread(fd, buf, len, (off_t)offset);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* Largest pid the kernel hands out: a token whose pid is above it names no process, so the
   liveness check (a /proc read) is skipped for the common case of random bytes. */
static uint32_t pid_max(void) {
  static uint32_t max;
  if (!max) {
    unsigned long v = 4194304; /* the kernel's own ceiling, if the file cannot be read */
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    if (f) {
      if (fscanf(f, "%lu", &v) != 1) v = 4194304;
      fclose(f);
    }
    max = (uint32_t)v;
  }
  return max;
}

/* A lock word naming a live process makes every waiter wait its full deadline, and the calls
   without a timeout of their own (close, resize, channel create) wait MC_DEFAULT_TIMEOUT_MS:
   within the promise, and covered by tests/test_hostile.c with a real foreign holder, but
   five seconds an execution would stop the fuzzer. libFuzzer learns such tokens from the
   library's own comparisons (our token, pid 1 with a zero start time), so a word the input
   turned into a live token is made to name a dead one instead: the takeover paths stay
   reachable, the long waits do not. */
static void defang_word(unsigned char *w, const unsigned char *before) {
  uint64_t v, old;
  memcpy(&v, w, 8);
  memcpy(&old, before, 8);
  if (v == old) return;
  uint32_t pid = (uint32_t)v;
  if (pid == 0 || pid > pid_max()) return;
  if (!mc__plat_token_alive(v)) return;
  v ^= 1ull << 63; /* another start time: the same pid, but a process that has ended */
  memcpy(w, &v, 8);
}

/* Applies one run of bytes at [off, off + n), clipped to limit, keeping live tokens out. */
static size_t apply(unsigned char *base, uint64_t off, uint64_t limit, const uint8_t *b, size_t n,
                    int xor) {
  if (off >= limit) return 0;
  if (n > limit - off) n = (size_t)(limit - off);
  /* Whole aligned words around the run, so a token split across two patches is seen too. */
  uint64_t w0 = off & ~7ull, w1 = (off + n + 7) & ~7ull;
  if (w1 > limit) w1 = limit & ~7ull;
  unsigned char before[4096 + 16];
  for (size_t done = 0; done < n;) {
    size_t chunk = n - done > 4096 ? 4096 : n - done;
    uint64_t o = off + done;
    uint64_t a = o & ~7ull, e = (o + chunk + 7) & ~7ull;
    if (e > w1) e = w1;
    if (a < w0) a = w0;
    if (e > a) memcpy(before, base + a, (size_t)(e - a));
    for (size_t i = 0; i < chunk; i++) {
      if (xor)
        base[o + i] ^= b[done + i];
      else
        base[o + i] = b[done + i];
    }
    for (uint64_t w = a; w + 8 <= e; w += 8) defang_word(base + w, before + (w - a));
    done += chunk;
  }
  return n;
}

size_t fz_scribble(unsigned char *base, uint64_t offset, uint64_t limit, const uint8_t *bytes,
                   size_t n, int mode) {
  if (mode != FZ_PATCH) return apply(base, offset, limit, bytes, n, mode == FZ_XOR);
  fz_in in = {bytes, n};
  size_t total = 0;
  while (in.n >= 3) {
    uint64_t off = offset + fz_u16(&in);
    size_t len;
    const uint8_t *b = fz_take(&in, fz_u8(&in), &len);
    if (b) total += apply(base, off, limit, b, len, 0);
  }
  return total;
}
