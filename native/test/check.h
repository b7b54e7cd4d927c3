/*
 * check.h: the named-check harness shared by the C test programs (in the spirit of mimalloc's
 * test/test-api.c): CHECK(name, cond) prints "ok   name" or "FAIL name (line N)" and counts; SKIP(what,
 * reason) prints "skip what: reason" and counts a check that could not run here (no library, under a
 * tool that does not model it); each program prints "N passed, N failed, N skipped" last
 * (CHECK_SUMMARY) and exits with the number of failures.
 */
#ifndef ALLOCSPEC_TEST_CHECK_H
#define ALLOCSPEC_TEST_CHECK_H

#include <stdio.h>

/* unused in a program that never skips: not a warning */
static int passed, failed, skipped __attribute__((unused));

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

#define SKIP(what, reason)                                                                                    \
    do {                                                                                                      \
        skipped++;                                                                                            \
        printf("skip %s: %s\n", what, reason);                                                                \
    } while (0)

#define CHECK_SUMMARY() printf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)

#endif /* ALLOCSPEC_TEST_CHECK_H */
