/* blind_posix_zero.c: libc's malloc family passed straight through, zero sizes as POSIX allows: malloc(0)
 * and calloc(0, n) may return NULL, realloc(p, 0) frees p and returns NULL. Bug: PEP 445 wants a distinct
 * non-NULL block for a zero-size request ("as if X_Malloc(1) had been called"). */
#include "blind_common.h"

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    return n ? malloc(n) : NULL;
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    (void)ctx;
    return a && b ? calloc(a, b) : NULL;
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (p && !n) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
