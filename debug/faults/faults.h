/*
 * faults.h: the allocspec fault engine's public C API (PEP 445 rationale: "force allocation to fail to test
 * handling of MemoryError"; section "Use cases", use case 3 "Setup Allocator Hooks").
 *
 * One engine, two ways in:
 *  - as a launcher layer (libas_faults.so): the launcher calls pep445_hook_install(), which reads
 *    ALLOCSPEC_FAULTS_* (as_faults_config_from_env) and wraps RAW, MEM and OBJ through the process's
 *    PyMem_GetAllocator/PyMem_SetAllocator, found by symbol name;
 *  - from another C program (external-library shims): fill an as_faults_config, call as_faults_install
 *    over any Get/Set pair with PEP 445's signatures, or ask as_faults_should_fail() directly from a hook
 *    of your own (domain AS_FAULTS_EXT for a library's allocator such as zlib's zalloc).
 *
 * Modes: COUNT (dry run: matching calls per domain written to <out_dir>/counts), FAIL (the Nth matching
 * call fails; persistent: every call from N on), SWEEP (fork at each chosen point: the child fails that
 * call and runs to the end with its output in <out_dir>/p<N>.out/.err and its site in p<N>.site; the parent
 * lets the call succeed, keeps at most `jobs` children and records each in <out_dir>/results).
 * Free never fails. Only the process that first claims <out_dir> is active (subprocesses and forks made by
 * the program itself pass every call through).
 */
#ifndef ALLOCSPEC_FAULTS_H
#define ALLOCSPEC_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "pep445.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Domains: 0..2 are PEP 445's PyMemAllocatorDomain values; EXT is a non-Python allocator hook. */
enum { AS_FAULTS_RAW = 0, AS_FAULTS_MEM = 1, AS_FAULTS_OBJ = 2, AS_FAULTS_EXT = 3, AS_FAULTS_NDOMAINS = 4 };

typedef enum { AS_FAULTS_OFF = 0, AS_FAULTS_COUNT, AS_FAULTS_FAIL, AS_FAULTS_SWEEP } as_faults_mode;

/* PEP 445's PyMemAllocatorEx (native/include/pep445.h), so Get/Set of any PEP 445 library fit. */
typedef PyMemAllocatorEx as_faults_allocator;

typedef void (*as_faults_get_fn)(int domain, as_faults_allocator *allocator);
typedef void (*as_faults_set_fn)(int domain, as_faults_allocator *allocator);

typedef struct {
    as_faults_mode mode;
    unsigned domains;      /* bit (1u << domain); 0 means all */
    size_t size_min;       /* inclusive; calloc counts nelem*elsize */
    size_t size_max;       /* inclusive; 0 means no limit */
    const char *in_library; /* only calls with a frame of a shared object whose file name contains this */
    const char *in_module;  /* only calls with this Python module (or a submodule) on the Python stack */
    int persistent;         /* FAIL/SWEEP: every matching call from the point on fails */
    uint64_t fail_at;       /* FAIL: the 1-based matching call that fails */
    const uint64_t *points; /* SWEEP: sorted 1-based points (copied by as_faults_install) */
    size_t npoints;
    int jobs;               /* SWEEP: children alive at once (>= 1) */
    unsigned timeout_ms;    /* SWEEP: per-child time limit: SIGABRT (faulthandler prints), then SIGKILL */
    const char *out_dir;    /* existing directory for counts/results/site files (required) */
} as_faults_config;

/* Reads ALLOCSPEC_FAULTS_{MODE,DIR,DOMAINS,SIZE_MIN,SIZE_MAX,IN_LIBRARY,IN_MODULE,PERSISTENT,FAIL_AT,
 * POINTS (a file of decimal points, one a line),JOBS,TIMEOUT_MS}. Returns 0, or -1 with a one-line reason
 * in err. MODE unset or empty gives AS_FAULTS_OFF. Point storage lives until the process exits. */
int as_faults_config_from_env(as_faults_config *cfg, char *err, size_t errlen);

/* Wraps the domains in cfg (RAW, MEM, OBJ) over the allocators that get() returns, with set(). Call once,
 * after the interpreter is initialised when Python frames are used (in_module), with the GIL held.
 * Returns 0, 1 when another process already claimed out_dir (nothing installed), -1 on error (errno). */
int as_faults_install(const as_faults_config *cfg, as_faults_get_fn get, as_faults_set_fn set);

/* The engine's decision for one allocation call of `size` bytes in `domain` (counts it when it matches).
 * Non-zero: the caller must fail the call (return NULL). Usable from any allocator hook. */
int as_faults_should_fail(int domain, size_t size);

/* Matching calls seen so far in `domain`, or over all domains for domain < 0. */
uint64_t as_faults_count(int domain);

/* 1 in a sweep child (the process where the point's call failed), else 0. */
int as_faults_is_child(void);

/* Parent: waits for every child (enforcing timeouts) and writes counts/results. Runs from atexit too;
 * idempotent. */
void as_faults_finish(void);

/* The layer entry point the launcher calls (launcher contract: 0 = ok, non-zero = one line on stderr). */
int pep445_hook_install(void);

#ifdef __cplusplus
}
#endif
#endif
