/* Shared scaffolding for the Check suites: one suite per module, run in
 * Check's fork mode, exit status = number of failures. */
#ifndef LABNET_TESTUTIL_H
#define LABNET_TESTUTIL_H

#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of n bytes in an allocation of exactly n bytes, so ASan reports any
 * read past the end of a parsed input. */
static inline void *test_exact_copy(const void *src, size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

/* An IPv4 address in network order (as the DHCP codec keeps them). */
static inline uint32_t test_ip4(const char *s)
{
    struct in_addr a;
    ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

/* Decodes C-style escapes (\r \n \t \xHH, and \ before any other byte)
 * from the NUL-terminated s into out, which must hold strlen(s) bytes;
 * returns the decoded length.  Test corpora write raw messages this way. */
static inline size_t test_unescape(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef0123456789ABCDEF";
    size_t n = 0;
    while (*s) {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'r':
            out[n++] = '\r';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'x': {
            const char *h = s[1] ? strchr(hex, s[1]) : NULL;
            const char *l = h && s[2] ? strchr(hex, s[2]) : NULL;
            ck_assert_msg(h && l, "bad \\x escape");
            out[n++] = (char)(((h - hex) % 16) << 4 | ((l - hex) % 16));
            s += 2;
            break;
        }
        case '\0':
            ck_abort_msg("escape at the end of a corpus line");
            break;
        default:
            out[n++] = *s;
        }
        s++;
    }
    return n;
}

#ifdef TEST_DATA_DIR
/* Reads tests/data/<dir>/<name><ext>: hex digits (either case), white space
 * ignored, '#' starts a comment to the end of the line.  Returns the bytes
 * in an exact-size allocation (free it) and their count in *len. */
static inline uint8_t *test_load_hex(const char *dir, const char *name, const char *ext,
                                     size_t *len)
{
    char path[512];
    (void)snprintf(path, sizeof(path), "%s/%s/%s%s", TEST_DATA_DIR, dir, name, ext);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static uint8_t tmp[65536];
    size_t n = 0;
    int c, hi = -1;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#') {
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            ck_assert_uint_lt(n, sizeof(tmp));
            tmp[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    (void)fclose(f);
    ck_assert_msg(hi == -1, "%s: odd number of hex digits", path);
    *len = n;
    return test_exact_copy(tmp, n);
}
#endif

#define TEST_MAIN(make_suite)                             \
    int main(void)                                        \
    {                                                     \
        SRunner *sr = srunner_create(make_suite());       \
        srunner_run_all(sr, CK_NORMAL);                   \
        int failed = srunner_ntests_failed(sr);           \
        srunner_free(sr);                                 \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE; \
    }

#endif
