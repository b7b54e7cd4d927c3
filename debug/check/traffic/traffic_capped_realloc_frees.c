/*
 * traffic_capped_realloc_frees.c: an allocator with a 1 MiB limit per block (larger requests fail, which
 * PEP 445 allows) whose realloc releases the old block before it asks for the new one, so that a failed
 * growth past the limit leaves the caller with a freed block.
 *
 * Broken rule (memory.rst: "On failure it returns NULL and p stays valid"): a failed realloc keeps the old
 * block live and intact. The conformance case forces the failure with an injected NULL; here it happens
 * when a real program grows a block past 1 MiB. Expected: realloc/failed_realloc_keeps_old_block.
 */
#include "fixture_core.h"

#define CAP ((size_t)1 << 20)

static void *capped_malloc(void *ctx, size_t n) { return n > CAP ? NULL : fx_malloc(ctx, n); }

static void *capped_calloc(void *ctx, size_t nelem, size_t elsize) {
  if (elsize != 0 && nelem > CAP / elsize) return NULL;
  return fx_calloc(ctx, nelem, elsize);
}

static void *bad_realloc(void *ctx, void *p, size_t n) {
  if (p == NULL) return capped_malloc(ctx, n);
  if (n <= CAP) return fx_realloc(ctx, p, n);
  fx_free(ctx, p); /* "make room first" */
  return NULL;
}

FX_EXPORT(pep445_allocator, capped_malloc, capped_calloc, bad_realloc, fx_free);
