/* FindFirstFile-style name patterns (see findrec.h). */
#include "findrec.h"

#include <string.h>

/* Length of the UTF-8 character starting at s (1 for a stray byte). */
static size_t char_len(const char *s) {
  unsigned char c = (unsigned char)*s;
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  for (size_t i = 1; i < n; i++)
    if (((unsigned char)s[i] >> 6) != 2) return 1;
  return n;
}

static int same_char(const char *a, const char *b, size_t n) {
  if (n != 1) return memcmp(a, b, n) == 0;
  char x = *a, y = *b;
  if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
  if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
  return x == y;
}

static int match(const char *p, const char *n) {
  /* Iterative with one backtrack point per '*': linear enough for file names. */
  const char *star = NULL, *resume = NULL;
  while (*n) {
    size_t cl = char_len(n);
    if (*p == '*') {
      star = ++p;
      resume = n;
      continue;
    }
    if (*p == '?' || (*p && char_len(p) == cl && same_char(p, n, cl))) {
      p += *p == '?' ? 1 : cl;
      n += cl;
      continue;
    }
    if (!star) return 0;
    p = star;
    resume += char_len(resume);
    n = resume;
  }
  while (*p == '*') p++;
  return *p == '\0';
}

int ff_match(const char *pattern, const char *name) {
  if (!pattern || !*pattern || strcmp(pattern, "*") == 0 || strcmp(pattern, "*.*") == 0) return 1;
  if (strcmp(pattern, "*.") == 0) return strchr(name, '.') == NULL;
  return match(pattern, name);
}
