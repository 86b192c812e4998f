/* examples/waiting/merge: a stage with several inputs. It starts one producer process per
 * input (this same program, "--produce ..."), then takes whatever any input has, as it
 * comes, sleeping while none has anything: through a waitset (the default, Linux and
 * Windows) or, with --poll, through poll(2) on the channels' OS handles (Linux). Every
 * record of every input must arrive, in its input's order. */
#include "inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <poll.h>
#endif

static int usage(FILE *f, int code) {
  fprintf(f,
          "usage: merge [--poll] [--inputs N] [--records M] [--name PREFIX]\n"
          "  N producers (default 2, at most %d) each send M records (default 100000) on\n"
          "  channels PREFIX-0.. (default \"merge\"); this process merges them through a\n"
          "  waitset, or with --poll through poll(2) on the channels' OS handles (POSIX).\n"
          "exit status: 0 every record arrived in order; 1 bad arguments; 3 a record was\n"
          "missing or wrong.\n",
          IN_MAX);
  return code;
}

static int merge_waitset(inputs *in, uint64_t *sleeps) {
  mc_waitset *ws;
  if (mc_waitset_create(&ws) != MC_OK) return -1;
  for (int i = 0; i < in->n; i++)
    if (mc_waitset_add_chan(ws, in->ch[i], &in->next[i]) != MC_OK) return -1;
  while (in->open > 0) {
    void *ready[IN_MAX];
    int n, rc = mc_waitset_wait(ws, ready, IN_MAX, &n, 30000);
    if (rc != MC_OK) {
      fprintf(stderr, "waitset: %s\n", mc_err_name(rc));
      return -1;
    }
    (*sleeps)++;
    for (int k = 0; k < n; k++) {
      int i = (int)((uint64_t *)ready[k] - in->next);
      int r = in_drain(in, i);
      if (r < 0) return -1;
      if (r == 1) mc_waitset_remove(ws, ready[k]); /* that input has ended */
    }
  }
  mc_waitset_free(ws);
  return 0;
}

static int merge_poll(inputs *in, uint64_t *sleeps) {
#ifdef _WIN32
  (void)in;
  (void)sleeps;
  fprintf(stderr, "merge: --poll is for POSIX; use the waitset (or WaitForMultipleObjects)\n");
  return -1;
#else
  struct pollfd p[IN_MAX];
  int done[IN_MAX] = {0};
  for (int i = 0; i < in->n; i++) {
    mc_os_handle h;
    if (mc_chan_os_handle(in->ch[i], &h) != MC_OK) return -1;
    p[i] = (struct pollfd){.fd = (int)h, .events = POLLIN};
  }
  while (in->open > 0) {
    for (int i = 0; i < in->n; i++)
      if (done[i]) p[i].fd = -1; /* an ended input: poll passes over it */
    if (poll(p, (nfds_t)in->n, 30000) <= 0) {
      fprintf(stderr, "poll: nothing for 30 s\n");
      return -1;
    }
    (*sleeps)++;
    for (int i = 0; i < in->n; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      /* Readable: take what there is; the call that finds nothing arms the handle again. */
      int r = in_drain(in, i);
      if (r < 0) return -1;
      done[i] = r == 1;
    }
  }
  return 0;
#endif
}

int main(int argc, char **argv) {
  int produced = in_produce_if_asked(argc, argv);
  if (produced >= 0) return produced;
  int use_poll = 0, n = 2;
  uint64_t records = 100000;
  const char *prefix = "merge";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--poll") == 0)
      use_poll = 1;
    else if (strcmp(argv[i], "--inputs") == 0 && i + 1 < argc)
      n = atoi(argv[++i]);
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      records = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      prefix = argv[++i];
    else if (strcmp(argv[i], "--help") == 0)
      return usage(stdout, 0);
    else
      return usage(stderr, 1);
  }
  if (n < 1 || n > IN_MAX) return usage(stderr, 1);
  inputs in;
  if (in_start(&in, prefix, n, records) != 0) return 1;
  uint64_t sleeps = 0;
  int rc = use_poll ? merge_poll(&in, &sleeps) : merge_waitset(&in, &sleeps);
  int bad = in_finish(&in);
  if (rc != 0 || bad) return 3;
  printf("merged %d inputs x %llu records through %s, %llu waits\n", n, (unsigned long long)records,
         use_poll ? "poll(2)" : "a waitset", (unsigned long long)sleeps);
  return 0;
}
