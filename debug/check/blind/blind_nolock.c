/* blind_nolock.c: a size-class allocator with LIFO free lists and no lock at all: the author reasoned
 * that CPython calls the allocator with the GIL held. Bug: the RAW domain is called without the GIL
 * (thread start and exit, C libraries releasing the GIL), so two threads can pop the same block. */
#include "blind_common.h"

#include <sched.h>

#define CLASSES 64
typedef struct { size_t size; size_t cls; } hdr;
typedef struct node { struct node *next; } node;
static node *lists[CLASSES + 1];

static size_t cls_of(size_t n) { return n <= CLASSES * 16 ? (n + 15) / 16 : 0; }

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > PTRDIFF_MAX - 64) return NULL;
    size_t c = cls_of(n ? n : 1);
    hdr *h = NULL;
    if (c && lists[c]) {
        node *x = lists[c];
        sched_yield(); /* (the author's profiler showed nothing here; it only widens a window that exists) */
        lists[c] = x->next;
        h = (hdr *)x - 1;
    }
    if (!h) h = malloc(sizeof(hdr) + (c ? c * 16 : n));
    if (!h) return NULL;
    h->size = n;
    h->cls = c;
    return h + 1;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (!p) return;
    hdr *h = (hdr *)p - 1;
    if (!h->cls) {
        free(h);
        return;
    }
    ((node *)p)->next = lists[h->cls];
    lists[h->cls] = p;
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
    hdr *h = (hdr *)p - 1;
    if (h->cls && cls_of(n ? n : 1) == h->cls) {
        h->size = n;
        return p;
    }
    void *q = b_malloc(ctx, n);
    if (!q) return NULL;
    memcpy(q, p, h->size < n ? h->size : n);
    b_free(ctx, p);
    return q;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
