/*
 * trace.c: a tracing hook on all three domains that records every malloc/calloc/realloc/free as an
 * A445TRC1 trace (docs/contracts.md section 4), for replay by replay.c and the benchmarks.
 *
 *     entry point --> trace hook (domain d) --> the allocator it wraps
 *                        | (outermost call on this thread only, under a mutex)
 *                        +--> record {op, domain, slot, src, size, elsize} ; pointer -> slot map
 *
 * File: header 32 bytes "A445TRC1", u32 version 1, u32 nslots, u64 nops, u64 reserved 0; then nops
 * records of 20 bytes, little-endian: u8 op (0 malloc, 1 calloc, 2 realloc, 3 free), u8 domain,
 * u16 flags (0), u32 slot, u32 src (realloc input slot, 0xFFFFFFFF = NULL), u32 size (calloc: nelem),
 * u32 elsize (calloc only).
 *
 * Rules: slots are reused after free (lowest free slot is not guaranteed: a stack of free slots). A failed
 * allocation records its op with a slot that stays NULL. Blocks alive before tracing started are not in
 * the trace: their frees are dropped, and a realloc of one is recorded as realloc(NULL, n). A realloc(p, 0)
 * returning NULL is taken as a free of p (glibc semantics; CPython's entry points never do it).
 * Nested calls (pymalloc falling back to PyMem_RawMalloc inside PyObject_Malloc, a debug hook calling
 * down) are not recorded: only the outermost call on a thread is, as tracemalloc does (its "reentrant"
 * flag), so replaying the trace repeats each block allocation once. Sizes above 2^32-1 are clamped.
 *
 * Tunables: initial capacities. Thread safety: RAW is traced from any thread: a mutex guards the map
 * and the record buffer, and the wrapped call runs under it, so the order of records is the order of
 * the calls (a block freed by one thread and handed out to another is never recorded out of order).
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layout: allocspec_trace_header / allocspec_trace_record in allocspec.h (their offsets asserted there);
   written byte by byte in little-endian order, whatever the host's. */
#define AS_TRACE_RECORD sizeof(allocspec_trace_record)
#define AS_TRACE_HEADER sizeof(allocspec_trace_header)
#define AS_TRACE_NONE ALLOCSPEC_TRACE_NO_SLOT
#define AS_REC_AT(field) offsetof(allocspec_trace_record, field)
#define AS_HDR_AT(field) offsetof(allocspec_trace_header, field)
#define AS_TRACE_MAP_INITIAL 1024
_Static_assert((AS_TRACE_MAP_INITIAL & (AS_TRACE_MAP_INITIAL - 1)) == 0, "map capacity is a power of two");

typedef void (*get_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);
typedef void (*set_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);

typedef struct {
    int domain;
    PyMemAllocatorEx inner;
} tracer_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int reentrant;
static bool installed;
static tracer_t tracers[3];
static PyMemAllocatorEx saved[3];
static set_fn target_set;
static int installed_seq;

int as_trace_installed_seq(void) { return installed ? installed_seq : 0; }

static uint8_t *records;
static uint64_t nops, cap_ops, max_ops;
/* pointer -> slot (open addressing, backward-shift deletion) */
typedef struct {
    uintptr_t ptr; /* 0 = empty */
    uint32_t slot;
} entry_t;
static entry_t *map;
static size_t map_cap, map_count;
/* slots */
static uint32_t *free_slots;
static size_t nfree, free_cap;
static uint32_t next_slot;

static inline size_t hash_ptr(uintptr_t p, size_t mask) { return (size_t)((p * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & mask; }

static bool map_grow(void)
{
    size_t ncap = map_cap ? map_cap * 2 : AS_TRACE_MAP_INITIAL;
    entry_t *nm = calloc(ncap, sizeof(entry_t));
    if (nm == NULL) return false;
    for (size_t i = 0; i < map_cap; i++) {
        if (map[i].ptr == 0) continue;
        size_t j = hash_ptr(map[i].ptr, ncap - 1);
        while (nm[j].ptr != 0) j = (j + 1) & (ncap - 1);
        nm[j] = map[i];
    }
    free(map);
    map = nm;
    map_cap = ncap;
    return true;
}

static bool map_put(uintptr_t p, uint32_t slot)
{
    if ((map_count + 1) * 2 > map_cap && !map_grow()) return false;
    size_t mask = map_cap - 1, i = hash_ptr(p, mask);
    while (map[i].ptr != 0 && map[i].ptr != p) i = (i + 1) & mask;
    if (map[i].ptr == 0) map_count++;
    map[i].ptr = p;
    map[i].slot = slot;
    return true;
}

static long map_find(uintptr_t p)
{
    if (map_cap == 0 || p == 0) return -1;
    size_t mask = map_cap - 1;
    for (size_t i = hash_ptr(p, mask);; i = (i + 1) & mask) {
        if (map[i].ptr == p) return (long)i;
        if (map[i].ptr == 0) return -1;
    }
}

static void map_remove_at(size_t i)
{
    size_t mask = map_cap - 1;
    map[i].ptr = 0;
    map_count--;
    for (size_t j = (i + 1) & mask; map[j].ptr != 0; j = (j + 1) & mask) {
        size_t k = hash_ptr(map[j].ptr, mask);
        /* move j back to i when its home k is not cyclically in (i, j] */
        bool between = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!between) {
            map[i] = map[j];
            map[j].ptr = 0;
            i = j;
        }
    }
}

static uint32_t slot_take(void)
{
    if (nfree > 0) return free_slots[--nfree];
    return next_slot++;
}

static void slot_release(uint32_t s)
{
    if (nfree == free_cap) {
        size_t ncap = free_cap ? free_cap * 2 : 256;
        uint32_t *nf = realloc(free_slots, ncap * sizeof(uint32_t));
        if (nf == NULL) return; /* the slot is simply not reused */
        free_slots = nf;
        free_cap = ncap;
    }
    free_slots[nfree++] = s;
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t clamp32(size_t n) { return n > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)n; }

/* Appends a record; false when the trace is full (max_ops) or out of memory. */
static bool record(int op, int domain, uint32_t slot, uint32_t src, size_t size, size_t elsize)
{
    if (nops >= max_ops) return false;
    if (nops == cap_ops) {
        uint64_t ncap = cap_ops ? cap_ops * 2 : 4096;
        if (ncap > max_ops) ncap = max_ops;
        uint8_t *nr = realloc(records, (size_t)ncap * AS_TRACE_RECORD);
        if (nr == NULL) return false;
        records = nr;
        cap_ops = ncap;
    }
    uint8_t *r = records + nops * AS_TRACE_RECORD;
    r[AS_REC_AT(op)] = (uint8_t)op;
    r[AS_REC_AT(domain)] = (uint8_t)domain;
    r[AS_REC_AT(flags)] = r[AS_REC_AT(flags) + 1] = 0;
    put_u32(r + AS_REC_AT(slot), slot);
    put_u32(r + AS_REC_AT(src), src);
    put_u32(r + AS_REC_AT(size), clamp32(size));
    put_u32(r + AS_REC_AT(elsize), clamp32(elsize));
    nops++;
    return true;
}

static void note_alloc(int op, int domain, void *result, size_t size, size_t elsize)
{
    if (nops >= max_ops) return;
    uint32_t slot = slot_take();
    if (!record(op, domain, slot, AS_TRACE_NONE, size, elsize) || result == NULL || !map_put((uintptr_t)result, slot))
        slot_release(slot);
}

static void *trace_malloc(void *ctx, size_t size)
{
    tracer_t *t = ctx;
    if (reentrant) return t->inner.malloc(t->inner.ctx, size);
    reentrant = 1;
    pthread_mutex_lock(&lock);
    void *r = t->inner.malloc(t->inner.ctx, size);
    note_alloc(0, t->domain, r, size, 0);
    pthread_mutex_unlock(&lock);
    reentrant = 0;
    return r;
}

static void *trace_calloc(void *ctx, size_t nelem, size_t elsize)
{
    tracer_t *t = ctx;
    if (reentrant) return t->inner.calloc(t->inner.ctx, nelem, elsize);
    reentrant = 1;
    pthread_mutex_lock(&lock);
    void *r = t->inner.calloc(t->inner.ctx, nelem, elsize);
    note_alloc(1, t->domain, r, nelem, elsize);
    pthread_mutex_unlock(&lock);
    reentrant = 0;
    return r;
}

static void *trace_realloc(void *ctx, void *ptr, size_t new_size)
{
    tracer_t *t = ctx;
    if (reentrant) return t->inner.realloc(t->inner.ctx, ptr, new_size);
    reentrant = 1;
    pthread_mutex_lock(&lock);
    void *r = t->inner.realloc(t->inner.ctx, ptr, new_size);
    if (nops < max_ops) {
        long at = map_find((uintptr_t)ptr);
        uint32_t src = at >= 0 ? map[at].slot : AS_TRACE_NONE;
        uint32_t slot = at >= 0 ? src : slot_take();
        if (!record(2, t->domain, slot, src, new_size, 0)) {
            if (at < 0) slot_release(slot);
        } else if (r != NULL) {
            if (at >= 0) map_remove_at((size_t)at);
            if (!map_put((uintptr_t)r, slot)) slot_release(slot);
        } else if (at < 0) {
            slot_release(slot); /* failed realloc(NULL or untracked, n): slot stays NULL */
        } else if (new_size == 0) {
            map_remove_at((size_t)at); /* realloc(p, 0) -> NULL: p was freed (glibc) */
            slot_release(slot);
        }
    }
    pthread_mutex_unlock(&lock);
    reentrant = 0;
    return r;
}

static void trace_free(void *ctx, void *ptr)
{
    tracer_t *t = ctx;
    if (reentrant) {
        t->inner.free(t->inner.ctx, ptr);
        return;
    }
    reentrant = 1;
    pthread_mutex_lock(&lock);
    if (nops < max_ops) {
        if (ptr == NULL) {
            uint32_t slot = slot_take(); /* a slot that holds NULL */
            record(3, t->domain, slot, AS_TRACE_NONE, 0, 0);
            slot_release(slot);
        } else {
            long at = map_find((uintptr_t)ptr);
            if (at >= 0) { /* else: allocated before tracing started: dropped */
                uint32_t slot = map[at].slot;
                if (record(3, t->domain, slot, AS_TRACE_NONE, 0, 0)) {
                    map_remove_at((size_t)at);
                    slot_release(slot);
                }
            }
        }
    }
    t->inner.free(t->inner.ctx, ptr);
    pthread_mutex_unlock(&lock);
    reentrant = 0;
}

static void clear_state(void)
{
    free(records);
    records = NULL;
    nops = cap_ops = 0;
    free(map);
    map = NULL;
    map_cap = map_count = 0;
    free(free_slots);
    free_slots = NULL;
    nfree = free_cap = 0;
    next_slot = 0;
}

int allocspec_trace_install(void *get_allocator_fn, void *set_allocator_fn, uint64_t max)
{
    if (installed || max == 0) return -1;
    if ((get_allocator_fn == NULL) != (set_allocator_fn == NULL)) return -1;
    get_fn get = get_allocator_fn ? (get_fn)get_allocator_fn : PyMem_GetAllocator;
    target_set = set_allocator_fn ? (set_fn)set_allocator_fn : PyMem_SetAllocator;
    pthread_mutex_lock(&lock);
    clear_state();
    max_ops = max;
    pthread_mutex_unlock(&lock);
    for (int d = 0; d < 3; d++) {
        get((PyMemAllocatorDomain)d, &saved[d]);
        tracers[d].domain = d;
        tracers[d].inner = saved[d];
        PyMemAllocatorEx a = {&tracers[d], trace_malloc, saved[d].calloc ? trace_calloc : NULL, trace_realloc, trace_free};
        target_set((PyMemAllocatorDomain)d, &a);
    }
    installed = true;
    installed_seq = atomic_fetch_add(&as_layer_seq, 1) + 1;
    return 0;
}

uint64_t allocspec_trace_uninstall(void)
{
    if (installed) {
        for (int d = 0; d < 3; d++) target_set((PyMemAllocatorDomain)d, &saved[d]);
        installed = false;
    }
    pthread_mutex_lock(&lock);
    uint64_t n = nops;
    pthread_mutex_unlock(&lock);
    return n;
}

int allocspec_trace_write(const char *path)
{
    if (path == NULL) return -1;
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    pthread_mutex_lock(&lock);
    uint8_t h[AS_TRACE_HEADER];
    memcpy(h + AS_HDR_AT(magic), ALLOCSPEC_TRACE_MAGIC, sizeof(((allocspec_trace_header *)0)->magic));
    put_u32(h + AS_HDR_AT(version), ALLOCSPEC_TRACE_VERSION);
    put_u32(h + AS_HDR_AT(nslots), next_slot);
    put_u64(h + AS_HDR_AT(nops), nops);
    put_u64(h + AS_HDR_AT(reserved), 0);
    bool ok = fwrite(h, 1, sizeof(h), f) == sizeof(h);
    if (ok && nops > 0) ok = fwrite(records, AS_TRACE_RECORD, (size_t)nops, f) == (size_t)nops;
    pthread_mutex_unlock(&lock);
    if (fclose(f) != 0) ok = false;
    return ok ? 0 : -1;
}

/* allocspec_reset: uninstall the tracer and drop its records (this library's domains are then reset to
   defaults by the caller). */
void as_trace_reset(void)
{
    allocspec_trace_uninstall(); /* restores a foreign target's allocators too */
    pthread_mutex_lock(&lock);
    clear_state();
    max_ops = 0;
    pthread_mutex_unlock(&lock);
}
