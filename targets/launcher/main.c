/*
 * main.c: allocspec-python, CPython on the allocator under test (design in launcher.h, CONTRACT.md).
 *
 * argv is python3's argv: everything is handed to CPython unchanged (PyConfig_SetBytesArgv with
 * parse_argv, so -c, -m, a script, -X, -E ... behave as in python3). argv[0] is kept, so sys.executable
 * is this launcher and subprocess / regrtest -j workers run on the same allocator (the configuration
 * travels in the ALLOCSPEC_* environment). Py_RunMain's result is the exit status; a fatal signal
 * (SIGSEGV, SIGABRT from Py_FatalError) kills this process as it would kill python3.
 */
#include "launcher.h"

#include <stdalign.h>
#include <stdlib.h>


static alignas(16) unsigned char preconfig[LAUNCHER_PRECONFIG_BYTES];
static alignas(16) unsigned char config[LAUNCHER_CONFIG_BYTES];

static void check(const launcher_cpython *py, launcher_status st)
{
    if (py->PyStatus_Exception(st)) py->Py_ExitStatusException(st); /* prints CPython's text, exits */
}

int main(int argc, char **argv)
{
    launcher_cpython py;
    launcher_start(&py, preconfig, argc, argv, launcher_pythonmalloc_applies(argc, argv));

    py.PyConfig_InitPythonConfig(config);
    launcher_status st = py.PyConfig_SetBytesArgv(config, argc, argv);
    if (!py.PyStatus_Exception(st)) st = py.Py_InitializeFromConfig(config);
    py.PyConfig_Clear(config);
    check(&py, st);

    launcher_install_layers(&py, getenv("ALLOCSPEC_LAYERS"));
    return py.Py_RunMain();
}
