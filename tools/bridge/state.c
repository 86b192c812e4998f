/* The bridge's durable state: a persistent memchan block beside the channel (by default
 * CHANNEL.bridge-out or CHANNEL.bridge-in), which outlives a bridge killed at any
 * instruction and is found again by the next one. Only the bridge of that side writes it,
 * so it is opened unprotected (no guard to take per message); its fields are written with
 * single aligned stores in an order that leaves a consistent record at every step
 * (out.c and in.c say which). */
#include "bridge.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int mb_state_name(char *buf, size_t cap, const char *opt, const char *channel,
                  const char *suffix) {
  int n = opt ? snprintf(buf, cap, "%s", opt) : snprintf(buf, cap, "%s.bridge-%s", channel, suffix);
  if (n < 0 || (size_t)n >= cap || n > MC_NAME_MAX) return MC_EINVAL;
  return MC_OK;
}

int mb_state_open(mb_state *st, const char *name, uint64_t size) {
  memset(st, 0, sizeof *st);
  mc_shm_options o = {.size = size, .flags = MC_SHM_PERSIST | MC_SHM_UNPROTECTED};
  int rc = mc_shm_open(name, &o, &st->shm);
  if (rc != MC_OK) return rc;
  if (mc_shm_size(st->shm) != size) {
    mc_shm_close(st->shm);
    st->shm = NULL;
    return MC_EMISMATCH;
  }
  st->created = mc_shm_created(st->shm);
  /* Unprotected: acquire never waits, and the mapping stays ours until close. */
  rc = mc_shm_acquire(st->shm, MC_WRITE, 0, &st->data);
  if (rc != MC_OK && rc != MC_EOWNERDEAD) {
    mc_shm_close(st->shm);
    st->shm = NULL;
    return rc;
  }
  return MC_OK;
}

void mb_state_close(mb_state *st, int remove) {
  if (!st->shm) return;
  char name[MC_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mc_shm_name(st->shm));
  mc_shm_release(st->shm);
  mc_shm_close(st->shm);
  st->shm = NULL;
  if (remove) mc_shm_unlink(name); /* persistent: the name stays until removed */
}

int mb_chan_identity(const char *name, mc_obj_info *info, uint64_t *id) {
  int rc = mc_inspect(name, info);
  if (rc != MC_OK) return rc;
  *id = (info->created_ms << 24) ^ info->creator_pid;
  return MC_OK;
}

uint64_t mb_random64(void) {
  /* A stream id need only differ from the last few streams' on these two hosts: time and
     our pid, mixed (splitmix64). */
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  uint64_t x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid() << 40;
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x ? x : 1;
}
