/*
 * arena_map.c: address_in_range for pymalloc, exact (CPython 3.10+ semantics, WITH_PYMALLOC_RADIX_TREE).
 *
 *     p --> chunk = p >> ARENA_BITS --+-- chunk < 2^(ROOT_BITS+LEAF_BITS): root[chunk >> LEAF_BITS] --> node
 *                                     |     --> node[chunk & LEAF_MASK] = leaf {tail_hi, tail_lo}  (inline, internal.h)
 *                                     +-- above (p >= 2^48 at least): hash table keyed by chunk --> leaf
 *     leaf --> in range?
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
 * Structure: a two-level radix tree indexed directly by the chunk number (its width depends on the
 * geometry chosen at run time: 30 bits of a 48-bit address with 256 KiB arenas, 28 with 1 MiB ones).
 * The root (AS_MAP_ROOT_LEN pointers, zero-initialised static storage: only the pages holding used entries
 * are ever touched) points to leaf nodes of AS_MAP_LEAF_LEN leaves, allocated on first use with libc
 * calloc (large enough to be fresh zero pages; only the pages of live chunks are touched). A lookup is two
 * dependent loads and one NULL test, inlined into pymalloc's free/realloc (CPython: three loads). Chunks
 * beyond the tree (addresses >= 2^48, which no Linux mmap returns without asking, but a custom arena
 * allocator might) go to a small open-addressing hash table, so the answer stays exact for any address.
 * Both structures answer without reading memory outside this map (the pre-3.10 arenaindex trick read the
 * possibly uninitialised pool header). Leaves are never removed, only zeroed (as CPython never frees
 * radix-tree nodes); allocspec_reset frees nodes and table. Metadata is allocated with libc calloc, not
 * through PyMem_RawCalloc as CPython's nodes are, so hooks on RAW never see it.
 *
 * Thread safety: none needed; pymalloc runs under the GIL.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Tunables (the tree's in internal.h): the far table's initial capacity (power of two) and maximum load
   factor before doubling (percent). */
#define AS_MAP_INITIAL 16
#define AS_MAP_MAX_LOAD 50
_Static_assert((AS_MAP_INITIAL & (AS_MAP_INITIAL - 1)) == 0, "capacity must be a power of two");
_Static_assert(AS_MAP_MAX_LOAD > 0 && AS_MAP_MAX_LOAD < 100, "open addressing needs free slots");
_Static_assert(AS_MAP_ROOT_BITS + AS_MAP_LEAF_BITS + 18 >= 48,
               "the tree covers a 48-bit address space with the smallest arenas (256 KiB)");
_Static_assert(sizeof(as_arena_leaf_t) == 8, "a leaf is CPython's arena_coverage_t: two int32");

as_arena_leaf_t *as_arena_map_root[AS_MAP_ROOT_LEN];

/* root indices with a node (to free them on reset without scanning the whole root) */
static uint32_t *node_ids;
static size_t nnodes, node_ids_cap;

/* ---- the tree ---- */

static as_arena_leaf_t *near_leaf(uintptr_t chunk, bool create)
{
    size_t i = (size_t)(chunk >> AS_MAP_LEAF_BITS);
    as_arena_leaf_t *node = as_arena_map_root[i];
    if (node == NULL) {
        if (!create) return NULL;
        if (nnodes == node_ids_cap) {
            size_t ncap = node_ids_cap ? node_ids_cap * 2 : 8;
            uint32_t *n = realloc(node_ids, ncap * sizeof(*n));
            if (n == NULL) return NULL;
            node_ids = n;
            node_ids_cap = ncap;
        }
        node = calloc(AS_MAP_LEAF_LEN, sizeof(as_arena_leaf_t));
        if (node == NULL) return NULL;
        node_ids[nnodes++] = (uint32_t)i;
        as_arena_map_root[i] = node;
    }
    return &node[chunk & AS_MAP_LEAF_MASK];
}

/* ---- the far table (chunks beyond the tree) ---- */

typedef struct {
    uintptr_t key1; /* chunk number + 1; 0 = empty slot */
    as_arena_leaf_t leaf;
} far_slot_t;

static far_slot_t *table;
static size_t cap, count;

static inline size_t slot_of(uintptr_t key1, size_t mask)
{
    return (size_t)((key1 * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & mask;
}

static far_slot_t *far_lookup(uintptr_t key1)
{
    if (table == NULL) return NULL;
    size_t mask = cap - 1;
    for (size_t i = slot_of(key1, mask);; i = (i + 1) & mask) {
        if (table[i].key1 == key1) return &table[i];
        if (table[i].key1 == 0) return NULL;
    }
}

static bool far_grow(void)
{
    size_t ncap = cap ? cap * 2 : AS_MAP_INITIAL;
    far_slot_t *nt = calloc(ncap, sizeof(far_slot_t));
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
    return true;
}

static as_arena_leaf_t *far_leaf(uintptr_t chunk, bool create)
{
    uintptr_t key1 = chunk + 1;
    far_slot_t *s = far_lookup(key1);
    if (s != NULL) return &s->leaf;
    if (!create) return NULL;
    if ((count + 1) * 100 > cap * AS_MAP_MAX_LOAD && !far_grow()) return NULL;
    size_t mask = cap - 1, i = slot_of(key1, mask);
    while (table[i].key1 != 0) i = (i + 1) & mask;
    table[i].key1 = key1;
    table[i].leaf.tail_hi = table[i].leaf.tail_lo = 0;
    count++;
    return &table[i].leaf;
}

/* ---- the map ---- */

static as_arena_leaf_t *leaf_of(uintptr_t chunk, bool create)
{
    return as_arena_map_near(chunk) ? near_leaf(chunk, create) : far_leaf(chunk, create);
}

bool as_arena_map_is_used_far(uintptr_t p, size_t arena_size)
{
    const as_arena_leaf_t *l = far_leaf(p >> __builtin_ctzll(arena_size), false);
    return l != NULL && as_arena_leaf_covers(l, (int32_t)(p & (arena_size - 1)));
}

bool as_arena_map_mark(uintptr_t base, size_t arena_size, bool used)
{
    unsigned bits = (unsigned)__builtin_ctzll(arena_size);
    uintptr_t head = base >> bits;
    as_arena_leaf_t *hi = leaf_of(head, true);
    if (hi == NULL) return false;
    int32_t tail = (int32_t)(base & (arena_size - 1));
    if (tail == 0) {
        hi->tail_hi = used ? -1 : 0; /* the arena fills this chunk */
        return true;
    }
    /* the arena covers [tail, ARENA_SIZE) here and [0, tail) of the next chunk */
    as_arena_leaf_t *lo = leaf_of((base + arena_size) >> bits, true);
    if (lo == NULL) return false;
    hi = leaf_of(head, false); /* the far table may have moved */
    hi->tail_hi = used ? tail : 0;
    lo->tail_lo = used ? tail : 0;
    return true;
}

void as_arena_map_reset(void)
{
    for (size_t k = 0; k < nnodes; k++) {
        free(as_arena_map_root[node_ids[k]]);
        as_arena_map_root[node_ids[k]] = NULL;
    }
    free(node_ids);
    node_ids = NULL;
    nnodes = node_ids_cap = 0;
    free(table);
    table = NULL;
    cap = count = 0;
}
