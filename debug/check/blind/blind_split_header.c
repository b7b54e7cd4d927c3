/* blind_split_header.c: blocks with a 16-byte header over libc; a realloc that shrinks a block of more
 * than 256 bytes by at least half splits it in place and marks the tail as a free chunk for the
 * statistics (the tail is not reused). Bug: the tail's header is written at the end of the kept part
 * (p + round16(new) - 16) instead of just after it, so it overwrites the last kept bytes. */
#include "blind_common.h"

typedef struct { size_t size; size_t flags; } hdr;
#define TAIL_FREE 0x7a11u

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = malloc(sizeof(hdr) + (n ? n : 1));
    if (!h) return NULL;
    h->size = n, h->flags = 0;
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
    if (n > PTRDIFF_MAX - 64) return NULL;
    hdr *h = (hdr *)p - 1;
    if (h->size > 256 && n >= 16 && n <= h->size / 2) {
        size_t kept = (n + 15) & ~(size_t)15;
        hdr *tail = (hdr *)((char *)p + kept) - 1; /* should be (char *)p + kept */
        tail->size = h->size - kept - sizeof(hdr);
        tail->flags = TAIL_FREE;
        h->size = n;
        return p;
    }
    hdr *g = realloc(h, sizeof(hdr) + (n ? n : 1));
    if (!g) return NULL;
    g->size = n;
    return g + 1;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
