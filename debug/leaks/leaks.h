/*
 * leaks.h: the allocspec leak tracker's public C API (PEP 445 rationale: "track memory leaks", "get the
 * Python filename and line number where an object was allocated"; "Use cases" 3, allocator hooks).
 *
 * A tracing layer over RAW, MEM and OBJ: every live block is recorded with its size, domain and site. MEM/OBJ
 * calls made where Python frames may be looked up (pyframe.h rules) get the site (code object, instruction
 * offset) of the innermost Python frame, turned into file:line only when a snapshot is written; other calls
 * (RAW, or no thread state) get a C backtrace. A thread-local guard keeps the tracer's own allocations
 * (frame objects made by PyEval_GetFrame) and PyObject_Malloc's fallback to PyMem_RawMalloc from being
 * traced twice.
 *
 * Snapshots (blocks live now, grouped by site, in a text file): at exit (a Python atexit callback
 * registered at install, so it runs before the interpreter is torn down, after the program's own atexit
 * callbacks), and whenever the program calls `sys.audit("allocspec.leaks.snapshot", label)`.
 */
#ifndef ALLOCSPEC_LEAKS_H
#define ALLOCSPEC_LEAKS_H

#include <stddef.h>

#include "pep445.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PEP 445's PyMemAllocatorEx (native/include/pep445.h). */
typedef PyMemAllocatorEx as_leaks_allocator;

typedef void (*as_leaks_get_fn)(int domain, as_leaks_allocator *allocator);
typedef void (*as_leaks_set_fn)(int domain, as_leaks_allocator *allocator);

/* Wraps RAW, MEM and OBJ and appends snapshots to out_path. With the GIL held, after initialisation, to
 * register the exit snapshot and the audit hook (both skipped when Python is not initialised).
 * Returns 0 or -1 (errno). */
int as_leaks_install(as_leaks_get_fn get, as_leaks_set_fn set, const char *out_path);

/* Appends a snapshot of the live blocks labelled `label` (with the GIL held when Python sites exist). */
void as_leaks_snapshot(const char *label);

/* The launcher layer entry: ALLOCSPEC_LEAKS_OUT names the output file (unset: nothing installed). */
int pep445_hook_install(void);

#ifdef __cplusplus
}
#endif
#endif
