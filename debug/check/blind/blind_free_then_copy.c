/* blind_free_then_copy.c: a size-class allocator (16-byte classes up to 2 KiB, LIFO free lists, locked)
 * whose realloc releases the old block FIRST, so that a same-class request can reuse the very same slot,
 * and then copies from it. Bugs that follow: the free-list link overwrites the first 8 bytes of the old
 * block before they are copied, and when the allocation fails the old block is already gone. */
#include "blind_common.h"

#define CLASSES 128
typedef struct { size_t size; size_t cls; } hdr;
typedef struct node { struct node *next; } node;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static node *lists[CLASSES + 1];
static size_t cls_of(size_t n) { return n <= CLASSES * 16 ? (n + 15) / 16 : 0; }

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > ((size_t)1 << 40)) return NULL; /* nobody needs a terabyte */
    size_t c = cls_of(n ? n : 1);
    hdr *h = NULL;
    if (c) {
        pthread_mutex_lock(&mu);
        node *x = lists[c];
        if (x) lists[c] = x->next;
        pthread_mutex_unlock(&mu);
        if (x) h = (hdr *)x - 1;
    }
    if (!h) h = malloc(sizeof(hdr) + (c ? c * 16 : n));
    if (!h) return NULL;
    h->size = n, h->cls = c;
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
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > ((size_t)1 << 40) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    hdr *h = (hdr *)p - 1;
    size_t old = h->size;
    int large = h->cls == 0;
    if (large) { /* large blocks: libc does it all */
        if (n > ((size_t)1 << 40)) return NULL;
        hdr *g = realloc(h, sizeof(hdr) + (n ? n : 1));
        if (!g) return NULL;
        g->size = n, g->cls = cls_of(n ? n : 1) ? 0 : 0;
        return g + 1;
    }
    b_free(ctx, p); /* give the slot back first: a same-class request gets it again */
    void *q = b_malloc(ctx, n);
    if (!q) return NULL;
    if (q != p) memmove(q, p, old < n ? old : n);
    return q;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
