/*
 * launcher.h: allocspec-python, the one launcher that runs a real CPython on the allocator under test.
 *
 * Design (targets/launcher/CONTRACT.md, PEP 445 "Use cases" 1 and 2):
 *
 *     env ALLOCSPEC_*  -->  main.c
 *        1. dlopen(ALLOCSPEC_LIBPYTHON, RTLD_NOW|RTLD_GLOBAL)          cpython_api.c
 *        2. Py_PreInitializeFromBytesArgs (PyPreConfig; PYTHONMALLOC applied here by CPython)
 *        3. the allocator, staged in liballocspec.so and copied into libpython's three domains
 *           with libpython's PyMem_SetAllocator ("replace": allowed only now, gh-96997)   allocator.c
 *       3b. ALLOCSPEC_CHECK=1: the checking layer directly over it, below any debug hooks   check.c
 *        4. optional debug hooks: liballocspec's (native) or libpython's PyMem_SetupDebugHooks
 *        5. Py_InitializeFromConfig (PyConfig, argv parsed like python3)
 *        6. layers: dlopen each ALLOCSPEC_LAYERS entry, call pep445_hook_install() if exported  layers.c
 *        7. Py_RunMain(): its exit status is ours; a signal kills us the same way, after one line
 *           naming the allocator and the signal                                       signals.c
 *
 * The launcher links no libpython: it only knows the stable C ABI pieces declared below (PyStatus and
 * PyMemAllocatorEx, unchanged since 3.8 / 3.5), and treats PyPreConfig and PyConfig as opaque
 * buffers initialised by libpython itself, so one binary runs any CPython 3.8+ (release or Py_DEBUG).
 * Errors before Python starts are one line on stderr, "allocspec-python: ...", exit 2 (usage).
 */
#ifndef ALLOCSPEC_LAUNCHER_H
#define ALLOCSPEC_LAUNCHER_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* readlink, PATH_MAX, RTLD_DEFAULT */
#endif

#include <stddef.h>
#include <sys/types.h>

#include "allocspec.h" /* PyMemAllocatorEx, PyMemAllocatorDomain: CPython's exact layouts */

/* Exit status for bad input (missing library, unknown allocator, ...), like a usage error. */
#define LAUNCHER_EXIT_USAGE 2

/* CPython's PyStatus (Include/cpython/initconfig.h, 3.8+): returned by value by the config API. */
typedef struct {
    enum { LAUNCHER_STATUS_OK = 0, LAUNCHER_STATUS_ERROR = 1, LAUNCHER_STATUS_EXIT = 2 } type;
    const char *func;
    const char *err_msg;
    int exitcode;
} launcher_status;
_Static_assert(sizeof(launcher_status) == 32, "PyStatus is {int, char*, char*, int} on LP64");

/* PyPreConfig and PyConfig are opaque here: libpython initialises and reads them. The buffers are far
   larger than any release's struct (3.11: PyPreConfig 40 bytes, PyConfig under 400 bytes). */
#define LAUNCHER_PRECONFIG_BYTES 1024
#define LAUNCHER_CONFIG_BYTES 16384

/* The libpython entry points the launcher calls (resolved by name in cpython_api.c). */
typedef struct {
    void *handle;
    const char *path;
    void (*PyPreConfig_InitPythonConfig)(void *preconfig);
    launcher_status (*Py_PreInitializeFromBytesArgs)(const void *preconfig, Py_ssize_t argc, char **argv);
    void (*PyConfig_InitPythonConfig)(void *config);
    launcher_status (*PyConfig_SetBytesArgv)(void *config, Py_ssize_t argc, char *const *argv);
    launcher_status (*Py_InitializeFromConfig)(const void *config);
    void (*PyConfig_Clear)(void *config);
    int (*PyStatus_Exception)(launcher_status status);
    void (*Py_ExitStatusException)(launcher_status status);
    int (*Py_RunMain)(void);
    void (*PyMem_GetAllocator)(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);
    void (*PyMem_SetAllocator)(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);
    void (*PyMem_SetupDebugHooks)(void);
} launcher_cpython;

/* One line "allocspec-python: <message>" on stderr, exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void launcher_usage_error(const char *fmt, ...);

/* Opens libpython (RTLD_NOW|RTLD_GLOBAL, so extension modules and layers resolve the C API by name). */
void launcher_open_cpython(launcher_cpython *py, const char *path);

/* Step 3 and 4: installs ALLOCSPEC_ALLOCATOR and ALLOCSPEC_DEBUG_HOOKS into libpython's domains.
   Returns 0 when installed, 1 when skipped because PYTHONMALLOC chose CPython's allocator. */
int launcher_install_allocator(const launcher_cpython *py, const char *allocator, const char *debug_hooks,
                               int pythonmalloc_applies);

/* Steps 1-4 (start.c): the signal line, libpython opened and pre-initialised with argv, the allocator,
   checking layer and debug hooks installed (PYTHONMALLOC wins when pythonmalloc_applies).
   preconfig: a LAUNCHER_PRECONFIG_BYTES buffer, 16-byte aligned. */
void launcher_start(launcher_cpython *py, void *preconfig, int argc, char **argv, int pythonmalloc_applies);

/* A symbol of liballocspec.so when launcher_install_allocator loaded it (every allocator but `cpython`
   without native hooks), else NULL. */
void *launcher_native_symbol(const char *name);

/* A malloc-family library's {malloc, calloc, realloc, free} as a PEP 445 allocator (libc_glue.c). */
void launcher_libc_allocator(void *const fn[4], PyMemAllocatorEx *out);

/* Step 6: loads the comma-separated layer libraries in order. With ALLOCSPEC_LAYERS_STRICT=1, a layer
   after which no domain's allocator changed is refused (one line, exit 2). */
void launcher_install_layers(const launcher_cpython *py, const char *layers);

/* "<dir of this executable>/<name>" into out (liballocspec.so, libas_check.so live beside it). */
void launcher_beside_exe(const char *name, char *out, size_t len);

/* PEP 445 Get/Set of liballocspec or libpython. */
typedef void (*launcher_get_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);
typedef void (*launcher_set_fn)(PyMemAllocatorDomain, PyMemAllocatorEx *);

/* Step 3b (check.c): ALLOCSPEC_CHECK=1 puts the checking layer directly over what get() returns. */
int launcher_check_enabled(void);
void launcher_check_wrap(launcher_get_fn get, launcher_set_fn set);
/* as_check_describe_crash of the loaded layer, or NULL. */
typedef size_t (*launcher_describe_fn)(char *buf, size_t len);
launcher_describe_fn launcher_check_describe(void);

/* signals.c: one line naming the allocator and the signal when the interpreter dies by a fatal signal;
   during launcher_phase(layer) (non-NULL) such a death is that layer's: one line, exit 2. */
void launcher_watch_signals(const char *allocator, const char *debug_hooks);
void launcher_phase(const char *layer);

/* Whether CPython's pre-initialisation read PYTHONMALLOC: set and non-empty, and neither -E nor -I
   among the interpreter options of argv (python3's option syntax). */
int launcher_pythonmalloc_applies(int argc, char **argv);

#endif
