/* Printing records (see output.h). */
#include "output.h"

#include <string.h>

void ff_name_utf8(const findrec *rec, char *out, size_t cap) {
#ifdef _WIN32
  if (WideCharToMultiByte(CP_UTF8, 0, rec->fd.cFileName, -1, out, (int)cap, NULL, NULL) <= 0)
    out[0] = '\0';
#else
  snprintf(out, cap, "%s", rec->fd.cFileName);
#endif
}

void ff_error_text(int32_t err, char *out, size_t cap) {
#ifdef _WIN32
  wchar_t w[256];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                           (DWORD)err, 0, w, 256, NULL);
  while (n > 0 && (w[n - 1] == L'\n' || w[n - 1] == L'\r' || w[n - 1] == L'.')) w[--n] = 0;
  if (n == 0 || WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL) <= 0)
    snprintf(out, cap, "error %ld", (long)err);
#else
  snprintf(out, cap, "%s", strerror(err));
#endif
}

void ff_print_text(FILE *out, const findrec *rec) {
  if (rec->kind == FF_ERROR) return; /* errors go to stderr, see the client */
  const char *label = rec->kind == FF_DIR ? "Dir found  : " : "File found : ";
  fputs(label, out);
  fwrite(rec->path, 1, rec->path_len, out);
  fputs(rec->kind == FF_DIR ? "/\n" : rec->kind == FF_LINK ? " (link)\n" : "\n", out);
}

void ff_json_string(FILE *out, const char *s, size_t len) {
  putc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      putc(c, out);
  }
  putc('"', out);
}

void ff_print_json(FILE *out, const findrec *rec) {
  static const char *const kinds[] = {"?", "file", "dir", "link", "other", "error"};
  char name[MAX_PATH * 4];
  fputs("{\"path\":", out);
  ff_json_string(out, rec->path, rec->path_len);
  fprintf(out, ",\"type\":\"%s\"", kinds[rec->kind <= FF_ERROR ? rec->kind : 0]);
  if (rec->kind == FF_ERROR) {
    char text[256];
    ff_error_text(rec->error, text, sizeof text);
    fprintf(out, ",\"error\":%ld,\"message\":", (long)rec->error);
    ff_json_string(out, text, strlen(text));
    fputs("}\n", out);
    return;
  }
  const ff_find_data *fd = &rec->fd;
  ff_name_utf8(rec, name, sizeof name);
  fputs(",\"name\":", out);
  ff_json_string(out, name, strlen(name));
  fprintf(out,
          ",\"size\":%llu,\"attributes\":%lu,\"creation_time\":%llu,\"access_time\":%llu,"
          "\"write_time\":%llu}\n",
          (unsigned long long)ff_size(fd), (unsigned long)fd->dwFileAttributes,
          (unsigned long long)ff_filetime(&fd->ftCreationTime),
          (unsigned long long)ff_filetime(&fd->ftLastAccessTime),
          (unsigned long long)ff_filetime(&fd->ftLastWriteTime));
}
