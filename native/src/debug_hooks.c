/*
 * debug_hooks.c: CPython's debug hooks on the allocators (Objects/obmalloc.c _PyMem_DebugRaw* and
 * _PyMem_Debug*), installed by PyMem_SetupDebugHooks().
 *
 *     entry point --> debug hook (ctx = &debug_api[domain]) --> the allocator it wraps (api->alloc)
 *                       MEM/OBJ: GIL check first (cpython profile only), then the Raw function
 *
 * Byte map of a debug block (S = sizeof(size_t) = 8; multi-byte fields big-endian on any host):
 *
 *     q = what the wrapped allocator returned; p = q + 2S is what the caller gets
 *     q[0 .. S-1]            requested size n (big-endian size_t)
 *     q[S]                   API id: 'r' (RAW), 'm' (MEM), 'o' (OBJ)
 *     q[S+1 .. 2S-1]         S-1 = 7 FORBIDDENBYTE                       ("leading pad", p-7 .. p-1)
 *     p[0 .. n-1]            data: CLEANBYTE after malloc, 0 after calloc, untouched when n == 0
 *     p[n .. n+S-1]          S = 8 FORBIDDENBYTE                          ("trailing pad", tail)
 *     p[n+S .. n+2S-1]       serial number (big-endian), pep445-2013 profile only (CPython <= 3.7)
 *
 *     profile       CLEANBYTE DEADBYTE FORBIDDENBYTE  overhead  serial  realloc
 *     cpython       0xCD      0xDD     0xFD           3S = 24   no      save-and-mark (3.7+, bpo-31626)
 *     pep445-2013   0xCB      0xDB     0xFB           4S = 32   yes     realloc first, DD on in-place shrink
 *
 * Calls below: malloc(n + overhead) or calloc(1, n + overhead) (nelem/elsize are lost, as in CPython),
 * realloc(q, n + overhead), free(q) after filling all n + overhead bytes with DEADBYTE.
 * Check order on free/realloc (_PyMem_DebugCheckAddress): id byte, then leading pad, then trailing pad;
 * the function named is _PyMem_DebugRawFree / _PyMem_DebugRawRealloc in every domain. The GIL check
 * (MEM/OBJ, cpython profile) runs before the NULL check of free.
 *
 * PyMem_SetupDebugHooks is idempotent: a domain whose malloc is already the debug function is skipped;
 * otherwise its current allocator is saved in the single per-domain slot and the hooks installed with
 * ctx = that slot (so a user hook wrapping the debug hooks makes a second call recurse, like CPython).
 *
 * Thread safety: the RAW hooks run without the GIL: they keep no shared state except the serial number,
 * which is an atomic counter (bpo-31473 was this race in CPython <= 3.7).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tunables: bytes saved around a realloc (CPython's ERASED_SIZE). */
#define ERASED_SIZE 64
_Static_assert(2 * ERASED_SIZE >= 2 * SST, "the saved region covers both ends");

typedef struct {
    char api_id;
    PyMemAllocatorEx alloc; /* the wrapped allocator: the single per-domain slot */
} debug_alloc_api_t;

static debug_alloc_api_t debug_api[3] = {{'r', {0}}, {'m', {0}}, {'o', {0}}};
static atomic_size_t serialno;

static inline uint8_t CLEANBYTE(void) { return as_cpython() ? 0xCD : 0xCB; }
static inline uint8_t DEADBYTE(void) { return as_cpython() ? 0xDD : 0xDB; }
static inline uint8_t FORBIDDENBYTE(void) { return as_cpython() ? 0xFD : 0xFB; }
static inline bool SERIALNO(void) { return !as_cpython(); }
static inline size_t EXTRA_BYTES(void) { return SERIALNO() ? 4 * SST : 3 * SST; }

static size_t bumpserialno(void) { return atomic_fetch_add(&serialno, 1) + 1; }

/* Big-endian size_t fields, read and written as one word (memcpy + byte swap: no byte loops). */
static inline size_t read_size_t(const void *p)
{
    uint64_t w;
    memcpy(&w, p, SST);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return (size_t)w;
}

static inline void write_size_t(void *p, size_t n)
{
    uint64_t w = (uint64_t)n;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(p, &w, SST);
}

/* A word of S copies of byte b. */
static inline uint64_t repeat_byte(uint8_t b) { return UINT64_C(0x0101010101010101) * b; }

static inline void write_header(uint8_t *q, size_t nbytes, char api_id)
{
    write_size_t(q, nbytes);
    /* q[S] = api id, q[S+1 .. 2S-1] = FORBIDDENBYTE, as one word */
    uint64_t w = repeat_byte(FORBIDDENBYTE());
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    w = (w & ~(uint64_t)0xff) | (uint8_t)api_id;
#else
    w = (w & ~((uint64_t)0xff << 56)) | ((uint64_t)(uint8_t)api_id << 56);
#endif
    memcpy(q + SST, &w, SST);
}

/* ---- violation reporting ---- */

static void report(int kind, const char *func, char api_id, const void *p, const char *msg, int found_id)
{
    as_text_t t = {0};
    int profile = as_runtime.profile;
    if (kind != ALLOCSPEC_VIOLATION_NO_GIL) as_dump_address(&t, p, profile, FORBIDDENBYTE(), SERIALNO());
    as_fatal_lines(&t, func, msg, profile);
    as_violation(kind, p, func, found_id, (uint8_t)api_id, t.buf ? t.buf : "");
    free(t.buf);
}

/* _PyMem_DebugCheckAddress: returns true when the block is sound; reports and returns false otherwise
   (when the violation handler returns instead of aborting). */
static inline bool check_address(const char *func, char api, const void *p)
{
    const uint8_t *q = (const uint8_t *)p;
    const uint8_t fb = FORBIDDENBYTE();

    /* Check the API id */
    char id = (char)q[-(ptrdiff_t)SST];
    if (AS_UNLIKELY(id != api)) {
        char msgbuf[64];
        snprintf(msgbuf, sizeof(msgbuf), "bad ID: Allocated using API '%c', verified using API '%c'", id, api);
        report(ALLOCSPEC_VIOLATION_BAD_ID, func, api, p, msgbuf, (uint8_t)id);
        return false;
    }
    /* Check the stuff at the start of p first: if there's underwrite corruption, the number-of-bytes
       field may be nuts, and checking the tail could lead to a segfault then. The S-1 pad bytes and the
       S tail bytes are compared as words (same bytes read as CPython's loops, same verdict). */
    const uint64_t pattern = repeat_byte(fb);
    uint64_t lead;
    memcpy(&lead, q - SST, SST); /* id byte + S-1 pad bytes */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t pad_mask = ~(uint64_t)0xff;
#else
    const uint64_t pad_mask = ~((uint64_t)0xff << 56);
#endif
    if (AS_UNLIKELY((lead & pad_mask) != (pattern & pad_mask))) {
        report(ALLOCSPEC_VIOLATION_BAD_LEADING_PAD, func, api, p, "bad leading pad byte", (uint8_t)api);
        return false;
    }
    size_t nbytes = read_size_t(q - 2 * SST);
    uint64_t trail;
    memcpy(&trail, q + nbytes, SST);
    if (AS_UNLIKELY(trail != pattern)) {
        report(ALLOCSPEC_VIOLATION_BAD_TRAILING_PAD, func, api, p, "bad trailing pad byte", (uint8_t)api);
        return false;
    }
    return true;
}

/* _PyMem_DebugCheckGIL: true when the caller may go on. */
static bool check_gil(const char *func, const debug_alloc_api_t *api, const void *p)
{
    if (!as_cpython()) return true;
    allocspec_gil_check_fn real = atomic_load(&as_gil_check);
    if (real ? real() != 0 : atomic_load(&as_runtime.gil_held)) return true;
    report(ALLOCSPEC_VIOLATION_NO_GIL, func, api->api_id, p,
           "Python memory allocator called without holding the GIL", (uint8_t)api->api_id);
    return false;
}

/* ---- the Raw functions (all domains go through them) ---- */

static void *debug_raw_alloc(bool use_calloc, void *ctx, size_t nbytes)
{
    debug_alloc_api_t *api = (debug_alloc_api_t *)ctx;
    const size_t extra = EXTRA_BYTES();
    if (nbytes > (size_t)PY_SSIZE_T_MAX - extra) return NULL; /* total not representable as Py_ssize_t */
    size_t total = nbytes + extra;

    uint8_t *q;
    if (use_calloc) {
        if (api->alloc.calloc != NULL) {
            q = api->alloc.calloc(api->alloc.ctx, 1, total);
        } else { /* wrapped domain set through the 2013 API: malloc + zero */
            q = api->alloc.malloc(api->alloc.ctx, total);
            if (q != NULL) memset(q, 0, total);
        }
    } else {
        q = api->alloc.malloc(api->alloc.ctx, total);
    }
    if (q == NULL) return NULL;
    uint8_t *data = q + 2 * SST;
    size_t serial = SERIALNO() ? bumpserialno() : 0;

    write_header(q, nbytes, api->api_id);
    if (nbytes > 0 && !use_calloc) memset(data, CLEANBYTE(), nbytes);
    uint8_t *tail = data + nbytes;
    memset(tail, FORBIDDENBYTE(), SST);
    if (SERIALNO()) write_size_t(tail + SST, serial);
    return data;
}

static void *_PyMem_DebugRawMalloc(void *ctx, size_t nbytes) { return debug_raw_alloc(false, ctx, nbytes); }

static void *_PyMem_DebugRawCalloc(void *ctx, size_t nelem, size_t elsize)
{
    return debug_raw_alloc(true, ctx, nelem * elsize); /* the entry point checked the product */
}

static void _PyMem_DebugRawFree(void *ctx, void *p)
{
    if (p == NULL) return; /* PyMem_Free(NULL) has no effect */
    debug_alloc_api_t *api = (debug_alloc_api_t *)ctx;
    uint8_t *q = (uint8_t *)p - 2 * SST; /* address returned from malloc */
    if (!check_address("_PyMem_DebugRawFree", api->api_id, p)) return;
    size_t nbytes = read_size_t(q) + EXTRA_BYTES();
    memset(q, DEADBYTE(), nbytes);
    api->alloc.free(api->alloc.ctx, q);
}

/* 3.7+ (bpo-31626): save and erase, realloc, restore. */
static void *debug_realloc_save_and_mark(debug_alloc_api_t *api, void *p, size_t nbytes)
{
    uint8_t *data = (uint8_t *)p, *head = data - 2 * SST;
    size_t original_nbytes = read_size_t(head);
    const size_t extra = EXTRA_BYTES();
    uint8_t save[2 * ERASED_SIZE]; /* a copy of erased bytes */
    if (nbytes > (size_t)PY_SSIZE_T_MAX - extra) return NULL;
    size_t total = nbytes + extra;
    uint8_t *tail = data + original_nbytes;
    size_t block_serialno = SERIALNO() ? read_size_t(tail + SST) : 0;

    /* Mark the header, the trailer, ERASED_SIZE bytes at the begin and ERASED_SIZE bytes at the end as
       dead and save the copy of erased bytes. */
    if (original_nbytes <= sizeof(save)) {
        memcpy(save, data, original_nbytes);
        memset(data - 2 * SST, DEADBYTE(), original_nbytes + extra);
    } else {
        memcpy(save, data, ERASED_SIZE);
        memset(head, DEADBYTE(), ERASED_SIZE + 2 * SST);
        memcpy(&save[ERASED_SIZE], tail - ERASED_SIZE, ERASED_SIZE);
        memset(tail - ERASED_SIZE, DEADBYTE(), ERASED_SIZE + extra - 2 * SST);
    }

    /* Resize and add decorations. */
    uint8_t *r = api->alloc.realloc(api->alloc.ctx, head, total);
    if (r == NULL) {
        nbytes = original_nbytes; /* failed: rewrite the header and footer just erased */
    } else {
        head = r;
        if (SERIALNO()) block_serialno = bumpserialno();
    }
    data = head + 2 * SST;
    write_header(head, nbytes, api->api_id);
    tail = data + nbytes;
    memset(tail, FORBIDDENBYTE(), SST);
    if (SERIALNO()) write_size_t(tail + SST, block_serialno);

    /* Restore saved bytes. */
    if (original_nbytes <= sizeof(save)) {
        memcpy(data, save, nbytes < original_nbytes ? nbytes : original_nbytes);
    } else {
        size_t i = original_nbytes - ERASED_SIZE;
        memcpy(data, save, nbytes < ERASED_SIZE ? nbytes : ERASED_SIZE);
        if (nbytes > i) memcpy(data + i, &save[ERASED_SIZE], nbytes - i < ERASED_SIZE ? nbytes - i : ERASED_SIZE);
    }
    if (r == NULL) return NULL;
    if (nbytes > original_nbytes) memset(data + original_nbytes, CLEANBYTE(), nbytes - original_nbytes);
    return data;
}

/* CPython <= 3.6: bump the serial number, realloc first, then the new size, tail pad, serial number and
   CLEANBYTE over a grown part. 3.6 also wrote DEADBYTE over the old extra bytes [n, n0) of an in-place
   shrink; past the new block's end that memory belongs to the allocator again (writing there was
   bpo-31626), so only the part inside the new block is marked (then covered by the tail pad and serial
   number): the same rule as ref/debug_hooks_realloc.ts. */
static void *debug_realloc_pre37(debug_alloc_api_t *api, void *p, size_t nbytes)
{
    uint8_t *head = (uint8_t *)p - 2 * SST;
    const size_t extra = EXTRA_BYTES();
    size_t serial = bumpserialno();
    size_t original_nbytes = read_size_t(head);
    if (nbytes > (size_t)PY_SSIZE_T_MAX - extra) return NULL;
    uint8_t *r = api->alloc.realloc(api->alloc.ctx, head, nbytes + extra);
    if (r == NULL) return NULL;
    uint8_t *data = r + 2 * SST;
    if (r == head && nbytes < original_nbytes) {
        size_t end = nbytes + extra - 2 * SST; /* the new block ends at data + end */
        if (end > original_nbytes) end = original_nbytes;
        memset(data + nbytes, DEADBYTE(), end - nbytes);
    }
    write_header(r, nbytes, api->api_id);
    uint8_t *tail = data + nbytes;
    memset(tail, FORBIDDENBYTE(), SST);
    write_size_t(tail + SST, serial);
    if (nbytes > original_nbytes) memset(data + original_nbytes, CLEANBYTE(), nbytes - original_nbytes);
    return data;
}

static void *_PyMem_DebugRawRealloc(void *ctx, void *p, size_t nbytes)
{
    if (p == NULL) return debug_raw_alloc(false, ctx, nbytes);
    debug_alloc_api_t *api = (debug_alloc_api_t *)ctx;
    if (!check_address("_PyMem_DebugRawRealloc", api->api_id, p)) return NULL;
    return as_cpython() ? debug_realloc_save_and_mark(api, p, nbytes) : debug_realloc_pre37(api, p, nbytes);
}

/* ---- MEM and OBJ: the GIL check, then the Raw function ---- */

static void *_PyMem_DebugMalloc(void *ctx, size_t nbytes)
{
    if (!check_gil("_PyMem_DebugMalloc", ctx, NULL)) return NULL;
    return _PyMem_DebugRawMalloc(ctx, nbytes);
}

static void *_PyMem_DebugCalloc(void *ctx, size_t nelem, size_t elsize)
{
    if (!check_gil("_PyMem_DebugCalloc", ctx, NULL)) return NULL;
    return _PyMem_DebugRawCalloc(ctx, nelem, elsize);
}

static void *_PyMem_DebugRealloc(void *ctx, void *ptr, size_t nbytes)
{
    if (!check_gil("_PyMem_DebugRealloc", ctx, ptr)) return NULL;
    return _PyMem_DebugRawRealloc(ctx, ptr, nbytes);
}

static void _PyMem_DebugFree(void *ctx, void *ptr)
{
    if (!check_gil("_PyMem_DebugFree", ctx, ptr)) return; /* before the NULL check, like CPython */
    _PyMem_DebugRawFree(ctx, ptr);
}

void PyMem_SetupDebugHooks(void)
{
    PyMemAllocatorEx alloc;
    alloc.malloc = _PyMem_DebugRawMalloc;
    alloc.calloc = _PyMem_DebugRawCalloc;
    alloc.realloc = _PyMem_DebugRawRealloc;
    alloc.free = _PyMem_DebugRawFree;
    if (as_domain[PYMEM_DOMAIN_RAW].malloc != _PyMem_DebugRawMalloc) {
        alloc.ctx = &debug_api[PYMEM_DOMAIN_RAW];
        PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &debug_api[PYMEM_DOMAIN_RAW].alloc);
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &alloc);
    }
    alloc.malloc = _PyMem_DebugMalloc;
    alloc.calloc = _PyMem_DebugCalloc;
    alloc.realloc = _PyMem_DebugRealloc;
    alloc.free = _PyMem_DebugFree;
    if (as_domain[PYMEM_DOMAIN_MEM].malloc != _PyMem_DebugMalloc) {
        alloc.ctx = &debug_api[PYMEM_DOMAIN_MEM];
        PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &debug_api[PYMEM_DOMAIN_MEM].alloc);
        PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &alloc);
    }
    if (as_domain[PYMEM_DOMAIN_OBJ].malloc != _PyMem_DebugMalloc) {
        alloc.ctx = &debug_api[PYMEM_DOMAIN_OBJ];
        PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &debug_api[PYMEM_DOMAIN_OBJ].alloc);
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &alloc);
    }
}

void as_debug_reset(void)
{
    for (int d = 0; d < 3; d++) memset(&debug_api[d].alloc, 0, sizeof(debug_api[d].alloc));
    atomic_store(&serialno, 0);
}
