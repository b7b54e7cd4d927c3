/*
 * pymalloc.c: CPython's small-object allocator (Objects/obmalloc.c, 3.8-3.11 algorithm) in C, with the
 * geometry chosen at run time.
 *
 *     _PyObject_Malloc(n) -- 1 <= n <= 512 --> usedpools[szidx] --> pool --> block
 *          |                                     | none: a free pool of usable_arenas[0] (or a new arena)
 *          +-- n == 0 or n > 512 --> fallback (cpython: PyMem_RawMalloc; pep445-2013: PyMem_Malloc)
 *
 *     arena (ARENA_SIZE, from the current arena allocator, mmap by default)
 *       [lost to alignment][pool][pool]...[pool]      pools are POOL_SIZE-aligned
 *     pool = [pool_header (POOL_OVERHEAD bytes)][block][block]...   blocks of one size class
 *
 * Geometry (cpython-facts.md section 4):
 *     pep445      ARENA_SIZE 256 KiB, POOL_SIZE  4 KiB, ALIGNMENT  8 (64 size classes)   PEP text, <= 3.7
 *     cpython310  ARENA_SIZE   1 MiB, POOL_SIZE 16 KiB, ALIGNMENT 16 (32 size classes)   3.10+ on 64-bit
 * SMALL_REQUEST_THRESHOLD = 512 in both; szidx = (n - 1) >> ALIGNMENT_SHIFT; block size = (szidx+1) << SHIFT;
 * POOL_OVERHEAD = sizeof(pool_header) rounded up to ALIGNMENT (48 on 64-bit).
 *
 * Rules kept from CPython:
 * - A new pool takes 2 blocks (one returned, one on the freelist); freed blocks are pushed on the pool's
 *   freelist head; a pool going full -> used is put at the front of usedpools[szidx].
 * - usable_arenas is doubly linked and sorted by ascending nfreepools (most-used arena first), with the
 *   nfp2lasta[] fingers for O(1) reordering (bpo-37029).
 * - An arena whose pools are all free is returned to the arena allocator, except when it is the last
 *   arena of usable_arenas (nextarena == NULL): one wholly free arena is kept (bpo-37257).
 * - realloc keeps the block when n <= size && 4n > 3*size; otherwise malloc + copy + free;
 *   realloc(p, n) of a block pymalloc does not own goes to the fallback realloc.
 * - address_in_range is exact (arena_map.c).
 * Differences: arenas[] (the arena_object table) is grown with libc realloc, not PyMem_RawRealloc, so
 * hooks on RAW see only the fallback traffic. Not thread-safe: the caller holds the GIL (PEP 445).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Tunables. */
#define SMALL_REQUEST_THRESHOLD 512
#define MAX_ALIGNMENT_SHIFT 4
#define MIN_ALIGNMENT_SHIFT 3
#define MAX_NB_SMALL_SIZE_CLASSES (SMALL_REQUEST_THRESHOLD >> MIN_ALIGNMENT_SHIFT) /* 64 */
#define INITIAL_ARENA_OBJECTS 16
#define POOL_OVERHEAD_BYTES 48
_Static_assert(SMALL_REQUEST_THRESHOLD % (1 << MAX_ALIGNMENT_SHIFT) == 0, "threshold is a multiple of ALIGNMENT");
_Static_assert(MAX_NB_SMALL_SIZE_CLASSES == 64, "64 size classes with 8-byte alignment");
_Static_assert(INITIAL_ARENA_OBJECTS > 0, "arenas[] starts non-empty");

typedef uint8_t block;

struct pool_header {
    union {
        block *_padding;
        unsigned int count;
    } ref;                        /* number of allocated blocks */
    block *freeblock;             /* pool's free list head */
    struct pool_header *nextpool; /* next pool of this size class */
    struct pool_header *prevpool; /* previous pool "" */
    unsigned int arenaindex;      /* index into arenas of base adr */
    unsigned int szidx;           /* block size class index */
    unsigned int nextoffset;      /* bytes to virgin block */
    unsigned int maxnextoffset;   /* largest valid nextoffset */
};
typedef struct pool_header *poolp;
_Static_assert(sizeof(struct pool_header) <= POOL_OVERHEAD_BYTES, "pool header fits its overhead");
_Static_assert(POOL_OVERHEAD_BYTES % (1 << MAX_ALIGNMENT_SHIFT) == 0, "overhead keeps blocks aligned");

struct arena_object {
    uintptr_t address;       /* 0 when the object is not associated with an arena */
    block *pool_address;     /* next pool to carve off */
    unsigned int nfreepools; /* free pools in the arena (freepools list + not yet carved) */
    unsigned int ntotalpools;
    poolp freepools;                 /* singly-linked list of available pools */
    struct arena_object *nextarena;  /* usable_arenas: doubly linked; unused_arena_objects: singly */
    struct arena_object *prevarena;
    /* allocspec: the arena allocator that made it (reset frees with it), and whether it calls JS */
    void *alloc_ctx;
    void (*alloc_free)(void *ctx, void *ptr, size_t size);
    int from_js;
};

#define DUMMY_SIZE_IDX 0xffff

/* The two geometries: arenas of 2^ARENA_BITS bytes, pools of 2^POOL_BITS bytes. */
#define PEP445_ARENA_BITS 18     /* 256 KiB */
#define PEP445_POOL_BITS 12      /*   4 KiB */
#define CPYTHON310_ARENA_BITS 20 /*   1 MiB */
#define CPYTHON310_POOL_BITS 14  /*  16 KiB */
_Static_assert(PEP445_ARENA_BITS > PEP445_POOL_BITS && CPYTHON310_ARENA_BITS > CPYTHON310_POOL_BITS,
               "an arena holds several pools");
_Static_assert(PEP445_ARENA_BITS >= 18, "arena_map.c's tree covers 48-bit addresses with arenas >= 256 KiB");

/* geometry (set by as_pymalloc_reset) */
static bool GEOMETRY_CPYTHON310; /* else pep445: selects the free fast path with constant shifts */
static size_t ARENA_SIZE, POOL_SIZE;
static unsigned ALIGNMENT_SHIFT;
static unsigned MAX_POOLS_IN_ARENA;
static uintptr_t POOL_ADDR_MASK; /* ~(POOL_SIZE - 1) */
#define POOL_SIZE_MASK (POOL_SIZE - 1)
#define POOL_OVERHEAD ((size_t)POOL_OVERHEAD_BYTES)
#define INDEX2SIZE(I) (((unsigned)(I) + 1) << ALIGNMENT_SHIFT)
#define POOL_ADDR(P) ((poolp)((uintptr_t)(P) & POOL_ADDR_MASK))

static struct pool_header usedpools[MAX_NB_SMALL_SIZE_CLASSES]; /* list heads (sentinels) */
static struct arena_object *arenas;
static unsigned maxarenas;
static struct arena_object *unused_arena_objects;
static struct arena_object *usable_arenas;
static struct arena_object **nfp2lasta; /* [MAX_POOLS_IN_ARENA + 1] */
static size_t narenas_currently_allocated;
static uint64_t ntimes_arena_allocated, ntimes_arena_freed;

/* ---- fallback (0 or > 512 bytes, or a block pymalloc does not own) ---- */
static inline void *fb_malloc(size_t n) { return as_cpython() ? PyMem_RawMalloc(n) : PyMem_Malloc(n); }
static inline void *fb_calloc(size_t a, size_t b) { return as_cpython() ? PyMem_RawCalloc(a, b) : PyMem_Calloc(a, b); }
static inline void *fb_realloc(void *p, size_t n) { return as_cpython() ? PyMem_RawRealloc(p, n) : PyMem_Realloc(p, n); }
static inline void fb_free(void *p)
{
    if (as_cpython()) PyMem_RawFree(p);
    else PyMem_Free(p);
}

static inline bool address_in_range(const void *p) { return as_arena_map_is_used((uintptr_t)p, ARENA_SIZE); }

bool as_pymalloc_owns(const void *p) { return ARENA_SIZE != 0 && address_in_range(p); }

/* ---- arenas ---- */

static struct arena_object *new_arena(void)
{
    if (unused_arena_objects == NULL) {
        unsigned numarenas = maxarenas ? maxarenas << 1 : INITIAL_ARENA_OBJECTS;
        if (numarenas <= maxarenas) return NULL; /* overflow */
        struct arena_object *a = realloc(arenas, (size_t)numarenas * sizeof(*arenas));
        if (a == NULL) return NULL;
        arenas = a;
        /* new_arena only runs when every arena is full: no pointers into the old array exist */
        for (unsigned i = maxarenas; i < numarenas; ++i) {
            memset(&arenas[i], 0, sizeof(arenas[i]));
            arenas[i].nextarena = i < numarenas - 1 ? &arenas[i + 1] : NULL;
        }
        unused_arena_objects = &arenas[maxarenas];
        maxarenas = numarenas;
    }
    struct arena_object *ao = unused_arena_objects;
    unused_arena_objects = ao->nextarena;
    void *address = as_arena.alloc(as_arena.ctx, ARENA_SIZE);
    if (address != NULL && !as_arena_map_mark((uintptr_t)address, ARENA_SIZE, true)) {
        as_arena.free(as_arena.ctx, address, ARENA_SIZE);
        address = NULL;
    }
    if (address == NULL) {
        ao->nextarena = unused_arena_objects;
        unused_arena_objects = ao;
        return NULL;
    }
    ao->address = (uintptr_t)address;
    ao->alloc_ctx = as_arena.ctx;
    ao->alloc_free = as_arena.free;
    ao->from_js = atomic_load(&as_runtime.js_domain[ALLOCSPEC_ARENA_DOMAIN]);
    ++narenas_currently_allocated;
    ++ntimes_arena_allocated;
    ao->freepools = NULL;
    /* pool_address <- first pool-aligned address in the arena; one pool is lost when not aligned */
    ao->pool_address = (block *)ao->address;
    ao->nfreepools = MAX_POOLS_IN_ARENA;
    size_t excess = ao->address & POOL_SIZE_MASK;
    if (excess != 0) {
        --ao->nfreepools;
        ao->pool_address += POOL_SIZE - excess;
    }
    ao->ntotalpools = ao->nfreepools;
    return ao;
}

static void free_arena(struct arena_object *ao)
{
    as_arena_map_mark(ao->address, ARENA_SIZE, false);
    /* CPython frees through the *current* arena allocator (_PyObject_Arena.free) */
    as_arena.free(as_arena.ctx, (void *)ao->address, ARENA_SIZE);
    ao->address = 0;
    --narenas_currently_allocated;
    ++ntimes_arena_freed;
}

/* ---- pools ---- */

static void *allocate_from_new_pool(unsigned size)
{
    if (AS_UNLIKELY(usable_arenas == NULL)) {
        usable_arenas = new_arena();
        if (usable_arenas == NULL) return NULL;
        usable_arenas->nextarena = usable_arenas->prevarena = NULL;
        nfp2lasta[usable_arenas->nfreepools] = usable_arenas;
    }
    /* this arena has the smallest nfreepools: decreasing it keeps the order */
    if (nfp2lasta[usable_arenas->nfreepools] == usable_arenas) nfp2lasta[usable_arenas->nfreepools] = NULL;
    if (usable_arenas->nfreepools > 1) nfp2lasta[usable_arenas->nfreepools - 1] = usable_arenas;

    poolp pool = usable_arenas->freepools;
    if (AS_LIKELY(pool != NULL)) {
        usable_arenas->freepools = pool->nextpool;
        usable_arenas->nfreepools--;
        if (AS_UNLIKELY(usable_arenas->nfreepools == 0)) {
            usable_arenas = usable_arenas->nextarena; /* wholly allocated: remove */
            if (usable_arenas != NULL) usable_arenas->prevarena = NULL;
        }
    } else {
        /* carve off a new pool */
        pool = (poolp)usable_arenas->pool_address;
        pool->arenaindex = (unsigned)(usable_arenas - arenas);
        pool->szidx = DUMMY_SIZE_IDX;
        usable_arenas->pool_address += POOL_SIZE;
        --usable_arenas->nfreepools;
        if (usable_arenas->nfreepools == 0) {
            usable_arenas = usable_arenas->nextarena;
            if (usable_arenas != NULL) usable_arenas->prevarena = NULL;
        }
    }

    /* frontlink to used pools (the list is empty here) */
    poolp head = &usedpools[size];
    pool->nextpool = head->nextpool;
    pool->prevpool = head;
    head->nextpool->prevpool = pool;
    head->nextpool = pool;
    pool->ref.count = 1;
    block *bp;
    if (pool->szidx == size) {
        /* the pool last held blocks of this size class: header and freelist are ready */
        bp = pool->freeblock;
        pool->freeblock = *(block **)bp;
        return bp;
    }
    /* initialise the pool: the freelist holds just the second block; return the first */
    pool->szidx = size;
    unsigned bsize = INDEX2SIZE(size);
    bp = (block *)pool + POOL_OVERHEAD;
    pool->nextoffset = (unsigned)POOL_OVERHEAD + (bsize << 1);
    pool->maxnextoffset = (unsigned)POOL_SIZE - bsize;
    pool->freeblock = bp + bsize;
    *(block **)(pool->freeblock) = NULL;
    return bp;
}

static void pymalloc_pool_extend(poolp pool, unsigned size)
{
    if (AS_UNLIKELY(pool->nextoffset <= pool->maxnextoffset)) {
        /* there is room for another block */
        pool->freeblock = (block *)pool + pool->nextoffset;
        pool->nextoffset += INDEX2SIZE(size);
        *(block **)(pool->freeblock) = NULL;
        return;
    }
    /* pool is full: unlink from used pools */
    poolp next = pool->nextpool, prev = pool->prevpool;
    next->prevpool = prev;
    prev->nextpool = next;
}

/* Returns NULL when pymalloc does not serve the request (0, > 512, or out of memory). */
static inline void *pymalloc_alloc(size_t nbytes)
{
    if (AS_UNLIKELY(nbytes - 1 >= SMALL_REQUEST_THRESHOLD)) return NULL; /* also nbytes == 0 */
    unsigned size = (unsigned)(nbytes - 1) >> ALIGNMENT_SHIFT;
    poolp pool = usedpools[size].nextpool;
    if (AS_LIKELY(pool != &usedpools[size])) {
        ++pool->ref.count;
        block *bp = pool->freeblock;
        if (AS_UNLIKELY((pool->freeblock = *(block **)bp) == NULL)) pymalloc_pool_extend(pool, size);
        return bp;
    }
    return allocate_from_new_pool(size);
}

static void insert_to_usedpool(poolp pool)
{
    poolp head = &usedpools[pool->szidx];
    pool->nextpool = head->nextpool;
    pool->prevpool = head;
    head->nextpool->prevpool = pool;
    head->nextpool = pool;
}

/* out of line (an empty pool is the rare case): keeps the free fast path small */
__attribute__((noinline)) static void insert_to_freepool(poolp pool)
{
    poolp next = pool->nextpool, prev = pool->prevpool;
    next->prevpool = prev;
    prev->nextpool = next;
    struct arena_object *ao = &arenas[pool->arenaindex];
    pool->nextpool = ao->freepools;
    ao->freepools = pool;
    unsigned nf = ao->nfreepools;
    struct arena_object *lastnf = nfp2lasta[nf];
    if (lastnf == ao) { /* it is the rightmost with nf */
        struct arena_object *p = ao->prevarena;
        nfp2lasta[nf] = (p != NULL && p->nfreepools == nf) ? p : NULL;
    }
    ao->nfreepools = ++nf;

    /* Case 1: every pool is free: return the arena, unless it is the last one of the list (bpo-37257) */
    if (nf == ao->ntotalpools && ao->nextarena != NULL) {
        if (ao->prevarena == NULL) usable_arenas = ao->nextarena;
        else ao->prevarena->nextarena = ao->nextarena;
        ao->nextarena->prevarena = ao->prevarena;
        ao->nextarena = unused_arena_objects;
        unused_arena_objects = ao;
        free_arena(ao);
        return;
    }
    /* Case 2: its first free pool: put the arena at the head of usable_arenas */
    if (nf == 1) {
        ao->nextarena = usable_arenas;
        ao->prevarena = NULL;
        if (usable_arenas) usable_arenas->prevarena = ao;
        usable_arenas = ao;
        if (nfp2lasta[1] == NULL) nfp2lasta[1] = ao;
        return;
    }
    if (nfp2lasta[nf] == NULL) nfp2lasta[nf] = ao;
    /* Case 4: it was the rightmost of the old count: still in order */
    if (ao == lastnf) return;
    /* Case 3: move it right, after lastnf, to keep usable_arenas sorted by nfreepools */
    if (ao->prevarena != NULL) ao->prevarena->nextarena = ao->nextarena;
    else usable_arenas = ao->nextarena;
    ao->nextarena->prevarena = ao->prevarena;
    ao->prevarena = lastnf;
    ao->nextarena = lastnf->nextarena;
    if (ao->nextarena != NULL) ao->nextarena->prevarena = ao;
    lastnf->nextarena = ao;
}

/* Frees block p of its pool (p belongs to pymalloc; pool == POOL_ADDR(p)). */
static inline void pool_free_in(void *p, poolp pool)
{
    block *lastfree = pool->freeblock;
    *(block **)p = lastfree;
    pool->freeblock = (block *)p;
    pool->ref.count--;
    if (AS_UNLIKELY(lastfree == NULL)) {
        /* the pool was full (on no list): link it at the front of usedpools */
        insert_to_usedpool(pool);
        return;
    }
    if (AS_LIKELY(pool->ref.count != 0)) return;
    insert_to_freepool(pool); /* the pool is now empty */
}

/* free of a pointer the tree does not place in an arena: NULL (no effect), a block of an arena beyond the
   tree (p >= 2^48), or not pymalloc's (the fallback). Out of line: keeps the fast path free of it. */
__attribute__((noinline, cold)) static void free_slow(void *p)
{
    if (p == NULL) return; /* PyObject_Free(NULL) has no effect */
    if (!as_arena_map_near((uintptr_t)p >> __builtin_ctzll(ARENA_SIZE)) &&
        as_arena_map_is_used_far((uintptr_t)p, ARENA_SIZE))
        pool_free_in(p, POOL_ADDR(p));
    else fb_free(p);
}

/* The free fast path with the geometry's shifts as constants (instantiated once per geometry). */
static inline __attribute__((always_inline)) void free_geom(void *p, unsigned arena_bits, unsigned pool_bits)
{
    /* NULL is never inside an arena (an arena allocator returning NULL failed), so it takes the slow path */
    if (AS_UNLIKELY(!as_arena_map_is_used_near_bits((uintptr_t)p, arena_bits))) {
        free_slow(p);
        return;
    }
    pool_free_in(p, (poolp)((uintptr_t)p & ~(((uintptr_t)1 << pool_bits) - 1)));
}

/* ---- the allocator functions (ctx unused) ---- */

void *as_pymalloc_malloc(void *ctx, size_t nbytes)
{
    (void)ctx;
    void *ptr = pymalloc_alloc(nbytes);
    if (AS_LIKELY(ptr != NULL)) return ptr;
    return fb_malloc(nbytes);
}

void *as_pymalloc_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    size_t nbytes = nelem * elsize; /* the entry point checked the product */
    void *ptr = pymalloc_alloc(nbytes);
    if (AS_LIKELY(ptr != NULL)) {
        memset(ptr, 0, nbytes);
        return ptr;
    }
    return fb_calloc(nelem, elsize);
}

void as_pymalloc_free(void *ctx, void *p)
{
    (void)ctx;
    if (AS_LIKELY(GEOMETRY_CPYTHON310)) free_geom(p, CPYTHON310_ARENA_BITS, CPYTHON310_POOL_BITS);
    else free_geom(p, PEP445_ARENA_BITS, PEP445_POOL_BITS);
}

void *as_pymalloc_realloc(void *ctx, void *p, size_t nbytes)
{
    if (p == NULL) return as_pymalloc_malloc(ctx, nbytes);
    if (!address_in_range(p)) return fb_realloc(p, nbytes);
    poolp pool = POOL_ADDR(p);
    size_t size = INDEX2SIZE(pool->szidx);
    if (nbytes <= size) {
        /* staying the same or shrinking: copy only if at least 25% can be shaved off */
        if (4 * nbytes > 3 * size) return p;
        size = nbytes;
    }
    void *bp = as_pymalloc_malloc(ctx, nbytes);
    if (bp != NULL) {
        memcpy(bp, p, size);
        as_pymalloc_free(ctx, p);
    }
    return bp;
}

/* ---- reset and statistics ---- */

void as_pymalloc_reset(int geometry)
{
    for (unsigned i = 0; i < maxarenas; i++) {
        struct arena_object *ao = &arenas[i];
        if (ao->address == 0) continue;
        /* release with the allocator that made it; an arena from JS callbacks is leaked on purpose
           (the loader may have closed them) */
        if (!ao->from_js && ao->alloc_free != NULL) ao->alloc_free(ao->alloc_ctx, (void *)ao->address, ARENA_SIZE);
    }
    free(arenas);
    arenas = NULL;
    maxarenas = 0;
    unused_arena_objects = usable_arenas = NULL;
    narenas_currently_allocated = 0;
    ntimes_arena_allocated = ntimes_arena_freed = 0;
    as_arena_map_reset();

    GEOMETRY_CPYTHON310 = geometry != ALLOCSPEC_GEOMETRY_PEP445;
    if (!GEOMETRY_CPYTHON310) {
        ARENA_SIZE = (size_t)1 << PEP445_ARENA_BITS;
        POOL_SIZE = (size_t)1 << PEP445_POOL_BITS;
        ALIGNMENT_SHIFT = 3;
    } else {
        ARENA_SIZE = (size_t)1 << CPYTHON310_ARENA_BITS;
        POOL_SIZE = (size_t)1 << CPYTHON310_POOL_BITS;
        ALIGNMENT_SHIFT = 4;
    }
    MAX_POOLS_IN_ARENA = (unsigned)(ARENA_SIZE / POOL_SIZE);
    POOL_ADDR_MASK = ~(uintptr_t)(POOL_SIZE - 1);
    free(nfp2lasta);
    nfp2lasta = calloc(MAX_POOLS_IN_ARENA + 1, sizeof(*nfp2lasta));
    if (nfp2lasta == NULL) abort(); /* 65 pointers at most: only at exhaustion */
    for (unsigned i = 0; i < MAX_NB_SMALL_SIZE_CLASSES; i++) {
        usedpools[i].nextpool = usedpools[i].prevpool = &usedpools[i];
        usedpools[i].szidx = i;
    }
}

void as_pymalloc_stats(as_pymalloc_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->arenas_allocated = ntimes_arena_allocated;
    out->arenas_freed = ntimes_arena_freed;
    out->arenas_live = narenas_currently_allocated;
    for (unsigned i = 0; i < maxarenas; i++) {
        struct arena_object *ao = &arenas[i];
        if (ao->address == 0) continue;
        unsigned carved = (unsigned)((ao->pool_address - (block *)ao->address) / POOL_SIZE);
        uintptr_t first = (ao->address + POOL_SIZE_MASK) & ~(uintptr_t)POOL_SIZE_MASK;
        for (unsigned k = 0; k < carved; k++) {
            poolp pool = (poolp)(first + (uintptr_t)k * POOL_SIZE);
            if ((block *)pool >= ao->pool_address) break;
            if (pool->ref.count == 0) {
                out->pools_empty++;
                continue;
            }
            out->blocks_live += pool->ref.count;
            unsigned bsize = INDEX2SIZE(pool->szidx);
            unsigned capacity = (unsigned)((POOL_SIZE - POOL_OVERHEAD) / bsize);
            if (pool->ref.count == capacity) out->pools_full++;
            else out->pools_used++;
        }
    }
}
