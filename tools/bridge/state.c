/* The bridge's durable state: a persistent memchan block beside the channel (by default
 * CHANNEL.bridge-out or CHANNEL.bridge-in), which outlives a bridge killed at any
 * instruction and is found again by the next one. Only the bridge of that side writes it,
 * so it is opened unprotected (no guard to take per message); its fields are written with
 * single aligned stores in an order that leaves a consistent record at every step
 * (out.c and in.c say which). */
#include "bridge.h"
#include "sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mb_state_name(char *buf, size_t cap, const char *opt, const char *channel,
                  const char *suffix) {
  int n = opt ? snprintf(buf, cap, "%s", opt) : snprintf(buf, cap, "%s.bridge-%s", channel, suffix);
  if (n < 0 || (size_t)n >= cap || n > MC_NAME_MAX) return MC_EINVAL;
  return MC_OK;
}

/* The folder the state files go in by default on Windows, made when missing: MC_OK, or
   MC_ENOENT with none (POSIX: a persistent memory block instead; Windows: no LOCALAPPDATA,
   and a memory block would not outlive the bridge there). */
static int default_dir(char *buf, size_t cap) {
#if defined(_WIN32)
  char base[300];
  if (mb_getenv("LOCALAPPDATA", base, (int)sizeof base) != 0) return MC_ENOENT;
  int n = snprintf(buf, cap, "%s\\memchan", base);
  if (n < 0 || (size_t)n >= cap) return MC_ENOENT;
  mb_mkdir(buf);
  n = snprintf(buf, cap, "%s\\memchan\\bridge", base);
  if (n < 0 || (size_t)n >= cap) return MC_ENOENT;
  mb_mkdir(buf);
  return MC_OK;
#else
  (void)buf, (void)cap;
  return MC_ENOENT;
#endif
}

/* The file's name for a block name, so that every spelling of one object finds one file:
   an optional "Local\\" then an optional "/" left out (docs/core.md "Names": "abc", "/abc"
   and "Local\\abc" are one object); "Global\\abc", another namespace's object, is
   "Global$abc" ('$' is in no name, so it is no other's file). */
static void file_stem(const char *name, char *buf, size_t cap) {
  int global = !strncmp(name, "Global\\", 7);
  if (global) name += 7;
  else if (!strncmp(name, "Local\\", 6)) name += 6;
  if (name[0] == '/') name++;
  snprintf(buf, cap, "%s%s", global ? "Global$" : "", name);
}

int mb_state_open(mb_state *st, const char *name, uint64_t size, const char *dir) {
  memset(st, 0, sizeof *st);
  char dbuf[400];
  if (dir) {
    mb_mkdir(dir); /* made when missing (one level), as the default folder is */
  } else if (default_dir(dbuf, sizeof dbuf) == MC_OK) {
    dir = dbuf;
  } else {
#if defined(_WIN32)
    mb_log("-", "no folder for the state files (LOCALAPPDATA is not set): give --state-dir");
    return MC_ENOENT;
#endif
  }
  if (dir) {
    char stem[MC_NAME_MAX + 8];
    file_stem(name, stem, sizeof stem);
    int n = snprintf(st->path, sizeof st->path, "%s/%s.mcblk", dir, stem);
    if (n < 0 || (size_t)n >= sizeof st->path) return MC_EINVAL;
  }
  /* A file is never removed by memchan; a memory block must be told to stay. */
  mc_shm_options o = {.size = size, .flags = MC_SHM_UNPROTECTED | (dir ? 0 : MC_SHM_PERSIST),
                      .path = dir ? st->path : NULL};
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

const char *mb_state_remedy(const mb_state *st, const char *name, char *buf, size_t cap) {
  if (st->path[0])
    snprintf(buf, cap, "delete the file %s", st->path);
  else
    snprintf(buf, cap, "memchan rm %s", name);
  return buf;
}

void mb_state_close(mb_state *st, int drop) {
  if (!st->shm) return;
  char name[MC_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", mc_shm_name(st->shm));
  mc_shm_release(st->shm);
  mc_shm_close(st->shm);
  st->shm = NULL;
  if (!drop) return;
  if (st->path[0]) /* ours to delete: the stream it kept is over */
    mb_remove(st->path);
  else
    mc_shm_unlink(name); /* persistent: the name stays until removed */
}

int mb_chan_identity(const char *name, mc_obj_info *info, uint64_t *id) {
  int rc = mc_inspect(name, info);
  if (rc != MC_OK) return rc;
  *id = (info->created_ms << 24) ^ info->creator_pid;
  return MC_OK;
}

uint64_t mb_random64(void) {
  /* A stream id need only differ from the last few streams' on these two hosts: time and
     our pid, mixed (splitmix64); the
     wall clock for the seconds, the monotonic one for what changes within a second. */
  uint64_t x = (uint64_t)time(NULL) << 32 ^ mb_now_ns() ^ mb_pid() << 40;
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x ? x : 1;
}
