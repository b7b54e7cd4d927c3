/* blind_free_header_first.c: a tracking allocator that keeps live-byte statistics in a 16-byte header.
 * Bug: free reads the header (to update the statistics) before testing for NULL, so free(NULL) reads
 * address -16 and crashes; PEP 445's free must accept NULL. */
#include "blind_common.h"

#include <stdatomic.h>

typedef struct { size_t size; size_t magic; } hdr;
static _Atomic size_t live_bytes;

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = malloc(sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n, h->magic = 0xfeedface;
    atomic_fetch_add(&live_bytes, n);
    return h + 1;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > (PTRDIFF_MAX - 64) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    hdr *h = (hdr *)p - 1;
    atomic_fetch_sub(&live_bytes, h->size); /* statistics first */
    if (!p) return;
    free(h);
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = (hdr *)p - 1;
    size_t old = h->size;
    h = realloc(h, sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n;
    atomic_fetch_add(&live_bytes, n - old);
    return h + 1;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
