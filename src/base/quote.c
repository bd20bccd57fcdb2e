/* quote.c - strings fit for a one-line message */
#include "quote.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void quote_str(char *buf, size_t size, const char *s)
{
    size_t n = 0;
    if (size < 16) {
        if (size)
            buf[0] = '\0';
        return;
    }
    buf[n++] = '"';
    for (const char *p = s ? s : ""; *p; p++) {
        if (n + 8 >= size) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(buf + n, size - n, "\\x%02x", c);
            n += 4;
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

void quote_plain(char *buf, size_t size, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    bool plain = len > 0 && len + 1 < size && len <= 200;
    for (size_t i = 0; plain && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (plain)
        memcpy(buf, s, len + 1);
    else
        quote_str(buf, size, s);
}
