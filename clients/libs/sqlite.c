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
 * a GROUP BY, then DELETE and VACUUM. Then (unless "nothreads") 4 threads at once in serialized mode
 * (SQLITE_CONFIG_SERIALIZED), with SQLite's memory statistics off (SQLITE_CONFIG_MEMSTATUS 0: with them on,
 * every sqlite3_malloc takes one global mutex and the allocator never sees two calls at once): each thread
 * opens its own in-memory database and inserts, queries (known answers) and deletes 3000 rows, while all
 * four also insert through ONE shared connection (serialized mode's own promise). sqlite3_close +
 * sqlite3_shutdown, after which no block may stay live.
 * Options: "quick", "tiny" (300 rows: a fault sweep of every point), "nothreads".
 */
#include "libs_common.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16
_Static_assert(HDR >= sizeof(size_t) && HDR % 16 == 0, "the size header keeps 16-byte alignment");

static struct {
    unsigned magic;
    unsigned long inits, shutdowns;
    atomic_ulong size_calls, roundup_calls; /* called from several threads without SQLite's memory mutex */
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
    atomic_fetch_add_explicit(&CTX.size_calls, 1, memory_order_relaxed);
    return p ? (int)*(size_t *)((unsigned char *)p - HDR) : 0;
}
static int s_roundup(int n)
{
    atomic_fetch_add_explicit(&CTX.roundup_calls, 1, memory_order_relaxed);
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

/* One thread: its own in-memory database (rows inserted, two known answers, deleted), and inserts into the
   connection all threads share. */
typedef struct {
    int id, rows, ok;
    sqlite3 *shared;
} job_t;

static void *thread_job(void *arg)
{
    job_t *j = arg;
    sqlite3 *db = NULL;
    int ok = sqlite3_open(":memory:", &db) == SQLITE_OK &&
             sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT); BEGIN", NULL, NULL,
                          NULL) == SQLITE_OK;
    sqlite3_stmt *ins = NULL, *sh = NULL;
    ok = ok && sqlite3_prepare_v2(db, "INSERT INTO t(id, k, s) VALUES(?, ?, ?)", -1, &ins, NULL) == SQLITE_OK;
    ok = ok && sqlite3_prepare_v2(j->shared, "INSERT INTO shared(thread, k) VALUES(?, ?)", -1, &sh, NULL) ==
                   SQLITE_OK;
    long long sum = 0;
    char s[64];
    for (int i = 1; ok && i <= j->rows; i++) {
        int k = (i * 31 + j->id) % 977;
        sum += k;
        snprintf(s, sizeof s, "thread-%d-row-%d", j->id, i);
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_int(ins, 2, k);
        sqlite3_bind_text(ins, 3, s, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(ins) == SQLITE_DONE && sqlite3_reset(ins) == SQLITE_OK;
        if (ok && i % 10 == 0) {
            sqlite3_bind_int(sh, 1, j->id);
            sqlite3_bind_int(sh, 2, k);
            ok = sqlite3_step(sh) == SQLITE_DONE && sqlite3_reset(sh) == SQLITE_OK;
        }
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sh);
    ok = ok && sqlite3_exec(db, "COMMIT; CREATE INDEX t_k ON t(k)", NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && one(db, "SELECT count(*) FROM t", NULL, 0) == j->rows && one(db, "SELECT sum(k) FROM t", NULL, 0) == sum;
    ok = ok && sqlite3_exec(db, "DELETE FROM t WHERE k % 2 = 0", NULL, NULL, NULL) == SQLITE_OK;
    j->ok = ok && sqlite3_close(db) == SQLITE_OK;
    if (!j->ok && db) sqlite3_close(db);
    return NULL;
}

/* The 4-thread phase: per-thread databases and one shared connection, every answer checked. */
static void threads_phase(int rows)
{
    sqlite3 *shared = NULL;
    int rc = sqlite3_open(":memory:", &shared);
    rc = rc == SQLITE_OK ? sqlite3_exec(shared, "CREATE TABLE shared(thread INTEGER, k INTEGER)", NULL, NULL, NULL) : rc;
    lr_check(rc == SQLITE_OK, "threads: shared connection: %s", shared ? sqlite3_errmsg(shared) : "not opened");
    if (rc != SQLITE_OK) {
        sqlite3_close(shared);
        return;
    }
    job_t jobs[4];
    for (int i = 0; i < 4; i++) jobs[i] = (job_t){i, rows, 0, shared};
    lr_threads(4, thread_job, jobs, sizeof(job_t));
    for (int i = 0; i < 4; i++) lr_check(jobs[i].ok, "thread %d: its database work failed", i);
    long long v = one(shared, "SELECT count(*) FROM shared", NULL, 0);
    lr_check(v == 4LL * (rows / 10), "threads: the shared connection holds %lld rows, expected %d", v, 4 * (rows / 10));
    lr_check(sqlite3_close(shared) == SQLITE_OK, "threads: closing the shared connection failed");
    lr_extra("threads", "4");
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    int threads = !lr_opt(options, "nothreads");
    if (threads) {
        lr_check(sqlite3_config(SQLITE_CONFIG_SERIALIZED) == SQLITE_OK, "SQLITE_CONFIG_SERIALIZED refused");
        lr_check(sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK, "SQLITE_CONFIG_MEMSTATUS refused");
    }
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
    if (threads) threads_phase(3000);
    rc = sqlite3_shutdown();
    lr_check(rc == SQLITE_OK, "sqlite3_shutdown = %d", rc);
    lr_check(CTX.inits == 1 && CTX.shutdowns == 1, "xInit %lu times, xShutdown %lu times", CTX.inits,
             CTX.shutdowns);
    lr_settle();
    lr_extra("rows", "%d", n);
    lr_extra("x_size_calls", "%lu", atomic_load(&CTX.size_calls));
    lr_extra("x_roundup_calls", "%lu", atomic_load(&CTX.roundup_calls));
    lr_extra("version", "\"%s\"", sqlite3_libversion());
    return lr_end("sqlite", out, cap);
}
