/*
 * check.h: the named-check harness shared by the C test programs (in the spirit of mimalloc's
 * test/test-api.c): CHECK(name, cond) prints "ok   name" or "FAIL name (line N)" and counts; each
 * program prints "N passed, N failed" last and exits with the number of failures.
 */
#ifndef ALLOCSPEC_TEST_CHECK_H
#define ALLOCSPEC_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(name, cond)                                                                                     \
    do {                                                                                                      \
        if (cond) {                                                                                           \
            passed++;                                                                                         \
            printf("ok   %s\n", name);                                                                        \
        } else {                                                                                              \
            failed++;                                                                                         \
            printf("FAIL %s (line %d)\n", name, __LINE__);                                                    \
        }                                                                                                     \
    } while (0)

#endif /* ALLOCSPEC_TEST_CHECK_H */
