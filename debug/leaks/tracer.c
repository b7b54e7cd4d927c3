/*
 * tracer.c: the leak tracker's hooks, installation and snapshots (see leaks.h).
 *
 *   entry point -> hook: guard set? -> allocator below, untraced
 *                        else guard := 1; allocator below; record (site, size, domain) under the lock; guard := 0
 *
 * The guard spans the call below too (as tracemalloc's reentrant flag does), so PyObject_Malloc's fallback to
 * PyMem_RawMalloc for large blocks is traced once, as OBJ, with the caller's size; and the allocations the
 * site lookup itself makes (frame objects) are never traced. Frees remove the block before the allocator
 * below sees it, so a concurrent reuse of the address is not lost. One mutex guards the tables (RAW is
 * called without the GIL from many threads).
 * Known limit: a realloc racing with another thread that gets the just-released address can drop that
 * thread's record (tracemalloc has the same window for RAW).
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static as_leaks_allocator below[3];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int in_tracer;
static char out_path[4096];
static uint64_t calls[3];
static int installed;
static pid_t owner; /* snapshots only from the installing process, not from forks of it */

static uint32_t site_here(int domain) {
    if (domain != 0 && as_py_can_walk()) {
        void *code;
        int lasti;
        if (as_py_top(&code, &lasti) == 0) return as_site_py(code, lasti);
    }
    void *frames[AS_LEAKS_C_FRAMES + 3];
    int n = backtrace(frames, AS_LEAKS_C_FRAMES + 3);
    return as_site_c(frames + 3, n > 3 ? n - 3 : 0); /* drop site_here, record, the hook */
}

static void record(int domain, void *p, size_t size, void *old) {
    uint32_t site = site_here(domain); /* outside the lock: may call into Python */
    pthread_mutex_lock(&lock);
    if (old) as_table_take((uintptr_t)old, NULL);
    as_table_put((uintptr_t)p, size, site, (uint32_t)domain);
    calls[domain]++;
    pthread_mutex_unlock(&lock);
}

static void *t_malloc(void *ctx, size_t size) {
    int d = (int)(intptr_t)ctx;
    if (in_tracer) return below[d].malloc(below[d].ctx, size);
    in_tracer = 1;
    void *p = below[d].malloc(below[d].ctx, size);
    if (p) record(d, p, size, NULL);
    in_tracer = 0;
    return p;
}

static void *t_calloc(void *ctx, size_t nelem, size_t elsize) {
    int d = (int)(intptr_t)ctx;
    if (in_tracer) return below[d].calloc(below[d].ctx, nelem, elsize);
    in_tracer = 1;
    void *p = below[d].calloc(below[d].ctx, nelem, elsize);
    if (p) record(d, p, nelem * elsize, NULL);
    in_tracer = 0;
    return p;
}

static void *t_realloc(void *ctx, void *ptr, size_t size) {
    int d = (int)(intptr_t)ctx;
    if (in_tracer) return below[d].realloc(below[d].ctx, ptr, size);
    in_tracer = 1;
    void *p = below[d].realloc(below[d].ctx, ptr, size);
    if (p) record(d, p, size, ptr);
    in_tracer = 0;
    return p;
}

static void t_free(void *ctx, void *ptr) {
    int d = (int)(intptr_t)ctx;
    if (ptr && !in_tracer) {
        pthread_mutex_lock(&lock);
        as_table_take((uintptr_t)ptr, NULL);
        pthread_mutex_unlock(&lock);
    }
    int was = in_tracer;
    in_tracer = 1;
    below[d].free(below[d].ctx, ptr);
    in_tracer = was;
}

/* ---- snapshots ---- */

static void accumulate(const as_block *b, void *arg) {
    uint64_t *tot = arg;
    as_site *s = as_site_get(b->site);
    if (!s || b->domain > 2) return;
    s->bytes[b->domain] += b->size;
    s->blocks[b->domain]++;
    tot[2 * b->domain] += b->size;
    tot[2 * b->domain + 1]++;
}

void as_leaks_snapshot(const char *label) {
    static const char *const names[] = {"raw", "mem", "obj"};
    if (getpid() != owner) return;
    int was = in_tracer;
    in_tracer = 1;
    FILE *f = fopen(out_path, "a");
    if (!f) {
        in_tracer = was;
        return;
    }
    pthread_mutex_lock(&lock);
    uint32_t n = as_site_count();
    for (uint32_t i = 0; i < n; i++) {
        as_site *s = as_site_get(i);
        memset(s->bytes, 0, sizeof s->bytes);
        memset(s->blocks, 0, sizeof s->blocks);
    }
    uint64_t tot[6] = {0};
    as_table_each(accumulate, tot);
    fprintf(f, "snapshot %s\n", label && *label ? label : "unnamed");
    for (int d = 0; d < 3; d++) {
        fprintf(f, "domain %s %llu %llu %llu\n", names[d], (unsigned long long)tot[2 * d + 1],
                (unsigned long long)tot[2 * d], (unsigned long long)calls[d]);
    }
    int py = as_py_can_walk(); /* code objects may only be read with the GIL */
    for (uint32_t i = 0; i < n; i++) {
        as_site *s = as_site_get(i);
        for (int d = 0; d < 3; d++) {
            if (!s->blocks[d]) continue;
            if (s->code) {
                if (!py) continue;
                fprintf(f, "py %s %llu %llu %d %s\n", names[d], (unsigned long long)s->bytes[d],
                        (unsigned long long)s->blocks[d], as_py_code_line(s->code, s->lasti),
                        as_py_code_filename(s->code));
            } else {
                fprintf(f, "c %s %llu %llu", names[d], (unsigned long long)s->bytes[d],
                        (unsigned long long)s->blocks[d]);
                for (int k = 0; k < s->nframes; k++) {
                    Dl_info info;
                    if (dladdr(s->frames[k], &info) && info.dli_fname) {
                        fprintf(f, " %s+0x%lx", info.dli_fname,
                                (unsigned long)((char *)s->frames[k] - (char *)info.dli_fbase));
                    }
                }
                fputc('\n', f);
            }
        }
    }
    fputs("end\n", f);
    pthread_mutex_unlock(&lock);
    fclose(f);
    in_tracer = was;
}

/* ---- Python side: the exit snapshot (atexit callback) and sys.audit("allocspec.leaks.snapshot", label) ---- */

typedef void *obj;
typedef struct {
    const char *ml_name;
    obj (*ml_meth)(obj, obj);
    int ml_flags;
    const char *ml_doc;
} method_def; /* PyMethodDef */
#define AS_METH_NOARGS 0x0004

static obj (*p_none)(void);
static obj at_exit_cb(obj self, obj unused) {
    (void)self;
    (void)unused;
    as_leaks_snapshot("exit");
    return p_none();
}
static method_def exit_def = {"allocspec_leaks_exit", at_exit_cb, AS_METH_NOARGS, "leak snapshot at exit"};

static obj none_obj;
static void (*p_incref)(obj);
static obj ret_none(void) {
    p_incref(none_obj);
    return none_obj;
}

static int audit_hook(const char *event, obj args, void *data) {
    (void)data;
    if (strcmp(event, "allocspec.leaks.snapshot") != 0) return 0;
    static long (*tsize)(obj);
    static obj (*titem)(obj, long);
    static const char *(*utf8)(obj);
    if (!tsize) {
        *(void **)&tsize = dlsym(RTLD_DEFAULT, "PyTuple_Size");
        *(void **)&titem = dlsym(RTLD_DEFAULT, "PyTuple_GetItem");
        *(void **)&utf8 = dlsym(RTLD_DEFAULT, "PyUnicode_AsUTF8");
    }
    const char *label = "requested";
    if (tsize && titem && utf8 && tsize(args) > 0) {
        const char *s = utf8(titem(args, 0));
        if (s) label = s;
    }
    as_leaks_snapshot(label);
    return 0;
}

static int register_python(void) {
    obj (*newex)(method_def *, obj, obj);
    obj (*import)(const char *);
    obj (*getattr)(obj, const char *);
    obj (*call1)(obj, obj);
    void (*decref)(obj);
    int (*add_audit)(int (*)(const char *, obj, void *), void *);
    *(void **)&newex = dlsym(RTLD_DEFAULT, "PyCFunction_NewEx");
    *(void **)&import = dlsym(RTLD_DEFAULT, "PyImport_ImportModule");
    *(void **)&getattr = dlsym(RTLD_DEFAULT, "PyObject_GetAttrString");
    *(void **)&call1 = dlsym(RTLD_DEFAULT, "PyObject_CallOneArg");
    *(void **)&decref = dlsym(RTLD_DEFAULT, "Py_DecRef");
    *(void **)&p_incref = dlsym(RTLD_DEFAULT, "Py_IncRef");
    *(void **)&add_audit = dlsym(RTLD_DEFAULT, "PySys_AddAuditHook");
    none_obj = dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    if (!newex || !import || !getattr || !call1 || !decref || !p_incref || !add_audit || !none_obj) return -1;
    p_none = ret_none;
    obj fn = newex(&exit_def, NULL, NULL);
    obj mod = fn ? import("atexit") : NULL;
    obj reg = mod ? getattr(mod, "register") : NULL;
    obj r = reg ? call1(reg, fn) : NULL;
    if (r) decref(r);
    if (reg) decref(reg);
    if (mod) decref(mod);
    if (fn) decref(fn);
    if (add_audit(audit_hook, NULL) != 0) return -1;
    return r ? 0 : -1;
}

int as_leaks_install(as_leaks_get_fn get, as_leaks_set_fn set, const char *path) {
    if (!get || !set || !path || strlen(path) >= sizeof out_path || installed) {
        errno = EINVAL;
        return -1;
    }
    snprintf(out_path, sizeof out_path, "%s", path);
    owner = getpid();
    void *warm[4];
    (void)backtrace(warm, 4); /* loads libgcc_s now, not inside a hook */
    as_py_resolve();
    for (int d = 0; d < 3; d++) {
        get(d, &below[d]);
        as_leaks_allocator hook = {(void *)(intptr_t)d, t_malloc, t_calloc, t_realloc, t_free};
        if (!below[d].calloc) hook.calloc = NULL;
        set(d, &hook);
    }
    installed = 1;
    if (as_py_can_walk()) {
        in_tracer = 1; /* the registration's own objects are not the program's */
        int rc = register_python();
        in_tracer = 0;
        if (rc) return -1;
    }
    return 0;
}

__attribute__((visibility("default"))) int pep445_hook_install(void) {
    const char *out = getenv("ALLOCSPEC_LEAKS_OUT");
    if (!out || !*out) return 0;
    as_leaks_get_fn get = (as_leaks_get_fn)dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    as_leaks_set_fn set = (as_leaks_set_fn)dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    if (!get || !set) {
        fprintf(stderr, "allocspec leaks: PyMem_GetAllocator/PyMem_SetAllocator not found in the process\n");
        return 1;
    }
    /* The first process creates the file and owns it; subprocesses inheriting the variable stay passive. */
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST) return 0;
        fprintf(stderr, "allocspec leaks: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    close(fd);
    if (as_leaks_install(get, set, out)) {
        fprintf(stderr, "allocspec leaks: cannot install (output %s): %s\n", out, strerror(errno));
        return 1;
    }
    return 0;
}
