/*
 * glib.c: the glib row (PEP 445 "External libraries": "glib: g_mem_set_vtable()"). Since glib 2.46
 * g_mem_set_vtable is a no-op: glib always uses the system malloc. This harness shows it instead of
 * assuming it: it installs a GMemVTable whose functions route to the target's PyMem_Raw* and count their
 * calls, runs real glib work (strings, a hash table of 20000 entries, arrays, g_malloc/g_realloc/g_free),
 * checks the results, and reports how often the vtable was called (0 = not routable), what
 * g_mem_is_system_malloc() says, and the warning glib logged (captured with g_log_set_default_handler).
 * Options: "quick".
 */
#include "libs_common.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static unsigned long vt_calls;
static gpointer v_malloc(gsize n) { return vt_calls++, lr_malloc(n, "glib:vtable.malloc"); }
static gpointer v_realloc(gpointer p, gsize n) { return vt_calls++, lr_realloc(p, n, "glib:vtable.realloc"); }
static void v_free(gpointer p) { vt_calls++, lr_free(p, "glib:vtable.free"); }
static gpointer v_calloc(gsize n, gsize size) { return vt_calls++, lr_calloc(n, size, "glib:vtable.calloc"); }
static gpointer v_try_malloc(gsize n) { return v_malloc(n); }
static gpointer v_try_realloc(gpointer p, gsize n) { return v_realloc(p, n); }

static char logged[512];
static void on_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
    (void)domain, (void)level, (void)ud;
    if (!logged[0]) snprintf(logged, sizeof logged, "%s", msg);
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    GMemVTable vt = {v_malloc, v_realloc, v_free, v_calloc, v_try_malloc, v_try_realloc};
    GLogFunc old = g_log_set_default_handler(on_log, NULL);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    g_mem_set_vtable(&vt);
    gboolean system = g_mem_is_system_malloc();
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_log_set_default_handler(old, NULL);
    int n = lr_opt(options, "quick") ? 2000 : 20000;
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        g_hash_table_insert(h, g_strdup_printf("key-%d", i), GINT_TO_POINTER(i + 1));
        g_string_append_printf(s, "%d,", i);
    }
    int ok = (int)g_hash_table_size(h) == n;
    for (int i = 0; ok && i < n; i += 7) {
        char k[32];
        snprintf(k, sizeof k, "key-%d", i);
        ok = GPOINTER_TO_INT(g_hash_table_lookup(h, k)) == i + 1;
    }
    lr_check(ok, "hash table of %d entries: a lookup failed", n);
    char **parts = g_strsplit(s->str, ",", -1);
    lr_check((int)g_strv_length(parts) == n + 1, "g_strsplit gave %u parts", g_strv_length(parts));
    g_strfreev(parts);
    void *p = g_malloc(100);
    p = g_realloc(p, 100000);
    g_free(p);
    g_string_free(s, TRUE);
    g_hash_table_destroy(h);
    lr_check(vt_calls == 0 || !system, "g_mem_is_system_malloc() is TRUE but the vtable was called");
    lr_note("g_mem_set_vtable: vtable called %lu times during the glib work; g_mem_is_system_malloc() = %d",
            vt_calls, (int)system);
    if (logged[0]) lr_note("glib logged: %s", logged);
    lr_extra("vtable_calls", "%lu", vt_calls);
    lr_extra("routable", "%s", vt_calls > 0 ? "true" : "false");
    lr_extra("system_malloc", "%s", system ? "true" : "false");
    lr_extra("glib_version", "\"%u.%u.%u\"", glib_major_version, glib_minor_version, glib_micro_version);
    lr_settle();
    return lr_end("glib", out, cap);
}
