/* table.h - docker-style tables: columns as wide as their widest cell, 3 spaces apart */
#pragma once
#include <stddef.h>
#include <stdio.h>

struct table;
struct table *table_new(int ncols);
/* Adds a row of ncols cells (copied). */
void table_add(struct table *t, const char *const *cells);
/* Prints the header (ncols names) and the rows (nothing if f is NULL), and frees the table. */
void table_print(struct table *t, FILE *f, const char *const *header);
/* Docker's human durations: "Less than a second", "5 seconds", "About a minute", "3 hours". */
void table_duration(long seconds, char *buf, size_t len);
/* "3 minutes ago" for an RFC 3339 time, as docker prints CREATED; "N/A" if unparsable. */
void table_since(const char *rfc3339, char *buf, size_t len);
/* Seconds since an RFC 3339 time, or -1. */
long table_age(const char *rfc3339);
/* docker's sizes: 1000-based units, 3 significant digits ("4.26MB", "12.5kB", "0B") */
void table_size(unsigned long long n, char *buf, size_t len);
/* units.HumanSize, which system df uses: the same with 4 significant digits ("4.261MB") */
void table_size4(unsigned long long n, char *buf, size_t len);
/* docker's units.BytesSize (info's Total Memory): 1024-based, 4 significant digits ("1.944GiB") */
void table_bytes(unsigned long long n, char *buf, size_t len);
/* An RFC 3339 time as Go's time.String() in local time ("2026-01-02 15:04:05 +0000 UTC"),
 * which is how docker's CreatedAt columns show it; "" if unparsable */
void table_go_time(const char *rfc3339, char *buf, size_t len);
