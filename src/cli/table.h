/* table.h - docker-style tables: columns as wide as their widest cell, 3 spaces apart */
#pragma once
#include <stdio.h>

struct table;
struct table *table_new(int ncols);
/* Adds a row of ncols cells (copied). */
void table_add(struct table *t, const char *const *cells);
/* Prints the header (ncols names) and the rows, and frees the table. */
void table_print(struct table *t, FILE *f, const char *const *header);
