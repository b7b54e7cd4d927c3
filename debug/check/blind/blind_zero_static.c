/* blind_zero_static.c: libc underneath, with a fast path for empty requests: every zero-size request
 * returns the address of one static 16-byte "empty block", and free recognises and ignores it. Bug: the
 * zero-size blocks are not distinct (two live "empty" blocks are the same block). */
#include "blind_common.h"

static _Alignas(16) char empty_block[16];

static void *b_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (!n) return empty_block;
    return n > PTRDIFF_MAX ? NULL : malloc(n);
}
static void *b_calloc(void *ctx, size_t a, size_t b) {
    (void)ctx;
    if (!a || !b) return empty_block;
    return calloc(a, b);
}
static void *b_realloc(void *ctx, void *p, size_t n) {
    if (p == empty_block) p = NULL;
    if (!n) {
        free(p);
        return empty_block;
    }
    (void)ctx;
    return n > PTRDIFF_MAX ? NULL : realloc(p, n);
}
static void b_free(void *ctx, void *p) {
    (void)ctx;
    if (p != empty_block) free(p);
}
BLIND_EXPORT(b_malloc, b_calloc, b_realloc, b_free);
