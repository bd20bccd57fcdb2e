/* quote.h - a string from a user or an image, made fit for a one-line message */
#pragma once
#include <stddef.h>

/* room for a quoted string of about 200 bytes of input */
#define QUOTE_SIZE 216

/* Writes s into buf as a double-quoted C-ish string: control bytes, bytes above 0x7e,
 * quotes and backslashes escaped (\x1b, \"), long input cut short with "...", so that a
 * hostile string can neither break the line nor reach the terminal as raw bytes. */
void quote_str(char *buf, size_t size, const char *s);
/* s as it is when it is printable ASCII without spaces or quotes (docker's messages show a
 * name so), else as quote_str writes it. */
void quote_plain(char *buf, size_t size, const char *s);
