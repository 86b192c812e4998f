/* How the command shows an object: names of kinds and states, sizes and ages for people, and
 * the one JSON form every subcommand uses for an object (docs/cli.md lists its fields). */
#include "memchan_cli.h"

#include <string.h>
#include <time.h>

int cli_exit_code(int rc) {
  switch (rc) {
  case MC_OK:
    return EXIT_DONE;
  case MC_ENOENT:
    return EXIT_NOENT;
  case MC_ECORRUPT:
    return EXIT_CORRUPT;
  case MC_EMISMATCH:
    return EXIT_VERSION;
  case MC_EINVAL:
    return EXIT_USAGE;
  default:
    return EXIT_FAILED;
  }
}

const char *cli_kind_name(int kind) {
  switch (kind) {
  case MC_OBJ_BLOCK:
    return "block";
  case MC_OBJ_EVENT:
    return "event";
  case MC_OBJ_MUTEX:
    return "mutex";
  case MC_OBJ_SEM:
    return "semaphore";
  case MC_OBJ_SWMR:
    return "swmr";
  case MC_OBJ_RING:
    return "ring";
  case MC_OBJ_SLOT:
    return "slot";
  default:
    return "?";
  }
}

const char *cli_chan_kind(const mc_chan_info *ci) {
  if (ci->kind == MC_CHAN_SLOT) return ci->flags & MC_CHAN_MULTI_SEND ? "multi-send slot" : "slot";
  if (ci->flags & MC_CHAN_DROP_OLDEST) return "broadcast, drop oldest";
  if (ci->flags & MC_CHAN_BROADCAST) return "broadcast";
  if (ci->flags & MC_CHAN_MULTI_RECV) return "shared work";
  return ci->flags & MC_CHAN_MULTI_SEND ? "multi-send ring" : "ring";
}

const char *cli_state_name(const mc_obj_info *i) {
  if (i->stale) return "stale";
  switch (i->state) {
  case MC_OBJ_READY:
    return "ready";
  case MC_OBJ_DEAD:
    return "dead";
  default:
    return "initialising";
  }
}

const char *cli_end_state(int state) {
  return state == MC_END_OPEN ? "open" : state == MC_END_CLOSED ? "closed" : "dead";
}

void cli_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

long long cli_age_s(const mc_obj_info *i) {
  long long now = (long long)time(NULL) * 1000;
  if (!i->created_ms || (long long)i->created_ms > now) return 0;
  return (now - (long long)i->created_ms) / 1000;
}

void cli_age_text(long long s, char *buf, size_t cap) {
  if (s >= 86400)
    snprintf(buf, cap, "%lldd%lldh", s / 86400, s % 86400 / 3600);
  else if (s >= 3600)
    snprintf(buf, cap, "%lldh%lldm", s / 3600, s % 3600 / 60);
  else if (s >= 60)
    snprintf(buf, cap, "%lldm%llds", s / 60, s % 60);
  else
    snprintf(buf, cap, "%llds", s);
}

void cli_size_text(unsigned long long b, char *buf, size_t cap) {
  static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = (double)b;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  if (u == 0 || v == (double)(unsigned long long)v)
    snprintf(buf, cap, "%.0f %s", v, unit[u]);
  else
    snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

void cli_holders(const mc_obj_info *i, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (int k = 0; k < i->nholders && used + 16 < cap; k++) {
    if (!i->holders[k].alive) continue;
    int seen = 0; /* a process with several handles is named once */
    for (int j = 0; j < k && !seen; j++)
      seen = i->holders[j].alive && i->holders[j].pid == i->holders[k].pid;
    if (seen) continue;
    used += (size_t)snprintf(buf + used, cap - used, "%s%u", used ? ", " : "", i->holders[k].pid);
  }
}

static void json_ends(FILE *f, const mc_chan_info *ci) {
  fputs("\"ends\":[", f);
  for (int k = 0; k < ci->nends; k++) {
    const mc_end_info *e = &ci->ends[k];
    fprintf(f,
            "%s{\"role\":\"%s\",\"index\":%d,\"state\":\"%s\",\"pid\":%u,\"alive\":%s,"
            "\"counted\":%s,\"messages\":%llu,\"bytes\":%llu,\"waits\":%llu,\"wakeups\":%llu,"
            "\"dropped\":%llu,\"backlog\":%llu}",
            k ? "," : "", e->role == MC_CHAN_SEND ? "send" : "recv", e->index,
            cli_end_state(e->state), e->pid, e->alive ? "true" : "false",
            e->counted ? "true" : "false", (unsigned long long)e->messages,
            (unsigned long long)e->bytes, (unsigned long long)e->waits,
            (unsigned long long)e->wakeups, (unsigned long long)e->dropped,
            (unsigned long long)e->backlog);
  }
  fputc(']', f);
}

static void json_chan(FILE *f, const mc_chan_info *ci) {
  fprintf(
      f,
      ",\"channel\":{\"kind\":\"%s\",\"multi_send\":%s,\"multi_recv\":%s,\"broadcast\":%s,"
      "\"drop_oldest\":%s,\"capacity\":%llu,\"max_msg\":%u,\"spin_us\":%d,\"head\":%llu,"
      "\"tail\":%llu,\"used\":%llu,\"slot_full\":%s,\"senders\":%d,\"receivers\":%d,"
      "\"senders_closed\":%llu,\"senders_died\":%llu,\"abandoned\":%llu,\"aborted\":%s,"
      "\"abort_code\":%d,",
      ci->kind == MC_CHAN_SLOT ? "slot" : "ring", ci->flags & MC_CHAN_MULTI_SEND ? "true" : "false",
      ci->flags & MC_CHAN_MULTI_RECV ? "true" : "false",
      ci->flags & MC_CHAN_BROADCAST ? "true" : "false",
      ci->flags & MC_CHAN_DROP_OLDEST ? "true" : "false", (unsigned long long)ci->capacity,
      ci->max_msg, ci->spin_us, (unsigned long long)ci->head, (unsigned long long)ci->tail,
      (unsigned long long)ci->used, ci->slot_full ? "true" : "false", ci->senders, ci->receivers,
      (unsigned long long)ci->senders_closed, (unsigned long long)ci->senders_died,
      (unsigned long long)ci->abandoned, ci->aborted ? "true" : "false", ci->abort_code);
  json_ends(f, ci);
  fputc('}', f);
}

void cli_json_obj(FILE *f, const mc_obj_info *i, int rc) {
  fputs("{\"name\":", f);
  cli_json_str(f, i->name);
  if (rc == MC_EMISMATCH) fprintf(f, ",\"layout_version\":%u", i->layout_version);
  if (rc != MC_OK) {
    fprintf(f, ",\"error\":\"%s\",\"message\":", mc_err_name(rc));
    cli_json_str(f, mc_strerror(rc));
    fputc('}', f);
    return;
  }
  fprintf(f,
          ",\"layout_version\":%u,\"kind\":\"%s\",\"state\":\"%s\",\"stale\":%s,\"persistent\":%s,"
          "\"size\":%llu,"
          "\"max_size\":%llu,\"committed\":%llu,\"change_count\":%llu,\"creator\":{\"pid\":%u,"
          "\"alive\":%s},\"created_ms\":%llu,\"age_s\":%lld,\"live_holders\":%d,"
          "\"untracked\":%llu,\"holders\":[",
          i->layout_version, i->state == MC_OBJ_INITIALISING ? "?" : cli_kind_name(i->kind),
          cli_state_name(i), i->stale ? "true" : "false", i->persistent ? "true" : "false",
          (unsigned long long)i->size, (unsigned long long)i->max_size,
          (unsigned long long)i->committed, (unsigned long long)i->change_count, i->creator_pid,
          i->creator_alive ? "true" : "false", (unsigned long long)i->created_ms, cli_age_s(i),
          i->live_holders, (unsigned long long)i->untracked);
  for (int k = 0; k < i->nholders; k++)
    fprintf(f, "%s{\"pid\":%u,\"alive\":%s}", k ? "," : "", i->holders[k].pid,
            i->holders[k].alive ? "true" : "false");
  fputc(']', f);
  if (i->kind == MC_OBJ_RING || i->kind == MC_OBJ_SLOT) json_chan(f, &i->chan);
  fputc('}', f);
}

static void text_chan(FILE *f, const mc_chan_info *ci) {
  char a[32], b[32];
  fprintf(f, "channel:   %s\n", cli_chan_kind(ci));
  cli_size_text(ci->max_msg, b, sizeof b);
  if (ci->kind == MC_CHAN_RING) {
    cli_size_text(ci->capacity, a, sizeof a);
    fprintf(f, "capacity:  %s ring, messages up to %s\n", a, b);
    fprintf(f, "fill:      %llu of %llu bytes (%.1f%%); committed %llu, consumed %llu\n",
            (unsigned long long)ci->used, (unsigned long long)ci->capacity,
            100.0 * (double)ci->used / (double)ci->capacity, (unsigned long long)ci->head,
            (unsigned long long)ci->tail);
  } else {
    fprintf(f, "slot:      messages up to %s; %s\n", b, ci->slot_full ? "full" : "empty");
    if (ci->slot_full) fprintf(f, "fill:      %llu bytes waiting\n", (unsigned long long)ci->used);
  }
  fprintf(f, "spin:      %d us%s\n", ci->spin_us, ci->spin_us == 0 ? " (library default)" : "");
  fprintf(f, "ends:      %d sender(s), %d receiver(s) attached; senders closed %llu, died %llu",
          ci->senders, ci->receivers, (unsigned long long)ci->senders_closed,
          (unsigned long long)ci->senders_died);
  if (ci->abandoned) fprintf(f, "; %llu message(s) abandoned", (unsigned long long)ci->abandoned);
  if (ci->aborted) fprintf(f, "; aborted with code %d", ci->abort_code);
  fputc('\n', f);
  if (!ci->nends) return;
  fprintf(f, "  %-4s %3s %8s %-6s %-5s %12s %14s %8s %8s%s\n", "ROLE", "#", "PID", "STATE", "ALIVE",
          "MESSAGES", "BYTES", "WAITS", "WAKEUPS",
          ci->flags & MC_CHAN_BROADCAST ? "  DROPPED  BACKLOG" : "");
  for (int k = 0; k < ci->nends; k++) {
    const mc_end_info *e = &ci->ends[k];
    fprintf(f, "  %-4s %3d %8u %-6s %-5s", e->role == MC_CHAN_SEND ? "send" : "recv", e->index,
            e->pid, cli_end_state(e->state), e->alive ? "yes" : "no");
    if (e->counted)
      fprintf(f, " %12llu %14llu %8llu %8llu", (unsigned long long)e->messages,
              (unsigned long long)e->bytes, (unsigned long long)e->waits,
              (unsigned long long)e->wakeups);
    else
      fprintf(f, " %12s %14s %8s %8s", "-", "-", "-", "-");
    if (ci->flags & MC_CHAN_BROADCAST && e->role == MC_CHAN_RECV)
      fprintf(f, " %8llu %8llu", (unsigned long long)e->dropped, (unsigned long long)e->backlog);
    fputc('\n', f);
  }
}

void cli_text_obj(FILE *f, const mc_obj_info *i) {
  char a[32], b[32];
  fprintf(f, "name:      %s\n", i->name);
  fprintf(f, "kind:      %s\n", i->state == MC_OBJ_INITIALISING ? "?" : cli_kind_name(i->kind));
  fprintf(f, "state:     %s%s\n", cli_state_name(i),
          i->stale ? " (every holder is dead: `memchan gc` removes it)" : "");
  if (i->state == MC_OBJ_INITIALISING) {
    fprintf(f, "creator:   pid %u (%s), still initialising\n", i->creator_pid,
            i->creator_alive ? "alive" : "dead");
    return;
  }
  cli_size_text(i->size, a, sizeof a);
  if (i->max_size) {
    cli_size_text(i->max_size, b, sizeof b);
    fprintf(f, "size:      %s (resizable up to %s)\n", a, b);
  } else {
    fprintf(f, "size:      %s\n", a);
  }
  cli_age_text(cli_age_s(i), a, sizeof a);
  fprintf(f, "created:   by pid %u (%s), %s ago%s\n", i->creator_pid,
          i->creator_alive ? "alive" : "dead", a, i->persistent ? "; persistent" : "");
  fprintf(f, "holders:   %d alive of %d", i->live_holders, i->nholders);
  if (i->untracked) fprintf(f, " (+%llu untracked)", (unsigned long long)i->untracked);
  for (int k = 0; k < i->nholders; k++)
    fprintf(f, "%s%u %s", k ? ", " : ": ", i->holders[k].pid,
            i->holders[k].alive ? "alive" : "dead");
  fputc('\n', f);
  if (i->kind == MC_OBJ_BLOCK)
    fprintf(f, "changes:   %llu writer release(s)%s\n", (unsigned long long)i->change_count,
            i->unprotected ? "; unprotected" : "");
  if (i->kind == MC_OBJ_RING || i->kind == MC_OBJ_SLOT) text_chan(f, &i->chan);
}
