/*
 * allocator.c: steps 3 and 4 of the launcher: the allocator under test, then the debug hooks, installed
 * in libpython's RAW, MEM and OBJ domains between Py_PreInitialize and Py_InitializeFromConfig, the only
 * window in which an allocator may REPLACE CPython's (PEP 445 "Use cases" 1; gh-96997).
 *
 * Composition happens in liballocspec.so (the native library, loaded RTLD_LOCAL from the launcher's own
 * directory, so its PyMem_* exports never interpose on libpython's):
 *
 *     ALLOCSPEC_ALLOCATOR (forms.h)     staged in liballocspec's three domains
 *       cpython                         libpython's current allocators (after pre-init), copied in
 *       native:pep445|cpython310        allocspec_reset(cpython profile, geometry): raw + pymalloc
 *       vtable:/abs/lib.so:SYMBOL       the PyMemAllocatorEx data symbol, as is
 *       libc:/abs/lib.so:PREFIX         PREFIXmalloc, calloc, realloc, free, zero sizes as CPython (libc_glue.c)
 *     ALLOCSPEC_CHECK=1                 the checking layer over the staged allocators (check.c)
 *     ALLOCSPEC_DEBUG_HOOKS=native      liballocspec's PyMem_SetupDebugHooks over the staged allocators
 *     then: libpython PyMem_SetAllocator(d, staged[d]) for d = RAW, MEM, OBJ
 *     ALLOCSPEC_DEBUG_HOOKS=cpython     libpython's PyMem_SetupDebugHooks over what was installed
 *
 * The native debug hooks check the real GIL: liballocspec asks libpython's PyGILState_Check, as CPython's
 * own hooks do (allocspec_set_gil_check), so a MEM/OBJ call without the GIL is the same fatal error.
 * `cpython` with no debug hooks installs nothing at all (the baseline: CPython's own allocators).
 */
#include "launcher.h"
#include "forms.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


typedef struct {
    void *handle;
    void (*get)(PyMemAllocatorDomain, PyMemAllocatorEx *);
    void (*set)(PyMemAllocatorDomain, PyMemAllocatorEx *);
    void (*setup_debug_hooks)(void);
    void (*reset)(int profile, int geometry);
    void (*set_gil_check)(allocspec_gil_check_fn check);
} native_lib;

/* liballocspec once loaded (launcher_native_symbol) */
static void *native_handle;

void *launcher_native_symbol(const char *name) { return native_handle ? dlsym(native_handle, name) : NULL; }

static void *native_sym(const native_lib *n, const char *path, const char *name)
{
    void *p = dlsym(n->handle, name);
    if (!p) launcher_usage_error("%s does not export %s: rebuild it (deno task build:native)", path, name);
    return p;
}

void launcher_beside_exe(const char *name, char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) launcher_usage_error("cannot read /proc/self/exe to find %s", name);
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    snprintf(out, size, "%.*s/%s", (int)(slash - exe), exe, name);
}

/* liballocspec.so of the same build variant: it sits beside this executable (native/build.ts). */
static void open_native(native_lib *n)
{
    char path[PATH_MAX + 32];
    launcher_beside_exe("liballocspec.so", path, sizeof path);
    n->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!n->handle) launcher_usage_error("cannot load the native library: %s (deno task build:native)", dlerror());
    native_handle = n->handle;
    *(void **)&n->get = native_sym(n, path, "PyMem_GetAllocator");
    *(void **)&n->set = native_sym(n, path, "PyMem_SetAllocator");
    *(void **)&n->setup_debug_hooks = native_sym(n, path, "PyMem_SetupDebugHooks");
    *(void **)&n->reset = native_sym(n, path, "allocspec_reset");
    *(void **)&n->set_gil_check = native_sym(n, path, "allocspec_set_gil_check");
}

/* Loads a third-party library RTLD_LOCAL; jemalloc needs the static-TLS tunable (core/env.ts STATIC_TLS_ENV). */
static void *open_library(const char *kind, const char *lib)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *err = dlerror();
        launcher_usage_error("%s allocator: %s%s", kind, err,
                             strstr(err, "static TLS") ? " (set GLIBC_TUNABLES=glibc.rtld.optional_static_tls=262144)"
                                                       : "");
    }
    return h;
}

/* The forms of forms.h: name, number of fields, syntax. */
static const struct {
    const char *name;
    int fields;
    const char *syntax;
} FORMS[LAUNCHER_FORM_COUNT] = {
#define LAUNCHER_FORM_ENTRY(name, fields, syntax) {#name, fields, syntax},
    LAUNCHER_FORMS(LAUNCHER_FORM_ENTRY)
#undef LAUNCHER_FORM_ENTRY
};

/* A bad ALLOCSPEC_ALLOCATOR: one line listing every form's syntax (forms.h), exit 2. */
__attribute__((noreturn)) static void usage_forms(const char *allocator)
{
    char list[1024] = "";
    size_t used = 0;
    for (int f = 0; f < LAUNCHER_FORM_COUNT; f++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", f == 0 ? "" : f + 1 == LAUNCHER_FORM_COUNT ? " or " : ", ",
                         FORMS[f].syntax);
        if (w < 0 || (size_t)w >= sizeof list - used) break;
        used += (size_t)w;
    }
    launcher_usage_error("ALLOCSPEC_ALLOCATOR=%s: use %s", allocator, list);
}

/* The form named before the first ':' of `allocator`; *rest = what follows that ':' (NULL: nothing). */
static launcher_form parse_form(const char *allocator, const char **rest)
{
    size_t len = strcspn(allocator, ":");
    *rest = allocator[len] == ':' ? allocator + len + 1 : NULL;
    for (int f = 0; f < LAUNCHER_FORM_COUNT; f++) {
        if (strlen(FORMS[f].name) != len || strncmp(FORMS[f].name, allocator, len) != 0) continue;
        /* a form with fields needs them (native's one field is optional: the default geometry) */
        if (FORMS[f].fields > 1 && !*rest) usage_forms(allocator);
        if (FORMS[f].fields == 0 && *rest) usage_forms(allocator);
        return (launcher_form)f;
    }
    usage_forms(allocator);
    return LAUNCHER_FORM_COUNT;
}

/* Splits "PATH:TAIL" at the last colon into lib (copied to buf) and tail. */
static const char *split_last(const char *kind, const char *arg, char *buf, size_t size)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || (size_t)(colon - arg) >= size)
        launcher_usage_error("ALLOCSPEC_ALLOCATOR=%s:%s: expected %s:LIBRARY:%s", kind, arg, kind,
                             strcmp(kind, "vtable") == 0 ? "SYMBOL" : "PREFIX");
    memcpy(buf, arg, (size_t)(colon - arg));
    buf[colon - arg] = '\0';
    return colon + 1;
}

static const PyMemAllocatorDomain DOMAINS[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};

int launcher_install_allocator(const launcher_cpython *py, const char *allocator, const char *debug_hooks,
                               int pythonmalloc_applies)
{
    if (!allocator || !*allocator) allocator = "cpython";
    if (!debug_hooks) debug_hooks = "";
    if (*debug_hooks && strcmp(debug_hooks, "native") != 0 && strcmp(debug_hooks, "cpython") != 0)
        launcher_usage_error("ALLOCSPEC_DEBUG_HOOKS=%s: use native, cpython or leave it empty", debug_hooks);
    if (pythonmalloc_applies) return 1;
    if (strcmp(allocator, "cpython") == 0 && strcmp(debug_hooks, "native") != 0) {
        if (launcher_check_enabled()) launcher_check_wrap(py->PyMem_GetAllocator, py->PyMem_SetAllocator);
        if (strcmp(debug_hooks, "cpython") == 0) py->PyMem_SetupDebugHooks();
        return 0;
    }

    const char *rest;
    launcher_form form = parse_form(allocator, &rest);
    native_lib n;
    open_native(&n);
    char lib[PATH_MAX];
    switch (form) {
    case LAUNCHER_FORM_cpython:
        n.reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        for (int i = 0; i < 3; i++) {
            PyMemAllocatorEx a;
            py->PyMem_GetAllocator(DOMAINS[i], &a);
            n.set(DOMAINS[i], &a);
        }
        break;
    case LAUNCHER_FORM_native:
        if (!rest || strcmp(rest, "cpython310") == 0)
            n.reset(ALLOCSPEC_PROFILE_CPYTHON, ALLOCSPEC_GEOMETRY_CPYTHON310);
        else if (strcmp(rest, "pep445") == 0)
            n.reset(ALLOCSPEC_PROFILE_CPYTHON, ALLOCSPEC_GEOMETRY_PEP445);
        else
            usage_forms(allocator);
        break;
    case LAUNCHER_FORM_vtable: {
        const char *symbol = split_last("vtable", rest, lib, sizeof lib);
        PyMemAllocatorEx *a = dlsym(open_library("vtable", lib), symbol);
        if (!a) launcher_usage_error("vtable allocator: %s does not export %s", lib, symbol);
        n.reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        for (int i = 0; i < 3; i++) n.set(DOMAINS[i], a);
        break;
    }
    case LAUNCHER_FORM_libc: {
        const char *prefix = split_last("libc", rest, lib, sizeof lib);
        void *h = open_library("libc", lib);
        static const char *const FNS[4] = {"malloc", "calloc", "realloc", "free"};
        void *f[4];
        for (int i = 0; i < 4; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s%s", prefix, FNS[i]);
            if (!(f[i] = dlsym(h, name))) launcher_usage_error("libc allocator: %s does not export %s", lib, name);
        }
        n.reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        PyMemAllocatorEx a;
        launcher_libc_allocator(f, &a);
        for (int i = 0; i < 3; i++) n.set(DOMAINS[i], &a);
        break;
    }
    case LAUNCHER_FORM_COUNT:
        usage_forms(allocator);
    }
    if (launcher_check_enabled()) launcher_check_wrap(n.get, n.set); /* directly over the allocator */
    if (strcmp(debug_hooks, "native") == 0) {
        /* the real GIL, as CPython's _PyMem_DebugCheckGIL asks it (PyGILState_Check: 1 until the
           thread-state machinery exists, so pre-init allocations pass) */
        allocspec_gil_check_fn gil;
        *(void **)&gil = dlsym(py->handle, "PyGILState_Check");
        if (!gil) launcher_usage_error("%s does not export PyGILState_Check", py->path);
        n.set_gil_check(gil);
        n.setup_debug_hooks();
    }
    for (int i = 0; i < 3; i++) {
        PyMemAllocatorEx a;
        n.get(DOMAINS[i], &a);
        py->PyMem_SetAllocator(DOMAINS[i], &a);
    }
    if (strcmp(debug_hooks, "cpython") == 0) py->PyMem_SetupDebugHooks();
    return 0;
}
