/*
 * arena_map.c: address_in_range for pymalloc, exact (CPython 3.10+ semantics, WITH_PYMALLOC_RADIX_TREE).
 *
 *     p --> chunk = p >> ARENA_BITS --> hash table --> leaf {tail_hi, tail_lo} --> in range?
 *
 * The address space is cut into ARENA_SIZE-aligned chunks. An arena [base, base + ARENA_SIZE) touches at
 * most two chunks: the chunk of base (its "head") and, when base is not ARENA_SIZE-aligned, the next chunk
 * (its "tail"). Each chunk has a leaf like CPython's radix-tree leaf (obmalloc.c arena_map_mark_used):
 *   tail = base & ARENA_SIZE_MASK
 *   tail == 0:  head leaf tail_hi = -1            (the whole chunk is the arena)
 *   tail != 0:  head leaf tail_hi = tail           (the arena covers [tail, ARENA_SIZE) of this chunk)
 *               next leaf tail_lo = tail           (and [0, tail) of the next one)
 *   is_used(p): t = p & ARENA_SIZE_MASK; used when t < tail_lo || (t >= tail_hi && tail_hi != 0)
 * A chunk can hold the tail of one arena and the head of another, which is why a leaf has both fields.
 *
 * Why a hash table and not CPython's 3-level radix tree: the arena size (and so the key width) is chosen
 * at run time (256 KiB or 1 MiB geometry), and a table of the few live chunks is smaller than the radix
 * tree's fixed nodes (CPython allocates 256 KiB root and mid nodes). The answer is the same: exact for
 * any address, no read of memory outside pymalloc's own table (the pre-3.10 arenaindex trick read the
 * possibly uninitialised pool header). Leaves are never removed, only zeroed (as CPython never frees
 * radix-tree nodes); allocspec_reset frees the table. The table is metadata: it is allocated with libc
 * calloc, not through PyMem_RawCalloc as CPython's nodes are, so hooks on RAW never see it.
 *
 * Thread safety: none needed; pymalloc runs under the GIL.
 */
#include "internal.h"

#include <stdlib.h>

/* Tunables: initial capacity (power of two) and the maximum load factor before doubling (percent). */
#define AS_MAP_INITIAL 64
#define AS_MAP_MAX_LOAD 50
_Static_assert((AS_MAP_INITIAL & (AS_MAP_INITIAL - 1)) == 0, "capacity must be a power of two");
_Static_assert(AS_MAP_MAX_LOAD > 0 && AS_MAP_MAX_LOAD < 100, "open addressing needs free slots");

typedef struct {
    uintptr_t key1; /* chunk number + 1; 0 = empty slot */
    int32_t tail_hi, tail_lo;
} leaf_t;

static leaf_t *table;
static size_t cap, count;
/* one-entry cache of the last chunk looked up (a loop over one pool hits it every time); cleared when
   the table moves (grow, reset) */
static uintptr_t cache_key1;
static const leaf_t *cache_leaf;

static inline size_t slot_of(uintptr_t key1, size_t mask)
{
    return (size_t)((key1 * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & mask;
}

static leaf_t *lookup(uintptr_t key1)
{
    if (table == NULL) return NULL;
    size_t mask = cap - 1;
    for (size_t i = slot_of(key1, mask);; i = (i + 1) & mask) {
        if (table[i].key1 == key1) return &table[i];
        if (table[i].key1 == 0) return NULL;
    }
}

static bool grow(void)
{
    size_t ncap = cap ? cap * 2 : AS_MAP_INITIAL;
    leaf_t *nt = calloc(ncap, sizeof(leaf_t));
    if (nt == NULL) return false;
    for (size_t i = 0; i < cap; i++) {
        if (table[i].key1 == 0) continue;
        size_t j = slot_of(table[i].key1, ncap - 1);
        while (nt[j].key1 != 0) j = (j + 1) & (ncap - 1);
        nt[j] = table[i];
    }
    free(table);
    table = nt;
    cap = ncap;
    cache_key1 = 0;
    cache_leaf = NULL;
    return true;
}

static leaf_t *lookup_or_add(uintptr_t key1)
{
    leaf_t *l = lookup(key1);
    if (l != NULL) return l;
    if ((count + 1) * 100 > cap * AS_MAP_MAX_LOAD && !grow()) return NULL;
    size_t mask = cap - 1, i = slot_of(key1, mask);
    while (table[i].key1 != 0) i = (i + 1) & mask;
    table[i].key1 = key1;
    table[i].tail_hi = table[i].tail_lo = 0;
    count++;
    return &table[i];
}

static inline unsigned bits_of(size_t arena_size) { return (unsigned)__builtin_ctzll(arena_size); }

bool as_arena_map_mark(uintptr_t base, size_t arena_size, bool used)
{
    unsigned bits = bits_of(arena_size);
    leaf_t *hi = lookup_or_add((base >> bits) + 1);
    if (hi == NULL) return false;
    int32_t tail = (int32_t)(base & (arena_size - 1));
    if (tail == 0) {
        hi->tail_hi = used ? -1 : 0; /* the arena fills this chunk */
        return true;
    }
    /* the arena covers [tail, ARENA_SIZE) here and [0, tail) of the next chunk */
    leaf_t *lo = lookup_or_add(((base + arena_size) >> bits) + 1);
    if (lo == NULL) return false;
    hi = lookup((base >> bits) + 1); /* the table may have moved */
    hi->tail_hi = used ? tail : 0;
    lo->tail_lo = used ? tail : 0;
    return true;
}

bool as_arena_map_is_used(uintptr_t p, size_t arena_size)
{
    uintptr_t key1 = (p >> bits_of(arena_size)) + 1;
    const leaf_t *l;
    if (AS_LIKELY(key1 == cache_key1)) {
        l = cache_leaf;
    } else {
        l = lookup(key1);
        if (l == NULL) return false; /* not cached: a miss may become a hit when a leaf is added */
        cache_key1 = key1;
        cache_leaf = l;
    }
    int32_t t = (int32_t)(p & (arena_size - 1));
    return t < l->tail_lo || (t >= l->tail_hi && l->tail_hi != 0);
}

void as_arena_map_reset(void)
{
    cache_key1 = 0;
    cache_leaf = NULL;
    free(table);
    table = NULL;
    cap = count = 0;
}
