/* Names, labels, the error of the last failure, the touch rule and the transport table. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const mb_pattern_names[MB_NPATTERNS] = {"pingpong", "stream", "stress", "fanout",
                                                    "share"};
const char *const mb_cpus_names[MB_NCPUS] = {"different", "same", "none"};
const char *const mb_mode_names[MB_NMODES] = {"spin", "block", "hybrid", "poll", "timed"};
const char *const mb_path_names[MB_NPATHS] = {"copy", "zc"};
const char *const mb_kind_names[MB_NKINDS] = {"ring", "slot", "bcast", "bcast-drop", "share"};

static char last_error[512];

int mb_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return -1;
}

const char *mb_last_error(void) {
  return last_error[0] ? last_error : "unknown error";
}

int mb_name_index(const char *const *names, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}

void mb_variant_label(const mb_case *c, char *buf, size_t cap) {
  if (strncmp(c->tr->name, "memchan", 7) == 0)
    snprintf(buf, cap, "%s %s", mb_mode_names[c->mode], mb_path_names[c->path]);
  else
    snprintf(buf, cap, "-");
}

uint64_t mb_ring_bytes(size_t size) {
  uint64_t cap = 1u << 20;
  while (cap < 4 * (uint64_t)(size + 8)) cap <<= 1;
  return cap;
}

uint64_t mb_touch(const unsigned char *msg, size_t len) {
  uint64_t acc = 0, w;
  size_t i;
  if (len < 8) {
    for (i = 0; i < len; i++) acc += msg[i];
    return acc;
  }
  for (i = 0; i + 8 <= len; i += 64) {
    memcpy(&w, msg + i, 8);
    acc ^= w;
  }
  memcpy(&w, msg + len - 8, 8);
  return acc ^ w;
}

/* ---- the transport table ---- */

extern const mb_transport mb_tr_memchan_ring, mb_tr_memchan_slot, mb_tr_memchan_bcast,
    mb_tr_memchan_bcast_drop, mb_tr_memchan_share;
extern const mb_transport mb_floor_cacheline, mb_floor_memcpy, mb_floor_ring;
#ifndef _WIN32
extern const mb_transport mb_floor_futex;
extern const mb_transport mb_tr_pipe, mb_tr_unix, mb_tr_eventfd, mb_tr_mq;
#endif
#ifdef MB_HAVE_ZMQ
extern const mb_transport mb_tr_zmq;
#endif
#ifdef MB_HAVE_NNG
extern const mb_transport mb_tr_nng;
#endif
#ifdef MB_HAVE_IOX
extern const mb_transport mb_tr_iox, mb_tr_iox_ws;
#endif
#ifdef MB_HAVE_BOOST
extern const mb_transport mb_tr_boost;
#endif

const mb_transport *const mb_transports[] = {&mb_floor_cacheline,
#ifndef _WIN32
                                             &mb_floor_futex,
#endif
                                             &mb_floor_memcpy,
                                             &mb_floor_ring,
                                             &mb_tr_memchan_ring,
                                             &mb_tr_memchan_slot,
                                             &mb_tr_memchan_bcast,
                                             &mb_tr_memchan_bcast_drop,
                                             &mb_tr_memchan_share,
#ifndef _WIN32
                                             &mb_tr_pipe,
                                             &mb_tr_unix,
                                             &mb_tr_eventfd,
                                             &mb_tr_mq,
#endif
#ifdef MB_HAVE_ZMQ
                                             &mb_tr_zmq,
#endif
#ifdef MB_HAVE_NNG
                                             &mb_tr_nng,
#endif
#ifdef MB_HAVE_IOX
                                             &mb_tr_iox,
                                             &mb_tr_iox_ws,
#endif
#ifdef MB_HAVE_BOOST
                                             &mb_tr_boost,
#endif
                                             NULL};

const char *const mb_not_built[][2] = {
#ifdef _WIN32
    {"floor-futex", "Linux futex only (not in the Win32 build)"},
    {"pipe", "POSIX only (not in the Win32 build)"},
    {"unix", "POSIX only (not in the Win32 build)"},
    {"eventfd", "Linux only (not in the Win32 build)"},
    {"mq", "POSIX only (not in the Win32 build)"},
#endif
#if defined(_WIN32)
    {"zmq", "ipc:// baseline, not in the Win32 build"},
    {"nng", "ipc:// baseline, not in the Win32 build"},
    {"iceoryx", "Linux only (not in the Win32 build)"},
    {"iceoryx-ws", "Linux only (not in the Win32 build)"},
    {"boost", "POSIX build only (not in the Win32 build)"},
#else
#ifndef MB_HAVE_ZMQ
    {"zmq", "not built in (libzmq not found by pkg-config at configure time)"},
#endif
#ifndef MB_HAVE_NNG
    {"nng", "not built in (nng not found at configure time)"},
#endif
#ifndef MB_HAVE_IOX
    {"iceoryx", "not built in (iceoryx_binding_c not found at configure time)"},
    {"iceoryx-ws", "not built in (iceoryx_binding_c not found at configure time)"},
#endif
#ifndef MB_HAVE_BOOST
    {"boost", "not built in (no C++ compiler or no boost/interprocess at configure time)"},
#endif
#endif
    {NULL, NULL}};

const mb_transport *mb_transport_find(const char *name) {
  for (int i = 0; mb_transports[i]; i++)
    if (strcmp(mb_transports[i]->name, name) == 0) return mb_transports[i];
  return NULL;
}
