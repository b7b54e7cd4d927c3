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
 * call with its output in <out_dir>/p<N>.out/.err and its site in p<N>.site; the parent lets the call
 * succeed, keeps at most `jobs` children and records each in <out_dir>/results).
 * Free never fails. Only the process that first claims <out_dir> is active (subprocesses and forks made by
 * the program itself pass every call through).
 *
 * Exactness (isolate.c, guard.c): a child gets its own open file descriptions (regular files and
 * directories reopened at the parent's offsets, in-process pipes copied), private copies of shared
 * writable mappings and the parent's interval timers; a seccomp guard turns anything the child would do
 * that is visible outside it (writing a file, I/O on an inherited pipe or socket, starting a process,
 * waiting for or signalling another process) into a request to rerun the point fresh
 * (AS_FAULTS_RERUN_EXIT, `rerun <reason>` in p<N>.site). So the parent's run is the dry run's.
 * Early stop (settle.c): the process whose call failed stops as soon as the consequence is settled (in a
 * Python program: the raised exception was caught, or reached the top level; then a collection of the
 * young generations and the settle hooks), unless AS_FAULTS_THOROUGH. A C driver says it itself with
 * as_faults_settled().
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
    unsigned flags;         /* AS_FAULTS_THOROUGH | AS_FAULTS_NO_ISOLATION (0: early stop, isolated children) */
} as_faults_config;

/* as_faults_config.flags */
#define AS_FAULTS_THOROUGH 1u     /* the failing process runs to its end (no early stop) */
#define AS_FAULTS_NO_ISOLATION 2u /* children share fds and mappings with the parent (no guard either) */

/* Exit status of a child that asked to be rerun in a fresh process (with `rerun <reason>` in p<N>.site). */
#define AS_FAULTS_RERUN_EXIT 125

/* Reads ALLOCSPEC_FAULTS_{MODE,DIR,DOMAINS,SIZE_MIN,SIZE_MAX,IN_LIBRARY,IN_MODULE,PERSISTENT,FAIL_AT,
 * POINTS (a file of decimal points, one a line),JOBS,TIMEOUT_MS,THOROUGH (1),ISOLATION (off)} (config.c
 * lists the rest: the dry run's call log and the settle collection). Returns 0, or -1 with a one-line reason
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

/* 1 once this process's point has failed (a sweep child, or FAIL mode after its point), else 0. */
int as_faults_failed(void);

/* In the process whose point failed: the consequence of the failure is settled. Runs the settle hooks,
 * flushes stdio, writes `settled driver <status>` to the site file and _exit(status). Anywhere else (the
 * parent, a dry run, before the point, THOROUGH mode) it returns at once. A C driver calls it when the
 * operation whose allocation failed has returned and its result was checked. */
void as_faults_settled(int status);

/* Registers fn(arg), run before the early-stop exit (as_faults_settled, and the engine's own early stop of
 * a Python program): end-of-run checks, a library's cleanup. At most 8; returns 0, or -1 when full. */
int as_faults_at_settle(void (*fn)(void *arg), void *arg);

/* Parent: waits for every child (enforcing timeouts) and writes counts/results. Runs from atexit too;
 * idempotent. */
void as_faults_finish(void);

/* The layer entry point the launcher calls (launcher contract: 0 = ok, non-zero = one line on stderr). */
int pep445_hook_install(void);

#ifdef __cplusplus
}
#endif
#endif
