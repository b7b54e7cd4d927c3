/* blind_bump_round.c: a region allocator for short-lived programs: blocks are carved from 64 MiB regions
 * (mmap) with a bump pointer, each block 16-byte aligned, never reused (free only counts). Bug: the size
 * is rounded with (n + 7) & ~15 instead of (n + 15) & ~15, so a block of 16k+1..16k+8 bytes gets 16k and
 * its last bytes are the first bytes of the next block. */
#define _DEFAULT_SOURCE
#include "blind_common.h"

#include <sys/mman.h>

#define REGION ((size_t)64 << 20)
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *cur, *end;

typedef struct { size_t size; size_t pad; } hdr;

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > REGION / 2) return NULL;
    size_t need = sizeof(hdr) + ((n + 7) & ~(size_t)15);
    pthread_mutex_lock(&mu);
    if (!cur || cur + need > end) {
        void *m = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
            pthread_mutex_unlock(&mu);
            return NULL;
        }
        cur = m, end = cur + REGION;
    }
    hdr *h = (hdr *)cur;
    cur += need;
    pthread_mutex_unlock(&mu);
    h->size = n;
    return h + 1;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > (REGION / 2) / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b);
    return p;
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    size_t old = ((hdr *)p - 1)->size;
    if (n <= old) {
        ((hdr *)p - 1)->size = n;
        return p;
    }
    void *q = b_malloc(ctx, n);
    if (q) memcpy(q, p, old);
    return q;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    (void)p; /* regions are dropped at exit */
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
