/*
 * replay.c: replays A445TRC1 records (trace.c, bench/) against an allocator with no FFI cost per operation.
 *
 *     records --> validate (untimed) --> timed loop: slots[slot] = malloc/calloc/realloc(...), free(slots[slot])
 *                                    --> free the live slots (untimed) --> result
 *
 * Targets, by priority: `direct` (every op calls that PyMemAllocatorEx, whatever the domain), `entries`
 * (a table of entry points per domain, e.g. libpython's PyMem_RawMalloc & co), or NULL for both: this
 * library's entry points.
 *
 * Semantics: a failed allocation leaves its slot NULL (and counts in `failed`); freeing a NULL slot is
 * free(NULL); a failed realloc keeps the input block in its slot, except realloc(p, 0) returning NULL,
 * which glibc-like allocators do after freeing p: the slot is then NULL. calloc through a target without
 * calloc is malloc + memset. peak_live_bytes is the peak of the sum of requested sizes of live blocks.
 * checksum: FNV-1a over, per op, whether the result was non-NULL and (flag ALLOCSPEC_REPLAY_TOUCH) the
 * first and last byte read back from each block before it is freed or reallocated; with touch, every
 * block's first and last byte are written after allocation. Two allocators that serve every request give
 * the same checksum.
 *
 * Tunables: none. Thread safety: one replay at a time per target allocator's own rules.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* allocspec_trace_record (allocspec.h, offsets asserted there), read byte by byte as little-endian */
#define AS_REC sizeof(allocspec_trace_record)
#define AS_NONE ALLOCSPEC_TRACE_NO_SLOT
#define AS_AT(field) offsetof(allocspec_trace_record, field)

typedef void *(*m_fn)(size_t);
typedef void *(*c_fn)(size_t, size_t);
typedef void *(*r_fn)(void *, size_t);
typedef void (*f_fn)(void *);

typedef struct {
    const PyMemAllocatorEx *direct;
    m_fn m[3];
    c_fn c[3];
    r_fn r[3];
    f_fn f[3];
} target_t;

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void *t_malloc(const target_t *t, int d, size_t n)
{
    return t->direct ? t->direct->malloc(t->direct->ctx, n) : t->m[d](n);
}
static inline void *t_calloc(const target_t *t, int d, size_t a, size_t b)
{
    if (t->direct ? t->direct->calloc != NULL : t->c[d] != NULL)
        return t->direct ? t->direct->calloc(t->direct->ctx, a, b) : t->c[d](a, b);
    if (b != 0 && a > SIZE_MAX / b) return NULL;
    void *p = t_malloc(t, d, a * b);
    if (p != NULL) memset(p, 0, a * b);
    return p;
}
static inline void *t_realloc(const target_t *t, int d, void *p, size_t n)
{
    return t->direct ? t->direct->realloc(t->direct->ctx, p, n) : t->r[d](p, n);
}
static inline void t_free(const target_t *t, int d, void *p)
{
    if (t->direct) t->direct->free(t->direct->ctx, p);
    else t->f[d](p);
}

static inline uint64_t fnv(uint64_t h, uint8_t b) { return (h ^ b) * UINT64_C(0x100000001b3); }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int allocspec_replay(const void *ops, uint64_t nops, uint32_t nslots, const allocspec_entry_table *entries,
                     const PyMemAllocatorEx *direct, int flags, allocspec_replay_result *out)
{
    if (out == NULL || (ops == NULL && nops > 0)) return -1;
    memset(out, 0, sizeof(*out));
    const uint8_t *rec = ops;
    /* validate everything first (untimed) */
    for (uint64_t i = 0; i < nops; i++) {
        const uint8_t *r = rec + i * AS_REC;
        uint32_t slot = get_u32(r + AS_AT(slot)), src = get_u32(r + AS_AT(src));
        if (r[AS_AT(op)] > ALLOCSPEC_TRACE_FREE || r[AS_AT(domain)] > 2 || slot >= nslots) return -1;
        if (r[AS_AT(op)] == ALLOCSPEC_TRACE_REALLOC && src != AS_NONE && src >= nslots) return -1;
    }
    target_t t = {0};
    if (direct != NULL) {
        if (direct->malloc == NULL || direct->realloc == NULL || direct->free == NULL) return -1;
        t.direct = direct;
    } else if (entries != NULL) {
        for (int d = 0; d < 3; d++) {
            if (!entries->malloc[d] || !entries->realloc[d] || !entries->free[d]) return -1;
            t.m[d] = (m_fn)entries->malloc[d];
            t.c[d] = (c_fn)entries->calloc[d];
            t.r[d] = (r_fn)entries->realloc[d];
            t.f[d] = (f_fn)entries->free[d];
        }
    } else {
        m_fn m[3] = {PyMem_RawMalloc, PyMem_Malloc, PyObject_Malloc};
        c_fn c[3] = {PyMem_RawCalloc, PyMem_Calloc, PyObject_Calloc};
        r_fn r[3] = {PyMem_RawRealloc, PyMem_Realloc, PyObject_Realloc};
        f_fn f[3] = {PyMem_RawFree, PyMem_Free, PyObject_Free};
        memcpy(t.m, m, sizeof(m));
        memcpy(t.c, c, sizeof(c));
        memcpy(t.r, r, sizeof(r));
        memcpy(t.f, f, sizeof(f));
    }
    uint8_t **slots = calloc(nslots ? nslots : 1, sizeof(*slots));
    uint64_t *sizes = calloc(nslots ? nslots : 1, sizeof(*sizes));
    uint8_t *doms = calloc(nslots ? nslots : 1, 1);
    if (slots == NULL || sizes == NULL || doms == NULL) {
        free(slots);
        free(sizes);
        free(doms);
        return -1;
    }
    const bool touch = (flags & ALLOCSPEC_REPLAY_TOUCH) != 0;
    uint64_t live = 0, peak = 0, failed = 0, h = UINT64_C(0xcbf29ce484222325);

    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < nops; i++) {
        const uint8_t *r = rec + i * AS_REC;
        int op = r[AS_AT(op)], d = r[AS_AT(domain)];
        uint32_t slot = get_u32(r + AS_AT(slot)), src = get_u32(r + AS_AT(src));
        size_t size = get_u32(r + AS_AT(size)), elsize = get_u32(r + AS_AT(elsize));
        uint8_t *p = NULL;
        if (op == 3) {
            uint8_t *q = slots[slot];
            if (touch && q != NULL && sizes[slot] > 0) h = fnv(fnv(h, q[0]), q[sizes[slot] - 1]);
            t_free(&t, doms[slot], q);
            live -= q ? sizes[slot] : 0;
            slots[slot] = NULL;
            sizes[slot] = 0;
            h = fnv(h, 1);
            continue;
        }
        size_t n = size;
        if (op == 0) {
            p = t_malloc(&t, d, size);
        } else if (op == 1) {
            p = t_calloc(&t, d, size, elsize);
            n = size * elsize;
        } else {
            uint8_t *q = src == AS_NONE ? NULL : slots[src];
            if (touch && q != NULL && sizes[src] > 0) h = fnv(fnv(h, q[0]), q[sizes[src] - 1]);
            p = t_realloc(&t, d, q, size);
            if (q != NULL && (p != NULL || size == 0)) { /* the input block is gone */
                live -= sizes[src];
                slots[src] = NULL;
                sizes[src] = 0;
            }
        }
        h = fnv(h, p != NULL);
        if (p == NULL) {
            failed++;
            if (op != 2 || src != slot) slots[slot] = NULL;
            continue;
        }
        if (slots[slot] != NULL) live -= sizes[slot]; /* a slot overwritten while live: leaked (bad trace) */
        slots[slot] = p;
        sizes[slot] = n;
        doms[slot] = (uint8_t)d;
        live += n;
        if (live > peak) peak = live;
        if (touch && n > 0) {
            p[0] = (uint8_t)(slot * 31u + 7u);
            p[n - 1] = (uint8_t)(slot * 17u + 3u);
        }
    }
    uint64_t t1 = now_ns();

    for (uint32_t s = 0; s < nslots; s++)
        if (slots[s] != NULL) t_free(&t, doms[s], slots[s]);
    free(slots);
    free(sizes);
    free(doms);
    out->ns = t1 - t0;
    out->ops = nops;
    out->failed = failed;
    out->peak_live_bytes = peak;
    out->checksum = h;
    return 0;
}
