/*
 * pyframe.h: Python file:line from inside an allocator hook, through CPython's public frame API reached by
 * symbol name (dlsym(RTLD_DEFAULT)), so a hook library needs no Python headers and works on any 3.9+.
 * PEP 445 rationale: "get the Python filename and line number where an object was allocated".
 *
 * Rules (shared/spec/clients-facts.md section 3):
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

/* 1 when this thread holds the GIL of an interpreter that exists, initialised or finalizing
 * (Py_IsInitialized() is 0 from the middle of Py_FinalizeEx on, while sys and the GIL still work). */
int as_py_has_gil(void);

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

/* ---- the fault engine's failing process (debug/faults/settle.c): what the injected failure led to ----
 * Same rules: only where as_py_can_walk(), inside the caller's reentrancy guard. Resolved on first use;
 * each returns 0/-1/"nothing" when an optional function is missing from the libpython. */

/* The current stack's frame objects, innermost first (borrowed: alive while their frames run; compared,
 * never dereferenced by the caller), at most max. Returns the number stored. */
int as_py_frames(void **frames, int max);

/* The innermost frame object (borrowed) or NULL when no Python code is running on this thread. */
void *as_py_current_frame(void);

/* A C trace function (PyEval_SetTrace) for this thread, unless one is already set (sys.gettrace() is not
 * None: a debugger or coverage runs): 0 installed, -1 not. fn(obj, frame, what, arg) gets PyTrace_* events.
 * as_py_trace_opcodes(frame) asks for an event per instruction of that frame (f_trace_opcodes). */
typedef int (*as_py_tracefunc)(void *obj, void *frame, int what, void *arg);
int as_py_set_trace(as_py_tracefunc fn);
void as_py_trace_opcodes(void *frame);
enum { AS_PY_TRACE_CALL = 0, AS_PY_TRACE_EXCEPTION = 1, AS_PY_TRACE_LINE = 2, AS_PY_TRACE_RETURN = 3,
       AS_PY_TRACE_OPCODE = 7 };

/* 1 when an exception is pending on this thread (PyErr_Occurred), and then its identity (the pending
 * value, or type when unnormalised: only compared, never dereferenced). */
int as_py_exc_pending(void **identity);

/* Describes an exception (type, value) into buf as "<type>: <message>" (message only for built-in
 * SystemError, MemoryError and SystemExit, whose str() runs no Python code); sets *exit_status for a
 * SystemExit (its code as sys.exit would exit with), else -1. Any pending exception is kept.
 * as_py_exc_describe_pending: the same for the pending exception. as_py_exc_describe_tuple: for the
 * (type, value, traceback) tuple of a PyTrace_EXCEPTION event. */
void as_py_exc_describe(void *type, void *value, char *buf, unsigned long len, int *exit_status);
void as_py_exc_describe_pending(char *buf, unsigned long len, int *exit_status);
void as_py_exc_describe_tuple(void *tuple, char *buf, unsigned long len, int *exit_status);

/* Py_AddPendingCall: fn runs in the main thread at the next eval-breaker check, or in Py_FinalizeEx. */
int as_py_add_pending(int (*fn)(void *), void *arg);

/* gc.collect(generation) through the gc.collect looked up by as_py_gc_prepare() (called once where
 * importing is safe: at install); sys.stdout.flush() and sys.stderr.flush() (errors cleared). */
void as_py_gc_prepare(void);
void as_py_gc_collect(int generation);
void as_py_flush_stdio(void);

/* 1 once Py_FinalizeEx has passed its atexit callbacks (Py_IsFinalizing / _Py_IsFinalizing); 0 when
 * the function is missing. Needs no GIL. */
int as_py_is_finalizing(void);

/* 1 when sys.last_type is set (PyErr_Print printed an uncaught exception). */
int as_py_last_type_set(void);

/* sys.last_value (borrowed, compared only), or NULL: PyErr_Print sets it before printing. */
void *as_py_last_value(void);

/* The value of a PyTrace_EXCEPTION event's (type, value, traceback) tuple (borrowed, compared only). */
void *as_py_exc_tuple_value(void *tuple);

#endif
