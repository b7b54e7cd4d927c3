/*
 * pyframe.h: Python file:line from inside an allocator hook, through CPython's public frame API reached by
 * symbol name (dlsym(RTLD_DEFAULT)), so a hook library needs no Python headers and works on any 3.9+.
 * PEP 445 rationale: "get the Python filename and line number where an object was allocated".
 *
 * Rules (measured on CPython 3.11; CPython's Python/pystate.c and Python/ceval.c):
 *  - look frames up only when as_py_can_walk(): the runtime is initialised AND this thread has a thread
 *    state AND holds the GIL (`PyGILState_GetThisThreadState() && PyGILState_Check()`; PyGILState_Check()
 *    alone is 1 before initialisation, where PyEval_GetFrame crashes);
 *  - the caller holds a thread-local reentrancy guard: PyEval_GetFrame creates frame objects lazily, which
 *    allocates through the very hooks that call us;
 *  - the cyclic GC is disabled around the lookup (PyGC_Disable/PyGC_Enable), so an allocation made by the
 *    lookup cannot start a collection (finalizers running inside an allocator hook); a pending exception
 *    is saved and restored around it.
 */
#ifndef ALLOCSPEC_PYFRAME_H
#define ALLOCSPEC_PYFRAME_H

/* Resolves the API once; 1 when every needed function is present in the process. */
int as_py_resolve(void);

/* 1 when a frame lookup is allowed on this thread now (see the rules above). */
int as_py_can_walk(void);

/* Top Python frame of this thread: its code object (borrowed: valid while the frame lives; Py_IncRef it to
 * keep it) and instruction byte offset (PyFrame_GetLasti). 0 = found, -1 = no frame. */
int as_py_top(void **code, int *lasti);

/* Calls cb for each frame, innermost first, up to max frames; stops when cb returns non-zero.
 * Returns the number of frames visited. */
typedef int (*as_py_frame_cb)(void *arg, void *code, int line);
int as_py_walk(as_py_frame_cb cb, void *arg, int max);

/* co_filename / co_name as UTF-8 (borrowed from the code object), "?" when unavailable. */
const char *as_py_code_filename(void *code);
const char *as_py_code_name(void *code);
/* Line of byte offset lasti in code (PyCode_Addr2Line). */
int as_py_code_line(void *code, int lasti);

void as_py_incref(void *obj);
void as_py_decref(void *obj);

#endif
