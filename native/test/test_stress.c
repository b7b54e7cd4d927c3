/*
 * test_stress.c: the RAW domain is thread-safe (PEP 445), with and without the debug hooks, with the
 * pass-through hooks and the tracing hook on top.
 *
 *     8 threads: PyMem_RawMalloc/RawCalloc --> fill, hash --> another thread --> check, RawRealloc, RawFree
 *
 * Usage: test_stress [--rounds N] (default 5000 per thread). Prints one line per check and
 * "N passed, N failed" last; exit code = failures.
 */
#define _GNU_SOURCE 1
#include "allocspec.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int main(int argc, char **argv)
{
    int rounds = 5000; /* per thread; the stress runs 6 phases on a clean allocator (5 of them rounds / 8) */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
    char name[200];
    for (int prof = 0; prof < 2; prof++) {
        const char *pn = prof ? "cpython" : "pep445-2013";
        allocspec_reset(prof, -1);
        int r = allocspec_stress_raw(8, rounds, 1234 + (uint64_t)prof);
        snprintf(name, sizeof name, "%s: 8 threads x %d rounds, default RAW: 0 mismatches", pn, rounds);
        CHECK(name, r == 0);

        PyMem_SetupDebugHooks();
        allocspec_record_violations(1);
        r = allocspec_stress_raw(8, rounds, 99 + (uint64_t)prof);
        snprintf(name, sizeof name, "%s: 8 threads, RAW under the debug hooks: 0 mismatches, 0 violations", pn);
        CHECK(name, r == 0 && allocspec_violation_count() == 0);

        if (!prof) {
            /* serial numbers are atomic: 8 threads allocate, every serial is distinct (bpo-31473) */
            uint8_t *p = PyMem_RawMalloc(1);
            size_t serial = 0;
            for (size_t i = 0; i < sizeof(size_t); i++) serial = (serial << 8) | p[1 + sizeof(size_t) + i];
            PyMem_RawFree(p);
            /* every malloc/calloc bumps the serial once; reallocs once each: at least 8*rounds calls so far */
            snprintf(name, sizeof name, "pep445-2013: serial number counted every debug malloc across threads (%zu)", serial);
            CHECK(name, serial >= (size_t)8 * (size_t)rounds);
        }

        allocspec_passthrough_install(NULL, NULL, 2);
        r = allocspec_stress_raw(8, rounds / 4, 7);
        uint64_t calls = allocspec_passthrough_calls();
        allocspec_passthrough_uninstall();
        snprintf(name, sizeof name, "%s: 8 threads through 2 pass-through layers + debug hooks: 0 mismatches, calls counted atomically", pn);
        CHECK(name, r == 0 && calls >= (uint64_t)8 * (uint64_t)(rounds / 4) * 2);

        allocspec_trace_install(NULL, NULL, 100000000);
        r = allocspec_stress_raw(8, rounds / 4, 11);
        uint64_t ops = allocspec_trace_uninstall();
        snprintf(name, sizeof name, "%s: 8 threads under the tracing hook: 0 mismatches, every op recorded", pn);
        CHECK(name, r == 0 && ops >= (uint64_t)8 * (uint64_t)(rounds / 4) * 2);

        allocspec_mark_js_domain(PYMEM_DOMAIN_RAW, 1);
        snprintf(name, sizeof name, "%s: refused (-1) when RAW calls into JS", pn);
        CHECK(name, allocspec_stress_raw(8, 10, 1) == -1);
        allocspec_mark_js_domain(PYMEM_DOMAIN_RAW, 0);
        CHECK("bad arguments give -2", allocspec_stress_raw(0, 10, 1) == -2 && allocspec_stress_raw(1000, 10, 1) == -2);
    }
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    printf("\n%d passed, %d failed\n", passed, failed);
    return failed;
}
