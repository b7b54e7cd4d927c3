/*
 * traffic_zero_realloc_shared.c: realloc(p, 0) frees p and returns one shared static "empty block";
 * malloc(0) and calloc with a zero size are correct (distinct blocks).
 *
 * Broken rule (memory.rst, PEP 445): a zero-size request gives a distinct non-NULL pointer "as if
 * X_Malloc(1) had been called". Two live results of realloc(p, 0) are the same block. Shows only in a
 * program that shrinks two blocks to nothing and keeps both (CPython empties lists that way).
 * Expected: zero_size/malloc_zero_distinct_non_null (two zero-size blocks share their byte).
 */
#include "fixture_core.h"

static _Alignas(16) char empty_block[16];

static void *bad_realloc(void *ctx, void *p, size_t n) {
  if (p == (void *)empty_block) p = NULL;
  if (p != NULL && n == 0) {
    fx_free(ctx, p);
    return empty_block;
  }
  return fx_realloc(ctx, p, n);
}

static void bad_free(void *ctx, void *p) {
  if (p != (void *)empty_block) fx_free(ctx, p);
}

FX_EXPORT(pep445_allocator, fx_malloc, fx_calloc, bad_realloc, bad_free);
