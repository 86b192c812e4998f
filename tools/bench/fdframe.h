/* Message framing over a byte stream (pipe, stream socket): a 4-byte length, then the
 * payload. The reader reads in large batches (as much as the kernel has, up to its buffer)
 * and hands out messages in place, so a stream of small messages costs few reads. POSIX. */
#ifndef MB_FDFRAME_H
#define MB_FDFRAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct mb_frame_reader {
  int fd;
  unsigned char *buf;
  size_t cap, start, end; /* unread bytes are buf[start, end) */
  size_t taken;           /* size of the frame handed out by the last next() */
} mb_frame_reader;

int mb_frame_reader_init(mb_frame_reader *r, int fd, size_t max_msg);
void mb_frame_reader_free(mb_frame_reader *r);
/* The next message, in place until the next call. 0 or -1 (mb_fail set; EOF is an error). */
int mb_frame_next(mb_frame_reader *r, const unsigned char **msg, size_t *len);
/* Writes one framed message with a single writev (atomic up to PIPE_BUF on a pipe). */
int mb_frame_write(int fd, const unsigned char *msg, size_t len);

/* fd helpers: close-on-exec on or off; 0 or -1. */
int mb_fd_cloexec(int fd, int on);
/* Parses "a b ..." into up to n ints; returns how many. */
int mb_parse_ints(const char *s, int *v, int n);

#endif
