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
#include <string.h>


void launcher_install_layers(const char *layers)
{
    if (!layers) return;
    const char *p = layers;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            char path[PATH_MAX];
            if (len >= sizeof path) launcher_usage_error("ALLOCSPEC_LAYERS: a path is too long");
            memcpy(path, p, len);
            path[len] = '\0';
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!h) launcher_usage_error("cannot load layer: %s", dlerror());
            int (*install)(void);
            *(void **)&install = dlsym(h, "pep445_hook_install");
            if (install) {
                int rc = install();
                if (rc != 0) launcher_usage_error("layer %s: pep445_hook_install() returned %d", path, rc);
            }
        }
        if (!end) break;
        p = end + 1;
    }
}
