/*
 * layer.c: the checking allocator of one domain: malloc, calloc, realloc and free over the allocator
 * under test, each call checked against the rules of rules.h in the order the call makes them
 * observable (design in check.h). One wrapper per as_check_wrap; ctx points at its as_wrap.
 *
 * Per thread, the call in progress (as_check_current) says which allocator call is running, for the
 * crash description, and how deeply calls nest. A call made while another checked call runs on the same
 * thread is NESTED: CPython's pymalloc asks PyMem_RawMalloc for blocks above 512 bytes and frees them with
 * PyMem_RawFree, and on its way down such a call goes through every hook above this layer, which may
 * allocate for itself (tracemalloc's traces). Nested calls are checked like any other, with three
 * allowances: a nested free or realloc of the block an outer call is giving up passes through (the
 * outer call already released it); when the outer call returns a block a nested call returned, the
 * block changes hands (its nested record is replaced by the outer one) instead of overlapping itself;
 * and a nested free or realloc of a block the layer does not know as its own wrap's (one that changed
 * hands, or another domain's) passes through and leaves the map as it is (release_nested).
 * errno is the allocator's when a wrapper returns: the checks never leak theirs.
 *
 * Ordering with other threads (blocks.c): a block leaves the map BEFORE it goes back to the allocator
 * (free, and realloc, whose old block the allocator may free), and enters it after the allocator
 * returned it, so a correct allocator that hands a freed block to another thread is never reported.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* initial-exec: one instruction per access instead of a __tls_get_addr call (a few bytes of static TLS) */
static __thread as_call call_now __attribute__((tls_model("initial-exec")));

as_call *as_check_current(void) { return &call_now; }

const char *as_domain_name(int domain) {
    static const char *const names[] = {"RAW", "MEM", "OBJ"};
    return domain >= 0 && domain < AS_CHECK_NDOMAINS ? names[domain] : "?";
}

/* min(16, largest power of two <= max(size, 1)): the weak alignment rule. */
static inline size_t weak_alignment(size_t size) {
    if (size >= 16) return 16;
    return size ? (size_t)1 << (63 - __builtin_clzll((unsigned long long)size)) : 1;
}

/* A call as made, formatted only when a violation is reported (never on the hot path). */
typedef struct {
    char op;           /* 'm' malloc, 'c' calloc, 'r' realloc, 'f' free */
    uintptr_t a, b;    /* its arguments */
    void *result;
    int returned;      /* result is known */
} call_t;

static void call_text(const call_t *c, char *out, size_t len) {
    int k = 0;
    switch (c->op) {
    case 'm': k = snprintf(out, len, "malloc(%zu)", (size_t)c->a); break;
    case 'c': k = snprintf(out, len, "calloc(%zu, %zu)", (size_t)c->a, (size_t)c->b); break;
    case 'r':
        k = c->a ? snprintf(out, len, "realloc(%p, %zu)", (void *)c->a, (size_t)c->b)
                 : snprintf(out, len, "realloc(NULL, %zu)", (size_t)c->b);
        break;
    default: k = snprintf(out, len, "free(%p)", (void *)c->a); break;
    }
    if (c->returned && k > 0 && (size_t)k < len) snprintf(out + k, len - (size_t)k, " -> %p", c->result);
}

static void violation(as_check_rule rule, int domain, const call_t *call, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void violation(as_check_rule rule, int domain, const call_t *call, const char *fmt, ...) {
    char msg[768], text[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    call_text(call, text, sizeof text);
    as_violation v = {rule, domain, text, msg};
    as_check_report(&v);
}

static int wrap_index(const as_wrap *w) { return (int)(w - as_cs.wraps); }

static const char *thread_word(uint32_t tid) { return tid == as_check_tid() ? "this thread" : "another thread"; }

/* The rule an overlap breaks, from what the two blocks are. */
static as_check_rule overlap_rule(const as_block *mine, const as_block *other, int other_known) {
    if (!other_known) return AS_CHECK_OVERLAP;
    if (other->flags & AS_BLOCK_SURVIVOR) return AS_CHECK_FAILED_REALLOC;
    int raw = as_cs.wraps[mine->wrap].domain == AS_CHECK_RAW || as_cs.wraps[other->wrap].domain == AS_CHECK_RAW;
    if (other->tid != mine->tid && raw) return AS_CHECK_THREADS;
    if ((mine->flags & AS_BLOCK_ZERO) && (other->flags & AS_BLOCK_ZERO)) return AS_CHECK_MALLOC_ZERO_NULL;
    if ((mine->flags | other->flags) & AS_BLOCK_ZERO) return AS_CHECK_ZERO_OVERLAP;
    return AS_CHECK_OVERLAP;
}

/* A block the allocator just returned: alignment, overlap, and a zero-size block's byte. */
static void admit_general(as_wrap *w, const call_t *call, int is_malloc, void *p, size_t size, uint8_t flags) {
    uintptr_t a = (uintptr_t)p;
    size_t want = weak_alignment(size);
    if (a % want) {
        violation(is_malloc ? AS_CHECK_ALIGN_WEAK : AS_CHECK_ALIGN_CALLOC_REALLOC, w->domain, call,
                  "%p is not %zu-byte aligned (a block of %zu bytes must be aligned to min(16, largest power "
                  "of two <= size))",
                  p, want, size);
    } else if (a % 16) {
        if (as_cs.cfg.align_strong) {
            violation(AS_CHECK_ALIGN_STRONG, w->domain, call, "%p is not 16-byte aligned (strong rule: 16 for "
                      "every size; ALLOCSPEC_CHECK_ALIGN=weak checks only min(16, largest power of two <= size))", p);
        } else {
            atomic_fetch_add_explicit(&as_cs.strong_misses, 1, memory_order_relaxed);
        }
    }
    as_block b = {a, size, as_check_tid(), (uint8_t)wrap_index(w), (uint8_t)(flags | (size == 0 ? AS_BLOCK_ZERO : 0)),
                  0};
    as_block other;
    uintptr_t at = 0;
    if (as_blocks_admit(&b, &other, &at)) {
        int known = other.addr != 0;
        as_check_rule rule = overlap_rule(&b, &other, known);
        char desc[256];
        if (known) {
            snprintf(desc, sizeof desc, "the live %s block %p of %zu bytes handed to %s%s",
                     as_domain_name(as_cs.wraps[other.wrap].domain), (void *)other.addr, other.size,
                     thread_word(other.tid),
                     (other.flags & AS_BLOCK_SURVIVOR) ? " and kept by a failed realloc (it must stay live)" : "");
        } else {
            snprintf(desc, sizeof desc, "a live block (released by its owner while this was checked)");
        }
        violation(rule, w->domain, call, "%p (%zu bytes) overlaps %s: they share address %p", p,
                  size ? size : 1, desc, (void *)at);
    }
    if (size == 0 && !as_byte_writable(p)) {
        violation(AS_CHECK_ZERO_NOT_WRITABLE, w->domain, call,
                  "the byte of the zero-size block %p cannot be written (a zero-size request is as if 1 byte "
                  "had been asked)",
                  p);
    }
}

static void check_domain(as_wrap *w, const char *op, const call_t *call, void *p, const as_block *b);
static int release_general(as_wrap *w, const char *op, const call_t *call, void *p, as_block *b);

/* Releases p from the map for `op` in wrap w (the fast path first); see release_general. */
static int release(as_wrap *w, const char *op, const call_t *call, void *p, as_block *b) {
    size_t size;
    unsigned wrap;
    if (!as_blocks_release_fast((uintptr_t)p, &size, &wrap)) {
        *b = (as_block){(uintptr_t)p, size, 0, (uint8_t)wrap, 0, 0};
        if (wrap != (unsigned)wrap_index(w)) check_domain(w, op, call, p, b);
        return 1;
    }
    return release_general(w, op, call, p, b);
}

static void admit(as_wrap *w, const call_t *call, int is_malloc, void *p, size_t size, uint8_t flags) {
    if (!flags && !as_blocks_admit_fast((uintptr_t)p, size, (unsigned)wrap_index(w), as_check_tid())) return;
    admit_general(w, call, is_malloc, p, size, flags);
}

/* Releases p from the map for `op` in wrap w; 1 when it was a live block of w (or adopted), 0 when the
 * call must not reach the allocator (count mode: a pointer that is not live is not passed down). */
static int release_general(as_wrap *w, const char *op, const call_t *call, void *p, as_block *b) {
    if (!as_blocks_release((uintptr_t)p, b)) {
        if (as_cs.cfg.adopt_unknown) {
            memset(b, 0, sizeof *b);
            b->addr = (uintptr_t)p;
            b->size = (size_t)-1; /* unknown: nothing to compare */
            return 1;
        }
        violation(AS_CHECK_NOT_LIVE, w->domain, call,
                  "%s of %p, which is not a live block: never returned by this allocator, or already freed "
                  "(a double free)%s",
                  op, p, as_cs.cfg.mode == AS_CHECK_COUNT ? "; the call is not passed to the allocator" : "");
        return 0;
    }
    check_domain(w, op, call, p, b);
    return 1;
}

/* A live block released through wrap w: it must be w's (the same domain, the same allocator). */
static void check_domain(as_wrap *w, const char *op, const call_t *call, void *p, const as_block *b) {
    int had = as_cs.wraps[b->wrap].domain, now = w->domain;
    if (b->wrap != wrap_index(w)) {
        if (had == now) {
            violation(AS_CHECK_NOT_LIVE, now, call, "%s of %p, a live %s block of another allocator", op, p,
                      as_domain_name(had));
        } else {
            static const as_check_rule freed[3][3] = {
                {AS_CHECK_NRULES, AS_CHECK_RAW_FREED_BY_MEM, AS_CHECK_RAW_FREED_BY_OBJ},
                {AS_CHECK_MEM_FREED_BY_RAW, AS_CHECK_NRULES, AS_CHECK_MEM_FREED_BY_OBJ},
                {AS_CHECK_OBJ_FREED_BY_RAW, AS_CHECK_OBJ_FREED_BY_MEM, AS_CHECK_NRULES},
            };
            static const as_check_rule reallocd[3][3] = {
                {AS_CHECK_NRULES, AS_CHECK_RAW_REALLOCD_BY_MEM, AS_CHECK_RAW_REALLOCD_BY_OBJ},
                {AS_CHECK_MEM_REALLOCD_BY_RAW, AS_CHECK_NRULES, AS_CHECK_MEM_REALLOCD_BY_OBJ},
                {AS_CHECK_OBJ_REALLOCD_BY_RAW, AS_CHECK_OBJ_REALLOCD_BY_MEM, AS_CHECK_NRULES},
            };
            as_check_rule r = strcmp(op, "free") == 0 ? freed[had][now] : reallocd[had][now];
            violation(r, now, call, "%s of %p, a live %s block (%zu bytes): a block goes back to the domain "
                      "that allocated it",
                      op, p, as_domain_name(had), b->size);
        }
    }
}

#define ENTER(w, name, x, y, z)                                                                             \
    as_call *cur = &call_now;                                                                               \
    if (cur->depth++ == 0) cur->nnested = 0;                                                                \
    cur->op = name;                                                                                         \
    cur->domain = (w)->domain;                                                                              \
    cur->a = (uintptr_t)(x);                                                                                \
    cur->b = (uintptr_t)(y);                                                                                \
    cur->c = (uintptr_t)(z);                                                                                \
    if ((++cur->calls & 1023) == 0) atomic_fetch_add_explicit(&as_cs.calls, 1024, memory_order_relaxed)

/* The outermost call's result p lies in a block a nested call returned in it (the same block, or one the
 * allocator below carved out of it, e.g. CPython's debug hooks under this layer in `-X dev` return the
 * block 16 bytes in): that record goes, the outer one comes. */
static inline void take_over(as_call *cur, void *p) {
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < cur->nnested; i++) {
        uintptr_t s = cur->nested[i];
        if (s && a >= s && a < s + (cur->nested_size[i] ? cur->nested_size[i] : 1)) {
            as_block gone;
            as_blocks_release(s, &gone);
            cur->nested[i] = 0;
            return;
        }
    }
}

/* A block a nested call returned: remembered until the outermost call ends. */
static inline void remember_nested(as_call *cur, void *p, size_t n) {
    if (cur->depth <= 1) return;
    int i = cur->nnested < 8 ? cur->nnested++ : 7;
    cur->nested[i] = (uintptr_t)p;
    cur->nested_size[i] = n;
}

/* A nested call gave back s: it is no block of this outermost call's any more (take_over must not release
 * whatever holds that address next). */
static inline void forget_nested(as_call *cur, void *s) {
    for (int i = 0; i < cur->nnested; i++) {
        if (cur->nested[i] == (uintptr_t)s) cur->nested[i] = 0;
    }
}

/*
 * A nested free or realloc of p that no outer call is giving up: p leaves the map only when it is a live
 * block of this wrap (1). Otherwise the call passes through unchecked and the map is left as it is:
 *  0  not live: allocated before the layer, or a block a nested call returned that an outer call took
 *     over (the RAW block a carving allocator returns its MEM block 16 bytes into: it is known only as
 *     that MEM block now);
 * -1  the live block of another wrap, i.e. of an outer domain: a block the layer took over can start
 *     where another domain's live block starts (a zero-size block with no byte of its own at the end of
 *     its carved block, or the memory of a live block given back by its allocator). That block is not
 *     this call's to end: its own domain's free ends it, and whoever gets its address next overlaps it.
 * Releasing whatever lived at p, as the layer once did, lost an outer block's record: its next free or
 * realloc was then reported as "not a live block".
 */
static inline int release_nested(as_wrap *w, as_call *cur, void *p, as_block *b) {
    int r = as_blocks_release_own((uintptr_t)p, (unsigned)wrap_index(w), b);
    if (r == 1 && cur->nnested) forget_nested(cur, p);
    return r;
}

/* Whether p is a block that a call in progress on this thread is giving up. */
static inline int held_by_outer(const as_call *cur, void *p) {
    for (int i = 0; i < cur->depth - 1 && i < 4; i++) {
        if (cur->held[i] == (uintptr_t)p) return 1;
    }
    return 0;
}

static inline void hold(as_call *cur, void *p) {
    if (cur->depth <= 4) cur->held[cur->depth - 1] = (uintptr_t)p;
}

static void *ck_malloc(void *ctx, size_t n) {
    as_wrap *w = ctx;
    ENTER(w, "malloc", n, 0, 0);
    void *p = w->below.malloc(w->below.ctx, n);
    if (__builtin_expect(cur->nnested != 0, 0) && cur->depth == 1) take_over(cur, p);
    /* the common case: 16-aligned (both alignment rules hold), overlapping nothing; no syscall, so errno
       is the allocator's */
    if (__builtin_expect(p != NULL, 1) &&
        !as_blocks_admit_fast((uintptr_t)p, n, (unsigned)wrap_index(w), as_check_tid())) {
        remember_nested(cur, p, n);
        cur->op = NULL;
        cur->depth--;
        return p;
    }
    int err = errno;
    cur->op = NULL;
    call_t call = {'m', n, 0, p, 1};
    if (!p) {
        if (n == 0) violation(AS_CHECK_MALLOC_ZERO_NULL, w->domain, &call, "malloc(0) returned NULL");
        else atomic_fetch_add_explicit(&as_cs.failed_calls, 1, memory_order_relaxed);
    } else {
        admit_general(w, &call, 1, p, n, 0); /* the fast path above said no */
        remember_nested(cur, p, n);
    }
    cur->depth--;
    errno = err;
    return p;
}

static void *ck_calloc(void *ctx, size_t nelem, size_t elsize) {
    as_wrap *w = ctx;
    ENTER(w, "calloc", nelem, elsize, 0);
    void *p = w->below.calloc(w->below.ctx, nelem, elsize);
    if (cur->nnested && cur->depth == 1) take_over(cur, p);
    int err = errno;
    cur->op = NULL;
    call_t call = {'c', nelem, elsize, p, 1};
    size_t total;
    int overflow = __builtin_mul_overflow(nelem, elsize, &total);
    if (!p) {
        if (nelem == 0) violation(AS_CHECK_CALLOC_ZERO_NELEM, w->domain, &call, "calloc(0, %zu) returned NULL", elsize);
        else if (elsize == 0) violation(AS_CHECK_CALLOC_ZERO_ELSIZE, w->domain, &call, "calloc(%zu, 0) returned NULL", nelem);
        else if (!overflow) atomic_fetch_add_explicit(&as_cs.failed_calls, 1, memory_order_relaxed);
    } else if (overflow) {
        violation(AS_CHECK_CALLOC_OVERFLOW, w->domain, &call,
                  "calloc(%zu, %zu) returned %p: the product overflows size_t, the only answer is NULL", nelem,
                  elsize, p);
    } else {
        admit(w, &call, 0, p, total, 0);
        remember_nested(cur, p, total);
        cur->reading = "the block calloc returned";
        cur->reading_rule = -1;
        size_t bad = as_first_nonzero(p, total, as_cs.cfg.full_bytes);
        cur->reading = NULL;
        if (bad != (size_t)-1) {
            violation(AS_CHECK_CALLOC_DIRTY, w->domain, &call,
                      "byte %zu of the %zu bytes is 0x%02x, not zero%s", bad, total, ((unsigned char *)p)[bad],
                      total > as_cs.cfg.full_bytes ? " (large block: sampled)" : "");
        }
    }
    cur->depth--;
    errno = err;
    return p;
}

/*
 * Is the old block of a failed realloc still live? Real programs rarely reuse that memory before they
 * exit (the failure usually ends in MemoryError), so the layer asks once: a malloc of the old size right
 * away. A correct allocator cannot hand out memory overlapping a live block; one that released the block
 * (LIFO free lists, a chunk merged back into the top) returns it at once. The probe is freed again.
 */
static void probe_survivor(as_wrap *w, const call_t *call, void *old, size_t n, size_t old_size) {
    void *probe = w->below.malloc(w->below.ctx, old_size ? old_size : 1);
    if (!probe) return; /* out of memory for real: nothing to learn */
    as_block b = {(uintptr_t)probe, old_size, as_check_tid(), (uint8_t)wrap_index(w), 0, 0};
    as_block other;
    uintptr_t at;
    if (as_blocks_admit(&b, &other, &at)) {
        if (other.addr == (uintptr_t)old || (other.flags & AS_BLOCK_SURVIVOR)) {
            violation(AS_CHECK_FAILED_REALLOC, w->domain, call,
                      "realloc(%p, %zu) failed and released the old block: a malloc(%zu) right after returned "
                      "%p, inside the old block that must stay live",
                      old, n, old_size, probe);
        } else {
            violation(overlap_rule(&b, &other, other.addr != 0), w->domain, call,
                      "a malloc(%zu) made to check a failed realloc returned %p, which overlaps the live block %p",
                      old_size, probe, (void *)other.addr);
        }
    }
    as_block mine;
    as_blocks_release((uintptr_t)probe, &mine);
    w->below.free(w->below.ctx, probe);
}

static void *ck_realloc(void *ctx, void *old, size_t n) {
    as_wrap *w = ctx;
    ENTER(w, "realloc", old, n, 0);
    call_t call = {'r', (uintptr_t)old, n, NULL, 0};
    if (old && cur->depth > 1 && held_by_outer(cur, old)) {
        /* the block an outer call is giving up, passed on by the allocator: the outer call checks it */
        void *p = w->below.realloc(w->below.ctx, old, n);
        int err = errno;
        if (p) {
            call.result = p, call.returned = 1;
            admit(w, &call, 0, p, n, 0);
            remember_nested(cur, p, n);
        }
        cur->op = NULL;
        cur->depth--;
        errno = err;
        return p;
    }
    if (!old) {
        void *p = w->below.realloc(w->below.ctx, NULL, n);
        int err = errno;
        cur->op = NULL;
        if (cur->nnested && cur->depth == 1) take_over(cur, p);
        call.result = p, call.returned = 1;
        if (p) {
            admit(w, &call, 0, p, n, 0);
            remember_nested(cur, p, n);
        } else if (n == 0) {
            violation(AS_CHECK_REALLOC_NULL_ZERO, w->domain, &call, "realloc(NULL, 0) returned NULL");
        } else {
            void *probe = w->below.malloc(w->below.ctx, n); /* was it out of memory? */
            if (probe) {
                w->below.free(w->below.ctx, probe);
                violation(AS_CHECK_REALLOC_NULL, w->domain, &call,
                          "realloc(NULL, %zu) returned NULL while malloc(%zu) succeeds right after", n, n);
            } else {
                atomic_fetch_add_explicit(&as_cs.failed_calls, 1, memory_order_relaxed);
            }
        }
        cur->depth--;
        errno = err;
        return p;
    }
    as_block b;
    if (cur->depth > 1 && release_nested(w, cur, old, &b) != 1) {
        /* nested, and not a live block of this wrap (release_nested): passed on unchecked; what it
           returns is a block like any other a nested call returns (an outer call may take it over) */
        void *p = w->below.realloc(w->below.ctx, old, n);
        int err = errno;
        cur->op = NULL;
        if (p) {
            call.result = p, call.returned = 1;
            admit(w, &call, 0, p, n, 0);
            remember_nested(cur, p, n);
        }
        cur->depth--;
        errno = err;
        return p;
    }
    if (cur->depth == 1 && !release(w, "realloc", &call, old, &b)) {
        cur->op = NULL;
        cur->depth--;
        errno = ENOMEM;
        return NULL; /* count mode: not passed down */
    }
    hold(cur, old);
    int known = b.size != (size_t)-1;
    size_t keep = known ? (b.size < n ? b.size : n) : 0;
    cur->reading = "the block passed to realloc";
    cur->reading_rule = -1;
    uint64_t before = known ? as_fingerprint(old, keep, as_cs.cfg.full_bytes) : 0;
    cur->reading = NULL;
    void *p = w->below.realloc(w->below.ctx, old, n);
    int err = errno;
    cur->op = NULL;
    hold(cur, NULL);
    if (cur->nnested && cur->depth == 1) take_over(cur, p);
    call.result = p, call.returned = 1;
    if (p) {
        admit(w, &call, 0, p, n, 0);
        remember_nested(cur, p, n);
        cur->reading = "the block realloc returned";
        cur->reading_rule = -1;
        uint64_t after = known ? as_fingerprint(p, keep, as_cs.cfg.full_bytes) : before;
        cur->reading = NULL;
        if (after != before) {
            int grow = n > b.size;
            violation(grow ? AS_CHECK_REALLOC_GROW : AS_CHECK_REALLOC_SHRINK, w->domain, &call,
                      "the first %zu bytes of the %zu-byte block were not kept by a %s realloc to %zu bytes%s%s",
                      keep, b.size, grow ? "growing" : n == b.size ? "same-size" : "shrinking", n,
                      p == old ? " (in place)" : " (moved)",
                      keep > as_cs.cfg.full_bytes ? " (large block: sampled)" : "");
        }
    } else {
        if (n == 0) {
            violation(AS_CHECK_REALLOC_TO_ZERO, w->domain, &call,
                      "realloc(p, 0) returned NULL: the block must be resized to an empty block, not freed");
        } else {
            atomic_fetch_add_explicit(&as_cs.failed_calls, 1, memory_order_relaxed);
        }
        /* the old block stays live and intact ("On failure it returns NULL and p stays valid") */
        cur->reading = "the old block of a realloc that returned NULL (the allocator released it)";
        cur->reading_rule = AS_CHECK_FAILED_REALLOC;
        uint64_t after = known ? as_fingerprint(old, keep, as_cs.cfg.full_bytes) : before;
        cur->reading = NULL;
        if (after != before) {
            violation(AS_CHECK_FAILED_REALLOC, w->domain, &call,
                      "realloc(%p, %zu) failed and the first %zu bytes of the old %zu-byte block changed", old, n,
                      keep, b.size);
        }
        if (known) {
            b.flags |= AS_BLOCK_SURVIVOR;
            b.dups = 0;
            as_block other;
            uintptr_t at;
            if (as_blocks_admit(&b, &other, &at)) {
                violation(AS_CHECK_FAILED_REALLOC, w->domain, &call,
                          "realloc(%p, %zu) failed, but while it ran the allocator handed the old block out "
                          "again (%s block %p of %zu bytes, %s): the failed realloc released it",
                          old, n, other.addr ? as_domain_name(as_cs.wraps[other.wrap].domain) : "a",
                          (void *)other.addr, other.size, other.addr ? thread_word(other.tid) : "?");
            }
            probe_survivor(w, &call, old, n, b.size);
        }
    }
    cur->depth--;
    errno = err;
    return p;
}

static void ck_free(void *ctx, void *p) {
    as_wrap *w = ctx;
    ENTER(w, "free", p, 0, 0);
    if (__builtin_expect(cur->depth > 1, 0) && p) {
        /* nested: a block an outer call is giving up (already released), one of this wrap, or one the
           layer does not know as this wrap's (release_nested): passed on */
        as_block b;
        if (!held_by_outer(cur, p)) release_nested(w, cur, p, &b);
        hold(cur, p);
        w->below.free(w->below.ctx, p);
        hold(cur, NULL);
        cur->op = NULL;
        cur->depth--;
        return;
    }
    size_t fast_size = 0;
    unsigned fast_wrap = 0;
    int released = __builtin_expect(p != NULL, 1) && !as_blocks_release_fast((uintptr_t)p, &fast_size, &fast_wrap);
    if (released && fast_wrap == (unsigned)wrap_index(w)) { /* the common case */
        hold(cur, p);
        w->below.free(w->below.ctx, p);
        hold(cur, NULL);
        cur->op = NULL;
        cur->depth--;
        return;
    }
    int err = errno;
    if (p) {
        call_t call = {'f', (uintptr_t)p, 0, NULL, 0};
        as_block b = {(uintptr_t)p, fast_size, 0, (uint8_t)fast_wrap, 0, 0};
        if (released) {
            check_domain(w, "free", &call, p, &b); /* released by the fast path, in another domain */
        } else if (!release_general(w, "free", &call, p, &b)) {
            cur->op = NULL;
            cur->depth--;
            errno = err;
            return;
        }
    }
    hold(cur, p);
    w->below.free(w->below.ctx, p); /* free(NULL) too: it must be accepted (crash description names it) */
    hold(cur, NULL);
    cur->op = NULL;
    cur->depth--;
    errno = err;
}

int as_check_wrap(int domain, const PyMemAllocatorEx *below, PyMemAllocatorEx *out) {
    if (domain < 0 || domain >= AS_CHECK_NDOMAINS || !below || !out) return -1;
    if (!as_cs.initialised) {
        as_check_config cfg;
        char err[256];
        if (as_check_config_from_env(&cfg, err, sizeof err) != 0 || as_check_init(&cfg) != 0) return -1;
    }
    int i = atomic_fetch_add(&as_cs.nwraps, 1);
    if (i >= AS_CHECK_MAX_WRAPS) {
        atomic_fetch_sub(&as_cs.nwraps, 1);
        return -1;
    }
    as_cs.wraps[i].domain = domain;
    as_cs.wraps[i].below = *below;
    *out = (PyMemAllocatorEx){&as_cs.wraps[i], ck_malloc, ck_calloc, ck_realloc, ck_free};
    return 0;
}

int as_check_install_env(as_check_get_fn get, as_check_set_fn set, char *err, size_t errlen) {
    as_check_config cfg;
    if (as_check_config_from_env(&cfg, err, errlen) != 0) return -1;
    if (as_check_init(&cfg) != 0) {
        snprintf(err, errlen, "the checking layer cannot map its tables: %s", strerror(errno));
        return -1;
    }
    for (int d = 0; d < AS_CHECK_NDOMAINS; d++) {
        PyMemAllocatorEx below, mine;
        get((PyMemAllocatorDomain)d, &below);
        if (as_check_wrap(d, &below, &mine) != 0) {
            snprintf(err, errlen, "the checking layer cannot wrap domain %d (too many wraps)", d);
            return -1;
        }
        set((PyMemAllocatorDomain)d, &mine);
    }
    return 0;
}

__attribute__((visibility("default"))) int pep445_hook_install(void) {
    as_check_config cfg;
    char err[256];
    if (as_check_config_from_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "allocspec check: %s\n", err);
        return 1;
    }
    cfg.adopt_unknown = 1; /* blocks allocated before this layer are freed through it */
    as_check_get_fn get;
    as_check_set_fn set;
    *(void **)&get = dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    *(void **)&set = dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    if (!get || !set) {
        fprintf(stderr, "allocspec check: PyMem_GetAllocator/PyMem_SetAllocator not found in the process\n");
        return 1;
    }
    if (as_check_init(&cfg) != 0) {
        fprintf(stderr, "allocspec check: cannot map the live-block map: %s\n", strerror(errno));
        return 1;
    }
    for (int d = 0; d < AS_CHECK_NDOMAINS; d++) {
        PyMemAllocatorEx below, mine;
        get((PyMemAllocatorDomain)d, &below);
        if (as_check_wrap(d, &below, &mine) != 0) {
            fprintf(stderr, "allocspec check: too many wraps in one process\n");
            return 1;
        }
        set((PyMemAllocatorDomain)d, &mine);
    }
    return 0;
}
