/* What a run reports: the comparisons (floors, fastest baseline), the text table, and the
 * machine-readable CSV and JSON files (report.c). */
#ifndef MB_OUTPUT_H
#define MB_OUTPUT_H

#include <stdio.h>

#include "bench.h"

/* Fills floor_* and best_* of every result that succeeded. */
void mb_compare(mb_result *r, int n);
/* The table, then what was skipped or failed and why. */
void mb_print_table(FILE *f, const mb_result *r, int n);
/* Platform notes (Win32 under Wine, missing CPUs) printed before and after the table. */
void mb_print_notes(FILE *f);
/* "64 B", "4 KiB", "1 MiB". */
/* Room for any size's label: 20 digits, a unit and the NUL. */
#define MB_SIZE_LABEL 32
void mb_size_label(size_t size, char *buf, size_t cap);

/* 0, or -1 with a message on stderr. */
int mb_write_csv(const char *path, const mb_result *r, int n);
int mb_write_json(const char *path, const mb_result *r, int n);

/* The writers behind both (report.c), for any list of records: a field's value rendered
   once, as text (quoted in both formats) or a number (bare; empty in CSV and null in JSON
   when not present). fill(ctx, i, fields) renders record i; the header takes the names of
   record 0's, so fill must name the fields even when n is 0. */
#define MB_MAX_FIELDS 32
typedef struct mb_field {
  const char *name;
  int is_text, present;
  char val[256];
} mb_field;
#if defined(__MINGW32__)
#define MB_PRINTF5 __attribute__((format(__MINGW_PRINTF_FORMAT, 5, 6)))
#elif defined(__GNUC__)
#define MB_PRINTF5 __attribute__((format(printf, 5, 6)))
#else
#define MB_PRINTF5
#endif
void mb_field_set(mb_field *f, const char *name, int is_text, int present, const char *fmt,
                  ...) MB_PRINTF5;
typedef void (*mb_fields_fn)(const void *ctx, int i, mb_field *fields);
int mb_write_records_csv(const char *path, int n, int nfields, mb_fields_fn fill, const void *ctx);
/* {"tool", ["mode",] "version", "platform", "indicative", "records": [...]}; mode NULL: none. */
int mb_write_records_json(const char *path, const char *mode, int n, int nfields, mb_fields_fn fill,
                          const void *ctx);

#endif
