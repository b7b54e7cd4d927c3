/*
 * blocks.c: the live-block map of the checking layer: which blocks the allocator under test has handed
 * out and not taken back, in every wrapped domain, and whether a new block overlaps one of them
 * (third-party-allocators.md: live blocks never overlap; PEP 445 entry points return blocks "of size
 * bytes").
 *
 * Everything is indexed by address, in memory mapped by the layer itself (never the allocator under
 * test), through a three-level radix (bits 47..30, 29..16 of the address) whose leaves describe 64 KiB
 * of address space each, made on first touch:
 *
 *  1. per leaf, the exact table of the blocks that START in its 64 KiB: offset -> packed entry (size,
 *     wrap, flags, owner count, thread) in 8 bytes, open addressing with linear probing and
 *     backward-shift deletion, at most half full, under the leaf's spinlock. Blocks an allocator hands
 *     out together (a pymalloc pool, a slab) share a leaf, so the calls of a program touch a few hot
 *     leaves instead of one cache miss per call in a global hash. A block handed out twice (the typical
 *     race of an unlocked free list) is found here, under one lock, so two racing threads cannot both
 *     miss it.
 *  2. per leaf, the coverage bitmap: one bit per 8-byte granule covered by a live block of at most
 *     AS_CHECK_LARGE bytes that starts 8-aligned. Admitting a block sets its bits with atomic fetch-or:
 *     a bit already set means another live block covers that granule. Two threads admitting
 *     overlapping blocks at once cannot both miss: their RMWs on a shared word are ordered.
 *  3. the large list: blocks above AS_CHECK_LARGE bytes as sorted spans under a mutex (their exact entry
 *     says "large": the size is the span's); each leaf counts the large blocks touching it, so a small
 *     block consults the list only where a large block lies (blocks above AS_CHECK_HUGE bytes are
 *     counted globally instead).
 * Blocks at or above 2^48 (5-level paging) use one global locked table and the large list instead.
 *
 * Small blocks that do not start 8-aligned (legal for sizes below 8 under the weak alignment rule) are
 * checked against the exact table and the large list only: a granule they share with a neighbour is not
 * an overlap. Order of operations: admit = exact insert, then bits; release = exact remove, then bits.
 * A bit seen set therefore always belongs to a block that was live (its owner had not yet given it back
 * to the allocator) when the new block came out of the allocator: an overlap seen is an overlap that
 * happened, even when the other block is released before it can be described.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------- */
/* locks, hashing, mapped memory                                                                  */

static inline void spin_lock(_Atomic int *l) {
    unsigned spins = 0;
    while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
        while (atomic_load_explicit(l, memory_order_relaxed)) {
            if (++spins >= 64) {
                sched_yield(); /* 2 cores, many threads: let the holder run */
                spins = 0;
            }
        }
    }
}

static inline void spin_unlock(_Atomic int *l) { atomic_store_explicit(l, 0, memory_order_release); }

static inline uint64_t mix(uintptr_t a) {
    uint64_t x = (uint64_t)a;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void *map_zeroed(size_t bytes) {
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static void out_of_memory(const char *what) {
    static const char msg[] = "allocspec check: cannot map memory for the live-block map (";
    ssize_t r = write(2, msg, sizeof msg - 1);
    r = write(2, what, strlen(what));
    r = write(2, ")\n", 2);
    (void)r;
    _exit(70);
}

/* ---------------------------------------------------------------------------------------------- */
/* the radix and its leaves                                                                       */

#define NEAR_BITS 48
#define L1_SHIFT 30
#define L1_SIZE ((size_t)1 << (NEAR_BITS - L1_SHIFT))
#define L2_SHIFT 16
#define L2_SIZE ((size_t)1 << (L1_SHIFT - L2_SHIFT))
#define GRANULE_SHIFT 3
#define LEAF_WORDS ((size_t)1 << (L2_SHIFT - GRANULE_SHIFT - 6))
#define LEAF_SPAN ((uintptr_t)1 << L2_SHIFT)
/* Blocks above this are counted globally instead of in every leaf they touch. */
#define AS_CHECK_HUGE ((size_t)64 << 20)
_Static_assert(LEAF_WORDS == 128, "8192 granules of 8 bytes per 64 KiB leaf");
_Static_assert(AS_CHECK_LARGE < LEAF_SPAN, "a small block touches at most two leaves");

typedef struct {
    _Atomic uint64_t bits[LEAF_WORDS];
    _Atomic uint32_t large_cover; /* large blocks touching this leaf's 64 KiB */
    _Atomic int lock;             /* everything below, and the writers of bits */
    uint32_t *direct;             /* blocks starting 16-aligned: one dpack entry per 16 bytes (or NULL) */
    uint32_t dcount;
    uint32_t mask;                /* the overflow table (other starts): capacity - 1 (0: none yet) */
    uint32_t count;
    uint64_t *slot;               /* packed entries (pack/unpack), 0 = empty */
} leaf;

typedef struct {
    _Atomic(leaf *) leaf[L2_SIZE];
} l2node;

static _Atomic(l2node *) *l1;
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena;
static size_t arena_left;
#define ARENA_CHUNK ((size_t)1 << 20)
/* every leaf made, in order (fork handlers lock them all) */
static leaf **all_leaves;
static size_t nleaves, capleaves;

static int is_near(uintptr_t last) { return (last >> NEAR_BITS) == 0; }

static leaf *leaf_make(uintptr_t a);

/* The leaf of a (near address), made on first touch when `create`. Two dependent loads when it exists. */
static inline leaf *leaf_get(uintptr_t a, int create) {
    l2node *n = atomic_load_explicit(&l1[a >> L1_SHIFT], memory_order_acquire);
    leaf *l = n ? atomic_load_explicit(&n->leaf[(a >> L2_SHIFT) & (L2_SIZE - 1)], memory_order_acquire) : NULL;
    if (__builtin_expect(l != NULL || !create, 1)) return l;
    return leaf_make(a);
}

__attribute__((noinline, cold)) static leaf *leaf_make(uintptr_t a) {
    size_t i1 = a >> L1_SHIFT, i2 = (a >> L2_SHIFT) & (L2_SIZE - 1);
    l2node *n;
    leaf *l;
    pthread_mutex_lock(&node_lock);
    n = atomic_load_explicit(&l1[i1], memory_order_acquire);
    if (!n) {
        n = map_zeroed(sizeof(l2node));
        if (!n) out_of_memory("radix node");
        atomic_store_explicit(&l1[i1], n, memory_order_release);
    }
    l = atomic_load_explicit(&n->leaf[i2], memory_order_acquire);
    if (!l) {
        if (arena_left < sizeof(leaf)) {
            arena = map_zeroed(ARENA_CHUNK);
            if (!arena) out_of_memory("bitmap leaf");
            arena_left = ARENA_CHUNK;
        }
        if (nleaves == capleaves) {
            size_t cap = capleaves ? capleaves * 2 : 4096;
            leaf **t = map_zeroed(cap * sizeof *t);
            if (!t) out_of_memory("leaf list");
            if (all_leaves) {
                memcpy(t, all_leaves, nleaves * sizeof *t);
                munmap(all_leaves, capleaves * sizeof *t);
            }
            all_leaves = t;
            capleaves = cap;
        }
        l = (leaf *)arena;
        arena += sizeof(leaf);
        arena_left -= sizeof(leaf);
        all_leaves[nleaves++] = l;
        atomic_store_explicit(&n->leaf[i2], l, memory_order_release);
    }
    pthread_mutex_unlock(&node_lock);
    return l;
}

/* ---------------------------------------------------------------------------------------------- */
/* per-leaf exact tables                                                                          */

/*
 * Two stores per leaf, both under its lock:
 *  - direct: blocks that start 16-aligned (every block of 16 bytes or more a correct allocator returns,
 *    and most smaller ones), one 32-bit entry per 16 bytes of the leaf (16 KiB per 64 KiB touched),
 *    indexed by the offset: valid:1 | size:15 | large:1 | wrap:4 | flags:2 | dups:2 | tid:7;
 *  - overflow: every other start (8-aligned small blocks of jemalloc & co, misaligned ones), an open
 *    addressing table of 64-bit entries: valid:1 | offset:16 | size:15 | large:1 | wrap:4 | flags:3 |
 *    dups:4 | tid:20, linear probing, backward-shift deletion, at most half full.
 * A large block's size is its span in the large list. Threads are told apart by as_check_tid() % 127.
 */
#define D_VALID 1u
#define D_SIZE_SHIFT 1
#define D_LARGE (1u << 16)
#define D_WRAP_SHIFT 17
#define D_FLAGS_SHIFT 21
#define D_DUPS_SHIFT 23
#define D_TID_SHIFT 25
#define D_DUPS_MAX 3u
#define DIRECT_ENTRIES (LEAF_SPAN >> 4)
#define DIRECT_LOG 11 /* table_get(11): 8 << 11 bytes = 4096 entries of 4 bytes */
_Static_assert(DIRECT_ENTRIES * sizeof(uint32_t) == (sizeof(uint64_t) << DIRECT_LOG), "direct table size");

#define E_VALID ((uint64_t)1)
#define E_OFF_SHIFT 1
#define E_SIZE_SHIFT 17
#define E_LARGE ((uint64_t)1 << 32)
#define E_WRAP_SHIFT 33
#define E_FLAGS_SHIFT 37
#define E_DUPS_SHIFT 40
#define E_TID_SHIFT 44
#define E_DUPS_MAX 15u
#define E_TID_MASK ((1u << 20) - 1)
_Static_assert(AS_CHECK_LARGE < (1u << 15), "a small block's size fits both entries");
_Static_assert(AS_CHECK_MAX_WRAPS <= 16, "a wrap index fits 4 bits");

static inline uint32_t dpack(const as_block *b, int large) {
    return D_VALID | (large ? D_LARGE : ((uint32_t)b->size << D_SIZE_SHIFT)) | ((uint32_t)(b->wrap & 15u) << D_WRAP_SHIFT) |
           ((uint32_t)(b->flags & 3u) << D_FLAGS_SHIFT) | ((b->dups > D_DUPS_MAX ? D_DUPS_MAX : b->dups) << D_DUPS_SHIFT) |
           ((b->tid & 127u) << D_TID_SHIFT);
}

/* Fills *b from a direct entry, except the size of a large block (returns 1 then: the caller asks the
 * large list once no leaf lock is held). */
static inline int dunpack(uint32_t e, uintptr_t addr, as_block *b) {
    b->addr = addr;
    b->size = (e >> D_SIZE_SHIFT) & 0x7fffu;
    b->wrap = (uint8_t)((e >> D_WRAP_SHIFT) & 15u);
    b->flags = (uint8_t)((e >> D_FLAGS_SHIFT) & 3u);
    b->dups = (uint16_t)((e >> D_DUPS_SHIFT) & 3u);
    b->tid = e >> D_TID_SHIFT;
    return (e & D_LARGE) != 0;
}

static inline uint32_t e_off(uint64_t e) { return (uint32_t)(e >> E_OFF_SHIFT) & 0xffffu; }
static inline uint32_t e_dups(uint64_t e) { return (uint32_t)(e >> E_DUPS_SHIFT) & 0xfu; }

static inline uint64_t pack(const as_block *b, int large) {
    return E_VALID | ((uint64_t)(b->addr & (LEAF_SPAN - 1)) << E_OFF_SHIFT) |
           (large ? E_LARGE : ((uint64_t)b->size << E_SIZE_SHIFT)) | ((uint64_t)(b->wrap & 15u) << E_WRAP_SHIFT) |
           ((uint64_t)(b->flags & 7u) << E_FLAGS_SHIFT) |
           ((uint64_t)(b->dups > E_DUPS_MAX ? E_DUPS_MAX : b->dups) << E_DUPS_SHIFT) |
           ((uint64_t)(b->tid & 127u) << E_TID_SHIFT);
}

static inline int unpack(uint64_t e, uintptr_t base, as_block *b) {
    b->addr = base + e_off(e);
    b->size = (size_t)((e >> E_SIZE_SHIFT) & 0x7fffu);
    b->wrap = (uint8_t)((e >> E_WRAP_SHIFT) & 15u);
    b->flags = (uint8_t)((e >> E_FLAGS_SHIFT) & 7u);
    b->dups = (uint16_t)e_dups(e);
    b->tid = (uint32_t)(e >> E_TID_SHIFT) & E_TID_MASK;
    return (e & E_LARGE) != 0;
}

static size_t large_size_of(uintptr_t start); /* the large list, below */

/* Storage of the tables: power-of-two sizes of 8 << 3 .. 8 << 13 bytes, recycled per size. */
#define TABLE_MIN_LOG 3
#define TABLE_MAX_LOG 13
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *table_free[TABLE_MAX_LOG + 1];
static char *table_arena;
static size_t table_left;

static uint64_t *table_get(unsigned lg) {
    size_t bytes = (sizeof(uint64_t)) << lg;
    uint64_t *t;
    pthread_mutex_lock(&table_lock);
    if ((t = table_free[lg])) {
        uint64_t *next;
        memcpy(&next, (const void *)t, sizeof next); /* a free table's first word links the next */
        table_free[lg] = next;
    } else {
        if (table_left < bytes) {
            table_arena = map_zeroed(ARENA_CHUNK);
            if (!table_arena) out_of_memory("exact table");
            table_left = ARENA_CHUNK;
        }
        t = (uint64_t *)table_arena;
        table_arena += bytes;
        table_left -= bytes;
    }
    pthread_mutex_unlock(&table_lock);
    memset(t, 0, bytes);
    return t;
}

static void table_put(uint64_t *t, unsigned lg) {
    pthread_mutex_lock(&table_lock);
    uint64_t *next = table_free[lg];
    memcpy((void *)t, &next, sizeof next);
    table_free[lg] = t;
    pthread_mutex_unlock(&table_lock);
}

static unsigned log2_of(uint32_t cap) { return (unsigned)__builtin_ctz(cap); }

static inline uint32_t leaf_home(uint32_t off, uint32_t mask) { return (off >> GRANULE_SHIFT) & mask; }

/* Doubles a leaf's overflow table (or makes the first). Called with the leaf locked. */
static void leaf_grow(leaf *l) {
    uint32_t cap = l->mask ? (l->mask + 1) * 2 : (1u << TABLE_MIN_LOG);
    if (log2_of(cap) > TABLE_MAX_LOG) out_of_memory("overflow table above 8192 entries per 64 KiB");
    uint64_t *t = table_get(log2_of(cap));
    for (uint32_t i = 0; l->mask && i <= l->mask; i++) {
        if (!l->slot[i]) continue;
        uint32_t j = leaf_home(e_off(l->slot[i]), cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = l->slot[i];
    }
    if (l->slot) table_put(l->slot, log2_of(l->mask + 1));
    l->slot = t;
    l->mask = cap - 1;
}

/* Inserts b (l locked): 0, or 1 with the live block at the same address in *dup (whose owner count
 * grows); *dup_large: its size is still to be asked from the large list. */
static inline int leaf_insert_locked(leaf *l, const as_block *b, int large, as_block *dup, int *dup_large) {
    uint32_t off = (uint32_t)(b->addr & (LEAF_SPAN - 1));
    if ((off & 15) == 0) {
        if (__builtin_expect(!l->direct, 0)) l->direct = (uint32_t *)table_get(DIRECT_LOG);
        uint32_t *d = &l->direct[off >> 4], e = *d;
        if (!e) {
            *d = dpack(b, large);
            l->dcount++;
            return 0;
        }
        *dup_large = dunpack(e, b->addr, dup);
        if (((e >> D_DUPS_SHIFT) & 3u) < D_DUPS_MAX) *d = e + (1u << D_DUPS_SHIFT);
        return 1;
    }
    if (!l->mask || (l->count + 1) * 2 > l->mask + 1) leaf_grow(l);
    for (uint32_t i = leaf_home(off, l->mask);; i = (i + 1) & l->mask) {
        uint64_t e = l->slot[i];
        if (!e) {
            l->slot[i] = pack(b, large);
            l->count++;
            return 0;
        }
        if (e_off(e) == off) {
            if (e_dups(e) < E_DUPS_MAX) l->slot[i] = e + ((uint64_t)1 << E_DUPS_SHIFT);
            *dup_large = unpack(e, b->addr - off, dup);
            return 1;
        }
    }
}

/* 1 and *out when a is a live block's start (l locked); *large as above. */
static inline int leaf_find_locked(leaf *l, uintptr_t a, as_block *out, int *large) {
    uint32_t off = (uint32_t)(a & (LEAF_SPAN - 1));
    if ((off & 15) == 0) {
        uint32_t e = l->direct ? l->direct[off >> 4] : 0;
        if (e) *large = dunpack(e, a, out);
        return e != 0;
    }
    for (uint32_t i = leaf_home(off, l->mask); l->mask && l->slot[i]; i = (i + 1) & l->mask) {
        if (e_off(l->slot[i]) == off) {
            *large = unpack(l->slot[i], a - off, out);
            return 1;
        }
    }
    return 0;
}

/* Removes one owner of a (l locked): 0 not live, 1 removed, 2 an extra owner went (still live), 3 live
 * but not wrap `want`'s (want >= 0; nothing changed); *out is the block as it was, *large as above. */
static inline int leaf_remove_locked(leaf *l, uintptr_t a, int want, as_block *out, int *large) {
    uint32_t off = (uint32_t)(a & (LEAF_SPAN - 1));
    if ((off & 15) == 0) {
        uint32_t *d = l->direct ? &l->direct[off >> 4] : NULL, e = d ? *d : 0;
        if (!e) return 0;
        *large = dunpack(e, a, out);
        if (want >= 0 && out->wrap != (unsigned)want) return 3;
        if ((e >> D_DUPS_SHIFT) & 3u) {
            *d = e - (1u << D_DUPS_SHIFT);
            return 2;
        }
        *d = 0;
        l->dcount--;
        return 1;
    }
    if (!l->mask) return 0;
    uint32_t mask = l->mask, i = leaf_home(off, mask);
    while (l->slot[i] && e_off(l->slot[i]) != off) i = (i + 1) & mask;
    uint64_t e = l->slot[i];
    if (!e) return 0;
    *large = unpack(e, a - off, out);
    if (want >= 0 && out->wrap != (unsigned)want) return 3;
    if (e_dups(e)) {
        l->slot[i] = e - ((uint64_t)1 << E_DUPS_SHIFT);
        return 2;
    }
    /* backward-shift deletion: keep every entry reachable from its home slot without tombstones */
    uint32_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!l->slot[j]) break;
        uint32_t home = leaf_home(e_off(l->slot[j]), mask);
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        l->slot[hole] = l->slot[j];
        hole = j;
    }
    l->slot[hole] = 0;
    l->count--;
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* the far table: blocks at or above 2^48, one global locked open-addressing table                */

static _Atomic int far_lock;
static as_block *far;
static size_t far_mask, far_count;

static void far_grow(void) {
    size_t cap = far_mask ? (far_mask + 1) * 2 : 256;
    as_block *t = map_zeroed(cap * sizeof(as_block));
    if (!t) out_of_memory("far table");
    for (size_t i = 0; far && i <= far_mask; i++) {
        if (!far[i].addr) continue;
        size_t j = mix(far[i].addr) & (cap - 1);
        while (t[j].addr) j = (j + 1) & (cap - 1);
        t[j] = far[i];
    }
    if (far) munmap(far, (far_mask + 1) * sizeof(as_block));
    far = t;
    far_mask = cap - 1;
}

static int far_insert(const as_block *b, as_block *dup) {
    spin_lock(&far_lock);
    if (!far || (far_count + 1) * 2 > far_mask + 1) far_grow();
    for (size_t i = mix(b->addr) & far_mask;; i = (i + 1) & far_mask) {
        if (!far[i].addr) {
            far[i] = *b;
            far_count++;
            spin_unlock(&far_lock);
            return 0;
        }
        if (far[i].addr == b->addr) {
            *dup = far[i];
            if (far[i].dups < E_DUPS_MAX) far[i].dups++;
            spin_unlock(&far_lock);
            return 1;
        }
    }
}

static int far_find(uintptr_t a, as_block *out) {
    int found = 0;
    spin_lock(&far_lock);
    for (size_t i = mix(a) & far_mask; far && far[i].addr; i = (i + 1) & far_mask) {
        if (far[i].addr == a) {
            *out = far[i];
            found = 1;
            break;
        }
    }
    spin_unlock(&far_lock);
    return found;
}

static int far_remove(uintptr_t a, int want, as_block *out) {
    spin_lock(&far_lock);
    size_t i = far ? mix(a) & far_mask : 0;
    while (far && far[i].addr && far[i].addr != a) i = (i + 1) & far_mask;
    if (!far || !far[i].addr) {
        spin_unlock(&far_lock);
        return 0;
    }
    *out = far[i];
    if (want >= 0 && out->wrap != (unsigned)want) {
        spin_unlock(&far_lock);
        return 3;
    }
    if (far[i].dups) {
        far[i].dups--;
        spin_unlock(&far_lock);
        return 2;
    }
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & far_mask;
        if (!far[j].addr) break;
        size_t home = mix(far[j].addr) & far_mask;
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        far[hole] = far[j];
        hole = j;
    }
    far[hole].addr = 0;
    far_count--;
    spin_unlock(&far_lock);
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* exact lookups: the leaf of the start address, or the far table                                 */

static int exact_insert(const as_block *b, int large, as_block *dup) {
    if (!is_near(b->addr)) return far_insert(b, dup);
    leaf *l = leaf_get(b->addr, 1);
    int dup_large = 0;
    spin_lock(&l->lock);
    int r = leaf_insert_locked(l, b, large, dup, &dup_large);
    spin_unlock(&l->lock);
    if (r && dup_large) dup->size = large_size_of(dup->addr);
    return r;
}

static int exact_find(uintptr_t a, as_block *out) {
    if (!is_near(a)) return far_find(a, out);
    leaf *l = leaf_get(a, 0);
    if (!l) return 0;
    int large = 0;
    spin_lock(&l->lock);
    int r = leaf_find_locked(l, a, out, &large);
    spin_unlock(&l->lock);
    if (r && large) out->size = large_size_of(a);
    return r;
}

static int exact_remove(uintptr_t a, int want, as_block *out) {
    if (!is_near(a)) return far_remove(a, want, out);
    leaf *l = leaf_get(a, 0);
    if (!l) return 0;
    int large = 0;
    spin_lock(&l->lock);
    int r = leaf_remove_locked(l, a, want, out, &large);
    spin_unlock(&l->lock);
    if (r && large) out->size = large_size_of(a);
    return r;
}

/* ---------------------------------------------------------------------------------------------- */
/* coverage bitmap                                                                                */

/* Sets (set=1) or clears the bits of granules [g0, g1] within one leaf, whose lock the caller holds (so a
 * plain load and store suffice: every writer of a leaf's bits holds its lock); on set, returns the
 * address of the first granule that was already covered, or 0. */
static inline uintptr_t leaf_bits(leaf *l, uintptr_t g0, uintptr_t g1, int set) {
    uintptr_t hit = 0;
    if ((g0 >> 6) == (g1 >> 6)) { /* within one word: blocks up to 512 bytes, nearly every call */
        size_t w = (size_t)(g0 & (LEAF_WORDS * 64 - 1)) >> 6;
        uint64_t mask = (~(uint64_t)0 >> (63 - (g1 & 63))) & (~(uint64_t)0 << (g0 & 63));
        uint64_t old = atomic_load_explicit(&l->bits[w], memory_order_relaxed);
        atomic_store_explicit(&l->bits[w], set ? old | mask : old & ~mask, memory_order_relaxed);
        if (set && (old & mask)) hit = ((g0 & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(old & mask)) << GRANULE_SHIFT;
        return hit;
    }
    while (g0 <= g1) {
        size_t w = (size_t)(g0 & (LEAF_WORDS * 64 - 1)) >> 6;
        unsigned b0 = (unsigned)(g0 & 63);
        uintptr_t gend = (g0 | 63) < g1 ? (g0 | 63) : g1;
        unsigned b1 = (unsigned)(gend & 63);
        uint64_t mask = (b1 == 63 ? ~(uint64_t)0 : (((uint64_t)1 << (b1 + 1)) - 1)) & (~(uint64_t)0 << b0);
        uint64_t old = atomic_load_explicit(&l->bits[w], memory_order_relaxed);
        if (set) {
            atomic_store_explicit(&l->bits[w], old | mask, memory_order_relaxed);
            if ((old & mask) && !hit) hit = ((g0 & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(old & mask)) << GRANULE_SHIFT;
        } else {
            atomic_store_explicit(&l->bits[w], old & ~mask, memory_order_relaxed);
        }
        g0 = gend + 1;
    }
    return hit;
}

/* Sets or clears the coverage of [s, s+len) (len <= AS_CHECK_LARGE, s 8-aligned, near). */
static uintptr_t cover(uintptr_t s, size_t len, int set) {
    uintptr_t g0 = s >> GRANULE_SHIFT, g1 = (s + len - 1) >> GRANULE_SHIFT, hit = 0;
    while (g0 <= g1) {
        uintptr_t leaf_last = (g0 | ((LEAF_SPAN >> GRANULE_SHIFT) - 1));
        uintptr_t end = leaf_last < g1 ? leaf_last : g1;
        leaf *l = leaf_get(g0 << GRANULE_SHIFT, set);
        if (l) {
            spin_lock(&l->lock);
            uintptr_t h = leaf_bits(l, g0, end, set);
            spin_unlock(&l->lock);
            if (h && !hit) hit = h;
        }
        g0 = end + 1;
    }
    return hit;
}

/* The first covered granule in [s, e) (any length), or 0. Absent leaves and nodes are skipped whole. */
static uintptr_t covered_in(uintptr_t s, uintptr_t e) {
    uintptr_t a = s & ~(uintptr_t)((1u << GRANULE_SHIFT) - 1);
    while (a < e && is_near(a)) {
        l2node *n = atomic_load_explicit(&l1[a >> L1_SHIFT], memory_order_acquire);
        if (!n) {
            a = (a | (((uintptr_t)1 << L1_SHIFT) - 1)) + 1;
            continue;
        }
        leaf *l = atomic_load_explicit(&n->leaf[(a >> L2_SHIFT) & (L2_SIZE - 1)], memory_order_acquire);
        uintptr_t leaf_end = (a | (LEAF_SPAN - 1)) + 1;
        if (l) {
            /* under the leaf's lock: a small block admitted at the same time either set its bits before
               (seen here) or reads this large block's mark after (large_cover, set before the scan) */
            uintptr_t stop = leaf_end < e ? leaf_end : e, found = 0;
            spin_lock(&l->lock);
            for (uintptr_t g = a >> GRANULE_SHIFT; (g << GRANULE_SHIFT) < stop;) {
                size_t w = (size_t)(g & (LEAF_WORDS * 64 - 1)) >> 6;
                uint64_t bits = atomic_load_explicit(&l->bits[w], memory_order_relaxed) & (~(uint64_t)0 << (g & 63));
                if (bits) {
                    uintptr_t at = ((g & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(bits)) << GRANULE_SHIFT;
                    if (at < stop) found = at;
                    break;
                }
                g = (g | 63) + 1;
            }
            spin_unlock(&l->lock);
            if (found) return found;
        }
        a = leaf_end;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* large list                                                                                     */

typedef struct {
    uintptr_t start, end;
} span;

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
static span *large;
static size_t nlarge, caplarge;
static _Atomic size_t nlarge_seen; /* nlarge, readable without the lock */
static _Atomic size_t nhuge;       /* large blocks that do not mark the leaves they touch */

/* First index whose start is >= a (called with large_lock held). */
static size_t large_lower(uintptr_t a) {
    size_t lo = 0, hi = nlarge;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (large[mid].start < a) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int marks_leaves(uintptr_t s, uintptr_t e) { return is_near(e - 1) && (e - s) <= AS_CHECK_HUGE; }

static void mark_large(uintptr_t s, uintptr_t e, int add) {
    if (!marks_leaves(s, e)) {
        atomic_fetch_add(&nhuge, add ? 1 : (size_t)-1);
        return;
    }
    for (uintptr_t a = s & ~(LEAF_SPAN - 1); a < e; a += LEAF_SPAN) {
        leaf *l = leaf_get(a, add);
        if (l) atomic_fetch_add(&l->large_cover, add ? 1u : (uint32_t)-1);
    }
}

/* Inserts [s, e); returns 1 and the overlapping neighbour span when one overlaps. */
static int large_insert(uintptr_t s, uintptr_t e, span *hit) {
    int overlap = 0;
    pthread_mutex_lock(&large_lock);
    if (nlarge == caplarge) {
        size_t cap = caplarge ? caplarge * 2 : 1024;
        span *t = map_zeroed(cap * sizeof(span));
        if (!t) out_of_memory("large list");
        if (large) {
            memcpy(t, large, nlarge * sizeof(span));
            munmap(large, caplarge * sizeof(span));
        }
        large = t;
        caplarge = cap;
    }
    size_t i = large_lower(s);
    if (i > 0 && large[i - 1].end > s) {
        *hit = large[i - 1];
        overlap = 1;
    } else if (i < nlarge && large[i].start < e) {
        *hit = large[i];
        overlap = 1;
    }
    memmove(&large[i + 1], &large[i], (nlarge - i) * sizeof(span));
    large[i] = (span){s, e};
    nlarge++;
    atomic_store(&nlarge_seen, nlarge);
    pthread_mutex_unlock(&large_lock);
    mark_large(s, e, 1);
    return overlap;
}

static void large_remove(uintptr_t s) {
    uintptr_t e = 0;
    pthread_mutex_lock(&large_lock);
    size_t i = large_lower(s);
    if (i < nlarge && large[i].start == s) {
        e = large[i].end;
        memmove(&large[i], &large[i + 1], (nlarge - i - 1) * sizeof(span));
        nlarge--;
        atomic_store(&nlarge_seen, nlarge);
    }
    pthread_mutex_unlock(&large_lock);
    if (e) mark_large(s, e, 0);
}

static size_t large_size_of(uintptr_t start) {
    size_t n = 0;
    pthread_mutex_lock(&large_lock);
    size_t i = large_lower(start);
    if (i < nlarge && large[i].start == start) n = large[i].end - large[i].start;
    pthread_mutex_unlock(&large_lock);
    return n; /* 0: being admitted or released right now */
}

/* The large block overlapping [s, e), if any (s..e is a small block). */
static int large_overlapping(uintptr_t s, uintptr_t e, span *hit) {
    if (!atomic_load(&nlarge_seen)) return 0;
    int look = atomic_load(&nhuge) > 0 || !is_near(e - 1);
    if (!look) {
        leaf *l = leaf_get(s, 0);
        look = l && atomic_load(&l->large_cover);
        if (!look && ((e - 1) >> L2_SHIFT) != (s >> L2_SHIFT)) {
            l = leaf_get(e - 1, 0);
            look = l && atomic_load(&l->large_cover);
        }
    }
    if (!look) return 0;
    int found = 0;
    pthread_mutex_lock(&large_lock);
    size_t i = large_lower(e); /* every span before i starts below e */
    if (i > 0 && large[i - 1].end > s) {
        *hit = large[i - 1];
        found = 1;
    }
    pthread_mutex_unlock(&large_lock);
    return found;
}

/* ---------------------------------------------------------------------------------------------- */
/* the map                                                                                        */

int as_blocks_init(void) {
    if (l1) return 0;
    l1 = map_zeroed(L1_SIZE * sizeof(*l1));
    return l1 ? 0 : -1;
}

/* The live block other than `self` that covers address h (searched back up to AS_CHECK_LARGE). */
static int find_covering(uintptr_t h, uintptr_t self, as_block *out) {
    uintptr_t a = h & ~(uintptr_t)7;
    for (size_t back = 0; back <= AS_CHECK_LARGE && a >= back; back += 8) {
        uintptr_t at = a - back;
        if (at != self && exact_find(at, out) && at + (out->size ? out->size : 1) > h) return 1;
    }
    return 0;
}

static size_t block_len(const as_block *b) { return b->size ? b->size : 1; }

/* A small block starting 8-aligned inside one leaf: everything under one acquisition of its lock. */
static int fast_path(uintptr_t s, size_t len) {
    return len <= AS_CHECK_LARGE && (s & 7) == 0 && is_near(s) && (s >> L2_SHIFT) == ((s + len - 1) >> L2_SHIFT);
}

/* Masks of the bitmap words [w0, w1] of granules [g0, g1] (within one leaf): word i's mask. */
static inline uint64_t word_mask(uintptr_t g0, uintptr_t g1, uintptr_t word) {
    uint64_t lo = (word == (g0 >> 6)) ? (~(uint64_t)0 << (g0 & 63)) : ~(uint64_t)0;
    uint64_t hi = (word == (g1 >> 6)) ? (~(uint64_t)0 >> (63 - (g1 & 63))) : ~(uint64_t)0;
    return lo & hi;
}

int as_blocks_admit_fast(uintptr_t s, size_t n, unsigned wrap, uint32_t tid) {
    if (n == 0 || n > AS_CHECK_LARGE || (s & 15) || !is_near(s) || (s >> L2_SHIFT) != ((s + n - 1) >> L2_SHIFT)) return 1;
    leaf *l = leaf_get(s, 1);
    uint32_t off = (uint32_t)(s & (LEAF_SPAN - 1));
    uintptr_t g0 = s >> GRANULE_SHIFT, g1 = (s + n - 1) >> GRANULE_SHIFT;
    uintptr_t base = (g0 & ~(uintptr_t)(LEAF_WORDS * 64 - 1)) >> 6; /* word number of the leaf's first word */
    int ok = 0;
    spin_lock(&l->lock);
    if (__builtin_expect(l->direct != NULL, 1) && !l->direct[off >> 4] &&
        !atomic_load_explicit(&l->large_cover, memory_order_relaxed) && !atomic_load_explicit(&nhuge, memory_order_relaxed)) {
        uint64_t busy = 0;
        for (uintptr_t word = g0 >> 6; word <= (g1 >> 6); word++)
            busy |= atomic_load_explicit(&l->bits[word - base], memory_order_relaxed) & word_mask(g0, g1, word);
        if (!busy) {
            for (uintptr_t word = g0 >> 6; word <= (g1 >> 6); word++) {
                _Atomic uint64_t *b = &l->bits[word - base];
                atomic_store_explicit(b, atomic_load_explicit(b, memory_order_relaxed) | word_mask(g0, g1, word),
                                      memory_order_relaxed);
            }
            l->direct[off >> 4] = D_VALID | ((uint32_t)n << D_SIZE_SHIFT) | ((wrap & 15u) << D_WRAP_SHIFT) |
                                  ((tid & 127u) << D_TID_SHIFT);
            l->dcount++;
            ok = 1;
        }
    }
    spin_unlock(&l->lock);
    return !ok;
}

int as_blocks_release_fast(uintptr_t a, size_t *size, unsigned *wrap) {
    if ((a & 15) || !is_near(a)) return 1;
    leaf *l = leaf_get(a, 0);
    if (!l) return 1;
    uint32_t off = (uint32_t)(a & (LEAF_SPAN - 1));
    int ok = 0;
    spin_lock(&l->lock);
    uint32_t e = l->direct ? l->direct[off >> 4] : 0;
    /* a plain live entry: one owner, small, no flags (zero-size and survivor blocks take the general path) */
    if (e && !(e & (D_LARGE | (3u << D_DUPS_SHIFT) | (3u << D_FLAGS_SHIFT)))) {
        size_t n = (e >> D_SIZE_SHIFT) & 0x7fffu;
        if (n && (a >> L2_SHIFT) == ((a + n - 1) >> L2_SHIFT)) {
            uintptr_t g0 = a >> GRANULE_SHIFT, g1 = (a + n - 1) >> GRANULE_SHIFT;
            uintptr_t base = (g0 & ~(uintptr_t)(LEAF_WORDS * 64 - 1)) >> 6;
            for (uintptr_t word = g0 >> 6; word <= (g1 >> 6); word++) {
                _Atomic uint64_t *b = &l->bits[word - base];
                atomic_store_explicit(b, atomic_load_explicit(b, memory_order_relaxed) & ~word_mask(g0, g1, word),
                                      memory_order_relaxed);
            }
            l->direct[off >> 4] = 0;
            l->dcount--;
            *size = n;
            *wrap = (e >> D_WRAP_SHIFT) & 15u;
            ok = 1;
        }
    }
    spin_unlock(&l->lock);
    return !ok;
}

int as_blocks_admit(const as_block *b, as_block *other, uintptr_t *at) {
    uintptr_t s = b->addr;
    size_t len = block_len(b);
    if (fast_path(s, len)) {
        leaf *l = leaf_get(s, 1);
        uintptr_t hit = 0;
        int dup_large = 0;
        spin_lock(&l->lock);
        int dup = leaf_insert_locked(l, b, 0, other, &dup_large);
        if (!dup) hit = leaf_bits(l, s >> GRANULE_SHIFT, (s + len - 1) >> GRANULE_SHIFT, 1);
        uint32_t larges = atomic_load_explicit(&l->large_cover, memory_order_relaxed);
        spin_unlock(&l->lock);
        if (dup) {
            if (dup_large) other->size = large_size_of(s);
            *at = s; /* the same address, still live */
            return 1;
        }
        memset(other, 0, sizeof *other);
        if (hit) {
            *at = hit;
            if (!find_covering(hit, s, other)) other->addr = 0;
            return 1;
        }
        span sp;
        if ((larges || atomic_load(&nhuge)) && large_overlapping(s, s + len, &sp)) {
            *at = sp.start > s ? sp.start : s;
            if (!exact_find(sp.start, other)) other->addr = sp.start, other->size = sp.end - sp.start;
            return 1;
        }
        return 0;
    }
    uintptr_t e = s + len < s ? UINTPTR_MAX : s + len;
    int is_large = len > AS_CHECK_LARGE || !is_near(e - 1);
    if (exact_insert(b, is_large, other)) {
        *at = s; /* the same address, still live: its bits and spans are already there */
        return 1;
    }
    memset(other, 0, sizeof *other);
    span sp;
    if (is_large) {
        if (large_insert(s, e, &sp)) {
            *at = sp.start > s ? sp.start : s;
            if (!exact_find(sp.start, other)) other->addr = sp.start, other->size = sp.end - sp.start;
            return 1;
        }
        uintptr_t h = covered_in(s, e);
        if (h) {
            *at = h;
            if (!find_covering(h, s, other)) other->addr = 0;
            return 1;
        }
        return 0;
    }
    if ((s & 7) == 0) {
        uintptr_t h = cover(s, len, 1);
        if (h) {
            *at = h;
            if (!find_covering(h, s, other)) other->addr = 0;
            return 1;
        }
    }
    if (large_overlapping(s, e, &sp)) {
        *at = sp.start > s ? sp.start : s;
        if (!exact_find(sp.start, other)) other->addr = sp.start, other->size = sp.end - sp.start;
        return 1;
    }
    return 0;
}

/* as_blocks_release(_own): want = the wrap whose block may go, -1 any. */
static int release_block(uintptr_t addr, int want, as_block *out) {
    if (is_near(addr)) {
        leaf *l = leaf_get(addr, 0);
        if (!l) return 0;
        int large = 0, fast = 0;
        spin_lock(&l->lock);
        int r = leaf_remove_locked(l, addr, want, out, &large);
        if (r == 1 && !large) {
            size_t len = block_len(out);
            fast = fast_path(addr, len);
            if (fast) leaf_bits(l, addr >> GRANULE_SHIFT, (addr + len - 1) >> GRANULE_SHIFT, 0);
        }
        spin_unlock(&l->lock);
        if (!r) return 0;
        if (large) out->size = large_size_of(addr);
        if (r == 3) return -1;
        if (r == 2 || fast) return 1;
        if (large) large_remove(addr);
        else if ((addr & 7) == 0) cover(addr, block_len(out), 0);
        return 1;
    }
    int r = exact_remove(addr, want, out);
    if (r == 3) return -1;
    if (r != 1) return r != 0;
    size_t len = block_len(out);
    uintptr_t e = addr + len < addr ? UINTPTR_MAX : addr + len;
    if (len > AS_CHECK_LARGE || !is_near(e - 1)) large_remove(addr);
    else if ((addr & 7) == 0) cover(addr, len, 0);
    return 1;
}

int as_blocks_release(uintptr_t addr, as_block *out) { return release_block(addr, -1, out); }

int as_blocks_release_own(uintptr_t addr, unsigned wrap, as_block *out) { return release_block(addr, (int)wrap, out); }

uint64_t as_blocks_live(void) {
    uint64_t n = 0;
    pthread_mutex_lock(&node_lock);
    for (size_t i = 0; i < nleaves; i++) {
        spin_lock(&all_leaves[i]->lock);
        n += all_leaves[i]->count + all_leaves[i]->dcount;
        spin_unlock(&all_leaves[i]->lock);
    }
    pthread_mutex_unlock(&node_lock);
    spin_lock(&far_lock);
    n += far_count;
    spin_unlock(&far_lock);
    return n;
}

/* Every lock of the map, in the order the code nests them (a leaf's lock, then table_lock when its table
 * grows; node_lock, large_lock and far_lock are never held with another), so fork() cannot deadlock. */
void as_blocks_lock_all(void) {
    pthread_mutex_lock(&node_lock);
    for (size_t i = 0; i < nleaves; i++) spin_lock(&all_leaves[i]->lock);
    pthread_mutex_lock(&table_lock);
    pthread_mutex_lock(&large_lock);
    spin_lock(&far_lock);
}

void as_blocks_unlock_all(void) {
    spin_unlock(&far_lock);
    pthread_mutex_unlock(&large_lock);
    pthread_mutex_unlock(&table_lock);
    for (size_t i = nleaves; i-- > 0;) spin_unlock(&all_leaves[i]->lock);
    pthread_mutex_unlock(&node_lock);
}
