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

#include "pep445.h" /* PyMemAllocatorDomain, PyMemAllocatorEx, PyObjectArenaAllocator, PyMemAllocators */

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
/* PEP 445 as CPython ships it (3.5+): Include/cpython/pymem.h; the types are pep445.h's               */

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
/* allocspec extras (docs/contracts.md section 3)                                                          */

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

/* The A445TRC1 trace file (docs/contracts.md section 4), little-endian: one header, then nops records.
   trace.c writes it, replay.c reads the records, bench/trace.ts reads and writes both in TypeScript. */
#define ALLOCSPEC_TRACE_MAGIC "A445TRC1"
#define ALLOCSPEC_TRACE_VERSION 1u
#define ALLOCSPEC_TRACE_NO_SLOT 0xFFFFFFFFu /* src of every record but realloc(p, n); realloc(NULL, n) */
enum { ALLOCSPEC_TRACE_MALLOC = 0, ALLOCSPEC_TRACE_CALLOC = 1, ALLOCSPEC_TRACE_REALLOC = 2, ALLOCSPEC_TRACE_FREE = 3 };
typedef struct {
    char magic[8];      /* "A445TRC1", no NUL */
    uint32_t version;   /* ALLOCSPEC_TRACE_VERSION */
    uint32_t nslots;    /* slots used: every slot and src < nslots */
    uint64_t nops;      /* records that follow */
    uint64_t reserved;  /* 0 */
} allocspec_trace_header;
typedef struct {
    uint8_t op;         /* ALLOCSPEC_TRACE_MALLOC .. FREE */
    uint8_t domain;     /* PyMemAllocatorDomain: 0 RAW, 1 MEM, 2 OBJ */
    uint16_t flags;     /* 0 */
    uint32_t slot;      /* the block's identity (result of malloc/calloc/realloc, argument of free) */
    uint32_t src;       /* realloc's input slot, ALLOCSPEC_TRACE_NO_SLOT otherwise */
    uint32_t size;      /* bytes (nelem for calloc), clamped to 2^32 - 1 */
    uint32_t elsize;    /* calloc's elsize, 0 otherwise */
} allocspec_trace_record;

/* Replay of A445TRC1 records (the records after the header). */
typedef struct {
    uint64_t ns, ops, failed, peak_live_bytes, checksum;
} allocspec_replay_result;
typedef struct {
    void *malloc[3];
    void *calloc[3];
    void *realloc[3];
    void *free[3];
} allocspec_entry_table; /* entry points per domain (size_t args, no ctx), e.g. libpython's */

/* The layouts TypeScript reads and writes through FFI (native/ffi/layouts.ts, checked against this header
   by native/ffi/layouts_test.ts): fixed here (PyMemAllocatorEx's in pep445.h), so a field moved on either
   side fails to compile or a test.
   Pointer-sized fields are counted in pointers; the TS side assumes LP64 (8-byte pointers). */
#ifdef __cplusplus
#define ALLOCSPEC_STATIC_ASSERT static_assert
#else
#define ALLOCSPEC_STATIC_ASSERT _Static_assert
#endif
#define ALLOCSPEC_PTR sizeof(void *)
ALLOCSPEC_STATIC_ASSERT(sizeof(allocspec_trace_header) == 32, "A445TRC1 header: 32 bytes");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_header, version) == 8, "A445TRC1 header.version");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_header, nslots) == 12, "A445TRC1 header.nslots");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_header, nops) == 16, "A445TRC1 header.nops");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_header, reserved) == 24, "A445TRC1 header.reserved");
ALLOCSPEC_STATIC_ASSERT(sizeof(allocspec_trace_record) == 20, "A445TRC1 record: 20 bytes, no padding");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, domain) == 1, "A445TRC1 record.domain");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, flags) == 2, "A445TRC1 record.flags");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, slot) == 4, "A445TRC1 record.slot");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, src) == 8, "A445TRC1 record.src");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, size) == 12, "A445TRC1 record.size");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_trace_record, elsize) == 16, "A445TRC1 record.elsize");
ALLOCSPEC_STATIC_ASSERT(sizeof(allocspec_replay_result) == 40, "allocspec_replay_result: 5 x u64");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_replay_result, ops) == 8, "allocspec_replay_result.ops");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_replay_result, failed) == 16, "allocspec_replay_result.failed");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_replay_result, peak_live_bytes) == 24, "allocspec_replay_result.peak");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_replay_result, checksum) == 32, "allocspec_replay_result.checksum");
ALLOCSPEC_STATIC_ASSERT(sizeof(allocspec_entry_table) == 12 * ALLOCSPEC_PTR, "allocspec_entry_table: 4 x 3");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_entry_table, calloc) == 3 * ALLOCSPEC_PTR, "entry_table.calloc");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_entry_table, realloc) == 6 * ALLOCSPEC_PTR, "entry_table.realloc");
ALLOCSPEC_STATIC_ASSERT(offsetof(allocspec_entry_table, free) == 9 * ALLOCSPEC_PTR, "entry_table.free");
enum { ALLOCSPEC_REPLAY_TOUCH = 1 };
ALLOCSPEC_API int allocspec_replay(const void *ops, uint64_t nops, uint32_t nslots,
                                   const allocspec_entry_table *entries, const PyMemAllocatorEx *direct,
                                   int flags, allocspec_replay_result *out);

/* Third-party glue: an allocator (ctx = the 4 pointers) calling plain malloc-family functions. */
ALLOCSPEC_API const PyMemAllocatorEx *allocspec_libc_allocator(void *malloc_fn, void *calloc_fn,
                                                               void *realloc_fn, void *free_fn);

/*
 * Threads: RAW stress (src/stress.c). Returns 0 when every check held, -1 if RAW's allocator calls into
 * JS, -2 on bad arguments, else a packed report: the mismatch count (saturated) in the low 16 bits, the
 * operations whose serialisation alone made the mismatches vanish (the ones missing a lock) in
 * ALLOCSPEC_STRESS_BLAME_*, and the kinds of mismatch seen in ALLOCSPEC_STRESS_SEEN_*.
 */
#define ALLOCSPEC_STRESS_COUNT_MASK 0xffff
#define ALLOCSPEC_STRESS_BLAME_SHIFT 16 /* bits: 1 malloc, 2 calloc, 4 realloc, 8 free */
#define ALLOCSPEC_STRESS_SEEN_SHIFT 20
#define ALLOCSPEC_STRESS_SEEN_DUP_MALLOC 1u   /* malloc returned a block another thread held */
#define ALLOCSPEC_STRESS_SEEN_DUP_CALLOC 2u   /* calloc returned a block another thread held */
#define ALLOCSPEC_STRESS_SEEN_DUP_REALLOC 4u  /* realloc returned a block another thread held */
#define ALLOCSPEC_STRESS_SEEN_CALLOC 8u       /* a calloc block was not all zero */
#define ALLOCSPEC_STRESS_SEEN_PREFIX 16u      /* realloc lost the kept prefix */
#define ALLOCSPEC_STRESS_SEEN_CONTENT 32u     /* a block's contents changed while its owner held it */
#define ALLOCSPEC_STRESS_SEEN_NULL 64u        /* NULL for a small request */
#define ALLOCSPEC_STRESS_SEEN_SERIAL 128u     /* mismatches with every call serialised (no race needed) */
ALLOCSPEC_API int allocspec_stress_raw(int threads, int rounds, uint64_t seed);
ALLOCSPEC_API void allocspec_mark_js_domain(int domain, int js);

#ifdef __cplusplus
}
#endif
#endif /* ALLOCSPEC_H */
