/*
 * allocspec.h: the PEP 445 memory-allocator API in C, with CPython's exact names and struct layouts, plus
 * the allocspec_ extras (profiles, violation recording, hooks, tracing, replay, stress).
 *
 * A C program written against CPython's API (Include/cpython/pymem.h, Include/pymem.h, Include/objimpl.h)
 * compiles against this header and links against liballocspec.so unchanged:
 *
 *     #include "allocspec.h"
 *     PyMemAllocatorEx a;
 *     PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &a);
 *
 * Layers (see native/README.md):
 *
 *     entry points (PyMem_RawMalloc ... PyObject_Free)      size checks, then the domain's allocator
 *        |  RAW / MEM / OBJ tables (PyMemAllocatorEx)       Get/Set (3.5+ form) and the 2013 draft form
 *        v
 *     [debug hooks] -> raw (libc malloc) | pymalloc -> arena allocator (mmap)
 *
 * The 2013 draft API (PEP 445 text, "API changes") is exported beside the shipped one: PyMemAllocators
 * (no calloc), PyMem_Get/SetRawAllocators, PyMem_Get/SetAllocators, PyObject_Get/SetAllocators and
 * _PyObject_Get/SetArenaAllocators.
 */
#ifndef ALLOCSPEC_H
#define ALLOCSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ALLOCSPEC_API __attribute__((visibility("default")))
#else
#define ALLOCSPEC_API
#endif

#ifndef PY_SSIZE_T_MAX
typedef ssize_t Py_ssize_t;
/* Largest positive value of Py_ssize_t (CPython Include/pyport.h). */
#define PY_SSIZE_T_MAX ((Py_ssize_t)(((size_t)-1) >> 1))
#endif

/* ------------------------------------------------------------------------------------------------ */
/* PEP 445 as CPython ships it (3.5+): Include/cpython/pymem.h                                       */

typedef enum {
    /* PyMem_RawMalloc(), PyMem_RawRealloc() and PyMem_RawFree() */
    PYMEM_DOMAIN_RAW,
    /* PyMem_Malloc(), PyMem_Realloc() and PyMem_Free() */
    PYMEM_DOMAIN_MEM,
    /* PyObject_Malloc(), PyObject_Realloc() and PyObject_Free() */
    PYMEM_DOMAIN_OBJ
} PyMemAllocatorDomain;

typedef struct {
    /* user context passed as the first argument to the 4 functions */
    void *ctx;
    /* allocate a memory block */
    void *(*malloc)(void *ctx, size_t size);
    /* allocate a memory block initialized by zeros */
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    /* allocate or resize a memory block */
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    /* release a memory block */
    void (*free)(void *ctx, void *ptr);
} PyMemAllocatorEx;

typedef struct {
    /* user context passed as the first argument to the 2 functions */
    void *ctx;
    /* allocate an arena of size bytes */
    void *(*alloc)(void *ctx, size_t size);
    /* free an arena (header order: ptr, then size) */
    void (*free)(void *ctx, void *ptr, size_t size);
} PyObjectArenaAllocator;

ALLOCSPEC_API void *PyMem_RawMalloc(size_t size);
ALLOCSPEC_API void *PyMem_RawCalloc(size_t nelem, size_t elsize);
ALLOCSPEC_API void *PyMem_RawRealloc(void *ptr, size_t new_size);
ALLOCSPEC_API void PyMem_RawFree(void *ptr);

ALLOCSPEC_API void *PyMem_Malloc(size_t size);
ALLOCSPEC_API void *PyMem_Calloc(size_t nelem, size_t elsize);
ALLOCSPEC_API void *PyMem_Realloc(void *ptr, size_t new_size);
ALLOCSPEC_API void PyMem_Free(void *ptr);

ALLOCSPEC_API void *PyObject_Malloc(size_t size);
ALLOCSPEC_API void *PyObject_Calloc(size_t nelem, size_t elsize);
ALLOCSPEC_API void *PyObject_Realloc(void *ptr, size_t new_size);
ALLOCSPEC_API void PyObject_Free(void *ptr);

/* Get the memory block allocator of the specified domain (unknown domain: all five fields NULL). */
ALLOCSPEC_API void PyMem_GetAllocator(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);
/* Set the memory block allocator of the specified domain (unknown domain: ignored). The new allocator
   must return a distinct non-NULL pointer when requesting zero bytes. */
ALLOCSPEC_API void PyMem_SetAllocator(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);
ALLOCSPEC_API void PyObject_GetArenaAllocator(PyObjectArenaAllocator *allocator);
ALLOCSPEC_API void PyObject_SetArenaAllocator(PyObjectArenaAllocator *allocator);
/* Install the debug hooks on all three domains (idempotent: a domain already hooked is skipped). */
ALLOCSPEC_API void PyMem_SetupDebugHooks(void);

/* ------------------------------------------------------------------------------------------------ */
/* The 2013 draft (PEP 445 text, "API changes"): no calloc, one getter/setter pair per domain.         */

typedef struct {
    /* user context passed as the first argument to the 3 functions */
    void *ctx;
    /* allocate memory */
    void *(*malloc)(void *ctx, size_t size);
    /* allocate memory or resize a memory buffer */
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    /* release memory */
    void (*free)(void *ctx, void *ptr);
} PyMemAllocators;

ALLOCSPEC_API void PyMem_GetRawAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void PyMem_SetRawAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void PyMem_GetAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void PyMem_SetAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void PyObject_GetAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void PyObject_SetAllocators(PyMemAllocators *allocators);
ALLOCSPEC_API void _PyObject_GetArenaAllocators(void **ctx_p, void *(**malloc_p)(void *ctx, size_t size),
                                                void (**free_p)(void *ctx, void *ptr, size_t size));
ALLOCSPEC_API void _PyObject_SetArenaAllocators(void *ctx, void *(*malloc)(void *ctx, size_t size),
                                                void (*free)(void *ctx, void *ptr, size_t size));

/* ------------------------------------------------------------------------------------------------ */
/* allocspec extras (contracts.md section 3)                                                          */

#define ALLOCSPEC_ABI_VERSION 1

ALLOCSPEC_API int allocspec_abi_version(void); /* ALLOCSPEC_ABI_VERSION */

enum { ALLOCSPEC_PROFILE_PEP445_2013 = 0, ALLOCSPEC_PROFILE_CPYTHON = 1 };
enum { ALLOCSPEC_GEOMETRY_PEP445 = 0, ALLOCSPEC_GEOMETRY_CPYTHON310 = 1 };
/* domain number for allocspec_mark_js_domain: the arena allocator (extension of the three domains) */
enum { ALLOCSPEC_ARENA_DOMAIN = 3 };

/* Fresh process state: default allocators in all domains, default arena allocator (mmap), debug hooks
   off, GIL held, all pymalloc arenas released, violation handler default, recording off and cleared.
   Blocks still live from before are leaked on purpose (never touched again). geometry < 0 picks the
   profile's default (pep445 for pep445-2013, cpython310 for cpython). */
ALLOCSPEC_API void allocspec_reset(int profile, int geometry);
ALLOCSPEC_API int allocspec_profile(void);
ALLOCSPEC_API int allocspec_geometry(void);
ALLOCSPEC_API void allocspec_set_gil_held(int held);
ALLOCSPEC_API int allocspec_gil_held(void);
/* The debug hooks' GIL check (MEM/OBJ, cpython profile): NULL (default, and after allocspec_reset) = the
   process-wide flag above; a function (e.g. libpython's PyGILState_Check, as CPython's own
   _PyMem_DebugCheckGIL calls) = asked on every call. The launcher (clients/) sets it for real CPython. */
typedef int (*allocspec_gil_check_fn)(void);
ALLOCSPEC_API void allocspec_set_gil_check(allocspec_gil_check_fn check);

/* violations: kind 0 bad_id, 1 bad_leading_pad, 2 bad_trailing_pad, 3 no_gil */
enum {
    ALLOCSPEC_VIOLATION_BAD_ID = 0,
    ALLOCSPEC_VIOLATION_BAD_LEADING_PAD = 1,
    ALLOCSPEC_VIOLATION_BAD_TRAILING_PAD = 2,
    ALLOCSPEC_VIOLATION_NO_GIL = 3
};
typedef struct {
    int kind;
    const void *address; /* p, as passed by the caller */
    const char *func;    /* e.g. "_PyMem_DebugRawFree" */
    int api_id;          /* id byte found in the block (bad_id), else the domain's id */
    int verified_id;     /* id of the domain that verified the block */
    const char *text;    /* CPython's full diagnostic text (dump + fatal lines) */
} allocspec_violation;
typedef void (*allocspec_violation_handler)(void *ctx, const allocspec_violation *v);
/* NULL: CPython's behaviour (print the text to stderr, abort()). A handler that returns makes the
   operation a no-op: free frees nothing, malloc/calloc/realloc return NULL. */
ALLOCSPEC_API void allocspec_set_violation_handler(allocspec_violation_handler h, void *ctx);
ALLOCSPEC_API void allocspec_record_violations(int on); /* built-in recorder: remember the last one, return */
ALLOCSPEC_API int allocspec_violation_count(void);      /* recorded since the last clear */
ALLOCSPEC_API int allocspec_violation_kind(void);
ALLOCSPEC_API const void *allocspec_violation_address(void);
ALLOCSPEC_API int allocspec_violation_api_id(void);
ALLOCSPEC_API int allocspec_violation_verified_id(void);
ALLOCSPEC_API const char *allocspec_violation_func(void);
ALLOCSPEC_API const char *allocspec_violation_text(void);
ALLOCSPEC_API void allocspec_violation_clear(void);

/* PEP use case 3 in C: pass-through hooks on all three domains of the API reached through the given
   PyMem_GetAllocator/PyMem_SetAllocator function pointers (both NULL = this library). */
ALLOCSPEC_API int allocspec_passthrough_install(void *get_allocator_fn, void *set_allocator_fn, int depth);
ALLOCSPEC_API int allocspec_passthrough_uninstall(void);
ALLOCSPEC_API uint64_t allocspec_passthrough_calls(void);

/* Tracing hook (same targeting rule): records malloc/calloc/realloc/free with domain, size, slot. */
ALLOCSPEC_API int allocspec_trace_install(void *get_allocator_fn, void *set_allocator_fn, uint64_t max_ops);
ALLOCSPEC_API uint64_t allocspec_trace_uninstall(void);
ALLOCSPEC_API int allocspec_trace_write(const char *path); /* A445TRC1 file; 0 ok, -1 error */

/* Replay of A445TRC1 records (the 20-byte records after the 32-byte header). */
typedef struct {
    uint64_t ns, ops, failed, peak_live_bytes, checksum;
} allocspec_replay_result;
typedef struct {
    void *malloc[3];
    void *calloc[3];
    void *realloc[3];
    void *free[3];
} allocspec_entry_table; /* entry points per domain (size_t args, no ctx), e.g. libpython's */
enum { ALLOCSPEC_REPLAY_TOUCH = 1 };
ALLOCSPEC_API int allocspec_replay(const void *ops, uint64_t nops, uint32_t nslots,
                                   const allocspec_entry_table *entries, const PyMemAllocatorEx *direct,
                                   int flags, allocspec_replay_result *out);

/* Third-party glue: an allocator (ctx = the 4 pointers) calling plain malloc-family functions. */
ALLOCSPEC_API const PyMemAllocatorEx *allocspec_libc_allocator(void *malloc_fn, void *calloc_fn,
                                                               void *realloc_fn, void *free_fn);

/* Threads: RAW stress; returns mismatches found, -1 if RAW's allocator calls into JS. */
ALLOCSPEC_API int allocspec_stress_raw(int threads, int rounds, uint64_t seed);
ALLOCSPEC_API void allocspec_mark_js_domain(int domain, int js);

#ifdef __cplusplus
}
#endif
#endif /* ALLOCSPEC_H */
