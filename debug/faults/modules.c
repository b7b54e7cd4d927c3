/*
 * modules.c: which shared object a code address belongs to, without dladdr(). dladdr() also looks for the
 * nearest symbol: a linear scan of the object's dynamic symbols (~10,000 in libpython) under the loader's
 * lock, per frame. The site writer (site.c) and the --in-library filter (filter.c) need only the object's
 * file name and load base, so this keeps a table of every loaded object's executable segments
 * (dl_iterate_phdr), built once in the parent and rebuilt only when an address falls outside it (a module
 * loaded since): a sweep child then only reads it, which on a copy-on-write fork costs no page copy.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <link.h>
#include <string.h>
#include <unistd.h>

#define AS_MAX_SEGMENTS 2048

typedef struct {
    uintptr_t lo, hi;
    uintptr_t base;
    const char *name; /* the loader's string: lives as long as the object is loaded */
} segment;

static segment table[AS_MAX_SEGMENTS];
static int nseg;
static const char *exe_name;

static int add_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    const char *name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : exe_name;
    for (int i = 0; i < info->dlpi_phnum && nseg < AS_MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        table[nseg++] = (segment){lo, lo + ph->p_memsz, info->dlpi_addr, name};
    }
    return 0;
}

static void rebuild(void) {
    if (!exe_name) {
        static char path[AS_FAULTS_PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = 0;
        exe_name = path;
    }
    nseg = 0;
    dl_iterate_phdr(add_object, NULL);
}

static const segment *find(uintptr_t a) {
    for (int i = 0; i < nseg; i++)
        if (a >= table[i].lo && a < table[i].hi) return &table[i];
    return NULL;
}

int as_faults_module_of(const void *addr, uintptr_t *base, const char **name) {
    uintptr_t a = (uintptr_t)addr;
    const segment *s = find(a);
    if (!s) {
        rebuild();
        s = find(a);
    }
    if (!s) return -1;
    *base = s->base;
    *name = s->name;
    return 0;
}

void as_faults_modules_init(void) { rebuild(); }
