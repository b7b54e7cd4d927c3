/*
 * test_stress.c: the RAW domain is thread-safe (PEP 445), with and without the debug hooks, with the
 * pass-through hooks and the tracing hook on top.
 *
 *     8 threads: PyMem_RawMalloc/RawCalloc --> fill, hash --> another thread --> check, RawRealloc, RawFree
 *
 * Usage: test_stress [--rounds N] (default 10000 per thread). Prints one line per check and
 * "N passed, N failed" last; exit code = failures.
 */
#define _GNU_SOURCE 1
#include "allocspec.h"
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- violations recorded on some threads while others read them (TSan checks the getters' locking) ---- */

static atomic_int violation_writers_done;
static atomic_int violation_bad_reads;

/* A writer: RAW block freed through MEM (bad API id: recorded, the free is a no-op), then freed rightly. */
static void *violation_writer(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        void *p = PyMem_RawMalloc(8);
        if (p == NULL) continue;
        PyMem_Free(p);
        PyMem_RawFree(p);
    }
    atomic_fetch_add(&violation_writers_done, 1);
    return NULL;
}

/* A reader: every field read while writers record must belong to a bad-ID record. */
static void *violation_reader(void *arg)
{
    int writers = *(int *)arg;
    while (atomic_load(&violation_writers_done) < writers) {
        if (allocspec_violation_count() == 0) continue;
        const char *text = allocspec_violation_text();
        if (allocspec_violation_kind() != ALLOCSPEC_VIOLATION_BAD_ID || allocspec_violation_address() == NULL ||
            strcmp(allocspec_violation_func(), "_PyMem_DebugRawFree") != 0 ||
            strstr(text, "bad ID: Allocated using API 'r', verified using API 'm'") == NULL)
            atomic_fetch_add(&violation_bad_reads, 1);
    }
    return NULL;
}

static int violation_race(int rounds)
{
    enum { WRITERS = 4, READERS = 2 };
    pthread_t t[WRITERS + READERS];
    int n = rounds, writers = WRITERS;
    atomic_store(&violation_writers_done, 0);
    atomic_store(&violation_bad_reads, 0);
    for (int i = 0; i < WRITERS; i++) pthread_create(&t[i], NULL, violation_writer, &n);
    for (int i = 0; i < READERS; i++) pthread_create(&t[WRITERS + i], NULL, violation_reader, &writers);
    for (int i = 0; i < WRITERS + READERS; i++) pthread_join(t[i], NULL);
    return atomic_load(&violation_bad_reads);
}


int main(int argc, char **argv)
{
    int rounds = 10000;
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
    /* pep445-2013 profile: MEM's debug hooks check no GIL, so a MEM free on any thread reaches the id check */
    allocspec_reset(ALLOCSPEC_PROFILE_PEP445_2013, -1);
    PyMem_SetupDebugHooks();
    allocspec_record_violations(1);
    int bad = violation_race(rounds / 10 > 0 ? rounds / 10 : 1);
    snprintf(name, sizeof name, "violations recorded on 4 threads, read on 2: every read is one whole record (%d torn)", bad);
    CHECK(name, bad == 0 && allocspec_violation_count() >= 4 * (rounds / 10 > 0 ? rounds / 10 : 1));
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK_SUMMARY();
    return failed;
}
