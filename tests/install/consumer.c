/* Uses an installed memchan: a block and a channel in one process, then prints "ok". */
#include <memchan.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  mc_shm *shm;
  mc_chan *rx, *tx;
  mc_shm_options o = {.size = 4096};
  char buf[16];
  size_t n;
  int rc = mc_shm_open(NULL, &o, &shm);
  if (rc == MC_OK) {
    rc = mc_shm_acquire(shm, MC_WRITE, 1000, NULL);
    if (rc == MC_OK) rc = mc_shm_set_string(shm, "ok", 2);
    mc_shm_release(shm);
    mc_shm_close(shm);
  }
  if (rc == MC_OK) rc = mc_chan_create(NULL, NULL, MC_CHAN_RECV, &rx);
  if (rc == MC_OK) {
    rc = mc_chan_open(mc_chan_name(rx), MC_CHAN_SEND, 1000, &tx);
    if (rc == MC_OK) {
      rc = mc_chan_send(tx, "ok", 2, 1000);
      if (rc == MC_OK) rc = mc_chan_recv(rx, buf, sizeof buf, &n, 1000);
      mc_chan_close(tx);
    }
    mc_chan_close(rx);
  }
  if (rc != MC_OK || n != 2 || memcmp(buf, "ok", 2) != 0) {
    fprintf(stderr, "consumer: %s\n", mc_strerror(rc));
    return 1;
  }
  printf("ok (memchan %s)\n", mc_version());
  return 0;
}
