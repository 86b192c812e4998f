/* examples/waiting/uv_watch: a channel in a libuv event loop, beside a timer. A producer
 * process streams records; the loop watches the receiving end's OS handle with uv_poll and
 * takes what there is whenever it is readable (the call that finds nothing arms the handle
 * again), while a timer reports progress. The loop ends with the stream. */
#define _POSIX_C_SOURCE 200809L /* uv.h needs the POSIX types */
#include "inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef struct watch {
  inputs in;
  uv_poll_t poll;
  uv_timer_t timer;
  int failed;
  unsigned ticks;
} watch;

static void on_readable(uv_poll_t *h, int status, int events) {
  watch *w = h->data;
  (void)events;
  int r = status < 0 ? -1 : in_drain(&w->in, 0);
  if (r == 0) return;
  w->failed = r < 0;
  uv_poll_stop(&w->poll); /* its stream ended (or went wrong): the loop can finish */
  uv_timer_stop(&w->timer);
}

static void on_tick(uv_timer_t *t) {
  watch *w = t->data;
  w->ticks++;
  printf("  %llu records so far\n", (unsigned long long)w->in.next[0]);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int produced = in_produce_if_asked(argc, argv);
  if (produced >= 0) return produced;
  uint64_t records = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
  watch w = {0};
  if (in_start(&w.in, "uvwatch", 1, records) != 0) return 1;
  mc_os_handle fd;
  if (mc_chan_os_handle(w.in.ch[0], &fd) != MC_OK) return 1;
  uv_loop_t *loop = uv_default_loop();
  uv_poll_init(loop, &w.poll, (int)fd);
  uv_timer_init(loop, &w.timer);
  w.poll.data = w.timer.data = &w;
  uv_poll_start(&w.poll, UV_READABLE, on_readable);
  uv_timer_start(&w.timer, on_tick, 20, 20);
  uv_run(loop, UV_RUN_DEFAULT);
  int bad = in_finish(&w.in);
  if (w.failed || bad) return 3;
  printf("received %llu records in a libuv loop, %u timer ticks beside them\n",
         (unsigned long long)w.in.next[0], w.ticks);
  return 0;
}
