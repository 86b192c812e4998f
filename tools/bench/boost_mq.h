/* A C face on Boost.Interprocess's message_queue (boost_mq.cpp), for tr_boost.c: the bench
 * is C, and its headers are not C++. Every call returns 0 or -1 with a reason in why. */
#ifndef MB_BOOST_MQ_H
#define MB_BOOST_MQ_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_bq mb_bq;

/* create: a new queue of `count` messages of up to `max_size` bytes (an old one of the name
   is removed first); open: an existing one. */
mb_bq *mb_bq_create(const char *name, size_t count, size_t max_size, char *why, size_t cap);
mb_bq *mb_bq_open(const char *name, char *why, size_t cap);
int mb_bq_send(mb_bq *q, const void *buf, size_t len, char *why, size_t cap);
/* Blocks until a message arrives; *len its length. */
int mb_bq_recv(mb_bq *q, void *buf, size_t cap_buf, size_t *len, char *why, size_t cap);
void mb_bq_close(mb_bq *q);
void mb_bq_remove(const char *name);

#ifdef __cplusplus
}
#endif

#endif
