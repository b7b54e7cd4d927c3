/* blind_slab24.c: small requests (1..24 bytes) come from 64 KiB slabs of 24-byte slots (packed to save
 * memory), bigger ones from libc. Bug: a 24-byte slot is only 8-aligned, so blocks of 16..24 bytes in
 * odd slots break min(16, largest power of two <= size). Slots are recycled through a locked free list. */
#include "blind_common.h"

#define SLOT 24
#define SLAB (64 * 1024)
typedef struct slab { struct slab *next; char *base; } slab;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *free_slots;
static char *cur, *end;
static slab *slabs;

static int in_slab(void *p) {
    for (slab *s = slabs; s; s = s->next)
        if ((char *)p >= s->base && (char *)p < s->base + SLAB) return 1;
    return 0;
}
static void *small(void) {
    void *p;
    pthread_mutex_lock(&mu);
    if (free_slots) {
        p = free_slots;
        memcpy(&free_slots, p, sizeof(void *));
    } else {
        if (!cur || cur + SLOT > end) {
            slab *s = malloc(sizeof *s);
            char *b = s ? aligned_alloc(16, SLAB) : NULL;
            if (!b) {
                free(s);
                pthread_mutex_unlock(&mu);
                return NULL;
            }
            s->base = b, s->next = slabs, slabs = s;
            cur = b, end = b + SLAB;
        }
        p = cur;
        cur += SLOT;
    }
    pthread_mutex_unlock(&mu);
    return p;
}
static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n <= SLOT) return small();
    return n > PTRDIFF_MAX ? NULL : malloc(n);
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    if (b && a > PTRDIFF_MAX / b) return NULL;
    void *p = b_malloc(ctx, a * b);
    if (p) memset(p, 0, a * b < SLOT && a * b <= SLOT ? (a * b) : a * b);
    return p;
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (!p) return;
    pthread_mutex_lock(&mu);
    int s = in_slab(p);
    if (s) {
        memcpy(p, &free_slots, sizeof(void *));
        free_slots = p;
    }
    pthread_mutex_unlock(&mu);
    if (!s) free(p);
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) return b_malloc(ctx, n);
    if (n > PTRDIFF_MAX) return NULL;
    pthread_mutex_lock(&mu);
    int s = in_slab(p);
    pthread_mutex_unlock(&mu);
    if (!s) {
        if (n > SLOT) return realloc(p, n);
        void *q = small(); /* shrink into a slot: we do not know the old size, but it was > SLOT */
        if (q) memcpy(q, p, n), free(p);
        return q;
    }
    if (n <= SLOT) return p;
    void *q = malloc(n);
    if (q) memcpy(q, p, SLOT), b_free(ctx, p);
    return q;
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
