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
 * mutex; the count is readable without it.
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

int allocspec_violation_count(void) { return atomic_load(&count); }
int allocspec_violation_kind(void) { return last_kind; }
const void *allocspec_violation_address(void) { return last_address; }
int allocspec_violation_api_id(void) { return last_api_id; }
int allocspec_violation_verified_id(void) { return last_verified_id; }
const char *allocspec_violation_func(void) { return last_func; }
const char *allocspec_violation_text(void) { return last_text; }

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
