/*
 * runtime.c: process-wide state of the library: profile, geometry, the GIL flag, reset.
 *
 *     allocspec_reset(profile, geometry)
 *        --> violations off/cleared --> debug slots cleared --> arena allocator = mmap
 *        --> pymalloc releases every arena (with the allocator that made it) and takes the geometry
 *        --> domains = defaults of the profile (RAW libc; MEM pymalloc (cpython) or libc (2013); OBJ pymalloc)
 *
 * The library initialises itself at load time (a constructor) to the cpython profile with the
 * cpython310 geometry, so a C program calling PyMem_Malloc without allocspec_reset works as with CPython.
 *
 * The GIL flag is process-wide (there is no interpreter): allocspec_set_gil_held(0) makes the next
 * MEM/OBJ debug-hook call on any thread a "called without holding the GIL" violation (cpython profile).
 * allocspec_set_gil_check(fn) replaces the flag by a real check (libpython's PyGILState_Check in the launcher).
 * Thread safety: reset must not race with allocations (like PyMem_SetAllocator before Py_Initialize).
 */
#include "internal.h"

/* Tunable: the ABI version of the allocspec_ extras. */
_Static_assert(ALLOCSPEC_ABI_VERSION == 1, "contracts.md section 3: allocspec_abi_version() is 1");

as_runtime_t as_runtime = {ALLOCSPEC_PROFILE_CPYTHON, ALLOCSPEC_GEOMETRY_CPYTHON310, 1, {0, 0, 0, 0}};

int allocspec_abi_version(void) { return ALLOCSPEC_ABI_VERSION; }
int allocspec_profile(void) { return as_runtime.profile; }
int allocspec_geometry(void) { return as_runtime.geometry; }
void allocspec_set_gil_held(int held) { atomic_store(&as_runtime.gil_held, held != 0); }
int allocspec_gil_held(void) { return atomic_load(&as_runtime.gil_held); }

_Atomic(allocspec_gil_check_fn) as_gil_check = NULL;
void allocspec_set_gil_check(allocspec_gil_check_fn check) { atomic_store(&as_gil_check, check); }

void allocspec_mark_js_domain(int domain, int js)
{
    if (domain >= 0 && domain <= ALLOCSPEC_ARENA_DOMAIN) atomic_store(&as_runtime.js_domain[domain], js != 0);
}

void allocspec_reset(int profile, int geometry)
{
    if (profile != ALLOCSPEC_PROFILE_PEP445_2013) profile = ALLOCSPEC_PROFILE_CPYTHON;
    if (geometry != ALLOCSPEC_GEOMETRY_PEP445 && geometry != ALLOCSPEC_GEOMETRY_CPYTHON310)
        geometry = profile == ALLOCSPEC_PROFILE_CPYTHON ? ALLOCSPEC_GEOMETRY_CPYTHON310 : ALLOCSPEC_GEOMETRY_PEP445;
    as_violations_reset();
    /* uninstall the layers most recent first, so a foreign target (libpython) gets its allocators back */
    if (as_trace_installed_seq() > as_hooks_installed_seq()) {
        as_trace_reset();
        as_hooks_reset();
    } else {
        as_hooks_reset();
        as_trace_reset();
    }
    as_debug_reset();
    as_pymalloc_reset(geometry); /* frees arenas with the allocators that made them */
    as_arena_reset();
    as_runtime.profile = profile;
    as_runtime.geometry = geometry;
    atomic_store(&as_runtime.gil_held, 1);
    atomic_store(&as_gil_check, NULL);
    for (int d = 0; d <= ALLOCSPEC_ARENA_DOMAIN; d++) atomic_store(&as_runtime.js_domain[d], 0);
    as_domains_reset();
}

__attribute__((constructor)) static void allocspec_init(void)
{
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, ALLOCSPEC_GEOMETRY_CPYTHON310);
}
