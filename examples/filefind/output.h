/* The client's ways of printing records: the sample's "File found : <path>" lines, or one
   JSON object per record. */
#ifndef FILEFIND_OUTPUT_H
#define FILEFIND_OUTPUT_H

#include "findrec.h"

#include <stdio.h>

/* A record's file name in UTF-8 (Windows names are UTF-16 in WIN32_FIND_DATAW). */
void ff_name_utf8(const findrec *rec, char *out, size_t cap);
/* Text of an error code: strerror / FormatMessage. */
void ff_error_text(int32_t err, char *out, size_t cap);
void ff_print_text(FILE *out, const findrec *rec);
void ff_print_json(FILE *out, const findrec *rec);
/* Writes s[0..len) as a JSON string literal. */
void ff_json_string(FILE *out, const char *s, size_t len);

#endif
