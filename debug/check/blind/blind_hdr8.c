/* blind_hdr8.c: a size-header wrapper over libc: each block is [size_t size][data]. Bug: the header is
 * 8 bytes, so every data pointer is 8 mod 16 (libc's blocks are 16-aligned). */
#include "blind_common.h"

typedef struct { size_t size; } hdr;

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = malloc(sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n;
    return h + 1;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > (PTRDIFF_MAX - 64) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = realloc((hdr *)p - 1, sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n;
    return h + 1;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (p) free((hdr *)p - 1);
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
