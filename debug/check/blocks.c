/*
 * blocks.c: the live-block map of the checking layer: which blocks the allocator under test has handed
 * out and not taken back, in every wrapped domain, and whether a new block overlaps one of them
 * (third-party-allocators.md: live blocks never overlap; PEP 445 entry points return blocks "of size
 * bytes").
 *
 * Three structures, all in memory mapped by the layer itself (never the allocator under test):
 *
 *  1. the exact table: address -> as_block (size, domain, thread, flags). 128 shards, each an
 *     open-addressing table with linear probing and backward-shift deletion under a spinlock; the shard
 *     is chosen by a mixed hash of the address. A block handed out twice (the typical race of an
 *     unlocked free list) is found here, under one lock, so two racing threads cannot both miss it.
 *  2. the coverage bitmap: one bit per 8-byte granule covered by a live block of at most AS_CHECK_LARGE
 *     bytes that starts 8-aligned. A three-level radix (bits 47..30, 29..16, 15..3 of the address) with
 *     1 KiB leaves per 64 KiB of address space, made on first touch. Admitting a block sets its bits
 *     with atomic fetch-or: a bit already set means another live block covers that granule. Two threads
 *     admitting overlapping blocks at once cannot both miss: their RMWs on a shared word are ordered.
 *  3. the large list: blocks above AS_CHECK_LARGE bytes (and blocks above 2^48) as sorted spans under a
 *     mutex; each 64 KiB leaf counts the large blocks touching it, so a small block consults the list
 *     only where a large block lies (blocks above AS_CHECK_HUGE bytes are counted globally instead).
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
/* exact table                                                                                    */

#define NSHARDS 128u
#define SHARD_SHIFT 57 /* 64 - log2(NSHARDS) */
#define SHARD_INITIAL 256u
_Static_assert((NSHARDS >> (64 - SHARD_SHIFT)) == 1, "shard index = top bits of the hash");
_Static_assert((SHARD_INITIAL & (SHARD_INITIAL - 1)) == 0, "power-of-two capacity");

typedef struct {
    _Atomic int lock;
    uint32_t mask; /* capacity - 1 (0: no table yet) */
    uint32_t count;
    as_block *slot;
    char pad[64 - 24];
} shard;
_Static_assert(sizeof(shard) == 64, "one cache line per shard");

static shard shards[NSHARDS] __attribute__((aligned(64)));

static void spin_lock(_Atomic int *l) {
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

static void spin_unlock(_Atomic int *l) { atomic_store_explicit(l, 0, memory_order_release); }

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

/* Doubles a shard's table (or makes the first one). Called with the shard locked. */
static void grow(shard *s) {
    uint32_t cap = s->mask ? (s->mask + 1) * 2 : SHARD_INITIAL;
    as_block *t = map_zeroed((size_t)cap * sizeof(as_block));
    if (!t) out_of_memory("exact table");
    for (uint32_t i = 0; s->mask && i <= s->mask; i++) {
        if (!s->slot[i].addr) continue;
        uint32_t j = (uint32_t)mix(s->slot[i].addr) & (cap - 1);
        while (t[j].addr) j = (j + 1) & (cap - 1);
        t[j] = s->slot[i];
    }
    if (s->slot) munmap(s->slot, (size_t)(s->mask + 1) * sizeof(as_block));
    s->slot = t;
    s->mask = cap - 1;
}

static inline shard *shard_of(uint64_t h) { return &shards[h >> SHARD_SHIFT]; }

/* Inserts b; 1 (and *dup = the live entry, whose owner count grows) when addr is already live. */
static int exact_insert(const as_block *b, as_block *dup) {
    uint64_t h = mix(b->addr);
    shard *s = shard_of(h);
    spin_lock(&s->lock);
    if (!s->mask || (uint64_t)(s->count + 1) * 10 > (uint64_t)(s->mask + 1) * 7) grow(s);
    for (uint32_t i = (uint32_t)h & s->mask;; i = (i + 1) & s->mask) {
        as_block *e = &s->slot[i];
        if (!e->addr) {
            *e = *b;
            s->count++;
            spin_unlock(&s->lock);
            return 0;
        }
        if (e->addr == b->addr) {
            *dup = *e;
            if (e->dups < UINT16_MAX) e->dups++;
            spin_unlock(&s->lock);
            return 1;
        }
    }
}

static int exact_find(uintptr_t a, as_block *out) {
    uint64_t h = mix(a);
    shard *s = shard_of(h);
    int found = 0;
    spin_lock(&s->lock);
    if (s->mask) {
        for (uint32_t i = (uint32_t)h & s->mask; s->slot[i].addr; i = (i + 1) & s->mask) {
            if (s->slot[i].addr == a) {
                *out = s->slot[i];
                found = 1;
                break;
            }
        }
    }
    spin_unlock(&s->lock);
    return found;
}

/* Removes one owner of a: 0 not live, 1 removed (bits to clear), 2 an extra owner went (still live). */
static int exact_remove(uintptr_t a, as_block *out) {
    uint64_t h = mix(a);
    shard *s = shard_of(h);
    spin_lock(&s->lock);
    if (!s->mask) {
        spin_unlock(&s->lock);
        return 0;
    }
    uint32_t mask = s->mask, i = (uint32_t)h & mask;
    while (s->slot[i].addr && s->slot[i].addr != a) i = (i + 1) & mask;
    if (!s->slot[i].addr) {
        spin_unlock(&s->lock);
        return 0;
    }
    *out = s->slot[i];
    if (s->slot[i].dups) {
        s->slot[i].dups--;
        spin_unlock(&s->lock);
        return 2;
    }
    /* backward-shift deletion: keep every entry reachable from its home slot without tombstones */
    uint32_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->slot[j].addr) break;
        uint32_t home = (uint32_t)mix(s->slot[j].addr) & mask;
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        s->slot[hole] = s->slot[j];
        hole = j;
    }
    s->slot[hole].addr = 0;
    s->count--;
    spin_unlock(&s->lock);
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* coverage bitmap                                                                                */

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
    uint32_t pad;
} leaf;

typedef struct {
    _Atomic(leaf *) leaf[L2_SIZE];
} l2node;

static _Atomic(l2node *) *l1;
static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena;
static size_t arena_left;
#define ARENA_CHUNK ((size_t)1 << 20)

static int is_near(uintptr_t last) { return (last >> NEAR_BITS) == 0; }

static leaf *leaf_get(uintptr_t a, int create) {
    size_t i1 = a >> L1_SHIFT, i2 = (a >> L2_SHIFT) & (L2_SIZE - 1);
    l2node *n = atomic_load_explicit(&l1[i1], memory_order_acquire);
    leaf *l = n ? atomic_load_explicit(&n->leaf[i2], memory_order_acquire) : NULL;
    if (l || !create) return l;
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
        l = (leaf *)arena;
        arena += sizeof(leaf);
        arena_left -= sizeof(leaf);
        atomic_store_explicit(&n->leaf[i2], l, memory_order_release);
    }
    pthread_mutex_unlock(&node_lock);
    return l;
}

/* Sets (set=1) or clears the bits of granules [g0, g1] within one leaf; on set, returns the address of
 * the first granule that was already covered, or 0. */
static uintptr_t leaf_bits(leaf *l, uintptr_t g0, uintptr_t g1, int set) {
    uintptr_t hit = 0;
    while (g0 <= g1) {
        size_t w = (size_t)(g0 & (LEAF_WORDS * 64 - 1)) >> 6;
        unsigned b0 = (unsigned)(g0 & 63);
        uintptr_t gend = (g0 | 63) < g1 ? (g0 | 63) : g1;
        unsigned b1 = (unsigned)(gend & 63);
        uint64_t mask = (b1 == 63 ? ~(uint64_t)0 : (((uint64_t)1 << (b1 + 1)) - 1)) & (~(uint64_t)0 << b0);
        if (set) {
            uint64_t old = atomic_fetch_or(&l->bits[w], mask);
            if ((old & mask) && !hit) hit = ((g0 & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(old & mask)) << GRANULE_SHIFT;
        } else {
            atomic_fetch_and(&l->bits[w], ~mask);
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
            uintptr_t h = leaf_bits(l, g0, end, set);
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
            uintptr_t stop = leaf_end < e ? leaf_end : e;
            for (uintptr_t g = a >> GRANULE_SHIFT; (g << GRANULE_SHIFT) < stop;) {
                size_t w = (size_t)(g & (LEAF_WORDS * 64 - 1)) >> 6;
                uint64_t bits = atomic_load(&l->bits[w]) & (~(uint64_t)0 << (g & 63));
                if (bits) {
                    uintptr_t at = ((g & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(bits)) << GRANULE_SHIFT;
                    if (at < stop) return at;
                    break;
                }
                g = (g | 63) + 1;
            }
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

int as_blocks_admit(const as_block *b, as_block *other, uintptr_t *at) {
    uintptr_t s = b->addr;
    size_t len = block_len(b);
    uintptr_t e = s + len < s ? UINTPTR_MAX : s + len;
    if (exact_insert(b, other)) {
        *at = s; /* the same address, still live: its bits and spans are already there */
        return 1;
    }
    memset(other, 0, sizeof *other);
    span sp;
    if (len > AS_CHECK_LARGE || !is_near(e - 1)) {
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

int as_blocks_release(uintptr_t addr, as_block *out) {
    int r = exact_remove(addr, out);
    if (r != 1) return r != 0;
    size_t len = block_len(out);
    uintptr_t e = addr + len < addr ? UINTPTR_MAX : addr + len;
    if (len > AS_CHECK_LARGE || !is_near(e - 1)) large_remove(addr);
    else if ((addr & 7) == 0) cover(addr, len, 0);
    return 1;
}

uint64_t as_blocks_live(void) {
    uint64_t n = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        spin_lock(&shards[i].lock);
        n += shards[i].count;
        spin_unlock(&shards[i].lock);
    }
    return n;
}

void as_blocks_lock_all(void) {
    pthread_mutex_lock(&node_lock);
    pthread_mutex_lock(&large_lock);
    for (size_t i = 0; i < NSHARDS; i++) spin_lock(&shards[i].lock);
}

void as_blocks_unlock_all(void) {
    for (size_t i = NSHARDS; i-- > 0;) spin_unlock(&shards[i].lock);
    pthread_mutex_unlock(&large_lock);
    pthread_mutex_unlock(&node_lock);
}
