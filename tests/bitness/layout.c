/* tests/bitness/layout: the shared structures' offsets as docs/layout.md gives them, checked
 * by the compiler of every build of the bitness peer (64-bit, gcc -m32, i686 and x86_64
 * mingw-w64). The sizes alone (asserted beside each structure) would not catch a field that
 * moves inside one: a 32-bit ABI that aligns uint64_t to 4 (i386 System V; not i686 Windows,
 * which aligns it to 8) lays out a plain uint64_t after an odd number of uint32_t fields 4
 * bytes earlier than x86_64 does, and the padding after it can keep the total the same. Nothing
 * runs: a build that compiles agrees with the format, including where its programs cannot
 * be run (Win32 i686 without Wine's 32-bit loader). */
#include <stddef.h>

#include "layout.h" /* channel/: the channel structures, and region.h, tlock.h under them */
#include "swmr.h"

#define AT(type, field, offset)                                                                    \
  _Static_assert(offsetof(type, field) == (offset), #type "." #field " at " #offset)

/* A 64-bit atomic in shared memory is 8-aligned in every width: an 8-byte load of a 4-aligned
   one that straddles a cache line is not atomic on x86 (and a locked instruction on it takes
   a bus lock). */
_Static_assert(_Alignof(_Atomic uint64_t) == 8, "64-bit atomics aligned to 8");
_Static_assert(_Alignof(mc__region_hdr) == 8 && _Alignof(mc__chan_ctl) == 8, "8-aligned");

/* The fixed header (docs/layout.md, "Fixed header"). */
AT(mc__region_hdr, guard1, 0);
AT(mc__region_hdr, version, 8);
AT(mc__region_hdr, kind, 12);
AT(mc__region_hdr, state, 16);
AT(mc__region_hdr, flags, 24);
AT(mc__region_hdr, attach_slots, 28);
AT(mc__region_hdr, header_bytes, 32);
AT(mc__region_hdr, size, 40);
AT(mc__region_hdr, max_size, 48);
AT(mc__region_hdr, reserve, 56);
AT(mc__region_hdr, committed, 64);
AT(mc__region_hdr, change_count, 72);
AT(mc__region_hdr, init_owner, 80);
AT(mc__region_hdr, creator, 88);
AT(mc__region_hdr, params, 96);
AT(mc__region_hdr, untracked, 128);
AT(mc__region_hdr, generation, 136);
AT(mc__region_hdr, created_ms, 144);
AT(mc__region_hdr, file_name, 152);
AT(mc__region_hdr, guard2, 248);
AT(mc__region_hdr, lock, 256);
AT(mc__region_hdr, attach, 512);
AT(mc__region_hdr, state_area, 1536);
AT(mc__futex_word, waiters, 4);

/* Token lock. */
AT(mc__tlock_shared, owner, 0);
AT(mc__tlock_shared, holder, 8);
AT(mc__tlock_shared, wake, 16);
AT(mc__tlock_shared, takeovers, 24);

/* SWMR guard. */
AT(mc__swmr_shared, lock, 0);
AT(mc__swmr_shared, seq, 64);
AT(mc__swmr_shared, owner_died, 72);
AT(mc__swmr_shared, writer, 80);
AT(mc__swmr_shared, reclaimed, 88);
AT(mc__swmr_shared, waiting_writers, 96);
AT(mc__swmr_shared, readers, 224);

/* Channels: records, peers, fan-out receivers, counter lines and the control block. */
AT(mc__rec_hdr, stamp, 0);
AT(mc__rec_hdr, len, 8);
AT(mc__rec_hdr, tag, 12);
_Static_assert(sizeof(mc__chan_peer) == 16, "peer record layout");
AT(mc__chan_peer, token, 0);
AT(mc__chan_peer, state, 8);
AT(mc__chan_peer, notifier, 12);
AT(mc__chan_rx, peer, 0);
AT(mc__chan_rx, cursor, 16);
AT(mc__chan_rx, dropped, 24);
AT(mc__chan_ctr, token, 0);
AT(mc__chan_ctr, messages, 8);
AT(mc__chan_ctr, bytes, 16);
AT(mc__chan_ctr, waits, 24);
AT(mc__chan_ctr, wakeups, 32);
AT(mc__chan_ctl, capacity, 0);
AT(mc__chan_ctl, max_msg, 8);
AT(mc__chan_ctl, flags, 12);
AT(mc__chan_ctl, spin_us, 16);
AT(mc__chan_ctl, head, 64);
AT(mc__chan_ctl, writing, 72);
AT(mc__chan_ctl, tail, 128);
AT(mc__chan_ctl, recv_lock, 136);
AT(mc__chan_ctl, data, 192);
AT(mc__chan_ctl, recv_waiting, 200);
AT(mc__chan_ctl, recv_cpu, 208);
AT(mc__chan_ctl, recv_busy, 212);
AT(mc__chan_ctl, recv_notify, 216);
AT(mc__chan_ctl, space, 256);
AT(mc__chan_ctl, send_waiting, 264);
AT(mc__chan_ctl, send_cpu, 272);
AT(mc__chan_ctl, send_busy, 276);
AT(mc__chan_ctl, send_notify, 280);
AT(mc__chan_ctl, send_want, 288);
AT(mc__chan_ctl, receiver, 320);
AT(mc__chan_ctl, senders_closed, 336);
AT(mc__chan_ctl, senders_died, 344);
AT(mc__chan_ctl, abandoned, 352);
AT(mc__chan_ctl, aborted, 360);
AT(mc__chan_ctl, abort_code, 364);
AT(mc__chan_ctl, send_lock, 384);
AT(mc__chan_ctl, reg_lock, 416);
AT(mc__chan_ctl, slot_state, 448);
AT(mc__chan_ctl, slot_len, 456);
AT(mc__chan_ctl, slot_writing, 460);
AT(mc__chan_ctl, slot_lock, 464);
AT(mc__chan_ctl, senders, 512);
AT(mc__chan_ctl, rx, 1536);
