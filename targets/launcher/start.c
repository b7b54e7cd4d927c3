/*
 * start.c: steps 1-4 of the launcher (launcher.h), up to an interpreter that is pre-initialised on the
 * allocator under test: the one line on a signal death (signals.c), libpython opened (cpython_api.c),
 * Py_PreInitializeFromBytesArgs, then the allocator, the checking layer and the debug hooks installed
 * (allocator.c). Shared by allocspec-python (main.c, which goes on to Py_InitializeFromConfig) and by the
 * external-library driver (clients/libs/driver.c, which only needs the RAW domain).
 */
#include "launcher.h"

#include <stdlib.h>

void launcher_start(launcher_cpython *py, void *preconfig, int argc, char **argv, int pythonmalloc_applies)
{
    const char *target = getenv("ALLOCSPEC_CHECK_TARGET");
    launcher_watch_signals(target && *target ? target : getenv("ALLOCSPEC_ALLOCATOR"),
                           getenv("ALLOCSPEC_DEBUG_HOOKS"));
    launcher_open_cpython(py, getenv("ALLOCSPEC_LIBPYTHON"));
    py->PyPreConfig_InitPythonConfig(preconfig);
    launcher_status st = py->Py_PreInitializeFromBytesArgs(preconfig, argc, argv);
    if (py->PyStatus_Exception(st)) py->Py_ExitStatusException(st); /* prints CPython's text, exits */
    launcher_install_allocator(py, getenv("ALLOCSPEC_ALLOCATOR"), getenv("ALLOCSPEC_DEBUG_HOOKS"),
                               pythonmalloc_applies);
}
