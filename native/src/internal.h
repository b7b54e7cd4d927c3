/*
 * internal.h: state and functions shared between the files of liballocspec (never exported).
 *
 *     domains.c      entry points, Get/Set (both API forms)      uses  as_domain[]
 *     runtime.c      profile, geometry, GIL flag, reset          owns  as_runtime
 *     raw.c          default RAW allocator over libc              -
 *     pymalloc.c     obmalloc (small blocks)                      uses  arena.c, arena_map.c
 *     arena.c        default arena allocator (mmap) + Get/Set     owns  as_arena
 *     arena_map.c    address_in_range map                         -
 *     debug_hooks.c  CPython's debug hooks                        uses  diagnostics.c, violations.c
 *     diagnostics.c  CPython's dump text                          -
 *     violations.c   handler, recorder, default abort()           -
 *     hooks.c        pass-through hooks (PEP use case 3)          -
 *     trace.c        tracing hook, A445TRC1 writer                -
 *     replay.c       A445TRC1 replay                              -
 *     glue.c         PyMemAllocatorEx over malloc-family fns      -
 *     stress.c       RAW thread stress                            -
 *
 * Everything here has hidden visibility (the library is built with -fvisibility=hidden); only the
 * ALLOCSPEC_API declarations of allocspec.h are exported.
 */
#ifndef ALLOCSPEC_INTERNAL_H
#define ALLOCSPEC_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "../include/allocspec.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* "S" of CPython's debug-hook layout. */
#define SST ((size_t)sizeof(size_t))
_Static_assert(sizeof(size_t) == 8, "allocspec targets 64-bit hosts (S = 8)");
_Static_assert(sizeof(void *) == sizeof(size_t), "pointers and size_t have the same width");

#define AS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define AS_LIKELY(x) __builtin_expect(!!(x), 1)

/* ---- runtime.c ---- */
typedef struct {
    int profile;  /* ALLOCSPEC_PROFILE_* */
    int geometry; /* ALLOCSPEC_GEOMETRY_* */
    atomic_int gil_held;
    atomic_int js_domain[4]; /* RAW, MEM, OBJ, arena: an FFI loader installed JS callbacks there */
} as_runtime_t;
extern as_runtime_t as_runtime;
extern _Atomic(allocspec_gil_check_fn) as_gil_check; /* NULL: use as_runtime.gil_held */
static inline bool as_cpython(void) { return as_runtime.profile == ALLOCSPEC_PROFILE_CPYTHON; }

/* ---- domains.c ---- */
extern PyMemAllocatorEx as_domain[3]; /* _PyMem_Raw, _PyMem, _PyObject */
void as_domains_reset(void);

/* ---- raw.c: CPython's _PyMem_RawMalloc & co (pycore_allocators.h rules) ---- */
void *as_raw_malloc(void *ctx, size_t size);
void *as_raw_calloc(void *ctx, size_t nelem, size_t elsize);
void *as_raw_realloc(void *ctx, void *ptr, size_t size);
void as_raw_free(void *ctx, void *ptr);

/* ---- pymalloc.c: CPython's _PyObject_Malloc & co ---- */
void *as_pymalloc_malloc(void *ctx, size_t size);
void *as_pymalloc_calloc(void *ctx, size_t nelem, size_t elsize);
void *as_pymalloc_realloc(void *ctx, void *ptr, size_t size);
void as_pymalloc_free(void *ctx, void *ptr);
bool as_pymalloc_owns(const void *p);
void as_pymalloc_reset(int geometry); /* releases every arena, then applies the geometry */
typedef struct {
    uint64_t arenas_allocated, arenas_freed, arenas_live, pools_used, pools_full, pools_empty, blocks_live;
} as_pymalloc_stats_t;
void as_pymalloc_stats(as_pymalloc_stats_t *out);

/* ---- arena.c ---- */
extern PyObjectArenaAllocator as_arena;
void *as_arena_mmap(void *ctx, size_t size);
void as_arena_munmap(void *ctx, void *ptr, size_t size);
void as_arena_reset(void);

/* ---- arena_map.c: which addresses belong to a live pymalloc arena ---- */
/* Tunables of the radix tree over chunk numbers (p >> ARENA_BITS): ROOT_BITS + LEAF_BITS >= 48 - 18 so
   the tree covers every 48-bit address with 256 KiB arenas (checked in arena_map.c). */
#define AS_MAP_LEAF_BITS 15
#define AS_MAP_ROOT_BITS 15
#define AS_MAP_LEAF_LEN ((size_t)1 << AS_MAP_LEAF_BITS)
#define AS_MAP_LEAF_MASK ((uintptr_t)AS_MAP_LEAF_LEN - 1)
#define AS_MAP_ROOT_LEN ((size_t)1 << AS_MAP_ROOT_BITS)
typedef struct {
    int32_t tail_hi, tail_lo; /* CPython's arena_coverage_t */
} as_arena_leaf_t;
extern as_arena_leaf_t *as_arena_map_root[AS_MAP_ROOT_LEN];
bool as_arena_map_mark(uintptr_t base, size_t arena_size, bool used);
__attribute__((cold)) bool as_arena_map_is_used_far(uintptr_t p, size_t arena_size); /* chunks beyond the tree */
void as_arena_map_reset(void);
static inline bool as_arena_map_near(uintptr_t chunk) { return (chunk >> (AS_MAP_ROOT_BITS + AS_MAP_LEAF_BITS)) == 0; }
static inline bool as_arena_leaf_covers(const as_arena_leaf_t *l, int32_t t)
{
    /* t < tail_lo || (t >= tail_hi && tail_hi != 0), evaluated without branches */
    return (t < l->tail_lo) | ((t >= l->tail_hi) & (l->tail_hi != 0));
}
/* address_in_range restricted to the tree: true when p is inside a live arena whose chunk the tree covers
   (every address below 2^48); false otherwise, including for p beyond the tree (check those with
   as_arena_map_is_used_far). Inlined into pymalloc's free path. arena_size is a power of two. */
static inline bool as_arena_map_is_used_near_bits(uintptr_t p, unsigned arena_bits)
{
    uintptr_t chunk = p >> arena_bits;
    if (AS_UNLIKELY(!as_arena_map_near(chunk))) return false;
    const as_arena_leaf_t *node = as_arena_map_root[chunk >> AS_MAP_LEAF_BITS];
    if (node == NULL) return false;
    return as_arena_leaf_covers(&node[chunk & AS_MAP_LEAF_MASK], (int32_t)(p & (((uintptr_t)1 << arena_bits) - 1)));
}
static inline bool as_arena_map_is_used_near(uintptr_t p, size_t arena_size)
{
    return as_arena_map_is_used_near_bits(p, (unsigned)__builtin_ctzll(arena_size));
}
/* address_in_range, exact for any address. */
static inline bool as_arena_map_is_used(uintptr_t p, size_t arena_size)
{
    if (AS_UNLIKELY(!as_arena_map_near(p >> __builtin_ctzll(arena_size)))) return as_arena_map_is_used_far(p, arena_size);
    return as_arena_map_is_used_near(p, arena_size);
}

/* ---- debug_hooks.c ---- */
void as_debug_reset(void);

/* ---- hooks.c, trace.c ---- */
/* install order of the layers (reset uninstalls the most recent first: each restores what it saved) */
extern atomic_int as_layer_seq;
int as_hooks_installed_seq(void); /* 0 when not installed */
int as_trace_installed_seq(void);
void as_hooks_reset(void);
void as_trace_reset(void);

/* ---- diagnostics.c ---- */
typedef struct {
    char *buf;
    size_t len, cap;
} as_text_t;
void as_text_printf(as_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* _PyObject_DebugDumpAddress(p) into t, for the given profile's format. */
void as_dump_address(as_text_t *t, const void *p, int profile, uint8_t forbidden, bool serialno);
/* _Py_FatalErrorFunc(func, msg) lines into t (the part we can reproduce: no Python frames). */
void as_fatal_lines(as_text_t *t, const char *func, const char *msg, int profile);

/* ---- violations.c ---- */
/* Reports a violation: calls the handler (default: print + abort()). Returns when recorded. */
void as_violation(int kind, const void *address, const char *func, int api_id, int verified_id,
                  const char *text);
void as_violations_reset(void);

#endif /* ALLOCSPEC_INTERNAL_H */
