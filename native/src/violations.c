/*
 * violations.c: what happens when the debug hooks detect a misuse.
 *
 *     debug_hooks.c --> as_violation(kind, p, func, ids, text)
 *                         |-- handler == NULL (default): CPython's Py_FatalError: text to stderr, abort()
 *                         |-- allocspec_record_violations(1): the built-in recorder keeps the last one
 *                         +-- allocspec_set_violation_handler(h, ctx): h(ctx, &v)
 *                       returns (recorded) --> the operation has no effect (free frees nothing,
 *                                              malloc/calloc/realloc return NULL)
 *
 * Thread safety: RAW debug hooks run on any thread, so the recorder and the handler slot are guarded by a
 * mutex; every getter reads under that mutex (no torn read of a record being written by another thread).
 * The count is an atomic, readable without it. allocspec_violation_text() returns the calling thread's own
 * copy of the text, taken under the mutex (valid until that thread calls it again or exits), so a later
 * violation on another thread cannot rewrite the string while the caller reads it.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tunable: the recorder keeps the last violation's text up to this size (CPython's dumps are < 2 KiB). */
#define AS_RECORD_TEXT_MAX 8192
_Static_assert(AS_RECORD_TEXT_MAX >= 2048, "room for the longest dump");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static allocspec_violation_handler handler;
static void *handler_ctx;
static bool recording;

static atomic_int count;
static int last_kind = -1, last_api_id, last_verified_id;
static const void *last_address;
static const char *last_func = "";
static char last_text[AS_RECORD_TEXT_MAX];

static void record(void *ctx, const allocspec_violation *v)
{
    (void)ctx;
    last_kind = v->kind;
    last_address = v->address;
    last_func = v->func; /* a string literal */
    last_api_id = v->api_id;
    last_verified_id = v->verified_id;
    snprintf(last_text, sizeof(last_text), "%s", v->text ? v->text : "");
    atomic_fetch_add(&count, 1);
}

void as_violation(int kind, const void *address, const char *func, int api_id, int verified_id, const char *text)
{
    allocspec_violation v = {kind, address, func, api_id, verified_id, text ? text : ""};
    pthread_mutex_lock(&lock);
    allocspec_violation_handler h = recording ? record : handler;
    void *hctx = handler_ctx;
    if (h == record) {
        record(NULL, &v);
        pthread_mutex_unlock(&lock);
        return;
    }
    pthread_mutex_unlock(&lock);
    if (h != NULL) {
        h(hctx, &v);
        return;
    }
    /* CPython: _PyObject_DebugDumpAddress + Py_FatalError: write everything, then abort() (SIGABRT) */
    fputs(v.text, stderr);
    fflush(stderr);
    abort();
}

void as_violations_reset(void)
{
    pthread_mutex_lock(&lock);
    handler = NULL;
    handler_ctx = NULL;
    recording = false;
    pthread_mutex_unlock(&lock);
    allocspec_violation_clear();
}

void allocspec_set_violation_handler(allocspec_violation_handler h, void *ctx)
{
    pthread_mutex_lock(&lock);
    handler = h;
    handler_ctx = ctx;
    recording = false;
    pthread_mutex_unlock(&lock);
}

void allocspec_record_violations(int on)
{
    pthread_mutex_lock(&lock);
    recording = on != 0;
    pthread_mutex_unlock(&lock);
}

/* Reads one field of the last record under the lock the recorder writes it under. */
#define AS_LOCKED_READ(type, expr)                                                                            \
    do {                                                                                                      \
        pthread_mutex_lock(&lock);                                                                            \
        type value_ = (expr);                                                                                 \
        pthread_mutex_unlock(&lock);                                                                          \
        return value_;                                                                                        \
    } while (0)

int allocspec_violation_count(void) { return atomic_load(&count); }
int allocspec_violation_kind(void) { AS_LOCKED_READ(int, last_kind); }
const void *allocspec_violation_address(void) { AS_LOCKED_READ(const void *, last_address); }
int allocspec_violation_api_id(void) { AS_LOCKED_READ(int, last_api_id); }
int allocspec_violation_verified_id(void) { AS_LOCKED_READ(int, last_verified_id); }
const char *allocspec_violation_func(void) { AS_LOCKED_READ(const char *, last_func); /* a literal */ }

/* The per-thread copy of the text: a heap buffer behind a pthread key (freed when its thread exits), not
   _Thread_local storage: this library's TLS is static (hooks.c uses initial-exec), and 8 KiB more of it
   makes a late dlopen fail with "cannot allocate memory in static TLS block". */
static pthread_key_t snapshot_key;
static pthread_once_t snapshot_once = PTHREAD_ONCE_INIT;
static void snapshot_key_create(void) { (void)pthread_key_create(&snapshot_key, free); }

const char *allocspec_violation_text(void)
{
    pthread_once(&snapshot_once, snapshot_key_create);
    char *snapshot = pthread_getspecific(snapshot_key);
    if (snapshot == NULL) {
        snapshot = malloc(AS_RECORD_TEXT_MAX);
        if (snapshot == NULL || pthread_setspecific(snapshot_key, snapshot) != 0) {
            free(snapshot);
            return "(allocspec: out of memory copying the violation text)";
        }
    }
    pthread_mutex_lock(&lock);
    memcpy(snapshot, last_text, AS_RECORD_TEXT_MAX);
    pthread_mutex_unlock(&lock);
    return snapshot;
}

void allocspec_violation_clear(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&count, 0);
    last_kind = -1;
    last_address = NULL;
    last_func = "";
    last_api_id = last_verified_id = 0;
    last_text[0] = '\0';
    pthread_mutex_unlock(&lock);
}
