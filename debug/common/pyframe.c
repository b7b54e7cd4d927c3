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

int as_py_walk(as_py_frame_cb cb, void *arg, int max) {
    int gc = P.GC_Disable();
    obj f = P.Eval_GetFrame(), owned = NULL;
    int n = 0;
    while (f && n < max) {
        obj c = P.Frame_GetCode(f);
        int stop = cb(arg, c, P.Frame_GetLineNumber(f));
        P.DecRef(c);
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

const char *as_py_code_filename(void *code) { return code_str(code, &P.s_filename, "co_filename"); }
const char *as_py_code_name(void *code) { return code_str(code, &P.s_name, "co_name"); }

int as_py_code_line(void *code, int lasti) { return as_py_resolve() ? P.Code_Addr2Line(code, lasti) : -1; }

void as_py_incref(void *o) {
    if (o && as_py_resolve()) P.IncRef(o);
}
void as_py_decref(void *o) {
    if (o && as_py_resolve()) P.DecRef(o);
}
