/* What the libFuzzer targets share: reading the input as parameters, names unique to this
 * process, writing the input over a live region, and removing what an iteration created.
 *
 * Each target creates real named objects, writes its input over their shared bytes and calls
 * the API on them. Every call must come back with a code within its deadline: a crash, an
 * abort, a sanitizer report or a hang is a finding. Waits are 0 or 1 ms wherever the API
 * takes a timeout, so a run makes thousands of executions per second. */
#ifndef MC_FUZZ_H
#define MC_FUZZ_H

#include "memchan.h"
#include "region.h"

#include <stddef.h>
#include <stdint.h>

/* The input, consumed from the front: parameters first, the bytes to write over a region
   after them. Reads past the end give zeros, so every input is a valid one. */
typedef struct fz_in {
  const uint8_t *p;
  size_t n;
} fz_in;

uint8_t fz_u8(fz_in *in);
uint16_t fz_u16(fz_in *in);
uint32_t fz_u32(fz_in *in);
uint64_t fz_u64(fz_in *in);
/* Up to n bytes from the front (*len: how many there were); NULL when none are left. */
const uint8_t *fz_take(fz_in *in, size_t n, size_t *len);

/* A script of calls: a step count (the low 5 bits of one byte), then 4 bytes a step - code,
   arg1, arg2 (u16 LE) - zero-padded where the input ends early. */
#define FZ_MAX_STEPS 31
typedef struct fz_script {
  unsigned n;
  struct {
    uint8_t code, a1;
    uint16_t a2;
  } step[FZ_MAX_STEPS];
} fz_script;
void fz_read_script(fz_in *in, fz_script *s);

/* A name no other process and no earlier iteration uses: "fz<pid>x<counter>-<tag>". */
void fz_name(char *buf, size_t cap, const char *tag);
/* Removes the OS objects an iteration may have left under `name` (the object itself and a
   channel's "$new" event), bypassing memchan's lifetime rules: after writing over a header,
   the last close cannot be trusted to find the name its own. */
void fz_unlink(const char *name);

/* Reads len bytes at `offset` of the OS object of `name` (/dev/shm/NAME), bypassing memchan:
   what the name stands for now, whatever this process has mapped. 0 or -1. */
int fz_raw_read(const char *name, uint64_t offset, void *buf, size_t len);

/* How fz_scribble applies its bytes. */
enum {
  FZ_XOR = 0,   /* XOR over the region from `offset`: zeros leave it as it is */
  FZ_COPY = 1,  /* overwrite from `offset` */
  FZ_PATCH = 2, /* a list of patches: offset (u16 LE), length (u8), bytes */
  FZ_MODES = 3
};
/* Writes `bytes` over [offset, limit) of the mapping at base, as mode says, then takes back
   any 8-byte word it changed into the token of a live process (see fuzz_common.c for why).
   Returns the number of bytes written. */
size_t fz_scribble(unsigned char *base, uint64_t offset, uint64_t limit, const uint8_t *bytes,
                   size_t n, int mode);

/* A timeout for a call from three parameter bits: mostly 0 (the paths that would wait, without
   the waiting), 1 ms one time in eight (a real sleep and its wake-up). Never longer: a wait
   in every call is what makes a fuzzer slow. */
static inline int fz_timeout(uint8_t b) {
  return (b & 7) == 7;
}

#endif
