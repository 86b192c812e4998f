/* `memchan ls`, `stat`, `rm` and `gc`: listing, showing and removing objects by name. */
#include "memchan_cli.h"

#include <stdlib.h>
#include <string.h>

/* The names mc_list reports, collected, so that each can be inspected (or removed) after the
   listing is over. */
typedef struct names {
  char **v;
  size_t n, cap;
  int all;            /* keep derived names ("chan$new") too */
  const char *prefix; /* only names that begin with it (NULL: all) */
} names;

static int collect(const char *name, void *ctx) {
  names *ns = ctx;
  if (!ns->all && strchr(name, '$')) return 0;
  if (ns->prefix && strncmp(name, ns->prefix, strlen(ns->prefix)) != 0) return 0;
  if (ns->n == ns->cap) {
    size_t cap = ns->cap ? 2 * ns->cap : 64;
    char **v = realloc(ns->v, cap * sizeof *v);
    if (!v) return 1; /* out of memory: list what we have */
    ns->v = v;
    ns->cap = cap;
  }
  ns->v[ns->n] = malloc(strlen(name) + 1);
  if (!ns->v[ns->n]) return 1;
  strcpy(ns->v[ns->n++], name);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_names(names *ns) {
  int rc = mc_list(collect, ns);
  if (rc == MC_OK && ns->n > 1) qsort(ns->v, ns->n, sizeof *ns->v, by_name);
  return rc;
}

static void free_names(names *ns) {
  for (size_t k = 0; k < ns->n; k++) free(ns->v[k]);
  free(ns->v);
}

static void ls_line(FILE *f, const mc_obj_info *i, int rc) {
  char size[32], age[32], creator[32];
  if (rc == MC_EMISMATCH) {
    fprintf(f, "%-32s %-22s layout version %u (another memchan build's)\n", i->name, "?",
            i->layout_version);
    return;
  }
  if (rc != MC_OK) {
    fprintf(f, "%-32s %-22s %s\n", i->name, "?", rc == MC_ECORRUPT ? "corrupt" : mc_strerror(rc));
    return;
  }
  const char *kind = i->state == MC_OBJ_INITIALISING ? "?" : cli_kind_name(i->kind);
  if (i->kind == MC_OBJ_RING || i->kind == MC_OBJ_SLOT) kind = cli_chan_kind(&i->chan);
  cli_size_text(i->size, size, sizeof size);
  cli_age_text(cli_age_s(i), age, sizeof age);
  snprintf(creator, sizeof creator, "%u%s", i->creator_pid, i->creator_alive ? "" : " (dead)");
  char holders[24];
  snprintf(holders, sizeof holders, "%d/%d", i->live_holders, i->nholders);
  fprintf(f, "%-32s %-22s %10s %7s %-14s %7s  %s\n", i->name, kind, size, holders, creator, age,
          cli_state_name(i));
}

int cli_ls(cli *c, const char *prefix) {
  names ns = {0};
  ns.all = c->all;
  ns.prefix = prefix;
  int rc = list_names(&ns);
  if (rc != MC_OK) {
    fprintf(stderr, "memchan ls: %s\n", mc_strerror(rc));
    free_names(&ns);
    return cli_exit_code(rc) == EXIT_DONE ? EXIT_FAILED : cli_exit_code(rc);
  }
  mc_obj_info *i = malloc(sizeof *i);
  if (!i) return EXIT_FAILED;
  if (c->json)
    fputs("{\"objects\":[", c->out);
  else
    fprintf(c->out, "%-32s %-22s %10s %7s %-14s %7s  %s\n", "NAME", "KIND", "SIZE", "HOLDERS",
            "CREATOR", "AGE", "STATE");
  int shown = 0;
  for (size_t k = 0; k < ns.n; k++) {
    int r = mc_inspect(ns.v[k], i);
    if (r == MC_ENOENT) continue; /* gone since it was listed */
    if (c->json) {
      if (shown) fputc(',', c->out);
      cli_json_obj(c->out, i, r);
    } else {
      ls_line(c->out, i, r);
    }
    shown++;
  }
  if (c->json) fputs("]}\n", c->out);
  free(i);
  free_names(&ns);
  return EXIT_DONE;
}

int cli_stat(cli *c, int argc, char **argv) {
  int worst = EXIT_DONE;
  mc_obj_info *i = malloc(sizeof *i);
  if (!i) return EXIT_FAILED;
  if (c->json && argc > 1) fputc('[', c->out);
  for (int k = 0; k < argc; k++) {
    int rc = mc_inspect(argv[k], i);
    if (rc == MC_EINVAL) snprintf(i->name, sizeof i->name, "%s", argv[k]);
    if (c->json) {
      if (k) fputc(',', c->out);
      cli_json_obj(c->out, i, rc);
    } else if (rc == MC_OK) {
      if (k) fputc('\n', c->out);
      cli_text_obj(c->out, i);
    } else {
      if (rc == MC_EMISMATCH)
        fprintf(stderr, "memchan stat: %s: layout version %u, not this build's %s\n", argv[k],
                i->layout_version, "(made by another memchan build)");
      else
        fprintf(stderr, "memchan stat: %s: %s%s\n", argv[k], mc_strerror(rc),
                rc == MC_ECORRUPT ? " (corrupt: not a valid memchan object)" : "");
    }
    int code = cli_exit_code(rc);
    if (code > worst) worst = code;
  }
  if (c->json) fputs(argc > 1 ? "]\n" : "\n", c->out);
  free(i);
  return worst;
}

/* Removes one object: refused (EXIT_REFUSED) while live processes hold it, unless forced.
 *what says what happened, for the report. */
static int remove_one(cli *c, const char *name, mc_obj_info *i, const char **what) {
  int rc = mc_inspect(name, i);
  if (rc == MC_EINVAL || rc == MC_ENOENT) {
    *what = rc == MC_ENOENT ? "no such object" : "invalid name";
    return cli_exit_code(rc);
  }
  /* A corrupt object cannot tell who holds it: removed only when forced. */
  if (!c->force && (rc != MC_OK || (i->live_holders > 0 && !i->stale))) {
    *what = rc != MC_OK ? "cannot tell who holds it (corrupt); --force removes it" : "in use";
    return EXIT_REFUSED;
  }
  rc = mc_remove(name, 0);
  *what = rc == MC_OK ? "removed" : mc_strerror(rc);
  return cli_exit_code(rc);
}

static void report(cli *c, const char *cmd, const char *name, const mc_obj_info *i, int code,
                   const char *what, int first) {
  char held[512];
  cli_holders(i, held, sizeof held);
  if (c->json) {
    fputs(first ? "" : ",", c->out);
    fputs("{\"name\":", c->out);
    cli_json_str(c->out, name);
    fprintf(c->out, ",\"removed\":%s,\"result\":", code == EXIT_DONE ? "true" : "false");
    cli_json_str(c->out, what);
    fputs(",\"live_holders\":[", c->out);
    for (int k = 0, n = 0; k < i->nholders; k++)
      if (i->holders[k].alive) fprintf(c->out, "%s%u", n++ ? "," : "", i->holders[k].pid);
    fputs("]}", c->out);
  } else if (code == EXIT_DONE) {
    fprintf(c->out, "%s: %s\n", name, what);
  } else if (code == EXIT_REFUSED && held[0]) {
    fprintf(stderr, "memchan %s: %s: %s, held by pid %s; --force removes it anyway\n", cmd, name,
            what, held);
  } else {
    fprintf(stderr, "memchan %s: %s: %s\n", cmd, name, what);
  }
}

int cli_rm(cli *c, int argc, char **argv) {
  int worst = EXIT_DONE;
  mc_obj_info *i = malloc(sizeof *i);
  if (!i) return EXIT_FAILED;
  if (c->json) fputs("{\"results\":[", c->out);
  for (int k = 0; k < argc; k++) {
    const char *what;
    int code = remove_one(c, argv[k], i, &what);
    report(c, "rm", argv[k], i, code, what, k == 0);
    if (code > worst) worst = code;
  }
  if (c->json) fputs("]}\n", c->out);
  free(i);
  return worst;
}

int cli_gc(cli *c, const char *prefix) {
  names ns = {0};
  ns.all = 1; /* a crashed run leaves derived objects too */
  ns.prefix = prefix;
  int rc = list_names(&ns);
  mc_obj_info *i = malloc(sizeof *i);
  if (rc != MC_OK || !i) {
    fprintf(stderr, "memchan gc: %s\n", mc_strerror(rc != MC_OK ? rc : MC_ENOMEM));
    free(i);
    free_names(&ns);
    return EXIT_FAILED;
  }
  int worst = EXIT_DONE, n = 0;
  if (c->json) fputs("{\"results\":[", c->out);
  for (size_t k = 0; k < ns.n; k++) {
    /* What looks stale, removed only if it still is under its lock (someone may have opened
       it again, which replaces it with a live object). */
    if (mc_inspect(ns.v[k], i) != MC_OK || !i->stale) continue;
    rc = mc_remove(ns.v[k], MC_REMOVE_STALE);
    if (rc == MC_ENOENT || rc == MC_EBUSY) continue; /* gone, or live again, meanwhile */
    int code = cli_exit_code(rc);
    report(c, "gc", ns.v[k], i, code, rc == MC_OK ? "removed (stale)" : mc_strerror(rc), n++ == 0);
    if (code > worst) worst = code;
  }
  if (c->json) fputs("]}\n", c->out);
  free(i);
  free_names(&ns);
  return worst;
}
