// Boost.Interprocess message_queue behind the C calls of boost_mq.h. Exceptions stop here:
// each becomes -1 (or NULL) and its what() in why.
#include "boost_mq.h"

#include <cstdio>
#include <new>

#include <boost/interprocess/ipc/message_queue.hpp>

namespace bi = boost::interprocess;

struct mb_bq {
  bi::message_queue mq;
  mb_bq(bi::create_only_t, const char *name, size_t count, size_t max_size)
      : mq(bi::create_only, name, count, max_size) {}
  mb_bq(bi::open_only_t, const char *name) : mq(bi::open_only, name) {}
};

static void say(char *why, size_t cap, const char *what, const std::exception &e) {
  std::snprintf(why, cap, "boost message_queue %s: %s", what, e.what());
}

extern "C" mb_bq *mb_bq_create(const char *name, size_t count, size_t max_size, char *why,
                               size_t cap) {
  try {
    bi::message_queue::remove(name);
    return new mb_bq(bi::create_only, name, count, max_size);
  } catch (const std::exception &e) {
    say(why, cap, "create", e);
    return nullptr;
  }
}

extern "C" mb_bq *mb_bq_open(const char *name, char *why, size_t cap) {
  try {
    return new mb_bq(bi::open_only, name);
  } catch (const std::exception &e) {
    say(why, cap, "open", e);
    return nullptr;
  }
}

extern "C" int mb_bq_send(mb_bq *q, const void *buf, size_t len, char *why, size_t cap) {
  try {
    q->mq.send(buf, len, 0);
    return 0;
  } catch (const std::exception &e) {
    say(why, cap, "send", e);
    return -1;
  }
}

extern "C" int mb_bq_recv(mb_bq *q, void *buf, size_t cap_buf, size_t *len, char *why,
                          size_t cap) {
  try {
    bi::message_queue::size_type got = 0;
    unsigned prio = 0;
    q->mq.receive(buf, cap_buf, got, prio);
    *len = got;
    return 0;
  } catch (const std::exception &e) {
    say(why, cap, "receive", e);
    return -1;
  }
}

extern "C" void mb_bq_close(mb_bq *q) {
  delete q;
}

extern "C" void mb_bq_remove(const char *name) {
  bi::message_queue::remove(name);
}
