/*
 * pyframe.c: see pyframe.h. Every CPython function is looked up once with dlsym(RTLD_DEFAULT) (the launcher
 * dlopens libpython RTLD_GLOBAL; a python3 linked against libpython exports them too). The frame objects
 * PyEval_GetFrame materialises are borrowed; PyFrame_GetBack and PyFrame_GetCode return new references,
 * released here.
 */
#define _GNU_SOURCE
#include "pyframe.h"

#include <dlfcn.h>
#include <stddef.h>

typedef void *obj;
static struct {
    int state; /* 0 unresolved, 1 ok, -1 missing */
    int (*IsInitialized)(void);
    void *(*GILState_GetThisThreadState)(void);
    int (*GILState_Check)(void);
    obj (*Eval_GetFrame)(void);
    obj (*Frame_GetBack)(obj);
    obj (*Frame_GetCode)(obj);
    int (*Frame_GetLineNumber)(obj);
    int (*Frame_GetLasti)(obj);
    int (*Code_Addr2Line)(obj, int);
    obj (*Object_GetAttr)(obj, obj);
    obj (*Unicode_InternFromString)(const char *);
    const char *(*Unicode_AsUTF8)(obj);
    int (*GC_Disable)(void);
    int (*GC_Enable)(void);
    void (*Err_Fetch)(obj *, obj *, obj *);
    void (*Err_Restore)(obj, obj, obj);
    void (*IncRef)(obj);
    void (*DecRef)(obj);
    obj s_filename, s_name; /* interned attribute names, made on first use */
} P;

/* Optional functions of the failing process's observer (settle.c): resolved on first use. */
static struct {
    int state;
    obj (*Err_Occurred)(void);
    int (*AddPendingCall)(int (*)(void *), void *);
    obj (*Object_Str)(obj);
    obj (*Object_CallMethod)(obj, const char *, const char *, ...);
    obj (*Object_GetAttrString)(obj, const char *);
    int (*Err_GivenExceptionMatches)(obj, obj);
    void (*Err_Clear)(void);
    long (*Long_AsLong)(obj);
    int (*Long_Check)(obj);
    obj (*Sys_GetObject)(const char *);
    obj (*Import_ImportModule)(const char *);
    const char *(*Type_Name)(obj);
    void (*SetTrace)(as_py_tracefunc, obj);
    obj (*Tuple_GetItem)(obj, long);
    obj (*Object_CallFunction)(obj, const char *, ...);
    int (*Object_SetAttrString)(obj, const char *, obj);
    obj *Exc_SystemExit, *Exc_SystemError, *Exc_MemoryError, None, True_;
} Q;

static int resolve_q(void) {
    if (Q.state) return Q.state > 0;
    if (!as_py_resolve()) return (Q.state = -1) > 0;
#define LOOKQ(field, name)                                                                                  \
    do {                                                                                                    \
        *(void **)&Q.field = dlsym(RTLD_DEFAULT, name);                                                     \
        if (!Q.field) return (Q.state = -1) > 0;                                                            \
    } while (0)
    LOOKQ(Err_Occurred, "PyErr_Occurred");
    LOOKQ(AddPendingCall, "Py_AddPendingCall");
    LOOKQ(Object_Str, "PyObject_Str");
    LOOKQ(Object_CallMethod, "PyObject_CallMethod");
    LOOKQ(Object_GetAttrString, "PyObject_GetAttrString");
    LOOKQ(Err_GivenExceptionMatches, "PyErr_GivenExceptionMatches");
    LOOKQ(Err_Clear, "PyErr_Clear");
    LOOKQ(Long_AsLong, "PyLong_AsLong");
    LOOKQ(Long_Check, "PyIndex_Check");
    LOOKQ(Sys_GetObject, "PySys_GetObject");
    LOOKQ(Import_ImportModule, "PyImport_ImportModule");
    LOOKQ(Type_Name, "_PyType_Name");
    LOOKQ(Exc_SystemExit, "PyExc_SystemExit");
    LOOKQ(Exc_SystemError, "PyExc_SystemError");
    LOOKQ(Exc_MemoryError, "PyExc_MemoryError");
    LOOKQ(None, "_Py_NoneStruct");
    LOOKQ(True_, "_Py_TrueStruct");
    LOOKQ(SetTrace, "PyEval_SetTrace");
    LOOKQ(Tuple_GetItem, "PyTuple_GetItem");
    LOOKQ(Object_CallFunction, "PyObject_CallFunction");
    LOOKQ(Object_SetAttrString, "PyObject_SetAttrString");
#undef LOOKQ
    Q.state = 1;
    return 1;
}

#define LOOK(field, name)                                                                                   \
    do {                                                                                                    \
        *(void **)&P.field = dlsym(RTLD_DEFAULT, name);                                                     \
        if (!P.field) return (P.state = -1) > 0;                                                            \
    } while (0)

int as_py_resolve(void) {
    if (P.state) return P.state > 0;
    LOOK(IsInitialized, "Py_IsInitialized");
    LOOK(GILState_GetThisThreadState, "PyGILState_GetThisThreadState");
    LOOK(GILState_Check, "PyGILState_Check");
    LOOK(Eval_GetFrame, "PyEval_GetFrame");
    LOOK(Frame_GetBack, "PyFrame_GetBack");
    LOOK(Frame_GetCode, "PyFrame_GetCode");
    LOOK(Frame_GetLineNumber, "PyFrame_GetLineNumber");
    LOOK(Frame_GetLasti, "PyFrame_GetLasti");
    LOOK(Code_Addr2Line, "PyCode_Addr2Line");
    LOOK(Object_GetAttr, "PyObject_GetAttr");
    LOOK(Unicode_InternFromString, "PyUnicode_InternFromString");
    LOOK(Unicode_AsUTF8, "PyUnicode_AsUTF8");
    LOOK(GC_Disable, "PyGC_Disable");
    LOOK(GC_Enable, "PyGC_Enable");
    LOOK(Err_Fetch, "PyErr_Fetch");
    LOOK(Err_Restore, "PyErr_Restore");
    LOOK(IncRef, "Py_IncRef");
    LOOK(DecRef, "Py_DecRef");
    P.state = 1;
    return 1;
}

int as_py_can_walk(void) {
    return as_py_resolve() && P.IsInitialized() && P.GILState_GetThisThreadState() && P.GILState_Check();
}

int as_py_has_gil(void) {
    return as_py_resolve() && P.GILState_GetThisThreadState() && P.GILState_Check();
}

int as_py_top(void **code, int *lasti) {
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame();
    int rc = -1;
    if (f) {
        obj c = P.Frame_GetCode(f);
        *lasti = P.Frame_GetLasti(f);
        *code = c;
        P.DecRef(c); /* the frame keeps its code alive */
        rc = 0;
    }
    if (gc) P.GC_Enable();
    return rc;
}

/* ---- reading without writing ----
 * A forked child pays a page copy for every page it writes, and a reference count is a write: the walk
 * below reads a frame's code object and a code object's co_filename/co_name through their offsets,
 * learned once by comparing with what the API returns for one real frame (PyFrame_GetCode,
 * PyObject_GetAttr), and falls back to the API when that comparison fails (another CPython layout). */
static struct {
    int state; /* 0 unknown, 1 offsets valid, -1 use the API */
    long f_frame, f_code, co_filename, co_name;
} L;

static long find_ptr(const void *base, size_t span, const void *want) {
    for (size_t off = 8; off + sizeof(void *) <= span; off += sizeof(void *))
        if (*(void *const *)((const char *)base + off) == want) return (long)off;
    return -1;
}

static void learn_layout(obj f) {
    L.state = -1;
    obj c = P.Frame_GetCode(f);
    if (!c) return;
    /* PyFrameObject: {PyObject_HEAD; f_back; f_frame; ...}: f_frame points to the interpreter frame, which
     * holds the code object (3.11: 5th pointer; 3.12: 1st) */
    for (long fo = 16; fo <= 32 && L.state < 0; fo += 8) {
        void *iframe = *(void **)((char *)f + fo);
        if (!iframe) continue;
        for (long co = 0; co < 64; co += 8) {
            if (*(void **)((char *)iframe + co) != c) continue;
            L.f_frame = fo;
            L.f_code = co;
            L.state = 1;
            break;
        }
    }
    if (L.state == 1) {
        obj fn = P.Object_GetAttr(c, P.s_filename), nm = P.Object_GetAttr(c, P.s_name);
        L.co_filename = fn ? find_ptr(c, 256, fn) : -1;
        L.co_name = nm ? find_ptr(c, 256, nm) : -1;
        if (fn) P.DecRef(fn);
        if (nm) P.DecRef(nm);
        if (L.co_filename < 0 || L.co_name < 0) L.state = -1;
    }
    P.DecRef(c);
}

static obj code_of(obj f) {
    if (L.state == 1) {
        void *iframe = *(void **)((char *)f + L.f_frame);
        if (iframe) return *(obj *)((char *)iframe + L.f_code);
    }
    return NULL;
}

/* ---- the light walk: interpreter frames (3.11) through learned offsets ---- */
static struct {
    int state; /* 0 unknown, 1 ok, -1 unavailable */
    long i_prev, i_instr, c_code;
} W;

static int version_311 = -1;
static int is_311(void) {
    if (version_311 < 0) {
        const unsigned long *v = dlsym(RTLD_DEFAULT, "Py_Version");
        version_311 = v && (*v >> 16) == 0x030b;
    }
    return version_311;
}

/* prev_instr of an interpreter frame: the pointer of the frame's first 12 slots inside its code object's
 * instructions, at the code's co_code_adaptive offset (c_code) plus PyFrame_GetLasti's bytes. */
static void learn_walk(obj f1) {
    if (!is_311() || L.state != 1) {
        W.state = -1;
        return;
    }
    obj f2 = P.Frame_GetBack(f1);
    if (!f2) return; /* one frame: nothing to learn from yet (the walk below needs no offset then) */
    W.state = -1;
    char *i1 = *(char **)((char *)f1 + L.f_frame), *i2 = *(char **)((char *)f2 + L.f_frame);
    char *c1 = *(char **)(i1 + L.f_code), *c2 = *(char **)(i2 + L.f_code);
    long l1 = P.Frame_GetLasti(f1), l2 = P.Frame_GetLasti(f2);
    long prev = -1, instr = -1, ccode = -1;
    for (long o = 0; o < 12 * 8; o += 8) {
        char *p = *(char **)(i1 + o);
        if (p == i2) prev = o;
        if (p > c1 && p < c1 + (1 << 20) && o != L.f_code && instr < 0 && l1 >= 0) {
            long cc = (long)(p - c1) - l1;
            char *q = *(char **)(i2 + o);
            if (cc > 0 && cc < 512 && l2 >= 0 && q == c2 + cc + l2) {
                instr = o;
                ccode = cc;
            }
        }
    }
    P.DecRef(f2);
    if (prev < 0 || instr < 0) return;
    W.i_prev = prev;
    W.i_instr = instr;
    W.c_code = ccode;
    W.state = 1;
}

/* Learns the frame layout once, from a live frame (the interned attribute names it needs first); the
 * caller's exception, if any, is kept. */
static void ensure_layout(obj f) {
    obj t, v, tb;
    P.Err_Fetch(&t, &v, &tb);
    if (!P.s_filename) P.s_filename = P.Unicode_InternFromString("co_filename");
    if (!P.s_name) P.s_name = P.Unicode_InternFromString("co_name");
    if (P.s_filename && P.s_name) learn_layout(f);
    else L.state = -1;
    P.Err_Restore(t, v, tb);
}

int as_py_stack_light(void **ids, void **codes, int *lines, int max) {
    if (!as_py_resolve() || W.state < 0 || L.state < 0) return -1;
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame();
    int n = -1;
    if (f && !L.state) ensure_layout(f);
    if (f && !W.state) learn_walk(f);
    if (f && L.state == 1 && W.state == 0 && max > 0) {
        /* a one-frame stack: its one frame object exists already */
        ids[0] = *(void **)((char *)f + L.f_frame);
        codes[0] = code_of(f);
        lines[0] = P.Frame_GetLineNumber(f);
        n = 1;
    } else if (f && W.state == 1) {
        n = 0;
        for (char *i = *(char **)((char *)f + L.f_frame); i && n < max; i = *(char **)(i + W.i_prev)) {
            char *code = *(char **)(i + L.f_code);
            long lasti = *(char **)(i + W.i_instr) - (code + W.c_code);
            ids[n] = i;
            codes[n] = code;
            lines[n] = P.Code_Addr2Line(code, lasti < 0 ? 0 : (int)lasti);
            n++;
        }
    }
    if (gc) P.GC_Enable();
    return n;
}

void *as_py_frame_id(void *frame) {
    if ((W.state == 1 || (W.state == 0 && L.state == 1)) && frame) return *(void **)((char *)frame + L.f_frame);
    return frame;
}

int as_py_walk(as_py_frame_cb cb, void *arg, int max) {
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame(), owned = NULL;
    int n = 0;
    if (f && !L.state) ensure_layout(f);
    while (f && n < max) {
        obj fast = code_of(f);
        obj c = fast ? fast : P.Frame_GetCode(f);
        int stop = cb(arg, c, P.Frame_GetLineNumber(f));
        if (!fast) P.DecRef(c);
        n++;
        if (stop) break;
        obj back = P.Frame_GetBack(f);
        if (owned) P.DecRef(owned);
        f = owned = back;
    }
    if (owned) P.DecRef(owned);
    if (gc) P.GC_Enable();
    return n;
}

static const char *code_str(void *code, obj *name, const char *cname) {
    if (!code || !as_py_resolve()) return "?";
    obj t, v, tb;
    P.Err_Fetch(&t, &v, &tb);
    if (!*name) *name = P.Unicode_InternFromString(cname);
    const char *s = NULL;
    if (*name) {
        obj val = P.Object_GetAttr(code, *name);
        if (val) {
            s = P.Unicode_AsUTF8(val); /* cached in the str object, which the code object keeps alive */
            P.DecRef(val);
        }
    }
    P.Err_Restore(t, v, tb); /* also drops any error raised above */
    return s ? s : "?";
}

/* A str object's UTF-8 (cached, or the data itself of an ASCII string: no write) when offsets are known. */
static const char *fast_str(void *code, long off) {
    if (L.state != 1 || !code) return NULL;
    obj s = *(obj *)((char *)code + off);
    return s ? P.Unicode_AsUTF8(s) : NULL;
}

const char *as_py_code_filename(void *code) {
    const char *s = fast_str(code, L.co_filename);
    return s ? s : code_str(code, &P.s_filename, "co_filename");
}
const char *as_py_code_name(void *code) {
    const char *s = fast_str(code, L.co_name);
    return s ? s : code_str(code, &P.s_name, "co_name");
}

int as_py_code_line(void *code, int lasti) { return as_py_resolve() ? P.Code_Addr2Line(code, lasti) : -1; }

void as_py_incref(void *o) {
    if (o && as_py_resolve()) P.IncRef(o);
}
void as_py_decref(void *o) {
    if (o && as_py_resolve()) P.DecRef(o);
}

int as_py_frames(void **frames, int max) {
    if (!as_py_resolve()) return 0;
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame(), owned = NULL;
    int n = 0;
    while (f && n < max) {
        frames[n++] = f;
        obj back = P.Frame_GetBack(f);
        if (owned) P.DecRef(owned);
        f = owned = back; /* the stack keeps each frame alive: the reference is dropped on the next step */
    }
    if (owned) P.DecRef(owned);
    if (gc) P.GC_Enable();
    return n;
}

void *as_py_current_frame(void) {
    if (!as_py_resolve()) return NULL;
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame();
    if (gc) P.GC_Enable();
    return f;
}

int as_py_set_trace(as_py_tracefunc fn) {
    if (!resolve_q()) return -1;
    obj gettrace = Q.Sys_GetObject("gettrace"); /* borrowed; no import (cheap in a forked child) */
    obj cur = gettrace ? Q.Object_CallFunction(gettrace, NULL) : NULL;
    if (!cur) {
        Q.Err_Clear();
        return -1;
    }
    int busy = cur != Q.None;
    P.DecRef(cur);
    if (busy) return -1;
    return Q.SetTrace(fn, NULL), 0;
}

void as_py_trace_opcodes(void *frame) {
    if (!resolve_q() || !frame) return;
    Q.Object_SetAttrString(frame, "f_trace_opcodes", Q.True_);
    Q.Err_Clear();
}

int as_py_exc_pending(void **identity) {
    if (!resolve_q()) return 0;
    obj t = Q.Err_Occurred();
    if (!t) return 0;
    obj ty, v, tb;
    P.Err_Fetch(&ty, &v, &tb);
    *identity = v ? v : ty;
    P.Err_Restore(ty, v, tb);
    return 1;
}

static void copy_str(char *buf, unsigned long len, unsigned long *at, const char *s) {
    while (s && *s && *at + 1 < len) {
        char ch = *s++;
        buf[(*at)++] = ch == '\n' ? ' ' : ch;
    }
    buf[*at] = 0;
}

void as_py_exc_describe(void *t, void *v, char *buf, unsigned long len, int *exit_status) {
    *exit_status = -1;
    unsigned long at = 0;
    buf[0] = 0;
    if (!resolve_q() || !t) return;
    obj pt, pv, ptb;
    P.Err_Fetch(&pt, &pv, &ptb);
    int gc = P.GC_Disable();
    copy_str(buf, len, &at, Q.Type_Name(t));
    int is_exit = Q.Err_GivenExceptionMatches(t, *Q.Exc_SystemExit);
    /* the message only where it is evidence (a lost exception's SystemError) or an exit status */
    int builtin = is_exit || Q.Err_GivenExceptionMatches(t, *Q.Exc_SystemError);
    if (builtin && v && v != Q.None) {
        obj s = Q.Object_Str(v);
        if (s) {
            const char *u = P.Unicode_AsUTF8(s);
            if (u && *u) {
                copy_str(buf, len, &at, ": ");
                copy_str(buf, len, &at, u);
            }
            P.DecRef(s);
        }
        Q.Err_Clear();
    }
    if (is_exit) {
        /* as handle_system_exit: None -> 0, an int -> itself, anything else -> 1 (printed) */
        obj code = v, owned = NULL;
        if (v && !Q.Long_Check(v) && v != Q.None) {
            owned = Q.Object_GetAttrString(v, "code");
            if (owned) code = owned;
            Q.Err_Clear();
        }
        if (!code || code == Q.None) *exit_status = 0;
        else if (Q.Long_Check(code)) {
            long c = Q.Long_AsLong(code);
            Q.Err_Clear();
            *exit_status = (int)(c & 0xff);
        } else *exit_status = 1;
        if (owned) P.DecRef(owned);
    }
    if (gc) P.GC_Enable();
    P.Err_Restore(pt, pv, ptb);
}

void as_py_exc_describe_pending(char *buf, unsigned long len, int *exit_status) {
    *exit_status = -1;
    buf[0] = 0;
    if (!resolve_q()) return;
    obj t, v, tb;
    P.Err_Fetch(&t, &v, &tb);
    P.Err_Restore(t, v, tb); /* a borrowed look: the objects stay owned by the pending state */
    as_py_exc_describe(t, v, buf, len, exit_status);
}

void as_py_exc_describe_tuple(void *tuple, char *buf, unsigned long len, int *exit_status) {
    *exit_status = -1;
    buf[0] = 0;
    if (!resolve_q() || !tuple) return;
    obj t = Q.Tuple_GetItem(tuple, 0), v = Q.Tuple_GetItem(tuple, 1);
    Q.Err_Clear();
    if (t) as_py_exc_describe(t, v, buf, len, exit_status);
}

int as_py_add_pending(int (*fn)(void *), void *arg) { return resolve_q() ? Q.AddPendingCall(fn, arg) : -1; }

static obj gc_collect_fn;
int as_py_is_finalizing(void);

void as_py_prepare(void) {
    (void)is_311();
    (void)as_py_is_finalizing();
    if (gc_collect_fn || !resolve_q()) return;
    obj gc = Q.Import_ImportModule("gc");
    if (gc) {
        gc_collect_fn = Q.Object_GetAttrString(gc, "collect");
        P.DecRef(gc);
    }
    Q.Err_Clear();
}

void as_py_gc_collect(int generation) {
    if (!resolve_q() || generation < 0 || !gc_collect_fn) return;
    obj r = Q.Object_CallFunction(gc_collect_fn, "i", generation);
    if (r) P.DecRef(r);
    Q.Err_Clear();
}

void as_py_flush_stdio(void) {
    if (!resolve_q()) return;
    static const char *const names[] = {"stdout", "stderr"};
    for (int i = 0; i < 2; i++) {
        obj f = Q.Sys_GetObject(names[i]); /* borrowed */
        if (f && f != Q.None) {
            obj r = Q.Object_CallMethod(f, "flush", NULL);
            if (r) P.DecRef(r);
        }
        Q.Err_Clear();
    }
}

int as_py_last_type_set(void) {
    if (!resolve_q()) return 0;
    obj t = Q.Sys_GetObject("last_type");
    return t && t != Q.None;
}

void *as_py_last_value(void) {
    if (!resolve_q()) return NULL;
    obj v = Q.Sys_GetObject("last_value");
    return v == Q.None ? NULL : v;
}

void *as_py_exc_tuple_value(void *tuple) {
    if (!resolve_q() || !tuple) return NULL;
    obj v = Q.Tuple_GetItem(tuple, 1);
    if (!v) Q.Err_Clear();
    return v;
}

int as_py_is_finalizing(void) {
    static int (*fn)(void);
    static int looked;
    if (!looked) {
        looked = 1;
        *(void **)&fn = dlsym(RTLD_DEFAULT, "Py_IsFinalizing");
        if (!fn) *(void **)&fn = dlsym(RTLD_DEFAULT, "_Py_IsFinalizing");
    }
    return fn ? fn() : 0;
}
