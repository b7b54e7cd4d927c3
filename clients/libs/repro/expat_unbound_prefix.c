/*
 * expat_unbound_prefix.c: standalone reproducer of a finding of the libs fault sweep (clients/libs): with
 * namespace processing on, one failed allocation while expat records a namespace declaration makes the
 * parse fail with XML_ERROR_UNBOUND_PREFIX ("unbound prefix") instead of XML_ERROR_NO_MEMORY: the
 * out-of-memory condition is reported to the application as a well-formedness error of a correct document.
 *
 *   cc -O2 -o /tmp/expat_unbound_prefix clients/libs/repro/expat_unbound_prefix.c -lexpat && /tmp/expat_unbound_prefix
 *
 * Fails allocation N for N = 1, 2, ... (a fresh parser each time) and prints every N whose error is
 * neither XML_ERROR_NONE nor XML_ERROR_NO_MEMORY. Exit status 1 when such an N exists.
 */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long calls, fail_at;
static void *m(size_t n) { return ++calls == fail_at ? NULL : malloc(n); }
static void *r(void *p, size_t n) { return ++calls == fail_at ? NULL : realloc(p, n); }
static void f(void *p) { free(p); }

int main(void)
{
    static const XML_Memory_Handling_Suite suite = {m, r, f};
    const char *doc = "<r:root xmlns:r=\"urn:r\" xmlns=\"urn:d\" xmlns:m=\"urn:m\"><m:item a=\"1\"/><item/></r:root>";
    int bad = 0;
    printf("expat %s\n", XML_ExpatVersion());
    for (fail_at = 1; fail_at < 200; fail_at++) {
        calls = 0;
        XML_Parser p = XML_ParserCreate_MM(NULL, &suite, "|");
        if (!p) continue; /* creation failed: reported as NULL, fine */
        enum XML_Status st = XML_Parse(p, doc, (int)strlen(doc), 1);
        enum XML_Error e = XML_GetErrorCode(p);
        long used = calls;
        XML_ParserFree(p);
        if (st != XML_STATUS_OK && e != XML_ERROR_NO_MEMORY) {
            printf("allocation %ld of %ld failed -> XML_Parse error %d: %s\n", fail_at, used, (int)e,
                   XML_ErrorString(e));
            bad = 1;
        }
        if (fail_at > used) break; /* every allocation of the parse has been failed once */
    }
    return bad;
}
