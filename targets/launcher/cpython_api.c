/*
 * cpython_api.c: opens the shared libpython named by ALLOCSPEC_LIBPYTHON and resolves the entry points
 * the launcher needs by name (PyConfig API of PEP 587, CPython 3.8+, and the PEP 445 API).
 *
 * RTLD_GLOBAL is required: pyenv's and Debian's extension modules are not linked against libpython and
 * resolve the C API from the global scope, and so do layers (CONTRACT.md "Layers"). A missing symbol
 * means "not a CPython with the PEP 445 / PEP 587 API": one line, exit 2.
 */
#include "launcher.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>


void launcher_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("allocspec-python: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(LAUNCHER_EXIT_USAGE);
}

static void *need(const launcher_cpython *py, const char *name)
{
    void *p = dlsym(py->handle, name);
    if (!p)
        launcher_usage_error("%s does not export %s: it is not a CPython 3.8+ with the PEP 445 and PEP 587 API "
                             "(pass another libpython with --python)",
                             py->path, name);
    return p;
}

#define RESOLVE(py, name) (*(void **)&(py)->name = need((py), #name))

void launcher_open_cpython(launcher_cpython *py, const char *path)
{
    if (!path || !*path)
        launcher_usage_error("ALLOCSPEC_LIBPYTHON is not set: run through `deno task python` or set it to the "
                             "absolute path of a shared libpython3.X.so");
    py->path = path;
    py->handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!py->handle) launcher_usage_error("cannot load libpython: %s", dlerror());
    RESOLVE(py, PyPreConfig_InitPythonConfig);
    RESOLVE(py, Py_PreInitializeFromBytesArgs);
    RESOLVE(py, PyConfig_InitPythonConfig);
    RESOLVE(py, PyConfig_SetBytesArgv);
    RESOLVE(py, Py_InitializeFromConfig);
    RESOLVE(py, PyConfig_Clear);
    RESOLVE(py, PyStatus_Exception);
    RESOLVE(py, Py_ExitStatusException);
    RESOLVE(py, Py_RunMain);
    RESOLVE(py, PyMem_GetAllocator);
    RESOLVE(py, PyMem_SetAllocator);
    RESOLVE(py, PyMem_SetupDebugHooks);
}
