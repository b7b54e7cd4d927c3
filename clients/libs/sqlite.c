/*
 * sqlite.c: SQLite through the target's PyMem_RawMalloc (issue 12; SQLite's own pluggable allocator,
 * SQLITE_CONFIG_MALLOC).
 *
 * Hooks: sqlite3_config(SQLITE_CONFIG_MALLOC, &sqlite3_mem_methods) before sqlite3_initialize (after it,
 * SQLITE_MISUSE: checked). SQLite needs xSize (the usable size of a block) and xRoundup, which PEP 445
 * lacks, so every block carries a 16-byte size header (16 keeps the 16-byte alignment CPython gives);
 * xRoundup rounds to 8. pAppData is the harness's context, checked in xInit/xShutdown.
 * Workload: an in-memory database, a table of 100000 rows (quick: 20000) inserted in one transaction
 * through a prepared statement, an index, and queries whose answers the harness computes itself: count,
 * sum of a column, a count through the index (EXPLAIN QUERY PLAN must name the index), a lookup by key,
 * a GROUP BY, then DELETE and VACUUM. sqlite3_close + sqlite3_shutdown, after which no block may stay live.
 * Options: "quick", "tiny" (300 rows: a fault sweep of every point).
 */
#include "libs_common.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16
_Static_assert(HDR >= sizeof(size_t) && HDR % 16 == 0, "the size header keeps 16-byte alignment");

static struct {
    unsigned magic;
    unsigned long inits, shutdowns, size_calls, roundup_calls;
} CTX = {0x53514c33u, 0, 0, 0, 0};

static void *s_malloc(int n)
{
    if (n < 0) return NULL;
    unsigned char *p = lr_malloc((size_t)n + HDR, "sqlite:xMalloc");
    if (!p) return NULL;
    *(size_t *)p = (size_t)n;
    return p + HDR;
}
static void s_free(void *p)
{
    if (p) lr_free((unsigned char *)p - HDR, "sqlite:xFree");
}
static void *s_realloc(void *p, int n)
{
    if (n < 0) return NULL;
    if (!p) return s_malloc(n);
    unsigned char *q = lr_realloc((unsigned char *)p - HDR, (size_t)n + HDR, "sqlite:xRealloc");
    if (!q) return NULL;
    *(size_t *)q = (size_t)n;
    return q + HDR;
}
static int s_size(void *p)
{
    CTX.size_calls++; /* SQLite calls it under its own mutex: no race on the counter */
    return p ? (int)*(size_t *)((unsigned char *)p - HDR) : 0;
}
static int s_roundup(int n)
{
    CTX.roundup_calls++;
    return (n + 7) & ~7;
}
static int s_init(void *app)
{
    lr_check(app == &CTX, "xInit got pAppData %p, not the context", app);
    CTX.inits++;
    return SQLITE_OK;
}
static void s_shutdown(void *app)
{
    lr_check(app == &CTX, "xShutdown got pAppData %p, not the context", app);
    CTX.shutdowns++;
}

static const sqlite3_mem_methods METHODS = {s_malloc, s_free, s_realloc, s_size, s_roundup,
                                            s_init,   s_shutdown, &CTX};

/* Records a result code SQLite returned that is an error (SQLITE_NOMEM is "out of memory"); returns it. */
static int src(const char *what, int rc)
{
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) lr_error("%s: %s (%d)", what, sqlite3_errstr(rc), rc);
    return rc;
}

static long long one(sqlite3 *db, const char *sql, char *text, size_t cap)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (src("prepare", sqlite3_prepare_v2(db, sql, -1, &st, NULL)) == SQLITE_OK &&
        src("step", sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        const unsigned char *t = sqlite3_column_text(st, 0); /* NULL for SQL NULL or when it runs out of memory */
        if (!t) { /* sqlite3_errcode is the documented way to tell the two apart */
            int ec = sqlite3_errcode(db);
            lr_error("column_text returned NULL, sqlite3_errcode = %s (%d)", sqlite3_errstr(ec), ec);
        }
        if (text) snprintf(text, cap, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    return v;
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &METHODS);
    lr_check(rc == SQLITE_OK, "sqlite3_config(SQLITE_CONFIG_MALLOC) = %d before initialize", rc);
    rc = src("sqlite3_initialize", sqlite3_initialize());
    lr_check(rc == SQLITE_OK, "sqlite3_initialize = %d", rc);
    rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &METHODS);
    lr_check(rc == SQLITE_MISUSE, "sqlite3_config after initialize = %d, expected SQLITE_MISUSE", rc);
    int n = lr_opt(options, "tiny") ? 300 : lr_opt(options, "quick") ? 20000 : 100000;
    sqlite3 *db = NULL;
    rc = src("sqlite3_open", sqlite3_open(":memory:", &db));
    lr_check(rc == SQLITE_OK, "sqlite3_open = %d", rc);
    char *err = NULL;
    rc = sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT); BEGIN", NULL, NULL, &err);
    src("create", rc);
    lr_check(rc == SQLITE_OK, "create: %s", err ? err : "?");
    sqlite3_free(err);
    sqlite3_stmt *ins = NULL;
    src("prepare insert", sqlite3_prepare_v2(db, "INSERT INTO t(id, k, s) VALUES(?, ?, ?)", -1, &ins, NULL));
    long long sum = 0, k42 = 0;
    char s[64];
    for (int i = 1; i <= n && ins; i++) {
        int k = (int)(((long long)i * 7919) % 1000);
        sum += k;
        k42 += k == 42;
        snprintf(s, sizeof s, "row-%d-%s", i, i % 3 ? "abcdefghij" : "xyz");
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_int(ins, 2, k);
        sqlite3_bind_text(ins, 3, s, -1, SQLITE_TRANSIENT);
        if (src("insert", sqlite3_step(ins)) != SQLITE_DONE) {
            lr_check(0, "insert %d: %s", i, sqlite3_errmsg(db));
            break;
        }
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    rc = src("commit + index", sqlite3_exec(db, "COMMIT; CREATE INDEX t_k ON t(k)", NULL, NULL, NULL));
    lr_check(rc == SQLITE_OK, "commit + index: %s", sqlite3_errmsg(db));
    char text[256] = "";
    long long v = one(db, "SELECT count(*) FROM t", NULL, 0);
    lr_check(v == n, "count(*) = %lld, inserted %d", v, n);
    v = one(db, "SELECT sum(k) FROM t", NULL, 0);
    lr_check(v == sum, "sum(k) = %lld, expected %lld", v, sum);
    v = one(db, "SELECT count(*) FROM t WHERE k = 42", NULL, 0);
    lr_check(v == k42, "count where k = 42: %lld, expected %lld", v, k42);
    sqlite3_stmt *plan = NULL;
    int uses_index = 0;
    if (src("prepare plan",
            sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT count(*) FROM t WHERE k = 42", -1, &plan, NULL)) ==
        SQLITE_OK)
        while (src("step plan", sqlite3_step(plan)) == SQLITE_ROW)
            uses_index |= strstr((const char *)sqlite3_column_text(plan, 3), "t_k") != NULL;
    sqlite3_finalize(plan);
    lr_check(uses_index, "the query on k does not use the index t_k");
    char q[64], want[64];
    int id = n / 2 + 45; /* 10045 (quick), 50045 (full), 195 (tiny) */
    snprintf(q, sizeof q, "SELECT s FROM t WHERE id = %d", id);
    snprintf(want, sizeof want, "row-%d-%s", id, id % 3 ? "abcdefghij" : "xyz");
    one(db, q, text, sizeof text);
    lr_check(strcmp(text, want) == 0, "lookup id %d = '%s', expected '%s'", id, text, want);
    v = one(db, "SELECT count(*) FROM (SELECT k, count(*) FROM t GROUP BY k)", NULL, 0);
    lr_check(v == (n >= 1000 ? 1000 : n), "distinct k groups = %lld", v);
    rc = src("delete + vacuum", sqlite3_exec(db, "DELETE FROM t WHERE k < 500; VACUUM", NULL, NULL, NULL));
    lr_check(rc == SQLITE_OK, "delete + vacuum: %s", sqlite3_errmsg(db));
    v = one(db, "SELECT count(*) FROM t WHERE k < 500", NULL, 0);
    lr_check(v == 0, "rows with k < 500 after delete: %lld", v);
    lr_check(sqlite3_close(db) == SQLITE_OK, "sqlite3_close failed");
    rc = sqlite3_shutdown();
    lr_check(rc == SQLITE_OK, "sqlite3_shutdown = %d", rc);
    lr_check(CTX.inits == 1 && CTX.shutdowns == 1, "xInit %lu times, xShutdown %lu times", CTX.inits,
             CTX.shutdowns);
    lr_settle();
    lr_extra("rows", "%d", n);
    lr_extra("x_size_calls", "%lu", CTX.size_calls);
    lr_extra("x_roundup_calls", "%lu", CTX.roundup_calls);
    lr_extra("version", "\"%s\"", sqlite3_libversion());
    return lr_end("sqlite", out, cap);
}
