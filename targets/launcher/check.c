/*
 * check.c: step 3b of the launcher: the checking layer (libas_check.so, debug/check/check.h) wrapped
 * DIRECTLY above the allocator under test when ALLOCSPEC_CHECK=1, before any debug hooks go over it and
 * before Py_InitializeFromConfig, so start-up traffic is checked too and the rules the debug hooks would
 * hide (zero sizes, exact realloc sizes) reach the layer as the allocator sees them.
 *
 * The layer is loaded RTLD_LOCAL from ALLOCSPEC_CHECK_LIB (absolute; debug/check/launch.ts builds it) and
 * driven by name through two functions of its C API: as_check_install_env(get, set, err, errlen), which
 * reads its own ALLOCSPEC_CHECK_* variables and wraps the three domains, and as_check_describe_crash,
 * which the crash line (signals.c) asks what the layer knows. Nothing of its structs is needed here.
 */
#include "launcher.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef int (*install_fn)(launcher_get_fn get, launcher_set_fn set, char *err, size_t errlen);

static launcher_describe_fn describe;

int launcher_check_enabled(void)
{
    const char *v = getenv("ALLOCSPEC_CHECK");
    return v && strcmp(v, "1") == 0;
}

void launcher_check_wrap(launcher_get_fn get, launcher_set_fn set)
{
    const char *path = getenv("ALLOCSPEC_CHECK_LIB");
    if (!path || !*path)
        launcher_usage_error("ALLOCSPEC_CHECK=1 needs ALLOCSPEC_CHECK_LIB, the path of libas_check.so (run "
                             "through `python --check`)");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) launcher_usage_error("cannot load the checking layer: %s (deno task build:native)", dlerror());
    install_fn install;
    *(void **)&install = dlsym(h, "as_check_install_env");
    *(void **)&describe = dlsym(h, "as_check_describe_crash");
    if (!install || !describe)
        launcher_usage_error("%s does not export as_check_install_env: rebuild it (deno task build:native)", path);
    char err[256];
    if (install(get, set, err, sizeof err) != 0) launcher_usage_error("%s", err);
}

launcher_describe_fn launcher_check_describe(void) { return describe; }
