/* pytok_literal.c - the value of a string literal token (see
 * pytok_string_value in pytok.h): prefixes, quotes and escapes decoded,
 * as Python decodes them, into UTF-8. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "policy/pytok.h"

static int hex_digit(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/* Appends code point cp as UTF-8; -1 if it does not fit or is not a
 * scalar value (a lone surrogate cannot name anything we look for). */
static int put_cp(char *out, size_t cap, size_t *o, uint32_t cp)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            return -1;
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else if (cp <= 0x10ffff) {
        b[0] = (unsigned char)(0xf0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    } else {
        return -1;
    }
    if (*o + n >= cap)
        return -1;
    memcpy(out + *o, b, n);
    *o += n;
    return 0;
}

/* \xhh, \uhhhh, \Uhhhhhhhh: exactly digits hex digits at s[*i]. */
static int hex_escape(const unsigned char *s, size_t end, size_t *i,
                      int digits, uint32_t *cp)
{
    uint32_t v = 0;

    if (end - *i < (size_t)digits)
        return -1;
    for (int k = 0; k < digits; k++) {
        int d = hex_digit(s[*i + (size_t)k]);

        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *i += (size_t)digits;
    *cp = v;
    return 0;
}

/* One escape after a backslash at s[*i]; appends its value. */
static int put_escape(const unsigned char *s, size_t end, size_t *i,
                      char *out, size_t cap, size_t *o)
{
    static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    unsigned c = s[*i];
    uint32_t cp;

    if (c == '\n' || c == '\r') {
        *i += c == '\r' && *i + 1 < end && s[*i + 1] == '\n' ? 2 : 1;
        return 0;
    }
    for (size_t k = 0; k + 1 < sizeof(simple); k += 2)
        if ((unsigned char)simple[k] == c) {
            (*i)++;
            return put_cp(out, cap, o, (unsigned char)simple[k + 1]);
        }
    if (c >= '0' && c <= '7') {
        cp = 0;
        for (int k = 0; k < 3 && *i < end && s[*i] >= '0' && s[*i] <= '7';
             k++)
            cp = cp * 8 + (uint32_t)(s[(*i)++] - '0');
        return put_cp(out, cap, o, cp);
    }
    if (c == 'x' || c == 'u' || c == 'U') {
        (*i)++;
        if (hex_escape(s, end, i, c == 'x' ? 2 : c == 'u' ? 4 : 8, &cp) < 0)
            return -1;
        return put_cp(out, cap, o, cp);
    }
    if (c == 'N')
        return -1;
    /* Unknown escapes keep their backslash, as in Python. */
    return put_cp(out, cap, o, '\\');
}

int pytok_string_value(const char *text, size_t n, char *out, size_t cap,
                       size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)text;
    bool is_raw = false;
    size_t i = 0, end, qlen, o = 0;
    unsigned char q;

    for (; i < n && s[i] != '"' && s[i] != '\''; i++) {
        unsigned c = s[i] | 0x20;

        if (c == 'r')
            is_raw = true;
        else if (c != 'u')
            return -1;              /* b, f or not a string at all */
    }
    if (i >= n || cap == 0)
        return -1;
    q = s[i];
    qlen = n - i >= 6 && s[i + 1] == q && s[i + 2] == q ? 3 : 1;
    if (n - i < 2 * qlen)
        return -1;
    end = n - qlen;
    for (i += qlen; i < end; ) {
        unsigned c = s[i];

        if (c == '\\' && !is_raw) {
            if (++i >= end)
                return -1;
            if (put_escape(s, end, &i, out, cap, &o) < 0)
                return -1;
        } else if (c == '\r') {
            i += i + 1 < end && s[i + 1] == '\n' ? 2 : 1;
            if (put_cp(out, cap, &o, '\n') < 0)
                return -1;
        } else {
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)c;
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

