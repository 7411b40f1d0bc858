/* Shared scaffolding for the Check suites: one suite per module, run in
 * Check's fork mode, exit status = number of failures. */
#ifndef LABNET_TESTUTIL_H
#define LABNET_TESTUTIL_H

#include <check.h>
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
