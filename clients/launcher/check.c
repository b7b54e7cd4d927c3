/*
 * check.c: step 3b of the launcher: the checking layer (debug/check/check.h, libas_check.so beside this
 * executable) wrapped DIRECTLY above the allocator under test when ALLOCSPEC_CHECK=1, before any debug
 * hooks go over it and before Py_InitializeFromConfig, so start-up traffic is checked too and the rules
 * the debug hooks would hide (zero sizes, exact realloc sizes) reach the layer as the allocator sees them.
 *
 * The layer is loaded RTLD_LOCAL and driven through its C API by name (as_check_config_from_env,
 * as_check_init, as_check_wrap); its configuration is its own ALLOCSPEC_CHECK_* variables. The crash
 * line (signals.c) asks it what it knows through as_check_describe_crash.
 */
#include "launcher.h"

#include "../../debug/check/check.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*config_fn)(as_check_config *cfg, char *err, size_t errlen);
typedef int (*init_fn)(const as_check_config *cfg);
typedef int (*wrap_fn)(int domain, const PyMemAllocatorEx *below, PyMemAllocatorEx *out);

static launcher_describe_fn describe;

int launcher_check_enabled(void)
{
    const char *v = getenv("ALLOCSPEC_CHECK");
    return v && strcmp(v, "1") == 0;
}

void launcher_check_wrap(launcher_get_fn get, launcher_set_fn set)
{
    char path[PATH_MAX + 32];
    launcher_beside_exe("libas_check.so", path, sizeof path);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) launcher_usage_error("cannot load the checking layer: %s (deno task build:native)", dlerror());
    config_fn config;
    init_fn init;
    wrap_fn wrap;
    *(void **)&config = dlsym(h, "as_check_config_from_env");
    *(void **)&init = dlsym(h, "as_check_init");
    *(void **)&wrap = dlsym(h, "as_check_wrap");
    *(void **)&describe = dlsym(h, "as_check_describe_crash");
    if (!config || !init || !wrap || !describe)
        launcher_usage_error("%s does not export the as_check_* API: rebuild it (deno task build:native)", path);
    as_check_config cfg;
    char err[256];
    if (config(&cfg, err, sizeof err) != 0) launcher_usage_error("%s", err);
    if (init(&cfg) != 0) launcher_usage_error("the checking layer cannot map its tables");
    for (int d = 0; d < 3; d++) {
        PyMemAllocatorEx below, checked;
        get((PyMemAllocatorDomain)d, &below);
        if (wrap(d, &below, &checked) != 0) launcher_usage_error("the checking layer refused domain %d", d);
        set((PyMemAllocatorDomain)d, &checked);
    }
}

launcher_describe_fn launcher_check_describe(void) { return describe; }
