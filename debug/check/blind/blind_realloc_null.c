/* blind_realloc_null.c: a checked allocator: every block carries a magic number and the functions refuse
 * pointers that are not theirs. Bug: realloc validates its pointer before anything else, so
 * realloc(NULL, n) is refused with NULL instead of acting as malloc(n). */
#include "blind_common.h"

typedef struct { size_t size; size_t magic; } hdr;
#define MAGIC 0xa110cull

static int mine(void *p) { return p && ((hdr *)p - 1)->magic == MAGIC; }

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = malloc(sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n, h->magic = MAGIC;
    return h + 1;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > (PTRDIFF_MAX - 64) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (!mine(p)) return NULL;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = realloc((hdr *)p - 1, sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n;
    return h + 1;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (!mine(p)) return;
    ((hdr *)p - 1)->magic = 0;
    free((hdr *)p - 1);
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
