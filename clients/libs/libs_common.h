/*
 * libs_common.h: what every external-library harness shares (clients/libs/<library>.c; issue 12, PEP 445
 * "External libraries": "configure external libraries like zlib or OpenSSL to allocate memory using
 * PyMem_RawMalloc()").
 *
 *     library hook (zalloc, malloc_fcn, CRYPTO_set_mem_functions, xmlMemSetup, sqlite3_mem_methods)
 *        |  lr_malloc / lr_calloc / lr_realloc / lr_free        counting + live-block table (this file)
 *        v
 *     the TARGET's PyMem_RawMalloc / RawCalloc / RawRealloc / RawFree (entry table handed in by the host:
 *     liballocspec's or libpython's exported entry points, with the RAW debug hooks installed by the host)
 *
 * Each harness is one shared library exporting `libs_run` (below). The host (clients/libs/child.ts) opens
 * the target through the one target parser (conformance/adapters/mod.ts), installs the debug hooks, hands
 * the target's C entry points here, and reads the JSON result. One library per process, so OpenSSL's
 * CRYPTO_set_mem_functions can run before its first allocation.
 *
 * Measured per run: calls per function, requested bytes, peak live bytes, zero-size requests, free(NULL),
 * frees of pointers this table never handed out ("foreign frees": passed on so the debug hooks judge them),
 * live blocks after the library's cleanup (leaks: count, bytes, sizes and sites), debug-hook violations
 * (native targets: collected with CPython's text through allocspec_set_violation_handler; cpython: the
 * hooks abort and the host judges stderr), and the workload's own checks.
 *
 * Thread safety: the table and counters are guarded by one mutex; the target is called OUTSIDE it (a
 * block is removed from the table before it is freed/reallocated and inserted after it is returned), so
 * several library threads reach the target's RAW allocator concurrently, as PEP 445 allows for RAW.
 */
#ifndef LIBS_COMMON_H
#define LIBS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "allocspec.h"

/* What the host hands in (layout mirrored by clients/libs/child.ts: 13 pointers). */
typedef struct {
    allocspec_entry_table entries; /* the target's entry points; only index 0 (RAW) is used */
    void *set_violation_handler;   /* the target's allocspec_set_violation_handler, or NULL (CPython) */
} libs_target;
_Static_assert(sizeof(libs_target) == 13 * sizeof(void *), "libs_target is 13 pointers (child.ts)");

/* Every harness exports this. options: space-separated words ("quick", "plant=leak", "mode=late", ...).
   Writes one JSON object to out; returns 0 when every check passed. */
__attribute__((visibility("default"))) int libs_run(const libs_target *t, const char *options, char *out,
                                                    size_t cap);

/* Optional injection point (fault sweeps): called before each allocation; non-zero fails it (NULL). */
typedef int (*lr_fail_fn)(size_t size, const char *site);
extern lr_fail_fn lr_should_fail;

void lr_begin(const libs_target *t);
void *lr_malloc(size_t n, const char *site);
void *lr_calloc(size_t n, size_t size, const char *site);
void *lr_realloc(void *p, size_t n, const char *site);
void lr_free(void *p, const char *site);

/* The harness's option words. */
int lr_opt(const char *options, const char *word);
/* A workload check: failures are reported with their message (the run then returns 1). */
void lr_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error the library itself reported (its return code / error text): the fault sweep's oracle looks
   here for the library's out-of-memory error (Z_MEM_ERROR, XML_ERROR_NO_MEMORY, ERR_R_MALLOC_FAILURE,
   SQLITE_NOMEM, libxml2's "Memory allocation failed"). */
void lr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An observation worth reporting (e.g. what a library printed). */
void lr_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Extra "key": value members of the result object (value already JSON). */
void lr_extra(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Snapshot of the live blocks now (for "after cleanup" leak judgement); the result reports the last one. */
void lr_settle(void);
/* Writes the result object; returns the number of failed checks (0 = verified). */
int lr_end(const char *library, char *out, size_t cap);

/* Deterministic data (xorshift64*), shared by the harnesses. */
uint64_t lr_rand(uint64_t *state);
/* Runs fn(arg_i) on n threads at once (each starts when all exist) and joins them. */
void lr_threads(int n, void *(*fn)(void *), void *args, size_t arg_size);

#endif /* LIBS_COMMON_H */
