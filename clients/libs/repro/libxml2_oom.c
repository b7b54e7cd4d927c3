/*
 * libxml2_oom.c: standalone reproducer for the libxml2 findings of the libs fault sweep (clients/libs):
 * blocks left live after xmlFreeDoc + xmlCleanupParser when one allocation of a parse failed.
 *
 *   cc -O2 -I/usr/include/libxml2 -o /tmp/libxml2_oom clients/libs/repro/libxml2_oom.c -lxml2 && /tmp/libxml2_oom
 *
 * For N = 1, 2, ... a forked child installs xmlMemSetup (size-header tracking), fails allocation N, parses
 * a namespaced document of about 220 KB from memory, frees it and calls xmlCleanupParser, then prints the blocks
 * still live (count, bytes). Exit status 1 when some N leaks or crashes. `libxml2_oom N` runs point N alone.
 *
 * Measured with Debian's libxml2 2.9.14: allocation 29 of 35 (the xmlBufAdd of the document into the new
 * input buffer fails: "Memory allocation failed : growing buffer") leaks 2 blocks, 8257 bytes: valgrind
 * shows both from xmlBufCreateSize <- xmlAllocParserInputBuffer <- xmlParserInputBufferCreateMem <-
 * xmlReadMemory, i.e. the error path of xmlParserInputBufferCreateMem frees the input buffer struct but
 * not its xmlBuf.
 */
#define _GNU_SOURCE
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long calls, fail_at, live, live_bytes;
typedef struct {
    size_t n;
    size_t pad;
} hdr;

static void *m(size_t n)
{
    if (++calls == fail_at) return NULL;
    hdr *h = malloc(sizeof(hdr) + n);
    if (!h) return NULL;
    h->n = n, live++, live_bytes += (long)n;
    return h + 1;
}
static void f(void *p)
{
    if (!p) return;
    hdr *h = (hdr *)p - 1;
    live--, live_bytes -= (long)h->n;
    free(h);
}
static void *r(void *p, size_t n)
{
    if (!p) return m(n);
    if (++calls == fail_at) return NULL;
    hdr *h = (hdr *)p - 1;
    size_t old = h->n;
    h = realloc(h, sizeof(hdr) + n);
    if (!h) return NULL;
    h->n = n, live_bytes += (long)n - (long)old;
    return h + 1;
}
static char *s(const char *str)
{
    size_t n = strlen(str) + 1;
    char *p = m(n);
    if (p) memcpy(p, str, n);
    return p;
}
static void quiet(void *ctx, const char *msg, ...) { (void)ctx, (void)msg; }

static int child(void)
{
    xmlMemSetup(f, m, r, s);
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlInitParser();
    /* large enough (about 220 KB) that the parser grows its buffers */
    static char doc[1 << 20];
    size_t len = (size_t)snprintf(doc, sizeof doc, "<?xml version=\"1.0\"?><root xmlns:m=\"urn:m\">");
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(doc + len, sizeof doc - len,
                                "<item id=\"i%d\" n=\"%d\"><name>name-%d &amp; co</name><m:tag k=\"x\"/></item>", i, i, i);
    len += (size_t)snprintf(doc + len, sizeof doc - len, "</root>");
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "x.xml", NULL, 0);
    long used = calls;
    xmlFreeDoc(d);
    xmlCleanupParser();
    if (live) {
        printf("allocation %ld of %ld failed (parse %s): %ld block(s), %ld bytes live after xmlCleanupParser\n",
               fail_at, used, d ? "ok" : "failed", live, live_bytes);
        return 1;
    }
    return fail_at > used ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fail_at = atol(argv[1]);
        return child();
    }
    int bad = 0;
    printf("libxml2 %s\n", xmlParserVersion);
    fflush(stdout);
    for (fail_at = 1; fail_at < 100000; fail_at++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st)) printf("allocation %ld failed: child killed by signal %d\n", fail_at, WTERMSIG(st)), bad = 1;
        else if (WEXITSTATUS(st) == 1) bad = 1;
        else if (WEXITSTATUS(st) == 2) break;
        fflush(stdout);
    }
    printf("%ld allocation points tried\n", fail_at - 1);
    return bad;
}
