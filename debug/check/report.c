/*
 * report.c: one violation as the user reads it (format in check.h): the rule's conformance case id, the
 * domain, the call, the C site (backtrace(3) + dladdr(3), the layers and allocation entry points above
 * the allocator skipped), the Python file:line of this thread (CPython's own traceback dumper, add_python:
 * PEP 445 rationale, "get the Python filename and line number"), a one-line reproducer and the
 * conformance command that checks the same rule in isolation. The Python location comes from CPython's
 * own allocation-free traceback dumper (add_python). Every byte outside printable ASCII is
 * escaped (\xNN) before it reaches stderr or the JSON file: a report never copies raw bytes.
 *
 * The first lines (rule, allocator, call) are written before any frame is looked up, so a report that
 * crashes while reading a corrupted interpreter still names the rule. The report itself never allocates. Stop mode ends the process with
 * _exit(AS_CHECK_EXIT_STATUS) right after the report: no atexit handler, no finalizer runs on a heap the
 * allocator just broke. The crash description (as_check_describe_crash) is async-signal-safe: plain
 * stores and loads, no stdio, no allocation.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPORT_BYTES 16384
#define MAX_FRAMES 48
#define SHOWN_FRAMES 8
#define PY_FRAMES 4
/* count mode: violations of one rule reported in full, and written to the JSON file; the rest are counted
   (the summary at exit has every count) */
#define FULL_PER_RULE 3
#define JSON_PER_RULE 100

/* 1 while this thread writes a report: violations of the report's own allocations are counted only */
static __thread int in_report __attribute__((tls_model("initial-exec")));

static _Atomic int report_lock;
static char buf[REPORT_BYTES];
static size_t used;
/* the last violation, for the crash description: "<rule id> [<DOMAIN>] <message>" */
static char last_seen[320];

static void lock(void) {
    while (atomic_exchange_explicit(&report_lock, 1, memory_order_acquire)) sched_yield();
}
static void unlock(void) { atomic_store_explicit(&report_lock, 0, memory_order_release); }

static void write_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

size_t as_check_escape(const char *in, char *out, size_t outlen) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (!outlen) return 0;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
        size_t need = (*p >= 0x20 && *p < 0x7f && *p != '\\') ? 1 : (*p == '\\' ? 2 : 4);
        if (o + need >= outlen) break;
        if (need == 1) {
            out[o++] = (char)*p;
        } else if (need == 2) {
            out[o++] = '\\', out[o++] = '\\';
        } else {
            out[o++] = '\\', out[o++] = 'x', out[o++] = hex[*p >> 4], out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return o;
}

/* Appends printf text to buf, escaping %s arguments is the caller's job (put) */
static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...) {
    if (used >= REPORT_BYTES - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, REPORT_BYTES - used, fmt, ap);
    va_end(ap);
    if (n > 0) used += (size_t)n < REPORT_BYTES - used ? (size_t)n : REPORT_BYTES - 1 - used;
}

/* Appends untrusted text escaped. */
static void put(const char *s) {
    if (used >= REPORT_BYTES - 1) return;
    used += as_check_escape(s, buf + used, REPORT_BYTES - used);
}

static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : (path ? path : "?");
}

/* Frames of the allocation machinery above the allocator: layers, debug hooks, entry points. */
static int machinery(const Dl_info *info) {
    static const char *const objects[] = {"libas_check.so", "liballocspec.so", "libas_faults.so", "libas_leaks.so"};
    const char *obj = base_name(info->dli_fname);
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
        if (strcmp(obj, objects[i]) == 0) return 1;
    }
    static const char *const prefixes[] = {"PyMem_", "_PyMem_", "PyObject_Malloc", "PyObject_Calloc",
                                           "PyObject_Realloc", "PyObject_Free", "_PyObject_Malloc",
                                           "_PyObject_Calloc", "_PyObject_Realloc", "_PyObject_Free",
                                           "_PyObject_Debug", "_PyObject_GC_", "PyObject_GC_"};
    const char *s = info->dli_sname;
    for (size_t i = 0; s && i < sizeof prefixes / sizeof *prefixes; i++) {
        if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    }
    return 0;
}

static void frame_text(void *pc, const Dl_info *info, int have, char *out, size_t len) {
    if (!have || !info->dli_fname) {
        snprintf(out, len, "%p", pc);
    } else if (info->dli_sname && info->dli_saddr) {
        snprintf(out, len, "%s+0x%lx (%s+0x%lx)", info->dli_sname,
                 (unsigned long)((char *)pc - (char *)info->dli_saddr), base_name(info->dli_fname),
                 (unsigned long)((char *)pc - (char *)info->dli_fbase));
    } else {
        snprintf(out, len, "%s+0x%lx", base_name(info->dli_fname), (unsigned long)((char *)pc - (char *)info->dli_fbase));
    }
}

/* "  C site: ...\n  C stack: ... <- ...\n"; site also copied to site_out for the JSON line. */
static void add_c_site(char *site_out, size_t site_len) {
    void *frames[MAX_FRAMES];
    int n = backtrace(frames, MAX_FRAMES);
    Dl_info self;
    void *self_base = dladdr((void *)as_check_report, &self) ? self.dli_fbase : NULL;
    char text[320];
    int shown = 0, site_done = 0;
    snprintf(site_out, site_len, "?");
    char stack[1600] = "";
    size_t sl = 0;
    for (int i = 0; i < n && shown < SHOWN_FRAMES; i++) {
        Dl_info info;
        int have = dladdr(frames[i], &info) != 0;
        if (have && info.dli_fbase == self_base) continue; /* this layer */
        frame_text(frames[i], &info, have, text, sizeof text);
        if (!site_done && !(have && machinery(&info))) {
            snprintf(site_out, site_len, "%s", text);
            site_done = 1;
        }
        int k = snprintf(stack + sl, sizeof stack - sl, "%s%s", shown ? " <- " : "", text);
        if (k > 0 && (size_t)k < sizeof stack - sl) sl += (size_t)k;
        shown++;
    }
    add("  C site: ");
    put(site_out);
    add("\n  C stack: ");
    put(stack);
    add("\n");
}

/*
 * The Python lines of this thread, innermost first, without allocating: CPython's own traceback dumper
 * (_Py_DumpTraceback, what faulthandler uses: it reads the thread's frames and writes to an fd, no
 * allocation, no lock) into a memfd, parsed back. Walking frames with PyEval_GetFrame would allocate
 * frame objects through the very hooks this call may be nested in (tracemalloc holds its lock while it
 * asks the RAW allocator for its traces: a deadlock). The thread's own frames are read, so this works
 * without the GIL too (a RAW call made by C code that released it, under a Python frame).
 */
static void add_python(char *py_out, size_t py_len) {
    typedef void (*dump_fn)(int fd, void *tstate);
    typedef void *(*tstate_fn)(void);
    static dump_fn dump;
    static tstate_fn this_tstate;
    static int resolved;
    if (!resolved) {
        *(void **)&dump = dlsym(RTLD_DEFAULT, "_Py_DumpTraceback");
        *(void **)&this_tstate = dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
        resolved = 1;
    }
    void *ts = dump && this_tstate ? this_tstate() : NULL;
    int fd = ts ? memfd_create("allocspec-check-python", MFD_CLOEXEC) : -1;
    if (!dump || !this_tstate) {
        snprintf(py_out, py_len, "none (no libpython in the process)");
    } else if (!ts) {
        snprintf(py_out, py_len, "none (no Python thread state on this thread: a thread made in C, or start-up)");
    } else if (fd < 0) {
        snprintf(py_out, py_len, "unavailable (memfd_create failed)");
    } else {
        dump(fd, ts);
        static char text[8192];
        ssize_t n = pread(fd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = '\0';
        size_t o = 0;
        int frames = 0;
        py_out[0] = '\0';
        for (char *line = strtok(text, "\n"); line && frames < PY_FRAMES; line = strtok(NULL, "\n")) {
            char file[600], func[200];
            int lineno;
            if (sscanf(line, " File \"%599[^\"]\", line %d in %199s", file, &lineno, func) != 3) continue;
            int k = snprintf(py_out + o, py_len - o, "%s%s:%d in %s", frames ? " <- " : "", file, lineno, func);
            if (k < 0 || (size_t)k >= py_len - o) break;
            o += (size_t)k;
            frames++;
        }
        if (!frames) snprintf(py_out, py_len, "none (no Python frame on this thread: interpreter start-up or shutdown)");
    }
    if (fd >= 0) close(fd);
    add("  Python: ");
    put(py_out);
    add("\n");
}

/* This process's argv (from /proc/self/cmdline), each argument shell-quoted and escaped, from index `from`. */
static void argv_text(char *out, size_t len, int from) {
    out[0] = '\0';
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    static char raw[8192];
    ssize_t n = read(fd, raw, sizeof raw - 1);
    close(fd);
    if (n <= 0) return;
    raw[n] = '\0';
    size_t o = 0;
    int idx = 0;
    for (char *a = raw; a < raw + n; a += strlen(a) + 1, idx++) {
        if (idx < from) continue;
        char esc[2048];
        as_check_escape(a, esc, sizeof esc);
        int plain = *esc != '\0';
        for (const char *c = esc; *c; c++) {
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@%+", *c)) plain = 0;
        }
        int k;
        if (plain) {
            k = snprintf(out + o, len - o, "%s%s", o ? " " : "", esc);
        } else {
            char q[4200];
            size_t qo = 0;
            q[qo++] = '\'';
            for (const char *c = esc; *c && qo < sizeof q - 6; c++) {
                if (*c == '\'') memcpy(q + qo, "'\\''", 4), qo += 4;
                else q[qo++] = *c;
            }
            q[qo++] = '\'';
            q[qo] = '\0';
            k = snprintf(out + o, len - o, "%s%s", o ? " " : "", q);
        }
        if (k < 0 || (size_t)k >= len - o) break;
        o += (size_t)k;
    }
}

/* Appends s at offset o (truncating), returns the new length. */
static size_t s_cat(char *out, size_t len, size_t o, const char *s) {
    while (*s && o + 1 < len) out[o++] = *s++;
    out[o < len ? o : len - 1] = '\0';
    return o;
}

static void add_repro(char *repro_out, size_t len) {
    char args[4096];
    if (as_cs.repro[0]) {
        argv_text(args, sizeof args, 1);
        size_t o = s_cat(repro_out, len, 0, as_cs.repro);
        if (args[0]) o = s_cat(repro_out, len, s_cat(repro_out, len, o, " "), args);
    } else {
        /* no command from the driver: the environment that matters and this very command line */
        static const char *const vars[] = {"ALLOCSPEC_LIBPYTHON", "ALLOCSPEC_ALLOCATOR", "ALLOCSPEC_DEBUG_HOOKS",
                                           "ALLOCSPEC_LAYERS", "ALLOCSPEC_CHECK", "GLIBC_TUNABLES"};
        size_t o = 0;
        for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
            const char *v = getenv(vars[i]);
            if (!v || !*v) continue;
            int k = snprintf(repro_out + o, len - o, "%s='%s' ", vars[i], v);
            if (k < 0 || (size_t)k >= len - o) break;
            o += (size_t)k;
        }
        argv_text(args, sizeof args, 0);
        snprintf(repro_out + o, len - o, "%s", args);
    }
    add("  reproduce: ");
    put(repro_out);
    add("\n");
}

/* The conformance target for the hint: the user's spelling, or derived from the launcher's variable. */
static void target_text(char *out, size_t len) {
    if (as_cs.target[0]) {
        snprintf(out, len, "%s", as_cs.target);
        return;
    }
    const char *a = getenv("ALLOCSPEC_ALLOCATOR");
    if (!a || !*a) snprintf(out, len, "<target>");
    else if (strncmp(a, "native:", 7) == 0) snprintf(out, len, "native");
    else snprintf(out, len, "%s", a);
}

/* JSON string value of already-escaped (printable ASCII) text. */
static void json_str(char *out, size_t len, const char *s) {
    size_t o = 0;
    if (len < 3) return;
    out[o++] = '"';
    for (; *s && o + 3 < len; s++) {
        if (*s == '"' || *s == '\\') out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void append_json(const char *rule, const char *domain, const char *op, const char *msg, const char *site,
                        const char *py, const char *repro, const char *hint) {
    if (!as_cs.cfg.report_path) return;
    int fd = open(as_cs.cfg.report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    static char line[REPORT_BYTES];
    const char *fields[][2] = {{"rule", rule}, {"domain", domain}, {"op", op}, {"message", msg},
                               {"c_site", site}, {"python", py}, {"repro", repro}, {"conformance", hint}};
    size_t o = (size_t)snprintf(line, sizeof line, "{\"event\":\"violation\",\"pid\":%ld", (long)getpid());
    for (size_t i = 0; i < sizeof fields / sizeof *fields && o < sizeof line; i++) {
        char esc[4096], js[8300];
        as_check_escape(fields[i][1], esc, sizeof esc);
        json_str(js, sizeof js, esc);
        int k = snprintf(line + o, sizeof line - o, ",\"%s\":%s", fields[i][0], js);
        if (k < 0 || (size_t)k >= sizeof line - o) break;
        o += (size_t)k;
    }
    if (o + 2 < sizeof line) line[o++] = '}', line[o++] = '\n';
    write_all(fd, line, o);
    close(fd);
}

void as_check_report(const as_violation *v) {
    const char *rule = as_check_rule_id((int)v->rule);
    const char *domain = as_domain_name(v->domain);
    uint64_t nth = atomic_fetch_add(&as_cs.violations[v->rule], 1) + 1;
    atomic_fetch_add(&as_cs.total_violations, 1);
    if (in_report) return;
    in_report = 1;
    lock();
    atomic_store(&as_cs.last_rule, (int)v->rule);
    {
        char esc[280];
        as_check_escape(v->message, esc, sizeof esc);
        snprintf(last_seen, sizeof last_seen, "%s [%s] %s", rule, domain, esc);
    }
    if (as_cs.cfg.mode == AS_CHECK_COUNT && nth > FULL_PER_RULE) {
        if (nth == FULL_PER_RULE + 1) {
            char line[400];
            int k = snprintf(line, sizeof line,
                             "allocspec check: further violations of %s are counted, not printed (summary at exit)\n",
                             rule);
            if (k > 0) write_all(2, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
        }
        if (nth <= JSON_PER_RULE) append_json(rule, domain, v->call, v->message, "", "", "", "");
        unlock();
        in_report = 0;
        return;
    }
    used = 0;
    add("allocspec check: violation of %s [%s] ", rule, domain);
    put(v->message);
    char target[1024];
    target_text(target, sizeof target);
    add("\n  allocator: ");
    put(target);
    add("\n  call: ");
    put(v->call);
    add("\n");
    write_all(2, buf, used); /* the rule is on stderr before anything below can go wrong */
    used = 0;
    static char site[400], py[1200], repro[4096], hint[1600];
    add_c_site(site, sizeof site);
    add_python(py, sizeof py);
    add_repro(repro, sizeof repro);
    snprintf(hint, sizeof hint, "%s --target %s --filter '^%s$'", as_cs.conformance, target, rule);
    add("  conformance: ");
    put(hint);
    add("\n");
    if (as_cs.cfg.mode == AS_CHECK_STOP) {
        add("allocspec check: stopped at the first violation (exit %d; ALLOCSPEC_CHECK_MODE=count goes on)\n",
            AS_CHECK_EXIT_STATUS);
    }
    write_all(2, buf, used);
    append_json(rule, domain, v->call, v->message, site, py, repro, hint);
    if (as_cs.cfg.mode == AS_CHECK_STOP) _exit(AS_CHECK_EXIT_STATUS);
    unlock();
    in_report = 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* async-signal-safe text                                                                         */

static size_t s_put(char *buf_, size_t len, size_t o, const char *s) {
    while (s && *s && o + 1 < len) buf_[o++] = *s++;
    if (o < len) buf_[o] = '\0';
    return o;
}

static size_t s_num(char *buf_, size_t len, size_t o, uint64_t v, int hexa) {
    char d[24];
    int n = 0;
    do {
        unsigned digit = (unsigned)(v % (hexa ? 16 : 10));
        d[n++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
        v /= hexa ? 16 : 10;
    } while (v && n < 23);
    if (hexa) o = s_put(buf_, len, o, "0x");
    while (n && o + 1 < len) buf_[o++] = d[--n];
    if (o < len) buf_[o] = '\0';
    return o;
}

size_t as_check_describe_crash(char *out, size_t len) {
    if (!len) return 0;
    out[0] = '\0';
    if (!as_cs.initialised) return 0;
    size_t o = 0;
    const as_call *c = as_check_current();
    if (c->reading) {
        o = s_put(out, len, o, "the layer crashed reading ");
        o = s_put(out, len, o, c->reading);
        o = s_put(out, len, o, " [");
        o = s_put(out, len, o, as_domain_name(c->domain));
        o = s_put(out, len, o, "]");
        if (c->reading_rule >= 0) {
            o = s_put(out, len, o, ": violation of ");
            o = s_put(out, len, o, as_check_rule_id(c->reading_rule));
        }
        o = s_put(out, len, o, "; ");
    } else if (c->op) {
        o = s_put(out, len, o, "inside the allocator's ");
        o = s_put(out, len, o, c->op);
        o = s_put(out, len, o, "(");
        if (c->op[0] == 'm') {
            o = s_num(out, len, o, c->a, 0);
        } else if (c->op[0] == 'c') {
            o = s_num(out, len, o, c->a, 0);
            o = s_put(out, len, o, ", ");
            o = s_num(out, len, o, c->b, 0);
        } else if (c->op[0] == 'r') {
            o = c->a ? s_num(out, len, o, c->a, 1) : s_put(out, len, o, "NULL");
            o = s_put(out, len, o, ", ");
            o = s_num(out, len, o, c->b, 0);
        } else {
            o = c->a ? s_num(out, len, o, c->a, 1) : s_put(out, len, o, "NULL");
        }
        o = s_put(out, len, o, ") [");
        o = s_put(out, len, o, as_domain_name(c->domain));
        o = s_put(out, len, o, "]");
        if (c->op[0] == 'f' && !c->a) {
            o = s_put(out, len, o, ": violation of ");
            o = s_put(out, len, o, as_check_rule_id(AS_CHECK_FREE_NULL));
        }
        o = s_put(out, len, o, "; ");
    }
    if (atomic_load(&as_cs.last_rule) >= 0) {
        o = s_put(out, len, o, "last violation: ");
        o = s_put(out, len, o, last_seen);
    } else {
        o = s_put(out, len, o, "no rule violation seen before");
    }
    o = s_put(out, len, o, " (");
    o = s_num(out, len, o, as_check_calls(), 0);
    o = s_put(out, len, o, " calls checked)");
    return o;
}

/* ---------------------------------------------------------------------------------------------- */
/* summary                                                                                        */

void as_check_summary(int fd) {
    uint64_t total = atomic_load(&as_cs.total_violations);
    if (!total) return;
    char line[2048];
    size_t o = (size_t)snprintf(line, sizeof line, "allocspec check: summary: %llu violation%s (",
                                (unsigned long long)total, total == 1 ? "" : "s");
    int first = 1;
    for (int r = 0; r < AS_CHECK_NRULES && o < sizeof line; r++) {
        uint64_t n = atomic_load(&as_cs.violations[r]);
        if (!n) continue;
        int k = snprintf(line + o, sizeof line - o, "%s%s x%llu", first ? "" : ", ", as_check_rule_id(r),
                         (unsigned long long)n);
        if (k > 0) o += (size_t)k;
        first = 0;
    }
    if (o < sizeof line) {
        int k = snprintf(line + o, sizeof line - o, "); %llu calls checked, %llu allocation failures seen\n",
                         (unsigned long long)as_check_calls(),
                         (unsigned long long)atomic_load(&as_cs.failed_calls));
        if (k > 0) o += (size_t)k;
    }
    if (o > sizeof line) o = sizeof line;
    write_all(fd, line, o);
}

static void at_exit(void) {
    if (!atomic_load(&as_cs.total_violations)) return;
    as_check_summary(2);
    if (!as_cs.cfg.report_path) return;
    int fd = open(as_cs.cfg.report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[2048];
    size_t o = (size_t)snprintf(line, sizeof line, "{\"event\":\"summary\",\"pid\":%ld,\"calls\":%llu,\"rules\":{",
                                (long)getpid(), (unsigned long long)as_check_calls());
    int first = 1;
    for (int r = 0; r < AS_CHECK_NRULES && o < sizeof line; r++) {
        uint64_t n = atomic_load(&as_cs.violations[r]);
        if (!n) continue;
        int k = snprintf(line + o, sizeof line - o, "%s\"%s\":%llu", first ? "" : ",", as_check_rule_id(r),
                         (unsigned long long)n);
        if (k > 0) o += (size_t)k;
        first = 0;
    }
    if (o + 3 < sizeof line) line[o++] = '}', line[o++] = '}', line[o++] = '\n';
    write_all(fd, line, o < sizeof line ? o : sizeof line);
    close(fd);
}

void as_report_init(void) {
    void *warm[4];
    backtrace(warm, 4); /* loads libgcc_s now, not inside an allocator call */
    atexit(at_exit);
}
