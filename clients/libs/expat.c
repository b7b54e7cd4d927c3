/*
 * expat.c: expat through the target's PyMem_RawMalloc (PEP 445 "External libraries": "expat:
 * parserCreate() has a per-instance memory handler").
 *
 * Hooks: XML_ParserCreate_MM(NULL, &XML_Memory_Handling_Suite{malloc_fcn, realloc_fcn, free_fcn}, "|")
 * (namespace processing on). The suite has NO context pointer, so the hooks reach the target through the
 * harness's process-wide routing; most of expat's frees are free(NULL) (counted).
 * Workload: a generated document (about 6 MiB; quick: 300 KiB) with a default and two prefixed namespaces,
 * elements with 0-3 attributes (some namespaced), character data with entity and character references,
 * CDATA and comments, fed in 64 KiB chunks; the handlers count start/end elements, namespaced elements,
 * attributes, namespace declarations and character-data bytes, and every count must equal the
 * generator's. A second, ill-formed document must fail with XML_ERROR_TAG_MISMATCH. Parsers are freed
 * with XML_ParserFree, after which no block may stay live.
 * Then (unless "nothreads") 4 threads at once each parse the same document with a parser of their own and
 * must count the same events (expat's hash tables and name pools: small blocks from 4 threads through RAW).
 * Options: "quick", "tiny" (20 KB: a fault sweep of every point), "nothreads".
 */
#include "libs_common.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *x_malloc(size_t n) { return lr_malloc(n, "expat:malloc_fcn"); }
static void *x_realloc(void *p, size_t n) { return lr_realloc(p, n, "expat:realloc_fcn"); }
static void x_free(void *p) { lr_free(p, "expat:free_fcn"); }
static const XML_Memory_Handling_Suite SUITE = {x_malloc, x_realloc, x_free};

typedef struct {
    unsigned long starts, ends, ns_elems, attrs, ns_decls, chars, comments;
} counts;

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* The document and the counts a correct parser must report. */
static void generate(sbuf *b, counts *want, size_t target)
{
    uint64_t st = 7;
    char tmp[512];
    sb_put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- generated -->"
              "<r:root xmlns:r=\"urn:allocspec:root\" xmlns=\"urn:allocspec:default\" "
              "xmlns:m=\"urn:allocspec:meta\">");
    want->ns_decls += 3;
    want->starts++, want->ends++, want->ns_elems++, want->comments++;
    unsigned long i = 0;
    while (b->len < target) {
        uint64_t r = lr_rand(&st);
        int nattr = (int)(r % 4), prefixed = (r >> 8) % 3 == 0;
        snprintf(tmp, sizeof tmp, "<%s%s", prefixed ? "m:" : "", "item");
        sb_put(b, tmp);
        want->starts++, want->ends++, want->ns_elems++; /* the default namespace applies to unprefixed ones */
        for (int a = 0; a < nattr; a++) {
            snprintf(tmp, sizeof tmp, " %sa%d=\"v%lu&amp;%d\"", a == 2 ? "m:" : "", a, i, a);
            sb_put(b, tmp);
            want->attrs++;
        }
        /* text: 'text-<i> ' + '&lt;' (1 char) + '&#65;' (1 char) */
        snprintf(tmp, sizeof tmp, ">text-%lu &lt;&#65;", i);
        sb_put(b, tmp);
        want->chars += strlen(tmp) - 1 - 4 - 5 + 2;
        if (r % 7 == 0) {
            sb_put(b, "<![CDATA[<raw>]]>");
            want->chars += 5;
        }
        if (r % 11 == 0) {
            sb_put(b, "<!-- c -->");
            want->comments++;
        }
        sb_put(b, "<sub/>");
        want->starts++, want->ends++, want->ns_elems++;
        snprintf(tmp, sizeof tmp, "</%s%s>", prefixed ? "m:" : "", "item");
        sb_put(b, tmp);
        i++;
    }
    sb_put(b, "</r:root>");
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    counts *c = ud;
    c->starts++;
    if (strchr(name, '|')) c->ns_elems++;
    for (; atts[0]; atts += 2) c->attrs++;
}
static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((counts *)ud)->ends++;
}
static void XMLCALL on_chars(void *ud, const XML_Char *s, int len)
{
    (void)s;
    ((counts *)ud)->chars += (unsigned long)len;
}
static void XMLCALL on_ns(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
    (void)prefix, (void)uri;
    ((counts *)ud)->ns_decls++;
}
static void XMLCALL on_comment(void *ud, const XML_Char *s)
{
    (void)s;
    ((counts *)ud)->comments++;
}

/* Parses doc in chunks; returns the final status, fills counts and the error code. */
static enum XML_Status parse(const char *doc, size_t len, counts *got, enum XML_Error *err)
{
    XML_Parser p = XML_ParserCreate_MM(NULL, &SUITE, "|");
    if (!p) {
        lr_error("XML_ParserCreate_MM returned NULL (%s)", XML_ErrorString(XML_ERROR_NO_MEMORY));
        *err = XML_ERROR_NO_MEMORY;
        return XML_STATUS_ERROR;
    }
    XML_SetUserData(p, got);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_chars);
    XML_SetStartNamespaceDeclHandler(p, on_ns);
    XML_SetCommentHandler(p, on_comment);
    enum XML_Status st = XML_STATUS_OK;
    size_t pos = 0;
    const size_t chunk = 65536;
    while (st == XML_STATUS_OK) {
        size_t take = len - pos < chunk ? len - pos : chunk;
        st = XML_Parse(p, doc + pos, (int)take, pos + take == len);
        pos += take;
        if (pos == len) break;
    }
    *err = XML_GetErrorCode(p);
    if (*err != XML_ERROR_NONE) lr_error("XML_Parse: %s", XML_ErrorString(*err));
    XML_ParserFree(p);
    return st;
}

typedef struct {
    const sbuf *doc;
    const counts *want;
    int ok;
} job_t;

static void *thread_job(void *arg)
{
    job_t *j = arg;
    counts got = {0};
    enum XML_Error err;
    j->ok = parse(j->doc->p, j->doc->len, &got, &err) == XML_STATUS_OK && got.starts == j->want->starts &&
            got.attrs == j->want->attrs && got.chars == j->want->chars && got.ns_decls == j->want->ns_decls;
    return NULL;
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    size_t target = lr_opt(options, "tiny") ? 20000 : lr_opt(options, "quick") ? 300000 : 6000000;
    sbuf b = {0};
    counts want = {0}, got = {0};
    generate(&b, &want, target);
    enum XML_Error err;
    enum XML_Status st = parse(b.p, b.len, &got, &err);
    lr_check(st == XML_STATUS_OK, "parse failed: %s", XML_ErrorString(err));
    lr_check(got.starts == want.starts && got.ends == want.ends, "elements: got %lu/%lu, generated %lu/%lu",
             got.starts, got.ends, want.starts, want.ends);
    lr_check(got.ns_elems == want.ns_elems, "namespaced elements: got %lu, generated %lu", got.ns_elems,
             want.ns_elems);
    lr_check(got.attrs == want.attrs, "attributes: got %lu, generated %lu", got.attrs, want.attrs);
    lr_check(got.ns_decls == want.ns_decls, "namespace declarations: got %lu, generated %lu", got.ns_decls,
             want.ns_decls);
    lr_check(got.chars == want.chars, "character data: got %lu bytes, generated %lu", got.chars, want.chars);
    lr_check(got.comments == want.comments, "comments: got %lu, generated %lu", got.comments, want.comments);
    lr_extra("document_bytes", "%zu", b.len);
    lr_extra("events", "{\"elements\":%lu,\"attributes\":%lu,\"char_bytes\":%lu}", got.starts, got.attrs,
             got.chars);
    if (!lr_opt(options, "nothreads")) {
        job_t jobs[4];
        for (int i = 0; i < 4; i++) jobs[i] = (job_t){&b, &want, 0};
        lr_threads(4, thread_job, jobs, sizeof(job_t));
        for (int i = 0; i < 4; i++) lr_check(jobs[i].ok, "thread %d: parse or its event counts differ", i);
        lr_extra("threads", "4");
    }
    const char *bad = "<a xmlns=\"urn:x\"><b></a>";
    counts c2 = {0};
    st = parse(bad, strlen(bad), &c2, &err);
    lr_check(st == XML_STATUS_ERROR && err == XML_ERROR_TAG_MISMATCH,
             "ill-formed document: expected XML_ERROR_TAG_MISMATCH, got %s", XML_ErrorString(err));
    free(b.p);
    lr_settle();
    return lr_end("expat", out, cap);
}
