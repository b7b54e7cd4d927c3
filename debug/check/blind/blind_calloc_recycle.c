/* blind_calloc_recycle.c: segregated free lists (16-byte classes up to 1 KiB) over libc, each block with a
 * 16-byte header {size, class}. Fresh blocks come from libc's calloc, so the author skipped the memset
 * in calloc. Bug: a block recycled from a free list is dirty, and calloc hands it out without zeroing. */
#include "blind_common.h"

#define CLASSES 64
typedef struct { size_t size; size_t cls; } hdr;
typedef struct node { struct node *next; } node;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static node *lists[CLASSES + 1];

static size_t cls_of(size_t n) { return n <= CLASSES * 16 ? (n + 15) / 16 : 0; }

static void *get(size_t n, int *fresh) {
    if (n > PTRDIFF_MAX - 64) return NULL;
    size_t c = cls_of(n ? n : 1);
    hdr *h = NULL;
    *fresh = 0;
    if (c) {
        pthread_mutex_lock(&mu);
        node *x = lists[c];
        if (x) lists[c] = x->next;
        pthread_mutex_unlock(&mu);
        if (x) h = (hdr *)x - 1;
    }
    if (!h) {
        h = calloc(1, sizeof(hdr) + (c ? c * 16 : n));
        *fresh = 1;
    }
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
    pthread_mutex_lock(&mu);
    ((node *)p)->next = lists[h->cls];
    lists[h->cls] = p;
    pthread_mutex_unlock(&mu);
}
static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    int fresh;
    return get(n, &fresh);
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    (void)ctx;
    if (b && a > (PTRDIFF_MAX - 64) / b) return NULL;
    int fresh;
    return get(a * b, &fresh); /* libc's calloc already zeroed it */
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
