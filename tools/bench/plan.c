/* The list of cases a run measures, from the options: placements, then patterns, then
 * sizes; within a size the floors first, then memchan's variants, then the baselines. */
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

/* Counts for a pattern and size. */
static void counts(const mb_opts *o, mb_case *c) {
  switch (c->pattern) {
  case MB_PINGPONG:
    c->count = o->samples;
    c->warmup = o->warmup;
    break;
  case MB_STREAM: {
    uint64_t n = o->stream_bytes / c->size;
    if (n < 64) n = 64;
    c->count = n < o->stream_msgs ? n : o->stream_msgs;
    c->warmup = c->count / 10 + 1;
    break;
  }
  default:
    c->count = o->stress_msgs;
    c->warmup = o->stress_msgs / 10;
    c->senders = o->senders;
    c->gap_us = o->gap_us;
    break;
  }
}

/* memchan: one case per selected kind (fixed by the transport), mode and path. */
static void add_memchan(plan *p, const mb_opts *o, mb_case c) {
  c.kind = strcmp(c.tr->name, "memchan-slot") == 0 ? MB_KIND_SLOT : MB_KIND_RING;
  if (!(o->kinds & MB_BIT(c.kind))) return;
  for (int m = 0; m < MB_NMODES; m++)
    for (int k = 0; k < MB_NPATHS; k++)
      if ((o->modes & MB_BIT(m)) && (o->paths & MB_BIT(k))) {
        c.mode = m;
        c.path = k;
        add(p, &c);
      }
}

static int has_size(const mb_opts *o, size_t s) {
  for (int i = 0; i < o->nsizes; i++)
    if (o->sizes[i] == s) return 1;
  return 0;
}

mb_case *mb_plan(const mb_opts *o, int *n) {
  plan p = {NULL, 0, 0};
  for (int pi = 0; pi < o->ncpus; pi++) {
    for (int pat = 0; pat < MB_NPATTERNS; pat++) {
      if (!(o->patterns & MB_BIT(pat))) continue;
      mb_case c;
      memset(&c, 0, sizeof c);
      c.pattern = pat;
      c.cpus = o->cpus[pi];
      /* Latency floors do not depend on the size: once per placement, one word. */
      for (int t = 0; t < o->ntrs; t++)
        if (o->trs[t]->floor && !o->trs[t]->local && (o->trs[t]->patterns & MB_BIT(pat))) {
          c.tr = o->trs[t];
          c.size = 8;
          counts(o, &c);
          add(&p, &c);
        }
      for (int si = 0; si < o->nsizes; si++) {
        c.size = o->sizes[si];
        counts(o, &c);
        for (int t = 0; t < o->ntrs; t++) {
          c.tr = o->trs[t];
          if (!(c.tr->patterns & MB_BIT(pat)) || (c.tr->floor && !c.tr->local)) continue;
          if (c.tr->local && pi > 0) continue; /* one process: the placement is moot */
          if (is_memchan(c.tr))
            add_memchan(&p, o, c);
          else
            add(&p, &c);
        }
      }
      /* memcpy bandwidth for 1 MiB is always reported beside the sizes in question. */
      for (int t = 0; t < o->ntrs; t++)
        if (pi == 0 && o->trs[t]->local && (o->trs[t]->patterns & MB_BIT(pat)) &&
            !has_size(o, 1u << 20)) {
          c.tr = o->trs[t];
          c.size = 1u << 20;
          counts(o, &c);
          add(&p, &c);
        }
    }
  }
  *n = p.n;
  return p.v;
}
