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

#endif
