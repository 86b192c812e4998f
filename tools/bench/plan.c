/* The list of cases a run measures, from the options: placements, then patterns, then
 * sizes; within a size the floors first, then memchan's variants, then the baselines. The
 * fan-out patterns run memchan only: for each variant the plain ring with its one receiver
 * (the comparison), then the fan-out kinds with each number of receivers. */
#include <stdlib.h>
#include <string.h>

#include "options.h"

typedef struct plan {
  mb_case *v;
  int n, cap;
} plan;

static void add(plan *p, const mb_case *c) {
  if (p->n == p->cap) {
    int cap = p->cap ? 2 * p->cap : 256;
    mb_case *v = realloc(p->v, (size_t)cap * sizeof *v);
    if (!v) return; /* out of memory: the run gets shorter, it does not crash */
    p->v = v;
    p->cap = cap;
  }
  p->v[p->n++] = *c;
}

static int is_memchan(const mb_transport *t) {
  return strncmp(t->name, "memchan", 7) == 0;
}

static uint64_t at_most(uint64_t n, uint64_t limit) {
  return n < limit ? n : limit;
}

/* Counts for a pattern and size. */
static void counts(const mb_opts *o, mb_case *c) {
  c->work_ns = c->pattern == MB_SHARE ? o->work_ns : 0;
  switch (c->pattern) {
  case MB_PINGPONG:
    c->count = o->samples;
    c->warmup = o->warmup;
    if (o->pp_bytes) { /* the quick profile: fewer large round trips */
      uint64_t n = o->pp_bytes / c->size;
      c->count = at_most(c->count, n < 200 ? 200 : n);
      c->warmup = at_most(c->warmup, c->count / 10 + 1);
    }
    break;
  case MB_FANOUT: /* the fan-out patterns are timed like a stream */
  case MB_SHARE:
  case MB_STREAM: {
    uint64_t n = o->bytes / c->size;
    c->count = at_most(o->stream_msgs, n < 64 ? 64 : n);
    /* Warm-up: enough to fill any ring and reach a steady state, bounded in bytes. */
    c->warmup = at_most(c->count / 10 + 1, ((uint64_t)64 << 20) / c->size + 16);
    c->budget_ns = o->stream_ms * 1000000u;
    break;
  }
  default: {
    uint64_t n = o->bytes / c->size / (uint64_t)o->senders;
    c->count = at_most(o->stress_msgs, n < 100 ? 100 : n);
    c->warmup = c->count / 10;
    c->senders = o->senders;
    break;
  }
  }
}

/* The cases of one memchan variant: the fan-out patterns once per number of receivers (the
   plain ring once, with one). */
static void add_receivers(plan *p, const mb_opts *o, mb_case c) {
  if (!MB_IS_FAN(c.pattern)) {
    add(p, &c);
    return;
  }
  for (int i = 0; i < o->nreceivers; i++) {
    c.receivers = c.kind == MB_KIND_RING ? 1 : o->receivers[i];
    add(p, &c);
    if (c.kind == MB_KIND_RING) return;
  }
}

/* Whether a mode and path apply to a memchan case: the poll and timed modes run on the plain
   ring, ping-pong and stream, at the sizes and paths the options allow them. */
static int mode_applies(const mb_opts *o, const mb_case *c, int mode, int path) {
  if (!MB_MODE_EVLOOP(mode)) return 1;
  return c->kind == MB_KIND_RING && (c->pattern == MB_PINGPONG || c->pattern == MB_STREAM) &&
         (o->evloop_paths & MB_BIT(path)) && (!o->evloop_max_size || c->size <= o->evloop_max_size);
}

/* memchan: one case per selected kind (fixed by the transport: "memchan-<kind>"), mode and
   path; the fan-out kinds and patterns take the fan-out modes and paths. */
static void add_memchan(plan *p, const mb_opts *o, mb_case c) {
  c.kind = mb_name_index(mb_kind_names, MB_NKINDS, c.tr->name + 8);
  if (c.kind < 0 || !(o->kinds & MB_BIT(c.kind))) return;
  int fan = MB_IS_FAN(c.pattern) || (c.kind != MB_KIND_RING && c.kind != MB_KIND_SLOT);
  unsigned modes = fan ? o->fan_modes : o->modes, paths = fan ? o->fan_paths : o->paths;
  for (int m = 0; m < MB_NMODES; m++)
    for (int k = 0; k < MB_NPATHS; k++)
      if ((modes & MB_BIT(m)) && (paths & MB_BIT(k)) && mode_applies(o, &c, m, k)) {
        c.mode = m;
        c.path = k;
        add_receivers(p, o, c);
      }
}

static int has_size(const mb_opts *o, size_t s) {
  for (int i = 0; i < o->nsizes; i++)
    if (o->sizes[i] == s) return 1;
  return 0;
}

/* The cases of one pattern, placement (index pi) and gap, over its sizes. */
static void add_sizes(plan *p, const mb_opts *o, mb_case c, int pi) {
  const size_t *sizes = o->sizes;
  int nsizes = o->nsizes;
  if (c.pattern == MB_STRESS && o->nstress_sizes > 0)
    sizes = o->stress_sizes, nsizes = o->nstress_sizes;
  else if (MB_IS_FAN(c.pattern) && o->nfan_sizes > 0)
    sizes = o->fan_sizes, nsizes = o->nfan_sizes;
  for (int si = 0; si < nsizes; si++) {
    c.size = sizes[si];
    counts(o, &c);
    for (int t = 0; t < o->ntrs; t++) {
      c.tr = o->trs[t];
      if (!(c.tr->patterns & MB_BIT(c.pattern)) || (c.tr->floor && !c.tr->local && !c.tr->carries))
        continue;
      if (c.tr->local && pi > 0) continue; /* one process: the placement is moot */
      if (is_memchan(c.tr))
        add_memchan(p, o, c);
      else
        add(p, &c);
    }
  }
}

/* Floors that do not depend on the size (latency: one word), or that are only needed at
   1 MiB beside the sizes in question (memcpy), for one pattern and placement. */
static void add_floors(plan *p, const mb_opts *o, mb_case c, int pi, int after_sizes) {
  for (int t = 0; t < o->ntrs; t++) {
    c.tr = o->trs[t];
    if (!c.tr->floor || c.tr->carries || !(c.tr->patterns & MB_BIT(c.pattern))) continue;
    if (!after_sizes && !c.tr->local) {
      c.size = 8;
    } else if (after_sizes && c.tr->local && pi == 0 && !has_size(o, 1u << 20)) {
      c.size = 1u << 20;
    } else {
      continue;
    }
    counts(o, &c);
    add(p, &c);
  }
}

mb_case *mb_plan(const mb_opts *o, int *n) {
  plan p = {NULL, 0, 0};
  for (int pi = 0; pi < o->ncpus; pi++)
    for (int pat = 0; pat < MB_NPATTERNS; pat++) {
      if (!(o->patterns & MB_BIT(pat))) continue;
      mb_case c;
      memset(&c, 0, sizeof c);
      c.pattern = pat;
      c.cpus = o->cpus[pi];
      add_floors(&p, o, c, pi, 0);
      for (int gi = 0; gi < (pat == MB_STRESS ? o->ngaps : 1); gi++) {
        c.gap_us = pat == MB_STRESS ? o->gaps[gi] : 0;
        add_sizes(&p, o, c, pi);
      }
      add_floors(&p, o, c, pi, 1);
    }
  *n = p.n;
  return p.v;
}
