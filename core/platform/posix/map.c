/* POSIX backend: named regions (shm_open, ftruncate/posix_fallocate, mmap), the OS spelling
 * of names, and the system call seam. See core/platform.h for the rules. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/posix/posix.h"

/* ---- system call seam ----------------------------------------------------------------- */

static struct {
  int (*shm_open)(const char *, int, mode_t);
  int (*ftruncate)(int, off_t);
  void *(*mmap)(void *, size_t, int, int, int, off_t);
  uid_t (*geteuid)(void);
  int (*msync)(void *, size_t, int);
} sys = {shm_open, ftruncate, mmap, geteuid, msync};

int mc__plat_syscall_override(const char *call, void (*fn)(void)) {
  /* Casting between function pointer types and back is well-defined; the seam stores the
     caller's pointer as the real type and only tests use it. */
  if (strcmp(call, "shm_open") == 0)
    sys.shm_open = fn ? (int (*)(const char *, int, mode_t))fn : shm_open;
  else if (strcmp(call, "ftruncate") == 0)
    sys.ftruncate = fn ? (int (*)(int, off_t))fn : ftruncate;
  else if (strcmp(call, "mmap") == 0)
    sys.mmap = fn ? (void *(*)(void *, size_t, int, int, int, off_t))fn : mmap;
  else if (strcmp(call, "geteuid") == 0)
    sys.geteuid = fn ? (uid_t(*)(void))fn : geteuid;
  else if (strcmp(call, "msync") == 0)
    sys.msync = fn ? (int (*)(void *, size_t, int))fn : msync;
  else
    return MC_ENOENT;
  return MC_OK;
}

/* ---- named regions -------------------------------------------------------------------- */

static int map_fail(mc__plat_map *m, int rc) {
  mc__plat_map_close(m);
  return rc;
}

/* mmap of the whole object, shared. Its length is 64 bits here and a size_t to mmap: an object
   a 64-bit process made can be larger than a 32-bit one can address, and the length cut to
   32 bits would map less than the caller then uses (an 8 GiB reserve became 4 KiB, and the
   first access past it crashed). That is ENOMEM, as for any mapping too large to fit. */
static void *map_shared(uint64_t bytes, int prot, int fd) {
  if (bytes > SIZE_MAX) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  return sys.mmap(NULL, (size_t)bytes, prot, MAP_SHARED, fd, 0);
}

/* Grows the object to at least `bytes` without ever shrinking it (posix_fallocate), so
   that several processes may do it at once. */
static int grow_to(int fd, uint64_t bytes, const char *path) {
  int e = posix_fallocate(fd, 0, (off_t)bytes);
  if (e == EOPNOTSUPP || e == EINVAL) {
    /* A file system without fallocate: grow with ftruncate, only if still smaller (a narrow
       race with another grower remains there, where tmpfs has none). */
    struct stat st;
    if (fstat(fd, &st) != 0) return mc__posix_fail("fstat", path);
    e = (uint64_t)st.st_size < bytes && sys.ftruncate(fd, (off_t)bytes) != 0 ? errno : 0;
  }
  if (e == 0) return MC_OK;
  errno = e;
  return mc__posix_fail("posix_fallocate", path);
}

static int create_new(int fd, int fresh, const char *path, const mc__map_req *rq,
                      mc__plat_map *m) {
  int rc = MC_OK;
  m->fd = fd;
  /* shm_open applied the umask; the caller asked for exactly rq->mode. (An empty file made
     by someone else keeps the mode its owner gave it.) */
  if (fresh && fchmod(fd, (mode_t)rq->mode) != 0) rc = mc__posix_fail("fchmod", path);
  /* Only the header now: the caller claims the object first and then commits the rest, so
     that a creator that stalls here and loses its object to a take-over never resizes it. */
  if (rc == MC_OK) rc = grow_to(fd, rq->probe, path);
  if (rc == MC_OK) {
    void *p = map_shared(rq->reserve, PROT_READ | PROT_WRITE, fd);
    if (p == MAP_FAILED)
      rc = mc__posix_fail("mmap", path);
    else {
      m->base = p;
      m->reserve = rq->reserve;
      m->committed = rq->probe;
    }
  }
  if (rc != MC_OK) {
    /* Nobody can have used an object that was never initialised: remove it again. A file
       is never removed: left empty, the next opener makes it a block. */
    if (!m->file) shm_unlink(path);
    return map_fail(m, rc);
  }
  return MC_OK;
}

static int open_existing(int fd, const char *path, const mc__map_req *rq, mc__plat_map *m) {
  struct stat st;
  m->fd = fd;
  if (fstat(fd, &st) != 0) return map_fail(m, mc__posix_fail("fstat", path));
  if (!rq->any_user && st.st_uid != sys.geteuid()) {
    mc__os_fail(EACCES, "owner check", path);
    return map_fail(m, MC_EACCES);
  }
  if (st.st_size > 0 && (uint64_t)st.st_size < rq->probe) {
    /* Our creators size a new object to at least a header in one step: this is not ours. */
    mc__os_fail(EINVAL, "size check", path);
    return map_fail(m, MC_ECORRUPT);
  }
  if (st.st_size == 0) {
    /* Its creator has not sized it yet. Growing it to the header size lets us map the
       header and wait for READY there; it never shrinks what the creator did. */
    int rc = grow_to(fd, rq->probe, path);
    if (rc != MC_OK) return map_fail(m, rc);
  }
  void *p = map_shared(rq->probe, PROT_READ | PROT_WRITE, fd);
  if (p == MAP_FAILED) return map_fail(m, mc__posix_fail("mmap", path));
  m->base = p;
  m->reserve = m->committed = rq->probe;
  return MC_OK;
}

/* ---- file-backed regions ---------------------------------------------------------------- */

/* Every holder of a file-backed region keeps a shared OFD lock on its first byte; an opener
   that gets it exclusive is alone (core/platform.h). OFD locks belong to the open file
   description, not the process: two opens in one process exclude each other as two
   processes do, closing one descriptor drops only its own lock, the kernel drops a dead
   process's, and none survives a reboot. Converting exclusive to shared is atomic. */
static int file_lock(int fd, short type) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  return fcntl(fd, F_OFD_SETLK, &fl);
}

/* Takes the exclusive lock (alone) or, failing that, the shared one, trying until the
   deadline: a process alone holds its lock exclusive only while it initialises or repairs. */
static int lock_file(mc__plat_map *m, uint64_t deadline) {
  for (;;) {
    if (file_lock(m->fd, F_WRLCK) == 0) {
      m->alone = m->exclusive = 1;
      return MC_OK;
    }
    if (errno != EAGAIN && errno != EACCES) return mc__posix_fail("fcntl(F_OFD_SETLK)", m->path);
    if (file_lock(m->fd, F_RDLCK) == 0) return MC_OK;
    if (errno != EAGAIN && errno != EACCES) return mc__posix_fail("fcntl(F_OFD_SETLK)", m->path);
    if (mc__deadline_passed(deadline)) return MC_ETIMEDOUT;
    mc__plat_yield(); /* an initialisation takes microseconds; the kernel offers no timed wait */
  }
}

enum { RETRY_FILE = 1 };

static int open_file_once(const mc__map_req *rq, mc__plat_map *m, int *created) {
  snprintf(m->path, sizeof m->path, "%s", rq->file);
  m->file = 1;
  int fresh = 0, fd = -1;
  if (rq->how != MC__MAP_OPEN_ONLY) {
    fd = open(rq->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (mode_t)rq->mode);
    fresh = fd >= 0;
    if (fd < 0 && errno != EEXIST) return mc__posix_fail("open", m->path);
  }
  if (fd < 0) fd = open(rq->file, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return MC_ENOENT;
    if (errno == EISDIR) return MC_EINVAL;
    return mc__posix_fail("open", m->path);
  }
  m->fd = fd;
  struct stat st;
  if (fstat(fd, &st) != 0) return map_fail(m, mc__posix_fail("fstat", m->path));
  if (!S_ISREG(st.st_mode)) {
    mc__os_fail(EINVAL, "not a regular file", m->path);
    return map_fail(m, MC_EINVAL);
  }
  if (!rq->any_user && st.st_uid != sys.geteuid()) {
    mc__os_fail(EACCES, "owner check", m->path);
    return map_fail(m, MC_EACCES);
  }
  int rc = lock_file(m, rq->deadline);
  if (rc != MC_OK) return map_fail(m, rc);
  if (fstat(fd, &st) != 0) return map_fail(m, mc__posix_fail("fstat", m->path));
  if (st.st_size == 0 && m->alone) {
    if (rq->how == MC__MAP_OPEN_ONLY) return map_fail(m, MC_ENOENT); /* no block in it yet */
    rc = create_new(fd, fresh, m->path, rq, m);
    if (rc == MC_OK) *created = 1;
    return rc;
  }
  /* Not alone and still empty: whoever was alone with it gave up (or died) before sizing it,
     and another opener holds it as we do. Let go and start again: one of us will be alone. */
  if (st.st_size == 0) {
    map_fail(m, MC_OK);
    return RETRY_FILE;
  }
  if ((uint64_t)st.st_size < rq->probe) {
    mc__os_fail(EINVAL, "size check", m->path);
    return map_fail(m, MC_ECORRUPT); /* not ours: left exactly as it is */
  }
  void *p = map_shared(rq->probe, PROT_READ | PROT_WRITE, fd);
  if (p == MAP_FAILED) return map_fail(m, mc__posix_fail("mmap", m->path));
  m->base = p;
  m->reserve = m->committed = rq->probe;
  return MC_OK;
}

static int open_file(const mc__map_req *rq, mc__plat_map *m, int *created) {
  for (;;) {
    int rc = open_file_once(rq, m, created);
    if (rc != RETRY_FILE) return rc;
    if (mc__deadline_passed(rq->deadline)) return MC_ETIMEDOUT;
    mc__plat_yield();
  }
}

int mc__plat_map_open(const mc__objname *n, const mc__map_req *rq, mc__plat_map *m, int *created,
                      int *abandoned) {
  memset(m, 0, sizeof *m);
  m->fd = -1;
  *created = *abandoned = 0;
  if (rq->file) return open_file(rq, m, created);
  int rc = mc__plat_os_name(n, "", m->path, sizeof m->path);
  if (rc != MC_OK) return rc;
  const char *path = m->path;
  for (;;) {
    if (rq->how != MC__MAP_OPEN_ONLY) {
      int fd = sys.shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)rq->mode);
      if (fd >= 0) {
        rc = create_new(fd, 1, path, rq, m);
        if (rc == MC_OK) *created = 1;
        return rc;
      }
      if (errno != EEXIST) return mc__posix_fail("shm_open", path);
      if (rq->how == MC__MAP_CREATE_ONLY) return MC_EEXIST;
    }
    int fd = sys.shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd >= 0) return open_existing(fd, path, rq, m);
    /* Removed between our two calls: create it after all, while time remains. */
    if (errno == ENOENT && rq->how == MC__MAP_EITHER && !mc__deadline_passed(rq->deadline))
      continue;
    if (errno == ENOENT) return MC_ENOENT;
    return mc__posix_fail("shm_open", path);
  }
}

int mc__plat_map_linked(mc__plat_map *m) {
  struct stat st;
  if (fstat(m->fd, &st) != 0) return 1; /* cannot tell; assume it still stands */
  return st.st_nlink > 0;
}

static int object_size(mc__plat_map *m, uint64_t *bytes) {
  struct stat st;
  if (fstat(m->fd, &st) != 0) return mc__posix_fail("fstat", m->path);
  *bytes = (uint64_t)st.st_size;
  return MC_OK;
}

int mc__plat_map_reserve(mc__plat_map *m, uint64_t reserve, uint64_t committed) {
  uint64_t have = 0;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  if (have < committed || committed > reserve) return MC_ECORRUPT;
  if (reserve != m->reserve) {
    void *p = map_shared(reserve, PROT_READ | PROT_WRITE, m->fd);
    if (p == MAP_FAILED) return mc__posix_fail("mmap", m->path);
    munmap(m->base, m->reserve);
    m->base = p;
    m->reserve = reserve;
  }
  m->committed = committed;
  return MC_OK;
}

int mc__plat_map_commit(mc__plat_map *m, uint64_t bytes) {
  if (bytes > m->reserve) return MC_ENOSPC;
  uint64_t have = 0;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  /* Callers serialise growth (region lock), so a larger size is never cut back here. */
  if (have < bytes && sys.ftruncate(m->fd, (off_t)bytes) != 0)
    return mc__posix_fail("ftruncate", m->path);
  if (bytes > m->committed) m->committed = bytes;
  return MC_OK;
}

void mc__plat_map_zero(mc__plat_map *m, uint64_t offset, uint64_t len) {
  if (offset >= m->committed) return;
  len = MC__MIN(len, m->committed - offset);
  const uint64_t page = 4096;
  uint64_t first = (offset + page - 1) & ~(page - 1), last = (offset + len) & ~(page - 1);
  if (first >= last) { /* no whole page inside */
    memset(m->base + offset, 0, (size_t)len);
    return;
  }
#ifdef FALLOC_FL_PUNCH_HOLE
  if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)first,
                (off_t)(last - first)) == 0) {
    memset(m->base + offset, 0, (size_t)(first - offset));
    memset(m->base + last, 0, (size_t)(offset + len - last));
    return;
  }
#endif
  memset(m->base + offset, 0, (size_t)len); /* a file system that cannot punch holes */
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22 /* Linux 5.14; older headers lack the names */
#define MADV_POPULATE_WRITE 23
#endif

void mc__plat_map_prefault(mc__plat_map *m, uint64_t offset, uint64_t len, int write) {
  if (offset >= m->committed) return;
  len = MC__MIN(len, m->committed - offset);
  unsigned char *p = m->base + offset;
  if (madvise(p, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0) return;
  /* An older kernel: touch each page (a read maps it; a write, by its only user, allocates). */
  for (uint64_t i = 0; i < len; i += 4096) {
    volatile unsigned char *b = p + i;
    unsigned char v = *b;
    if (write) *b = v;
  }
}

int mc__plat_map_intact(mc__plat_map *m) {
  uint64_t have = 0;
  int rc = object_size(m, &have);
  if (rc != MC_OK) return rc;
  if (have >= m->committed) return MC_OK;
  mc__debug("mapping cut short: %llu bytes of %llu", (unsigned long long)have,
            (unsigned long long)m->committed);
  return MC_ECORRUPT;
}

int mc__plat_map_peek(const mc__objname *n, mc__plat_map *m) {
  memset(m, 0, sizeof *m);
  m->fd = -1;
  int rc = mc__plat_os_name(n, "", m->path, sizeof m->path);
  if (rc != MC_OK) return rc;
  int fd = sys.shm_open(m->path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == ENOENT) return MC_ENOENT;
    return mc__posix_fail("shm_open", m->path);
  }
  m->fd = fd;
  struct stat st;
  if (fstat(fd, &st) != 0) return map_fail(m, mc__posix_fail("fstat", m->path));
  /* Whole pages only: the bytes past the last one are nothing a header would use. */
  uint64_t bytes = (uint64_t)st.st_size & ~(uint64_t)4095;
  if (bytes == 0) return MC_OK; /* nothing to read: the caller finds it too small */
  void *p = map_shared(bytes, PROT_READ, fd);
  if (p == MAP_FAILED) return map_fail(m, mc__posix_fail("mmap", m->path));
  m->base = p;
  m->reserve = m->committed = bytes;
  return MC_OK;
}

int mc__plat_map_peek_more(mc__plat_map *m, uint64_t bytes) {
  return bytes <= m->committed ? MC_OK : MC_ECORRUPT; /* all of it was mapped at once */
}

void mc__plat_map_init_done(mc__plat_map *m) {
  /* Shared-memory openers wait on the header's READY state instead. */
  if (!m->exclusive || m->fd < 0) return;
  if (file_lock(m->fd, F_RDLCK) != 0) mc__posix_fail("fcntl(F_OFD_SETLK)", m->path);
  m->exclusive = 0;
}

int mc__plat_map_flush(mc__plat_map *m) {
  if (!m->file || !m->base) return MC_OK;
  /* msync writes the pages; fsync the file's size and metadata, and the device's cache. */
  if (sys.msync(m->base, (size_t)m->committed, MS_SYNC) != 0)
    return mc__posix_fail("msync", m->path);
  if (fsync(m->fd) != 0) return mc__posix_fail("fsync", m->path);
  return MC_OK;
}

void mc__plat_map_close(mc__plat_map *m) {
  if (m->base) munmap(m->base, m->reserve);
  if (m->fd >= 0) close(m->fd); /* and with it a file's OFD lock */
  m->base = NULL;
  m->fd = -1;
  m->exclusive = 0;
  m->reserve = m->committed = 0;
}

int mc__plat_map_unlink(const mc__objname *n) {
  char path[MC__OS_NAME_MAX];
  int rc = mc__plat_os_name(n, "", path, sizeof path);
  if (rc != MC_OK) return rc;
  if (shm_unlink(path) == 0) return MC_OK;
  if (errno == ENOENT) return MC_ENOENT;
  return mc__posix_fail("shm_unlink", path);
}

int mc__plat_os_name(const mc__objname *n, const char *suffix, char *buf, size_t cap) {
  int len = snprintf(buf, cap, "/%s%s", n->base, suffix ? suffix : "");
  return len < 0 || (size_t)len >= cap ? MC_EINVAL : MC_OK;
}

int mc__plat_names_outlive_handles(void) {
  return 1;
}
