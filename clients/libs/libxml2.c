/*
 * libxml2.c: libxml2 through the target's PyMem_RawMalloc (PEP 445 "External libraries": "libxml2:
 * xmlGcMemSetup(), global").
 *
 * Hooks: xmlMemSetup(free, malloc, realloc, strdup), process-global, no context pointer; strdup is
 * malloc + copy through the same route.
 * Workload (default mode): xmlMemSetup before anything else, then a generated document (N items with
 * attributes, a namespace, text; N = 60000, quick 3000) parsed from memory, XPath queries with answers
 * known from the generator (count(//item), sum(//item/@n), the name of one item by id, count of the
 * namespaced elements), serialized (xmlDocDumpMemory, a buffer from the hooks freed with xmlFree), parsed
 * back and serialized again: both serializations equal. xmlFreeDoc + xmlCleanupParser, after which no
 * block may stay live.
 * "mode=late": the libxml2 facts' trap: the parser is initialised and used on libc first, THEN
 * xmlMemSetup is called (accepted: returns 0), and xmlCleanupParser frees the blocks made before the
 * switch through the new free: frees of memory the target never handed out. They are counted as foreign
 * frees and passed on, so the debug hooks say what they say (native: collected violations; CPython:
 * Fatal Python error, judged by the host).
 * Options: "quick", "tiny" (100 items: a fault sweep of every point), "nothreads", "mode=late".
 */
#include "libs_common.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *x_malloc(size_t n) { return lr_malloc(n, "libxml2:xmlMalloc"); }
static void *x_realloc(void *p, size_t n) { return lr_realloc(p, n, "libxml2:xmlRealloc"); }
static void x_free(void *p) { lr_free(p, "libxml2:xmlFree"); }
static char *x_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = lr_malloc(n, "libxml2:xmlMemStrdup");
    if (p) memcpy(p, s, n);
    return p;
}

/* libxml2 reports its errors (among them "Memory allocation failed") through this handler. */
static void on_xml_error(void *ud, xmlErrorPtr e)
{
    (void)ud;
    if (e && e->message) {
        size_t n = strlen(e->message);
        lr_error("libxml2 error %d: %.*s", e->code, (int)(n && e->message[n - 1] == '\n' ? n - 1 : n), e->message);
    }
}

static char *generate(int n, long *sum)
{
    size_t cap = (size_t)n * 160 + 256, len = 0;
    char *b = malloc(cap);
    if (!b) return NULL;
    len += (size_t)snprintf(b + len, cap - len,
                            "<?xml version=\"1.0\"?>\n<root xmlns:m=\"urn:allocspec:meta\">");
    *sum = 0;
    for (int i = 0; i < n; i++) {
        int v = (i * 37) % 1001;
        *sum += v;
        len += (size_t)snprintf(b + len, cap - len,
                                "<item id=\"i%d\" n=\"%d\"><name>name-%d &amp; co</name>%s</item>", i, v, i,
                                i % 5 == 0 ? "<m:tag k=\"x\"/>" : "");
    }
    snprintf(b + len, cap - len, "</root>\n");
    return b;
}

static double xpath_number(xmlXPathContextPtr c, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, c);
    double v = o ? xmlXPathCastToNumber(o) : -1;
    xmlXPathFreeObject(o);
    return v;
}

static void workload(int n)
{
    long sum = 0;
    char *src = generate(n, &sum);
    xmlDocPtr doc = src ? xmlReadMemory(src, (int)strlen(src), "gen.xml", NULL, 0) : NULL;
    lr_check(doc != NULL, "parse of the generated document failed");
    if (!doc) return free(src);
    xmlXPathContextPtr c = xmlXPathNewContext(doc);
    lr_check(c && xmlXPathRegisterNs(c, (const xmlChar *)"m", (const xmlChar *)"urn:allocspec:meta") == 0,
             "XPath context");
    double cnt = xpath_number(c, "count(//item)"), s = xpath_number(c, "sum(//item/@n)");
    double tags = xpath_number(c, "count(//m:tag)");
    lr_check(cnt == n, "count(//item) = %g, generated %d", cnt, n);
    lr_check(s == (double)sum, "sum(//item/@n) = %g, generated %ld", s, sum);
    lr_check(tags == (n + 4) / 5, "count(//m:tag) = %g, generated %d", tags, (n + 4) / 5);
    char q[64], want[64];
    snprintf(q, sizeof q, "string(//item[@id='i%d']/name)", n / 2);
    snprintf(want, sizeof want, "name-%d & co", n / 2);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)q, c);
    lr_check(o && o->stringval && strcmp((const char *)o->stringval, want) == 0, "%s = '%s', expected '%s'", q,
             o && o->stringval ? (const char *)o->stringval : "(null)", want);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    xmlChar *s1 = NULL, *s2 = NULL;
    int l1 = 0, l2 = 0;
    xmlDocDumpMemory(doc, &s1, &l1);
    xmlDocPtr back = s1 ? xmlReadMemory((const char *)s1, l1, "back.xml", NULL, 0) : NULL;
    if (back) xmlDocDumpMemory(back, &s2, &l2);
    lr_check(s1 && s2 && l1 == l2 && memcmp(s1, s2, (size_t)l1) == 0,
             "serialize -> parse -> serialize differs (%d vs %d bytes)", l1, l2);
    if (n > 200) lr_extra("serialized_bytes", "%d", l1);
    xmlFree(s1);
    xmlFree(s2);
    xmlFreeDoc(back);
    xmlFreeDoc(doc);
    free(src);
}

/* One thread's work: parse its own generated document (nodes = items x 5: item, @id, @n, name, text), check
   two XPath answers, free everything. */
typedef struct {
    int id, items, ok;
} job_t;

static void *thread_job(void *arg)
{
    job_t *j = arg;
    long sum = 0;
    char *src = generate(j->items, &sum);
    xmlDocPtr doc = src ? xmlReadMemory(src, (int)strlen(src), "thread.xml", NULL, 0) : NULL;
    xmlXPathContextPtr c = doc ? xmlXPathNewContext(doc) : NULL;
    double cnt = c ? xpath_number(c, "count(//item)") : -1, s = c ? xpath_number(c, "sum(//item/@n)") : -1;
    j->ok = doc && c && cnt == j->items && s == (double)sum;
    xmlXPathFreeContext(c);
    xmlFreeDoc(doc);
    free(src);
    return NULL;
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    int n = lr_opt(options, "tiny") ? 100 : lr_opt(options, "quick") ? 3000 : 60000;
    if (lr_opt(options, "mode=late")) {
        xmlInitParser(); /* on libc: libxml2's defaults */
        workload(200);
        int rc = xmlMemSetup(x_free, x_malloc, x_realloc, x_strdup);
        lr_note("xmlMemSetup after xmlInitParser returned %d (accepted)", rc);
        workload(200);
        xmlCleanupParser(); /* frees the pre-switch blocks through x_free */
        lr_settle();
        lr_extra("mode", "\"late\"");
        return lr_end("libxml2", out, cap);
    }
    int rc = xmlMemSetup(x_free, x_malloc, x_realloc, x_strdup);
    lr_check(rc == 0, "xmlMemSetup returned %d", rc);
    xmlSetStructuredErrorFunc(NULL, on_xml_error);
    xmlInitParser();
    workload(n);
    if (!lr_opt(options, "nothreads")) {
        job_t jobs[4];
        for (int i = 0; i < 4; i++) jobs[i] = (job_t){i, 4000, 0};
        lr_threads(4, thread_job, jobs, sizeof(job_t));
        for (int i = 0; i < 4; i++) lr_check(jobs[i].ok, "thread %d: parse or XPath of its document failed", i);
        lr_extra("threads", "4");
    }
    xmlCleanupParser();
    lr_settle();
    lr_extra("items", "%d", n);
    return lr_end("libxml2", out, cap);
}
