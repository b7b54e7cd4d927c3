/*
 * hooks.c: PEP 445 use case 3 ("Setup Allocator Hooks") in C: pass-through hooks on all three domains,
 * optionally nested, on this library or on any library exporting PyMem_GetAllocator/PyMem_SetAllocator
 * (libpython included: the caller passes those two function pointers).
 *
 *     entry point --> hook layer depth-1 (outermost: counts calls) --> ... --> layer 0 --> saved allocator
 *
 * Each layer is the PEP's hook_malloc/hook_calloc/hook_realloc/hook_free with ctx = the allocator it
 * wraps. A domain whose allocator has calloc == NULL (set through the 2013 API) gets hooks with
 * calloc == NULL too, so the entry point's malloc+zero rule still applies.
 *
 * Tunables: AS_HOOKS_MAX_DEPTH bounds the nesting (each layer costs an indirect call).
 * Thread safety: the outermost layer counts calls in a per-thread counter (relaxed atomic load + store on
 * a counter only its thread writes: no locked instruction on the hot path, no data race), registered
 * once per thread on a lock-free list that allocspec_passthrough_calls() sums. The hooks are therefore
 * as thread-safe as the allocator they wrap (RAW stays thread-safe). A shared atomic counter cost about
 * 3.5 ns per call here (bench/scenarios/indirection.ts), more than the rest of the hook.
 * Install/uninstall must not race with allocations.
 */
#include "internal.h"

#include <stdlib.h>

#define AS_HOOKS_MAX_DEPTH 1024
_Static_assert(AS_HOOKS_MAX_DEPTH >= 1, "at least one layer");

typedef void (*get_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);
typedef void (*set_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);

typedef struct {
    PyMemAllocatorEx inner; /* what this layer wraps */
    bool outermost;
} layer_t;

static layer_t *layers; /* [3][depth] */
static int layers_depth;
static get_fn target_get;
static set_fn target_set;
static PyMemAllocatorEx saved[3];
/* One per thread that ever went through an outermost hook; never freed (reachable from `counters`). */
typedef struct counter {
    atomic_uint_fast64_t n;
    struct counter *next;
} counter_t;
static _Atomic(counter_t *) counters;
/* initial-exec: 8 bytes of static TLS (well inside glibc's surplus for dlopen'ed libraries) instead of a
   __tls_get_addr call per hook */
static _Thread_local counter_t *my_counter __attribute__((tls_model("initial-exec")));
static int installed_seq;
atomic_int as_layer_seq;

int as_hooks_installed_seq(void) { return layers != NULL ? installed_seq : 0; }

static counter_t *register_counter(void)
{
    counter_t *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL; /* out of memory: this thread's calls go uncounted */
    c->next = atomic_load(&counters);
    while (!atomic_compare_exchange_weak(&counters, &c->next, c)) { /* retry with the new head */ }
    my_counter = c;
    return c;
}

static inline void count(const layer_t *l)
{
    if (!l->outermost) return;
    counter_t *c = my_counter;
    if (c == NULL && (c = register_counter()) == NULL) return;
    /* only this thread writes c->n: a relaxed load + store is a plain add, and race-free */
    atomic_store_explicit(&c->n, atomic_load_explicit(&c->n, memory_order_relaxed) + 1, memory_order_relaxed);
}

static void zero_counters(void)
{
    for (counter_t *c = atomic_load(&counters); c != NULL; c = c->next) atomic_store(&c->n, 0);
}

static void *hook_malloc(void *ctx, size_t size)
{
    layer_t *l = ctx;
    count(l);
    return l->inner.malloc(l->inner.ctx, size);
}
static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    layer_t *l = ctx;
    count(l);
    return l->inner.calloc(l->inner.ctx, nelem, elsize);
}
static void *hook_realloc(void *ctx, void *ptr, size_t new_size)
{
    layer_t *l = ctx;
    count(l);
    return l->inner.realloc(l->inner.ctx, ptr, new_size);
}
static void hook_free(void *ctx, void *ptr)
{
    layer_t *l = ctx;
    count(l);
    l->inner.free(l->inner.ctx, ptr);
}

int allocspec_passthrough_install(void *get_allocator_fn, void *set_allocator_fn, int depth)
{
    if (layers != NULL || depth < 1 || depth > AS_HOOKS_MAX_DEPTH) return -1;
    if ((get_allocator_fn == NULL) != (set_allocator_fn == NULL)) return -1;
    target_get = get_allocator_fn ? (get_fn)get_allocator_fn : PyMem_GetAllocator;
    target_set = set_allocator_fn ? (set_fn)set_allocator_fn : PyMem_SetAllocator;
    layers = calloc((size_t)3 * (size_t)depth, sizeof(layer_t));
    if (layers == NULL) return -1;
    layers_depth = depth;
    installed_seq = atomic_fetch_add(&as_layer_seq, 1) + 1;
    zero_counters();
    for (int d = 0; d < 3; d++) {
        target_get((PyMemAllocatorDomain)d, &saved[d]);
        for (int i = 0; i < depth; i++) {
            layer_t *l = &layers[d * depth + i];
            target_get((PyMemAllocatorDomain)d, &l->inner);
            l->outermost = i == depth - 1;
            PyMemAllocatorEx a = {l, hook_malloc, l->inner.calloc ? hook_calloc : NULL, hook_realloc, hook_free};
            target_set((PyMemAllocatorDomain)d, &a);
        }
    }
    return 0;
}

int allocspec_passthrough_uninstall(void)
{
    if (layers == NULL) return -1;
    for (int d = 0; d < 3; d++) target_set((PyMemAllocatorDomain)d, &saved[d]);
    free(layers);
    layers = NULL;
    layers_depth = 0;
    return 0;
}

uint64_t allocspec_passthrough_calls(void)
{
    uint64_t sum = 0;
    for (counter_t *c = atomic_load(&counters); c != NULL; c = c->next) sum += atomic_load(&c->n);
    return sum;
}

/* allocspec_reset: uninstall (a foreign target such as libpython must not keep pointers to freed layers;
   this library's domains are then reset to defaults by the caller). */
void as_hooks_reset(void)
{
    if (layers != NULL) allocspec_passthrough_uninstall();
    zero_counters();
}
