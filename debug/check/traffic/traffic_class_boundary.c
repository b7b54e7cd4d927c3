/*
 * traffic_class_boundary.c: a slab allocator (16-byte size classes up to 1 KiB, 64 KiB slabs of
 * contiguous slots, a locked LIFO stack of free slots per class, a side table from slab to class)
 * whose class index for requests above 256 bytes is computed as n / 16 instead of (n + 15) / 16.
 *
 * Broken rule (third-party-allocators.md: live blocks never overlap): a request of 16k + 1 .. 16k + 15
 * bytes above 256 gets a slot 16 bytes too short, whose last bytes are the next slot's first. Requests
 * up to 256 bytes and multiples of 16 are right, so the conformance cases' round sizes pass; a real
 * program asks for every size. Expected: no_overlap/live_blocks_never_overlap.
 */
#define _DEFAULT_SOURCE
#include "fixture_core.h"

#include <sys/mman.h>

#define GRAIN 16u
#define NCLS 64u
#define SLAB ((size_t)64 << 10)
#define MAXSLABS 65536u
#define STACK 8192u

typedef struct {
  pthread_mutex_t lock;
  char *cur[NCLS + 1], *end[NCLS + 1];
  unsigned nfree[NCLS + 1];
  char *free_slots[NCLS + 1][STACK];
  char *slab_base[MAXSLABS];
  unsigned slab_cls[MAXSLABS];
  unsigned nslabs;
} slabs;

static slabs S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static unsigned cls_of(size_t n) {
  if (n == 0) n = 1;
  if (n <= 256) return (unsigned)((n + GRAIN - 1) / GRAIN);
  return n <= GRAIN * NCLS ? (unsigned)(n / GRAIN) : 0; /* the bug: rounds down above 256 */
}

/* class of the slab holding p, 0 when p is a libc block */
static unsigned owner(void *p) {
  for (unsigned i = 0; i < S.nslabs; i++)
    if ((char *)p >= S.slab_base[i] && (char *)p < S.slab_base[i] + SLAB) return S.slab_cls[i];
  return 0;
}

static void *slab_alloc(unsigned c) {
  char *p = NULL;
  pthread_mutex_lock(&S.lock);
  if (S.nfree[c]) {
    p = S.free_slots[c][--S.nfree[c]];
  } else {
    if (!S.cur[c] || S.cur[c] + c * GRAIN > S.end[c]) {
      char *m = S.nslabs < MAXSLABS ? mmap(NULL, SLAB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                                    : MAP_FAILED;
      if (m == MAP_FAILED) {
        pthread_mutex_unlock(&S.lock);
        return NULL;
      }
      S.slab_base[S.nslabs] = m, S.slab_cls[S.nslabs] = c, S.nslabs++;
      S.cur[c] = m, S.end[c] = m + SLAB;
    }
    p = S.cur[c];
    S.cur[c] += c * GRAIN;
  }
  pthread_mutex_unlock(&S.lock);
  return p;
}

static void *sl_malloc(void *ctx, size_t n) {
  (void)ctx;
  if (n > FX_MAX_REQUEST) return NULL;
  unsigned c = cls_of(n);
  return c ? slab_alloc(c) : malloc(n);
}

static void sl_free(void *ctx, void *p) {
  (void)ctx;
  if (!p) return;
  pthread_mutex_lock(&S.lock);
  unsigned c = owner(p);
  if (c && S.nfree[c] < STACK) {
    S.free_slots[c][S.nfree[c]++] = p;
    pthread_mutex_unlock(&S.lock);
    return;
  }
  pthread_mutex_unlock(&S.lock);
  if (!c) free(p);
}

static void *sl_calloc(void *ctx, size_t nelem, size_t elsize) {
  if (elsize && nelem > FX_MAX_REQUEST / elsize) return NULL;
  void *p = sl_malloc(ctx, nelem * elsize);
  if (p) memset(p, 0, nelem * elsize);
  return p;
}

static void *sl_realloc(void *ctx, void *p, size_t n) {
  if (!p) return sl_malloc(ctx, n);
  if (n > FX_MAX_REQUEST) return NULL;
  pthread_mutex_lock(&S.lock);
  unsigned c = owner(p);
  pthread_mutex_unlock(&S.lock);
  if (!c) {
    if (cls_of(n)) { /* a libc block shrinking into a slab: copy what fits */
      void *q = sl_malloc(ctx, n);
      if (q) memcpy(q, p, n), free(p);
      return q;
    }
    return realloc(p, n);
  }
  size_t cap = (size_t)c * GRAIN;
  if (cls_of(n) == c) return p;
  void *q = sl_malloc(ctx, n);
  if (!q) return NULL;
  memcpy(q, p, cap < n ? cap : n);
  sl_free(ctx, p);
  return q;
}

FX_EXPORT(pep445_allocator, sl_malloc, sl_calloc, sl_realloc, sl_free);
