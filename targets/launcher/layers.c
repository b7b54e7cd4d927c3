/*
 * layers.c: step 6 of the launcher: hooks on top of the installed allocator (CONTRACT.md "Layers").
 *
 * After Py_InitializeFromConfig a new allocator must WRAP the existing one (PEP 445 "Use cases" 3; CPython
 * docs, gh-96997), which is exactly what a layer does: it reaches PyMem_GetAllocator/PyMem_SetAllocator by
 * name (libpython is RTLD_GLOBAL), saves the current allocator and installs its own over it. Each entry of
 * ALLOCSPEC_LAYERS is dlopen'ed in order (RTLD_NOW|RTLD_LOCAL, so its exports interpose on nothing); when it
 * exports `int pep445_hook_install(void)` that is called and must return 0, otherwise its constructor is
 * expected to have installed it (as LD_PRELOAD profilers such as Scalene do).
 */
#include "launcher.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* 1 when some domain's allocator differs from the snapshot. */
static int changed(const launcher_cpython *py, const PyMemAllocatorEx before[3])
{
    for (int d = 0; d < 3; d++) {
        PyMemAllocatorEx now;
        py->PyMem_GetAllocator((PyMemAllocatorDomain)d, &now);
        if (memcmp(&now, &before[d], sizeof now) != 0) return 1;
    }
    return 0;
}

void launcher_install_layers(const launcher_cpython *py, const char *layers)
{
    if (!layers) return;
    const char *strict_env = getenv("ALLOCSPEC_LAYERS_STRICT");
    int strict = strict_env && strcmp(strict_env, "1") == 0;
    const char *p = layers;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            char path[PATH_MAX];
            if (len >= sizeof path) launcher_usage_error("ALLOCSPEC_LAYERS: a path is too long");
            memcpy(path, p, len);
            path[len] = '\0';
            PyMemAllocatorEx before[3];
            for (int d = 0; d < 3; d++) py->PyMem_GetAllocator((PyMemAllocatorDomain)d, &before[d]);
            launcher_phase(path); /* a crash from here on is this layer's: one line, exit 2 */
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!h) launcher_usage_error("cannot load layer: %s", dlerror());
            int (*install)(void);
            *(void **)&install = dlsym(h, "pep445_hook_install");
            if (install) {
                int rc = install();
                if (rc != 0) launcher_usage_error("layer %s: pep445_hook_install() returned %d", path, rc);
            }
            launcher_phase(NULL);
            if (strict && !changed(py, before))
                launcher_usage_error("layer %s installed nothing: no domain's allocator changed (a layer calls "
                                     "PyMem_SetAllocator from pep445_hook_install() or a constructor)",
                                     path);
        }
        if (!end) break;
        p = end + 1;
    }
}
