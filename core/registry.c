/* The registry of memchan's names, for systems that cannot list their named objects (Win32:
 * no documented call lists named sections). It is a block of its own, "memchan$registry" (a
 * name no user object can have), holding the names of the objects this machine's memchan
 * processes created or opened. Each process that opens a region notes its name there and
 * keeps the registry open until it exits, so the registry lives exactly as long as some
 * memchan process does - as every object it could list does on Win32, where an object ends
 * with its last handle. Entries are never trusted: a name whose object is gone is left out
 * when listing and its entry reused; a scribbled entry is a name like any other, checked
 * when it is used. docs/cli.md describes it; the layout is in docs/layout.md. */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

#define REG_NAME       "memchan$registry"
#define REG_ENTRIES    256
#define REG_NAME_BYTES 252

typedef struct reg_entry {
  uint32_t used;             /* 1: name holds an object's name */
  char name[REG_NAME_BYTES]; /* "Local\\name" or "Global\\name", NUL-terminated */
} reg_entry;

typedef struct reg_block {
  mc__tlock_shared lock;        /*   0 serialises changes and listing */
  uint8_t reserved[32];         /*  32 */
  reg_entry entry[REG_ENTRIES]; /* 64 */
} reg_block;
_Static_assert(sizeof(reg_entry) == 256, "registry entry layout");

/* The process's registry handle: opened on first use, kept until exit. */
static mc__region reg;
static mc__tlock reg_lock;
static _Atomic int reg_state; /* 0 not yet, 1 opening, 2 open, 3 unavailable */

static int reg_init(mc__region *r, void *ctx) {
  MC__UNUSED(ctx);
  mc__tlock_init_shared(&((reg_block *)(void *)mc__region_data(r))->lock);
  return MC_OK;
}

/* Opens the registry once per process; MC_OK when it is usable. */
static int reg_open(void) {
  int st = atomic_load(&reg_state);
  if (st == 0 && atomic_compare_exchange_strong(&reg_state, &st, 1)) {
    mc__objname n;
    mc__region_spec spec = {0};
    spec.kind = MC__KIND_SHM;
    spec.how = MC__MAP_EITHER;
    spec.size = sizeof(reg_block);
    spec.flags = MC__RF_UNPROTECTED;
    spec.mode = 0600;
    spec.deadline = mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS);
    spec.init = reg_init;
    int rc = mc__name_parse("memchan", &n);
    if (rc == MC_OK) rc = mc__name_derive(&n, "$registry", &n);
    if (rc == MC_OK) rc = mc__region_open(&n, &spec, &reg);
    if (rc == MC_OK) {
      rc = mc__region_tlock(&reg, &reg_lock, &((reg_block *)(void *)mc__region_data(&reg))->lock);
      if (rc != MC_OK) mc__region_close(&reg);
    }
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
  mc__peek p;
  if (mc__name_parse_derived(os_name, &n) != MC_OK) return 0;
  if (mc__plat_map_peek(&n, &p.map) != MC_OK) return 0;
  mc__plat_map_close(&p.map);
  return 1;
}

void mc__registry_note(const mc__objname *n) {
  char name[REG_NAME_BYTES];
  if (strcmp(n->base, REG_NAME) == 0 || spell(n, name) != MC_OK) return;
  if (reg_open() != MC_OK) return; /* listing is a convenience: the object works without it */
  reg_block *b = (reg_block *)(void *)mc__region_data(&reg);
  /* A lock taken from a dead holder is fine: an entry is written before it is marked used. */
  if (mc__tlock_acquire_by(&reg_lock, mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS)) < 0) return;
  /* Noted already? Else the first unused entry, else the first whose object is gone. */
  int at = -1;
  for (int i = 0; i < REG_ENTRIES && at != -2; i++) {
    reg_entry *e = &b->entry[i];
    if (e->used != 1)
      at = at == -1 ? i : at;
    else if (strncmp(e->name, name, REG_NAME_BYTES) == 0)
      at = -2;
  }
  for (int i = 0; i < REG_ENTRIES && at == -1; i++)
    if (!exists(b->entry[i].name)) at = i;
  if (at >= 0) {
    reg_entry *e = &b->entry[at];
    memcpy(e->name, name, sizeof name);
    e->used = 1;
  } else if (at == -1) {
    mc__debug("%s: registry full; not listed", n->base);
  }
  mc__tlock_release(&reg_lock);
}

int mc__registry_list(int (*fn)(const char *name, void *ctx), void *ctx) {
  int rc = reg_open();
  if (rc != MC_OK) return rc;
  reg_block *b = (reg_block *)(void *)mc__region_data(&reg);
  /* A copy, taken under the lock, then the callbacks without it: they inspect objects. */
  reg_entry *copy = malloc(sizeof b->entry);
  if (!copy) return MC_ENOMEM;
  rc = mc__tlock_acquire_by(&reg_lock, mc__deadline_ms(MC_DEFAULT_TIMEOUT_MS));
  if (rc < 0) {
    free(copy);
    return rc;
  }
  memcpy(copy, b->entry, sizeof b->entry);
  mc__tlock_release(&reg_lock);
  for (int i = 0; i < REG_ENTRIES; i++) {
    reg_entry *e = &copy[i];
    e->name[REG_NAME_BYTES - 1] = '\0'; /* whatever was written there */
    if (e->used == 1 && fn(e->name, ctx)) break;
  }
  free(copy);
  return MC_OK;
}
