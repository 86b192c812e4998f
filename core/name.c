/* Object names: validation (API.md "Names"), unique names and derived names; the OS spelling
 * is the backend's (mc__plat_os_name). */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static int name_char_ok(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

int mc__name_parse(const char *name, mc__objname *out) {
  if (!name || !out) return MC_EINVAL;
  /* One spelling works everywhere: "name", "/name" (POSIX's) and "Local\\name" (Windows')
     are the same object on both systems. Global\\ asks for Windows' machine-wide namespace
     and means nothing elsewhere: refused on POSIX rather than silently taken as Local. */
  const char *ns = MC__PLAT_WINDOWS ? "Local\\" : "";
  if (strncmp(name, "Local\\", 6) == 0) {
    name += 6;
  } else if (MC__PLAT_WINDOWS && strncmp(name, "Global\\", 7) == 0) {
    ns = "Global\\";
    name += 7;
  }
  if (name[0] == '/') name++;
  size_t len = 0;
  for (; name[len]; len++) {
    if (len >= MC_NAME_MAX || !name_char_ok(name[len])) return MC_EINVAL;
  }
  /* "." and ".." would name directories on POSIX shm file systems. */
  if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return MC_EINVAL;
  memcpy(out->base, name, len + 1);
  strcpy(out->ns, ns);
  out->everyone = 0; /* the region open decides, from the mode or the header */
  return MC_OK;
}

int mc__name_unique(mc__objname *out) {
  unsigned char rnd[12];
  int rc = mc__plat_random(rnd, sizeof rnd);
  if (rc != MC_OK) return rc;
  char *p = out->base;
  p += sprintf(p, "mc-");
  for (size_t i = 0; i < sizeof rnd; i++) p += sprintf(p, "%02x", rnd[i]);
  strcpy(out->ns, MC__PLAT_WINDOWS ? "Local\\" : "");
  out->everyone = 0;
  return MC_OK;
}

int mc__name_derive(const mc__objname *n, const char *suffix, mc__objname *out) {
  int len = snprintf(out->base, sizeof out->base, "%s%s", n->base, suffix);
  if (len < 0 || (size_t)len >= sizeof out->base) return MC_EINVAL;
  strcpy(out->ns, n->ns);
  out->everyone = n->everyone;
  return MC_OK;
}

int mc__name_parse_derived(const char *name, mc__objname *out) {
  if (!name || !out) return MC_EINVAL;
  const char *dollar = strchr(name, '$');
  if (!dollar) return mc__name_parse(name, out);
  size_t base_len = (size_t)(dollar - name), suffix_len = strlen(dollar + 1);
  char base[MC_NAME_MAX + 16];
  if (base_len >= sizeof base || suffix_len == 0 || suffix_len > 16) return MC_EINVAL;
  for (size_t i = 1; i <= suffix_len; i++)
    if (!name_char_ok(dollar[i])) return MC_EINVAL;
  memcpy(base, name, base_len);
  base[base_len] = '\0';
  mc__objname n;
  int rc = mc__name_parse(base, &n);
  if (rc != MC_OK) return rc;
  return mc__name_derive(&n, dollar, out);
}

void mc__name_user_spelling(const mc__objname *n, char *buf, size_t cap) {
  /* Local\ is the default namespace: left out, as users write names. */
  const char *ns = strcmp(n->ns, "Global\\") == 0 ? n->ns : "";
  snprintf(buf, cap, "%s%s", ns, n->base);
}
