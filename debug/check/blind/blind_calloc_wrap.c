/* blind_calloc_wrap.c: a libc wrapper with a 16-byte header whose calloc multiplies without an overflow
 * check (calloc(2^63, 4) asks for 0 bytes and returns a block). Everything else is right. */
#include "blind_common.h"

typedef struct { size_t size; size_t pad; } hdr;

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = malloc(sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n;
    return h + 1;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    size_t n = a * b;
    void *p = b_malloc(ctx, n);
    if (p) memset(p, 0, n);
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
