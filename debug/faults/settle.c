/*
 * settle.c: the process whose point failed (a sweep child, or FAIL mode) stops as soon as the consequence
 * of the failure is settled (issue 18, item 4), instead of running the rest of the program and the
 * interpreter's finalization (on this project's VMs a copy-on-write fault costs ~20 us: a child touching
 * the whole heap costs as much as a fresh python3).
 *
 * When is it settled? The failing call returns NULL into C code, which either absorbs it or raises an
 * exception; the exception propagates outwards through the Python frames that were on the stack at the
 * point (the "point frames"), until one of them handles it, or none does. The failing process sets a C
 * trace function (PyEval_SetTrace) and f_trace_opcodes on the point frames, and so sees exactly:
 *  - caught / absorbed: the first instruction a point frame executes again (the call returned into it, or
 *    its exception handler runs): the consequence is settled there, the process stops;
 *  - left the point frames: each point frame's return (normal, or unwound by the exception) is a RETURN
 *    event. Once all are gone, the C code below them decides: the first Python instruction anywhere
 *    after that (the program going on after C code absorbed the error, or Python code of the
 *    finalization) settles it; if no Python code runs again, the hooks queue a pending call
 *    (Py_AddPendingCall) while no frame is running, and Py_FinalizeEx's first step runs it: the process
 *    stops there, after PyErr_Print printed the uncaught exception, before atexit and the teardown.
 * Stopping = gc.collect(settle_gc) (the garbage the failure left: half-built objects in cycles; 0 = the
 * young generation by default, ALLOCSPEC_FAULTS_SETTLE_GC), the settle hooks (as_faults_at_settle: the check
 * layer's end checks), sys.stdout/stderr flushed, then `settled <how> <status>` in the site file and
 * _exit(status). In Py_FinalizeEx the status is the one the program would have exited with (a SystemExit's
 * code, 1 after an uncaught exception), elsewhere 0 (the program would go on).
 *
 * Always (thorough too): every exception seen in flight after the point (the trace function's EXCEPTION
 * events, and the hooks: an exception pending during an allocation) is appended to the site file as
 * `exc <type>: <message>` (the message only for SystemError/MemoryError/SystemExit), so a lost exception
 * (SystemError "returned NULL without setting an exception", "error return without exception set") is
 * found even when the program catches it and never prints it.
 *
 * Points without Python frames in Py_FinalizeEx (module teardown: 40% of the calls of a short script) are
 * judged on the C stack instead: the stack at the point is recorded as (return address, frame address)
 * pairs; at each later call of the hooks, the first frame (from the outermost) whose address is the same
 * but whose return address differs has moved on: the function that got NULL has returned and its caller
 * went on; the process stops there (its status: 1 if an uncaught exception was printed before, else 0).
 * Without this, each such child runs the rest of the teardown, touching (and copying) most of the heap.
 *
 * Not stopped early: THOROUGH, a process with another tracer already set (a debugger, coverage), and
 * other points without Python frames (the main script's compilation, PyErr_Print at the top level): those
 * run until Py_FinalizeEx's pending calls or to the end.
 * A C driver (no Python) stops itself with as_faults_settled(status).
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <unwind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AS_SETTLE_MAX_FRAMES 1100 /* deeper than the default recursion limit */
#define AS_SETTLE_MAX_EXC 8
#define AS_SETTLE_MAX_CFRAMES 128

typedef struct {
    uintptr_t ip, cfa;
} cframe;

typedef struct {
    cframe *f;
    int n, max;
} cstack;

static _Unwind_Reason_Code unwind_one(struct _Unwind_Context *ctx, void *arg) {
    cstack *s = arg;
    if (s->n >= s->max) return _URC_END_OF_STACK;
    s->f[s->n++] = (cframe){(uintptr_t)_Unwind_GetIP(ctx), (uintptr_t)_Unwind_GetCFA(ctx)};
    return _URC_NO_REASON;
}

static int c_stack(cframe *f, int max) {
    cstack s = {f, 0, max};
    _Unwind_Backtrace(unwind_one, &s);
    return s.n;
}

static struct {
    int armed;       /* after the point's call failed */
    int tracing;     /* the trace function is installed */
    int need_frames; /* the point was reached without the GIL: take the point frames at the next chance */
    int npoint, alive;
    void *frames[AS_SETTLE_MAX_FRAMES]; /* point frames still running (NULL once returned) */
    int stopping;
    int saw_exc;
    void *last_exc;
    void *raised; /* the value of the latest EXCEPTION event: the exception leaving the point frames */
    int nexc;
    int exit_status; /* a SystemExit's exit status seen in flight, else -1 */
    int pending;     /* a pending call is queued */
    int cmode;       /* judged on the C stack (a point in Py_FinalizeEx without Python frames) */
    int cstatus;     /* its exit status */
    int ncpoint;
    cframe cpoint[AS_SETTLE_MAX_CFRAMES];
    int hooks;
    void (*hook_fn[AS_FAULTS_MAX_SETTLE_HOOKS])(void *);
    void *hook_arg[AS_FAULTS_MAX_SETTLE_HOOKS];
} S = {.exit_status = -1};

int as_faults_at_settle(void (*fn)(void *arg), void *arg) {
    if (!fn || S.hooks >= AS_FAULTS_MAX_SETTLE_HOOKS) return -1;
    S.hook_fn[S.hooks] = fn;
    S.hook_arg[S.hooks++] = arg;
    return 0;
}

static void run_hooks(void) {
    for (int i = 0; i < S.hooks; i++) S.hook_fn[i](S.hook_arg[i]);
}

static void finish(const char *how, int status) {
    char line[96];
    snprintf(line, sizeof line, "settled %s %d\n", how, status);
    as_faults_site_line(line);
    fflush(NULL);
    _exit(status);
}

/* 1 when Py_FinalizeEx is on the C stack (the program's own code is over). */
static uintptr_t fin_lo, fin_hi;

/* Py_FinalizeEx's code range (dlsym + its symbol size), looked up once (the parent, at install). */
void as_faults_settle_init(void) {
    void *fin = dlsym(RTLD_DEFAULT, "Py_FinalizeEx");
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (fin && dladdr1(fin, &info, (void **)&sym, RTLD_DL_SYMENT) && sym) {
        fin_lo = (uintptr_t)fin;
        fin_hi = fin_lo + (sym->st_size ? sym->st_size : 1);
    }
}

static int in_finalize(void) {
    void *frames[64];
    int n = backtrace(frames, 64);
    for (int i = 1; i < n; i++)
        if ((uintptr_t)frames[i] > fin_lo && (uintptr_t)frames[i] <= fin_hi) return 1;
    return 0;
}

/* The Python stop: at an instruction boundary (trace function) or in Py_FinalizeEx (pending call). */
static void stop(const char *how) {
    S.stopping = 1;
    int status = 0;
    if (in_finalize()) {
        status = S.exit_status >= 0 ? S.exit_status : as_py_last_type_set() ? 1 : 0;
        how = S.saw_exc ? "top" : "end";
    }
    as_faults_prof("stop");
    as_py_gc_collect(as_fs.settle_gc);
    as_faults_prof("gc");
    as_faults_heap_check();
    as_faults_prof("check");
    run_hooks();
    as_py_flush_stdio();
    finish(how, status);
}

void as_faults_settled(int status) {
    if (!as_fs.failed || (as_fs.cfg.flags & AS_FAULTS_THOROUGH) || S.stopping) return;
    S.stopping = 1;
    run_hooks();
    finish("driver", status);
}

static void note_exception(int pending, void *tuple) {
    char desc[400], line[420];
    int status;
    if (pending) as_py_exc_describe_pending(desc, sizeof desc, &status);
    else as_py_exc_describe_tuple(tuple, desc, sizeof desc, &status);
    S.saw_exc = 1;
    if (status >= 0) S.exit_status = status;
    if (!desc[0] || S.nexc >= AS_SETTLE_MAX_EXC) return;
    S.nexc++;
    snprintf(line, sizeof line, "exc %s\n", desc);
    as_faults_site_line(line);
}

static int point_index(void *f) {
    for (int i = 0; i < S.npoint; i++)
        if (S.frames[i] == f) return i;
    return -1;
}

static int on_trace(void *obj, void *frame, int what, void *arg) {
    (void)obj;
    if (S.stopping) return 0;
    if (what == AS_PY_TRACE_EXCEPTION) {
        S.raised = as_py_exc_tuple_value(arg);
        if (S.raised != S.last_exc) {
            S.last_exc = S.raised;
            note_exception(0, arg);
        }
        return 0;
    }
    if (as_fs.cfg.flags & AS_FAULTS_THOROUGH) return 0;
    int i = point_index(frame);
    if (what == AS_PY_TRACE_RETURN) {
        if (i >= 0) {
            S.frames[i] = NULL; /* returned, or unwound by the exception */
            S.alive--;
        }
    } else if (what == AS_PY_TRACE_LINE || what == AS_PY_TRACE_OPCODE) {
        if (i >= 0) {
            stop(S.saw_exc ? "caught" : "absorbed"); /* a point frame runs again */
        } else if (S.alive == 0) {
            /* none left (or none at the point): Python code runs again after the C code below absorbed the
             * error, or while PyErr_Print prints it (sys.last_value is set, and is the exception that left
             * the point frames: let it print, a crash there is a finding), or in the finalization */
            void *printed = as_py_last_value();
            int printing = printed && (!S.raised || printed == S.raised);
            if (!printing || in_finalize()) stop(S.saw_exc ? "caught" : "absorbed");
        }
    }
    return 0;
}

static int on_pending(void *arg) {
    (void)arg;
    S.pending = 0;
    if (S.stopping || as_py_current_frame() || !in_finalize()) return 0; /* the hooks queue it again */
    stop("end");
    return 0;
}

static void watch_point_frames(void) {
    S.npoint = S.alive = as_py_frames(S.frames, AS_SETTLE_MAX_FRAMES);
    /* too deep to follow: not judged on Python events (alive never reaches 0); the end still stops it */
    if (S.npoint == AS_SETTLE_MAX_FRAMES) S.alive = -1;
    if (as_py_set_trace(on_trace) != 0) {
        S.npoint = S.alive = 0;
        return;
    }
    S.tracing = 1;
    for (int i = 0; i < S.npoint; i++) as_py_trace_opcodes(S.frames[i]);

}

void as_faults_settle_arm(void) {
    S.armed = 1;
    int py = as_py_can_walk();
    if (py) watch_point_frames();
    else S.need_frames = 1; /* a RAW call without the GIL: the stack cannot change until it is retaken */
    if (S.npoint == 0 && !(as_fs.cfg.flags & AS_FAULTS_THOROUGH) && in_finalize()) {
        S.cmode = 1;
        S.need_frames = 0;
        S.cstatus = S.exit_status >= 0 ? S.exit_status : as_py_has_gil() && as_py_last_type_set() ? 1 : 0;
        S.ncpoint = c_stack(S.cpoint, AS_SETTLE_MAX_CFRAMES);
        if (S.ncpoint == AS_SETTLE_MAX_CFRAMES) S.cmode = 0; /* too deep to compare from the outermost */
    }
}

/* C-stack judgement (cmode): 1 when a frame of the point's stack has moved on. */
static int c_moved_on(void) {
    cframe now[AS_SETTLE_MAX_CFRAMES];
    int n = c_stack(now, AS_SETTLE_MAX_CFRAMES);
    if (n == AS_SETTLE_MAX_CFRAMES) return 0;
    for (int i = 1; i <= n && i <= S.ncpoint; i++) {
        const cframe *a = &S.cpoint[S.ncpoint - i], *b = &now[n - i];
        if (a->cfa != b->cfa) return 0; /* not the same frame layout: cannot tell, go on */
        if (a->ip != b->ip) return 1;
    }
    return 0; /* the point's chain, or a prefix of it at the same call sites: still inside */
}

void as_faults_settle_observe(int domain) {
    (void)domain;
    if (!S.armed || S.stopping) return;
    if (S.cmode && c_moved_on()) {
        S.stopping = 1;
        as_faults_heap_check();
        run_hooks();
        finish("finalize", S.cstatus);
    }
    if (!as_py_can_walk()) return;
    if (S.need_frames) {
        S.need_frames = 0;
        watch_point_frames();
    }
    void *id;
    if (as_py_exc_pending(&id) && id != S.last_exc) {
        S.last_exc = id;
        note_exception(1, NULL);
    }
    if (as_fs.cfg.flags & AS_FAULTS_THOROUGH) return;
    /* no point frame left and no Python code running: the exception reached the top level (or the point
     * was outside Python code). Past Py_FinalizeEx's atexit step: stop here, in the hook (no collection:
     * the teardown is what we skip); before it: in Py_FinalizeEx's pending calls, unless Python code runs
     * first (on_trace) */
    if (S.alive <= 0 && !as_py_current_frame()) {
        if (as_py_is_finalizing()) {
            S.stopping = 1;
            int status = S.exit_status >= 0 ? S.exit_status : as_py_last_type_set() ? 1 : 0;
            as_faults_heap_check();
            run_hooks();
            finish(S.saw_exc ? "top" : "end", status);
        }
        if (!S.pending) {
            S.pending = 1;
            if (as_py_add_pending(on_pending, NULL) != 0) S.pending = 0;
        }
    }
}
