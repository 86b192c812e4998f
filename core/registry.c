/* The registry of memchan's names, for systems that cannot list their named objects (Win32:
 * no documented call lists named sections). It is a block of its own, "memchan$registry" (a
 * name no user object can have), holding the names of the objects this machine's memchan
 * processes created or opened. Each process that opens a region notes its name there and
 * keeps the registry open until it exits, so the registry lives exactly as long as some
 * memchan process does - as every object it could list does on Win32, where an object ends
 * with its last handle. Entries are never trusted: a name whose object is gone is left out
 * when listing and its entry reused; a scribbled entry is a name like any other, checked
 * when it is used. There is no lock: every open notes its name, and an open must never wait
 * for another process's noting or listing (under Wine, a scan of a full table with a check
 * of each name takes seconds). An entry is claimed by compare-and-swap; two processes that
 * note one name at once may both add it, and a reader may copy a name being written:
 * listing drops duplicates, and a torn name names no object. docs/cli.md describes it;
 * the layout is in docs/layout.md. */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#define REG_NAME       "memchan$registry"
#define REG_ENTRIES    256
#define REG_NAME_BYTES 252

enum { ENTRY_FREE = 0, ENTRY_USED = 1, ENTRY_WRITING = 2 };

typedef struct reg_entry {
  _Atomic uint32_t state;    /* ENTRY_*: claimed by compare-and-swap */
  char name[REG_NAME_BYTES]; /* "Local\\name" or "Global\\name", NUL-terminated */
} reg_entry;

typedef struct reg_block {
  uint8_t reserved[64];         /*  0 zero */
  reg_entry entry[REG_ENTRIES]; /* 64 */
} reg_block;
_Static_assert(sizeof(reg_entry) == 256, "registry entry layout");

/* The process's registry handle: opened on first use, kept until exit. */
static mc__region reg;
static _Atomic int reg_state; /* 0 not yet, 1 opening, 2 open, 3 unavailable */

/* Opens the registry once per process; MC_OK when it is usable. */
static int reg_open(void) {
  int st = atomic_load(&reg_state);
  if (st == 0 && atomic_compare_exchange_strong(&reg_state, &st, 1)) {
    mc__objname base, n;
    mc__region_spec spec = {0};
    spec.kind = MC__KIND_SHM;
    spec.how = MC__MAP_EITHER;
    spec.size = sizeof(reg_block); /* a new one is all zero: every entry free */
    spec.flags = MC__RF_UNPROTECTED;
    spec.mode = 0600;
    spec.deadline = mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS);
    int rc = mc__name_parse("memchan", &base);
    if (rc == MC_OK) rc = mc__name_derive(&base, "$registry", &n);
    if (rc == MC_OK) rc = mc__region_open(&n, &spec, &reg);
    if (rc != MC_OK) mc__debug("registry unavailable: %s", mc_strerror(rc));
    atomic_store(&reg_state, rc == MC_OK ? 2 : 3);
    return rc;
  }
  while ((st = atomic_load(&reg_state)) == 1) mc__plat_yield(); /* another thread opens it */
  return st == 2 ? MC_OK : MC_ENOTSUP;
}

static int spell(const mc__objname *n, char *buf) {
  return mc__plat_os_name(n, "", buf, REG_NAME_BYTES);
}

/* 1 if an object of that OS name exists now. */
static int exists(const char *os_name) {
  mc__objname n;
  mc__plat_map m;
  if (mc__name_parse_derived(os_name, &n) != MC_OK) return 0;
  if (mc__plat_map_peek(&n, &m) != MC_OK) return 0;
  mc__plat_map_close(&m);
  return 1;
}

/* Where a name's search starts (FNV-1a), so that it is found in a step or two. */
static unsigned start_of(const char *name) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 16777619u;
  return h % REG_ENTRIES;
}

/* Writes name into entry e, which this process claimed (state WRITING). */
static void fill(reg_entry *e, const char *name) {
  memcpy(e->name, name, REG_NAME_BYTES);
  atomic_store_explicit(&e->state, ENTRY_USED, memory_order_release); /* pairs: list's load */
}

void mc__registry_note(const mc__objname *n) {
  char name[REG_NAME_BYTES] = {0};
  if (strcmp(n->base, REG_NAME) == 0 || spell(n, name) != MC_OK) return;
  if (reg_open() != MC_OK) return; /* listing is a convenience: the object works without it */
  reg_block *b = (reg_block *)(void *)mc__region_data(&reg);
  unsigned start = start_of(name);
  /* Entries are never freed, only reused, so a name noted before lies between its start and
     the first free entry (or anywhere, once the table is full). */
  for (unsigned k = 0; k < REG_ENTRIES; k++) {
    reg_entry *e = &b->entry[(start + k) % REG_ENTRIES];
    uint32_t st = atomic_load_explicit(&e->state, memory_order_acquire);
    if (st == ENTRY_USED && strncmp(e->name, name, REG_NAME_BYTES) == 0) return;
    if (st == ENTRY_FREE && atomic_compare_exchange_strong(&e->state, &st, ENTRY_WRITING)) {
      fill(e, name);
      return;
    }
  }
  /* Full: take the place of a name whose object is gone. */
  for (unsigned k = 0; k < REG_ENTRIES; k++) {
    reg_entry *e = &b->entry[(start + k) % REG_ENTRIES];
    char old[REG_NAME_BYTES];
    memcpy(old, e->name, sizeof old);
    old[REG_NAME_BYTES - 1] = '\0';
    uint32_t st = ENTRY_USED;
    if (atomic_load(&e->state) == ENTRY_USED && !exists(old) &&
        atomic_compare_exchange_strong(&e->state, &st, ENTRY_WRITING)) {
      fill(e, name);
      return;
    }
  }
  mc__debug("%s: registry full; not listed", n->base);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const reg_entry *)a)->name, ((const reg_entry *)b)->name);
}

int mc__registry_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  int rc = reg_open();
  if (rc != MC_OK) return rc;
  reg_block *b = (reg_block *)(void *)mc__region_data(&reg);
  /* A copy, then the callbacks: they inspect objects, and entries may change meanwhile. */
  reg_entry *copy = malloc(sizeof b->entry);
  if (!copy) return MC_ENOMEM;
  size_t n = 0;
  for (unsigned k = 0; k < REG_ENTRIES; k++) {
    if (atomic_load_explicit(&b->entry[k].state, memory_order_acquire) != ENTRY_USED) continue;
    memcpy(copy[n].name, b->entry[k].name, REG_NAME_BYTES);
    copy[n++].name[REG_NAME_BYTES - 1] = '\0'; /* whatever was written there */
  }
  qsort(copy, n, sizeof *copy, by_name); /* so that a name noted twice is reported once */
  for (size_t k = 0; k < n; k++) {
    if (k && strcmp(copy[k].name, copy[k - 1].name) == 0) continue;
    if (fn(copy[k].name, ctx)) break;
  }
  free(copy);
  return MC_OK;
}
