/* blind_word_copy.c: a libc wrapper with a 16-byte size header whose realloc always moves (to keep blocks
 * compact) and copies the old contents a machine word at a time. Bug: the copy loop forgets the tail
 * (size % 8 bytes), so blocks whose kept size is not a multiple of 8 lose their last bytes. */
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
    if (b && a > (PTRDIFF_MAX - 64) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (p) free((hdr *)p - 1);
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    void *q = b_malloc(ctx, n);
    if (!q) return NULL;
    size_t keep = ((hdr *)p - 1)->size < n ? ((hdr *)p - 1)->size : n;
    uint64_t *d = q;
    const uint64_t *s = p;
    for (size_t i = 0; i < keep / 8; i++) d[i] = s[i];
    b_free(ctx, p);
    return q;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
