/*
 * probe.c: allocspec-probe, the library probe as a small program (design in targets/probe.ts).
 *
 * The runner never loads a target library itself: a child learns what it needs (the symbols, where each
 * is defined, the allocator struct a `vtable:` symbol holds, whether libpython has the GIL calls) and
 * prints one JSON line, the ProbeReport of probe.ts. A runtime child (Deno, Bun) costs 0.1-0.16 CPU-s to
 * start and a test run starts ~470 of them; this program costs a few milliseconds.
 *
 *   allocspec-probe LIB NAMES STRUCT_SYMBOL STRUCT_FIELDS EMBED
 *
 * NAMES is a comma-separated list of C identifiers, STRUCT_SYMBOL "" for none, EMBED 0 or 1.
 *
 * It does what the runtime child did: a process group of its own before the library's constructors run
 * (whatever they fork is killed with the group), death with the runner (PR_SET_PDEATHSIG, and the
 * runner's pid in ALLOCSPEC_PARENT_PID in case it is already gone), dlopen(RTLD_NOW | RTLD_LOCAL), dlsym
 * (which searches the library's dependencies too), dladdr for the object each address lies in, the
 * library's own file from its link map (dlinfo RTLD_DI_LINKMAP).
 *
 * One thing a small program cannot learn: whether the runtime could load the library. glibc refuses a
 * DF_STATIC_TLS object ("cannot allocate memory in static TLS block") when the process has used up its
 * static TLS surplus, which a runtime has and this program has not. So the report says whether an object
 * this dlopen loaded has a PT_TLS segment and DF_STATIC_TLS (`"staticTls":true`), and probe.ts then asks
 * the runtime itself, as before (jemalloc, mimalloc, tcmalloc have it; libpython and our fixtures not).
 *
 * Exit: 0 with the JSON line on stdout; 1 with dlerror() on stderr when the library does not load; 2 for
 * bad arguments. The library's destructors do not run (_exit), as nothing after the report matters.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

enum { MAX_OBJECTS = 512, MAX_NAMES = 64, MAX_FIELDS = 16 };

/* the objects loaded before the target's dlopen, by base address and program headers */
static struct { uintptr_t base; const void *phdr; } before[MAX_OBJECTS];
static int n_before;

static int is_before(const struct dl_phdr_info *info)
{
    for (int i = 0; i < n_before; i++) {
        if (before[i].base == info->dlpi_addr && before[i].phdr == (const void *)info->dlpi_phdr) return 1;
    }
    return 0;
}

static int remember(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (n_before < MAX_OBJECTS) {
        before[n_before].base = info->dlpi_addr;
        before[n_before].phdr = info->dlpi_phdr;
        n_before++;
    }
    return 0;
}

/* 1 when an object the dlopen brought in has a TLS segment and asks for static TLS */
static int new_static_tls(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (is_before(info)) return 0;
    int tls = 0;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS && ph->p_memsz > 0) tls = 1;
        if (ph->p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
    }
    if (!tls || !dyn) return 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_STATIC_TLS)) return 1;
    }
    return 0;
}

/* a JSON string: quotes, backslashes and control bytes escaped; other bytes as they are (UTF-8 paths) */
static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

/* the object (dladdr dli_fname) an address lies in, or null */
static void json_object_of(const void *addr)
{
    Dl_info info;
    if (!addr || !dladdr(addr, &info) || !info.dli_fname) fputs("null", stdout);
    else json_string(info.dli_fname);
}

/* `"key":[p0,...],"key2":[object of p0,...]`: the addresses, then where each lies */
static void json_addresses(const char *key, const char *where_key, void *const *p, int n)
{
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++) printf("%s%lu", i ? "," : "", (unsigned long)(uintptr_t)p[i]);
    printf("],\"%s\":[", where_key);
    for (int i = 0; i < n; i++) {
        if (i) putchar(',');
        json_object_of(p[i]);
    }
    putchar(']');
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: allocspec-probe LIB NAMES STRUCT_SYMBOL STRUCT_FIELDS EMBED\n");
        return 2;
    }
    /* before the library's constructors run: whatever they fork stays in our group; we die with the
       runner (and the runner may have died before the prctl: then its pid is no longer our parent) */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *parent = getenv("ALLOCSPEC_PARENT_PID");
    if (parent && atol(parent) > 0 && getppid() != (pid_t)atol(parent)) _exit(1);

    const char *lib = argv[1];
    char *names[MAX_NAMES];
    int n_names = 0;
    for (char *tok = strtok(argv[2], ","); tok && n_names < MAX_NAMES; tok = strtok(NULL, ",")) {
        names[n_names++] = tok;
    }
    const char *struct_symbol = argv[3];
    int n_fields = atoi(argv[4]);
    if (n_fields < 0 || n_fields > MAX_FIELDS) n_fields = MAX_FIELDS;
    int embed = strcmp(argv[5], "1") == 0;

    dl_iterate_phdr(remember, NULL);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        fprintf(stderr, "%s\n", e ? e : "dlopen failed");
        return 1;
    }
    int static_tls = dl_iterate_phdr(new_static_tls, NULL);

    const char *file = lib;
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0]) file = lm->l_name;

    fputs("{\"file\":", stdout);
    json_string(file);
    void *addr[MAX_NAMES];
    for (int i = 0; i < n_names; i++) addr[i] = dlsym(h, names[i]);
    putchar(',');
    json_addresses("addresses", "definedIn", addr, n_names);
    if (struct_symbol[0]) {
        void *const *base = dlsym(h, struct_symbol);
        if (base) {
            fputs(",\"struct\":{", stdout);
            json_addresses("fields", "objects", base, n_fields);
            putchar('}');
        }
    }
    if (embed) {
        int gil = dlsym(h, "PyEval_SaveThread") != NULL && dlsym(h, "PyEval_RestoreThread") != NULL;
        printf(",\"embed\":{\"gil\":%s}", gil ? "true" : "false");
    }
    if (static_tls) fputs(",\"staticTls\":true", stdout);
    fputs("}\n", stdout);
    fflush(stdout);
    _exit(ferror(stdout) ? 1 : 0);
}
