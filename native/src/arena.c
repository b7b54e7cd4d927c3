/*
 * arena.c: the arena allocator pymalloc gets its arenas from, and its Get/Set in both API forms.
 *
 *     pymalloc new_arena() --> as_arena.alloc(ctx, ARENA_SIZE) --> mmap (default)
 *     pymalloc frees arena --> as_arena.free(ctx, ptr, ARENA_SIZE) --> munmap (default)
 *
 *     PyObject_Get/SetArenaAllocator(PyObjectArenaAllocator*)        as shipped (3.4+)
 *     _PyObject_Get/SetArenaAllocators(ctx, malloc, free)            the 2013 draft (private names)
 *
 * The default is CPython's _PyObject_ArenaMmap/_PyObject_ArenaMunmap: mmap(PROT_READ|PROT_WRITE,
 * MAP_PRIVATE|MAP_ANONYMOUS); a failed mmap gives NULL. The free order is (ctx, ptr, size): the header
 * order (the docs table once showed size before ptr: a documentation bug, rust-cpython #257).
 */
#include "internal.h"

#include <stddef.h>
#include <sys/mman.h>

/* Tunables: the mmap protection and flags of an arena (CPython's _PyObject_ArenaMmap). */
#define AS_ARENA_PROT (PROT_READ | PROT_WRITE)
#define AS_ARENA_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)
_Static_assert((AS_ARENA_FLAGS & MAP_ANONYMOUS) != 0, "arenas are anonymous memory (zero-filled pages)");
_Static_assert(offsetof(PyObjectArenaAllocator, free) == 2 * sizeof(void *), "free(ctx, ptr, size) is the third field");

PyObjectArenaAllocator as_arena = {NULL, as_arena_mmap, as_arena_munmap};

void *as_arena_mmap(void *ctx, size_t size)
{
    (void)ctx;
    void *ptr = mmap(NULL, size, AS_ARENA_PROT, AS_ARENA_FLAGS, -1, 0);
    if (ptr == MAP_FAILED) return NULL;
    return ptr;
}

void as_arena_munmap(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL) return; /* 3.13+: _PyMem_ArenaFree ignores NULL (munmap would not) */
    munmap(ptr, size);
}

void as_arena_reset(void)
{
    as_arena.ctx = NULL;
    as_arena.alloc = as_arena_mmap;
    as_arena.free = as_arena_munmap;
}

void PyObject_GetArenaAllocator(PyObjectArenaAllocator *allocator) { *allocator = as_arena; }
void PyObject_SetArenaAllocator(PyObjectArenaAllocator *allocator) { as_arena = *allocator; }

void _PyObject_GetArenaAllocators(void **ctx_p, void *(**malloc_p)(void *ctx, size_t size),
                                  void (**free_p)(void *ctx, void *ptr, size_t size))
{
    *ctx_p = as_arena.ctx;
    *malloc_p = as_arena.alloc;
    *free_p = as_arena.free;
}

void _PyObject_SetArenaAllocators(void *ctx, void *(*malloc)(void *ctx, size_t size),
                                  void (*free)(void *ctx, void *ptr, size_t size))
{
    as_arena.ctx = ctx;
    as_arena.alloc = malloc;
    as_arena.free = free;
}
