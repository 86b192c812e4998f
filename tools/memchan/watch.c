/* `memchan watch NAME`: an object's counters as rates, refreshed in place like top(1), or as
 * plain blocks (--plain) or JSON lines (--json) for scripts. It only reads (mc_inspect), so
 * watching never slows a channel down. */
#include "memchan_cli.h"

#include <stdlib.h>
#include <string.h>

/* Per second, from two samples `ms` apart. */
static double rate(uint64_t now, uint64_t before, long long ms) {
  return now >= before && ms > 0 ? (double)(now - before) * 1000.0 / (double)ms : 0.0;
}

/* The previous sample's entry for the same end (same role, place and process), or NULL. */
static const mc_end_info *same_end(const mc_chan_info *prev, const mc_end_info *e) {
  for (int k = 0; prev && k < prev->nends; k++) {
    const mc_end_info *p = &prev->ends[k];
    if (p->role == e->role && p->index == e->index && p->pid == e->pid && p->counted) return p;
  }
  return NULL;
}

typedef struct totals {
  double msgs, bytes, waits, wakeups;
} totals;

static void end_rates(const mc_end_info *e, const mc_end_info *p, long long ms, totals *t) {
  t->msgs = p ? rate(e->messages, p->messages, ms) : 0;
  t->bytes = p ? rate(e->bytes, p->bytes, ms) : 0;
  t->waits = p ? rate(e->waits, p->waits, ms) : 0;
  t->wakeups = p ? rate(e->wakeups, p->wakeups, ms) : 0;
}

static void show_text(FILE *f, const mc_obj_info *i, const mc_obj_info *prev, long long ms, int n) {
  char age[32];
  cli_age_text(cli_age_s(i), age, sizeof age);
  fprintf(f, "memchan watch %s  (refresh %d, every %lld ms)\n", i->name, n, ms);
  fprintf(f, "kind %s, %s, %d of %d holders alive, age %s\n",
          i->kind == MC_OBJ_RING || i->kind == MC_OBJ_SLOT ? cli_chan_kind(&i->chan)
                                                           : cli_kind_name(i->kind),
          cli_state_name(i), i->live_holders, i->nholders, age);
  if (i->kind != MC_OBJ_RING && i->kind != MC_OBJ_SLOT) {
    if (i->kind == MC_OBJ_BLOCK) fprintf(f, "changes %llu\n", (unsigned long long)i->change_count);
    return;
  }
  const mc_chan_info *ci = &i->chan;
  if (ci->kind == MC_CHAN_RING)
    fprintf(f, "fill %llu of %llu bytes (%.1f%%)\n", (unsigned long long)ci->used,
            (unsigned long long)ci->capacity, 100.0 * (double)ci->used / (double)ci->capacity);
  else
    fprintf(f, "slot %s\n", ci->slot_full ? "full" : "empty");
  fprintf(f, "  %-4s %3s %8s %-6s %12s %12s %10s %10s %12s\n", "ROLE", "#", "PID", "STATE",
          "MSGS/S", "BYTES/S", "WAITS/S", "WAKEUPS/S", "MESSAGES");
  for (int k = 0; k < ci->nends; k++) {
    const mc_end_info *e = &ci->ends[k];
    totals t;
    end_rates(e, prev ? same_end(&prev->chan, e) : NULL, ms, &t);
    fprintf(f, "  %-4s %3d %8u %-6s %12.0f %12.0f %10.0f %10.0f %12llu\n",
            e->role == MC_CHAN_SEND ? "send" : "recv", e->index, e->pid,
            e->alive ? cli_end_state(e->state) : "dead", t.msgs, t.bytes, t.waits, t.wakeups,
            (unsigned long long)e->messages);
  }
}

static void show_json(FILE *f, const mc_obj_info *i, const mc_obj_info *prev, long long ms, int n) {
  fprintf(f, "{\"refresh\":%d,\"interval_ms\":%lld,\"object\":", n, ms);
  cli_json_obj(f, i, MC_OK);
  fputs(",\"rates\":[", f);
  for (int k = 0; k < i->chan.nends; k++) {
    const mc_end_info *e = &i->chan.ends[k];
    totals t;
    end_rates(e, prev ? same_end(&prev->chan, e) : NULL, ms, &t);
    fprintf(f,
            "%s{\"role\":\"%s\",\"index\":%d,\"pid\":%u,\"messages_per_s\":%.1f,"
            "\"bytes_per_s\":%.1f,\"waits_per_s\":%.1f,\"wakeups_per_s\":%.1f}",
            k ? "," : "", e->role == MC_CHAN_SEND ? "send" : "recv", e->index, e->pid, t.msgs,
            t.bytes, t.waits, t.wakeups);
  }
  fputs("]}\n", f);
}

int cli_watch(cli *c, const char *name) {
  mc_obj_info *cur = malloc(sizeof *cur), *prev = malloc(sizeof *prev);
  if (!cur || !prev) {
    free(cur);
    free(prev);
    return EXIT_FAILED;
  }
  int code = EXIT_DONE, have_prev = 0;
  /* In place only on a terminal, and not when asked for plain or JSON output. */
  int in_place = !c->plain && !c->json && cli_isatty(c->out);
  long long last = 0;
  for (int n = 1; c->count == 0 || n <= c->count; n++) {
    if (n > 1) cli_sleep_ms(c->interval_ms);
    int rc = mc_inspect(name, cur);
    long long now = cli_now_ms();
    if (rc != MC_OK) {
      fprintf(stderr, "memchan watch: %s: %s\n", name, mc_strerror(rc));
      code = cli_exit_code(rc);
      break;
    }
    long long ms = have_prev ? now - last : 0;
    if (in_place) fputs("\033[H\033[2J", c->out); /* home, clear the screen */
    if (c->json)
      show_json(c->out, cur, have_prev ? prev : NULL, ms, n);
    else
      show_text(c->out, cur, have_prev ? prev : NULL, ms, n);
    if (!in_place && !c->json) fputc('\n', c->out); /* a blank line between blocks */
    fflush(c->out);
    mc_obj_info *t = prev;
    prev = cur;
    cur = t;
    have_prev = 1;
    last = now;
  }
  free(cur);
  free(prev);
  return code;
}
