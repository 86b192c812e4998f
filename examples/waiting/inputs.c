/* examples/waiting: producers and the merged stream's check (inputs.h). */
#include "inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int in_produce_if_asked(int argc, char **argv) {
  if (argc != 5 || strcmp(argv[1], "--produce") != 0) return -1;
  mc_chan *ch;
  int rc = mc_chan_open(argv[2], MC_CHAN_SEND, 10000, &ch);
  if (rc != MC_OK) {
    fprintf(stderr, "producer: open %s: %s\n", argv[2], mc_err_name(rc));
    return 1;
  }
  in_record r = {(uint32_t)atoi(argv[3]), 0, 0};
  uint64_t count = strtoull(argv[4], NULL, 10);
  for (r.seq = 0; r.seq < count && rc == MC_OK; r.seq++)
    rc = mc_chan_send(ch, &r, sizeof r, MC_INFINITE);
  if (rc != MC_OK) fprintf(stderr, "producer %u: send: %s\n", (unsigned)r.input, mc_err_name(rc));
  mc_chan_close(ch); /* the end of its stream */
  return rc == MC_OK ? 0 : 1;
}

int in_start(inputs *in, const char *prefix, int n, uint64_t count) {
  char self[1024], input[16], cnt[32];
  memset(in, 0, sizeof *in);
  in->n = in->open = n;
  in->count = count;
  if (n > IN_MAX || mc_self_path(self, sizeof self) != MC_OK) return -1;
  mc_chan_options o = {.max_msg = sizeof(in_record), .capacity = 4096};
  for (int i = 0; i < n; i++) {
    snprintf(in->names[i], sizeof in->names[i], "%s-%d", prefix, i);
    int rc = mc_chan_create(in->names[i], &o, MC_CHAN_RECV, &in->ch[i]);
    if (rc != MC_OK) {
      fprintf(stderr, "create %s: %s\n", in->names[i], mc_err_name(rc));
      return -1;
    }
    snprintf(input, sizeof input, "%d", i);
    snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)count);
    const char *argv[] = {self, "--produce", in->names[i], input, cnt, NULL};
    if ((rc = mc_proc_spawn(argv, &in->proc[i])) != MC_OK) {
      fprintf(stderr, "start producer %d: %s\n", i, mc_err_name(rc));
      return -1;
    }
  }
  return 0;
}

int in_drain(inputs *in, int i) {
  in_record r;
  size_t len;
  int rc;
  while ((rc = mc_chan_recv(in->ch[i], &r, sizeof r, &len, 0)) == MC_OK) {
    if (len != sizeof r || r.input != (uint32_t)i || r.seq != in->next[i]) {
      fprintf(stderr, "input %d: record %llu is wrong\n", i, (unsigned long long)in->next[i]);
      return -1;
    }
    in->next[i]++;
  }
  if (rc == MC_ETIMEDOUT) return 0; /* nothing more for now */
  if (rc == MC_ECLOSED && in->next[i] == in->count) {
    in->open--;
    return 1;
  }
  fprintf(stderr, "input %d ended with %s after %llu records\n", i, mc_err_name(rc),
          (unsigned long long)in->next[i]);
  return -1;
}

int in_finish(inputs *in) {
  int bad = 0;
  for (int i = 0; i < in->n; i++) {
    int code = -1;
    if (in->proc[i] && (mc_proc_wait(in->proc[i], 10000, &code) != MC_OK || code != 0)) bad = 1;
    if (in->proc[i]) mc_proc_free(in->proc[i]);
    mc_chan_close(in->ch[i]);
  }
  return bad;
}
