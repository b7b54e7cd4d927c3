/*
 * test_stress.c: the RAW domain is thread-safe (PEP 445), with and without the debug hooks, with the
 * pass-through hooks and the tracing hook on top.
 *
 *     8 threads: PyMem_RawMalloc/RawCalloc --> fill, hash --> another thread --> check, RawRealloc, RawFree
 *
 * and that the stress names the operation of a RAW allocator that skips its lock (racy_* below).
 *
 * Usage: test_stress [--rounds N] (default 5000 per thread). Prints one line per check and
 * "N passed, N failed" last; exit code = failures.
 */
#define _GNU_SOURCE 1
#include "allocspec.h"
#include "check.h"

#include <pthread.h>
#include <sched.h>
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


/*
 * A RAW allocator whose malloc skips the lock the others take (blocks of one size on a free stack; a
 * sched_yield() inside malloc's pop stands for a preemption there): the stress must find it and name
 * malloc, and an allocator doing the same with every call locked must pass.
 */
#if !defined(__SANITIZE_THREAD__)
#define RACY_BLOCK 2048
#define RACY_CAP 4096
#define RACY_MAX_BLOCKS 65536
static struct {
    pthread_mutex_t lock;
    size_t *stack[RACY_CAP];
    unsigned count;
    int malloc_unlocked;
    pthread_mutex_t all_lock; /* every block ever made, freed at the end (the stress leaks duplicates) */
    size_t *all[RACY_MAX_BLOCKS];
    unsigned nall;
} racy = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, PTHREAD_MUTEX_INITIALIZER, {0}, 0};

static size_t *racy_new(void)
{
    pthread_mutex_lock(&racy.all_lock);
    size_t *h = racy.nall < RACY_MAX_BLOCKS ? malloc(RACY_BLOCK + 16) : NULL;
    if (h != NULL) racy.all[racy.nall++] = h;
    pthread_mutex_unlock(&racy.all_lock);
    return h;
}

static void racy_release_all(void)
{
    for (unsigned i = 0; i < racy.nall; i++) free(racy.all[i]);
    racy.nall = 0;
    racy.count = 0;
}

static void *racy_take(int locked)
{
    size_t *h = NULL;
    if (locked) pthread_mutex_lock(&racy.lock);
    unsigned c = racy.count;
    if (c > 0) {
        h = racy.stack[c - 1];
        if (!locked) sched_yield();
        racy.count = c - 1;
    }
    if (locked) pthread_mutex_unlock(&racy.lock);
    return h != NULL ? h : racy_new();
}
static void *racy_malloc(void *ctx, size_t n)
{
    (void)ctx;
    if (n > RACY_BLOCK) return NULL;
    size_t *h = racy_take(!racy.malloc_unlocked);
    if (h != NULL) h[0] = n;
    return h != NULL ? (char *)h + 16 : NULL;
}
static void *racy_calloc(void *ctx, size_t a, size_t b)
{
    (void)ctx;
    if (b != 0 && a > RACY_BLOCK / b) return NULL;
    size_t *h = racy_take(1);
    if (h == NULL) return NULL;
    h[0] = a * b;
    memset((char *)h + 16, 0, a * b);
    return (char *)h + 16;
}
static void racy_free(void *ctx, void *p)
{
    (void)ctx;
    if (p == NULL) return;
    size_t *h = (size_t *)((char *)p - 16);
    pthread_mutex_lock(&racy.lock);
    if (racy.count < RACY_CAP) racy.stack[racy.count++] = h; /* else kept in racy.all until the end */
    pthread_mutex_unlock(&racy.lock);
}
static void *racy_realloc(void *ctx, void *p, size_t n)
{
    if (p == NULL) {
        if (n > RACY_BLOCK) return NULL;
        size_t *h = racy_take(1);
        if (h != NULL) h[0] = n;
        return h != NULL ? (char *)h + 16 : NULL;
    }
    if (n > RACY_BLOCK) return NULL;
    ((size_t *)((char *)p - 16))[0] = n; /* every block holds RACY_BLOCK bytes: in place */
    (void)ctx;
    return p;
}
#endif

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
    /* pep445-2013 profile: MEM's debug hooks check no GIL, so a MEM free on any thread reaches the id check */
    allocspec_reset(ALLOCSPEC_PROFILE_PEP445_2013, -1);
    PyMem_SetupDebugHooks();
    allocspec_record_violations(1);
    int bad = violation_race(rounds / 10 > 0 ? rounds / 10 : 1);
    snprintf(name, sizeof name, "violations recorded on 4 threads, read on 2: every read is one whole record (%d torn)", bad);
    CHECK(name, bad == 0 && allocspec_violation_count() >= 4 * (rounds / 10 > 0 ? rounds / 10 : 1));
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
#if defined(__SANITIZE_THREAD__)
    SKIP("the racy allocator checks", "ThreadSanitizer reports their deliberate race");
#else
    PyMemAllocatorEx racy_alloc = {NULL, racy_malloc, racy_calloc, racy_realloc, racy_free};
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &racy_alloc);
    int r = allocspec_stress_raw(16, rounds / 2, 5);
    snprintf(name, sizeof name, "16 threads, every call of a free-stack allocator locked: 0 mismatches (%d)", r);
    CHECK(name, r == 0);
    racy.malloc_unlocked = 1;
    r = allocspec_stress_raw(16, rounds / 2, 6);
    snprintf(name, sizeof name, "the same with malloc unlocked: mismatches found, malloc blamed (0x%x)", (unsigned)r);
    CHECK(name, r > 0 && (r & ALLOCSPEC_STRESS_COUNT_MASK) > 0 && (r >> ALLOCSPEC_STRESS_BLAME_SHIFT & 0xf) == 1 &&
                    (r >> ALLOCSPEC_STRESS_SEEN_SHIFT & ALLOCSPEC_STRESS_SEEN_DUP_MALLOC));
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    racy_release_all();
#endif
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK_SUMMARY();
    return failed;
}
