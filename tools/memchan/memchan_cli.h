/* The `memchan` command (docs/cli.md): what its subcommands share. It uses only the public
 * header: mc_list, mc_inspect and mc_remove do the work; this code chooses and prints. */
#ifndef MEMCHAN_CLI_H
#define MEMCHAN_CLI_H

#include <memchan.h>
#include <stdio.h>

/* Exit codes, documented in `memchan --help` and docs/cli.md. */
enum {
  EXIT_DONE = 0,    /* success */
  EXIT_FAILED = 1,  /* an operation failed (OS error, not supported here) */
  EXIT_USAGE = 2,   /* bad command line */
  EXIT_NOENT = 3,   /* no object of that name */
  EXIT_CORRUPT = 4, /* the object failed validation */
  EXIT_REFUSED = 5, /* rm: the object is in use (live holders) and --force was not given */
  EXIT_VERSION = 6  /* the object has another layout version (another memchan build's) */
};

typedef struct cli {
  int json;        /* --json */
  int all;         /* ls --all: derived objects ("name$new") too */
  int force;       /* rm --force */
  int plain;       /* watch --plain: no screen control, a block per refresh */
  int count;       /* watch --count N: stop after N refreshes (0: for ever) */
  int interval_ms; /* watch --interval MS */
  FILE *out;
} cli;

/* Subcommands: argc/argv are the names after the options; prefix (NULL: none) limits ls and
   gc to names that begin with it. Each returns an exit code. */
int cli_ls(cli *c, const char *prefix);
int cli_stat(cli *c, int argc, char **argv);
int cli_watch(cli *c, const char *name);
int cli_rm(cli *c, int argc, char **argv);
int cli_gc(cli *c, const char *prefix);

/* ---- print.c ---- */
/* The exit code for an MC_E* result. */
int cli_exit_code(int rc);
const char *cli_kind_name(int kind);               /* "ring", "slot", "block", ... */
const char *cli_chan_kind(const mc_chan_info *ci); /* "ring", "multi-send ring", "broadcast", ... */
const char *cli_state_name(const mc_obj_info *i);  /* "ready", "stale", "dead", "initialising" */
const char *cli_end_state(int state);
/* A JSON string literal for s. */
void cli_json_str(FILE *f, const char *s);
/* The object as one JSON object (rc: what mc_inspect returned; its "error" when not MC_OK). */
void cli_json_obj(FILE *f, const mc_obj_info *i, int rc);
/* The whole of an object, for people (stat). */
void cli_text_obj(FILE *f, const mc_obj_info *i);
/* The pids of its live holders, for messages: "4242, 4243". */
void cli_holders(const mc_obj_info *i, char *buf, size_t cap);
/* Seconds since the object was created, from the wall clock; 0 if unknown. */
long long cli_age_s(const mc_obj_info *i);
/* "3d4h", "2h5m", "4m10s", "12s" */
void cli_age_text(long long s, char *buf, size_t cap);
/* "512 B", "64 KiB", "1.5 MiB" */
void cli_size_text(unsigned long long b, char *buf, size_t cap);

/* ---- sys.c ---- */
void cli_sleep_ms(int ms);
long long cli_now_ms(void); /* monotonic */
int cli_isatty(FILE *f);

#endif
