/* pytok_coding.c - PEP 263 encoding declarations: the comment in the
 * first two lines that names a source's codec, found as CPython finds
 * it (see pytok_find_coding in pytok.h). */
#include "config.h"

#include <string.h>

#include "policy/pytok.h"

static bool is_coding_char(unsigned c)
{
    return c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9')
           || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* True when the line holds only blanks and maybe a comment. */
static bool is_blank_or_comment(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i] != '#'; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\f')
            return false;
    return true;
}

/* Python's regex: ^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+) */
static bool coding_in_line(const unsigned char *s, size_t n, char *name,
                           size_t cap)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
        i++;
    if (i >= n || s[i] != '#')
        return false;
    for (; i + 7 <= n; i++) {
        size_t j = i + 7, k;

        if (memcmp(s + i, "coding", 6) != 0
            || (s[i + 6] != ':' && s[i + 6] != '='))
            continue;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        for (k = j; k < n && is_coding_char(s[k]); k++)
            ;
        if (k == j)
            continue;
        if (cap) {
            size_t m = k - j < cap - 1 ? k - j : cap - 1;

            memcpy(name, s + j, m);
            name[m] = '\0';
        }
        return true;
    }
    return false;
}

bool pytok_find_coding(const char *src, size_t len, char *name, size_t cap,
                       int *line)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t p = 0;

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        p = 3;
    for (int l = 1; l <= 2 && p < len; l++) {
        size_t e = p;

        while (e < len && s[e] != '\n' && s[e] != '\r')
            e++;
        if (coding_in_line(s + p, e - p, name, cap)) {
            if (line)
                *line = l;
            return true;
        }
        /* CPython reads line 2 only after a blank or comment line 1. */
        if (!is_blank_or_comment(s + p, e - p))
            return false;
        p = e + (e < len && s[e] == '\r' && e + 1 < len && s[e + 1] == '\n'
                 ? 2 : 1);
    }
    return false;
}

