/*
 * zlib.c: zlib through the target's PyMem_RawMalloc (PEP 445 "External libraries"; CPython's own
 * Modules/zlibmodule.c routes zlib the same way because it releases the GIL).
 *
 * Hooks: z_stream.zalloc(opaque, items, size) / zfree(opaque, address) with opaque = the stream's own
 * context (checked on every call). zalloc has calloc's shape, so it is PyMem_RawCalloc(items, size): the
 * target's calloc checks items * size for overflow (zlib's own zcalloc does not; PEP 445 requires calloc
 * to refuse it, and libs_common.c checks that it did) and zeroes the block (checked by the checking layer:
 * the streams after the first get recycled memory).
 * Workload: a generated buffer (8 MiB; quick: 512 KiB) compressed and decompressed at levels 1, 6 and 9,
 * streaming (16 KiB input and output chunks) and one-shot (one deflate/inflate call with Z_FINISH); every
 * round trip compared byte for byte and by CRC-32. Then 4 threads at once, each a level-6 streaming round
 * trip of its own data (RAW must be thread-safe).
 * Planted bugs (to prove the checks can fail): "plant=leak" skips one inflateEnd (the inflate state and
 * window stay live), "plant=foreign" frees a libc block through the hook (a foreign free).
 * Options: "quick", "tiny" (16 KiB: the same streams and allocations, less data), "nothreads", "plant=leak",
 * "plant=foreign".
 */
#include "libs_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK 16384

typedef struct {
    unsigned magic; /* checked in every hook call: the opaque pointer reaches the hook unchanged */
    int id;
} zctx;
#define ZMAGIC 0x5a4c4942u

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    zctx *c = opaque;
    if (!c || c->magic != ZMAGIC) {
        lr_check(0, "zalloc got a wrong opaque pointer %p", opaque);
        return Z_NULL;
    }
    return lr_calloc(items, size, "zlib:zalloc");
}

static void z_free(voidpf opaque, voidpf address)
{
    zctx *c = opaque;
    if (!c || c->magic != ZMAGIC) lr_check(0, "zfree got a wrong opaque pointer %p", opaque);
    lr_free(address, "zlib:zfree");
}

/* Records an error zlib returned (Z_MEM_ERROR is "insufficient memory"); returns rc. */
static int zrc(const char *what, int rc)
{
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) lr_error("%s: %s (%d)", what, zError(rc), rc);
    return rc;
}

static void init_stream(z_stream *s, zctx *c)
{
    memset(s, 0, sizeof *s);
    s->zalloc = z_alloc;
    s->zfree = z_free;
    s->opaque = c;
}

static void fill(unsigned char *buf, size_t n, uint64_t seed)
{
    /* words from a small vocabulary with random digits: compressible, not trivially */
    static const char *words[] = {"allocator ", "domain ", "PyMem_RawMalloc ", "arena ", "pool ", "block ",
                                  "hook ", "debug ", "zlib ", "deflate "};
    uint64_t st = seed | 1;
    size_t i = 0;
    while (i < n) {
        uint64_t r = lr_rand(&st);
        const char *w = (r & 3) ? words[r % 10] : NULL;
        if (w) {
            for (size_t k = 0; w[k] && i < n; k++) buf[i++] = (unsigned char)w[k];
        } else {
            for (int k = 0; k < 8 && i < n; k++) buf[i++] = (unsigned char)(r >> (8 * k));
        }
    }
}

/* Streaming deflate into out (cap bytes); returns compressed size or -1. */
static long deflate_stream(const unsigned char *in, size_t n, unsigned char *out, size_t cap, int level,
                           int id)
{
    zctx c = {ZMAGIC, id};
    z_stream s;
    init_stream(&s, &c);
    if (zrc("deflateInit", deflateInit(&s, level)) != Z_OK) return -1;
    size_t pos = 0, outpos = 0;
    int rc = Z_OK;
    do {
        size_t take = n - pos < CHUNK ? n - pos : CHUNK;
        s.next_in = (Bytef *)in + pos;
        s.avail_in = (uInt)take;
        pos += take;
        int flush = pos == n ? Z_FINISH : Z_NO_FLUSH;
        do {
            size_t room = cap - outpos < CHUNK ? cap - outpos : CHUNK;
            s.next_out = out + outpos;
            s.avail_out = (uInt)room;
            rc = zrc("deflate", deflate(&s, flush));
            if (rc == Z_STREAM_ERROR) break;
            outpos += room - s.avail_out;
        } while (s.avail_out == 0 && outpos < cap);
    } while (pos < n && rc != Z_STREAM_ERROR);
    int end = deflateEnd(&s);
    return rc == Z_STREAM_END && end == Z_OK ? (long)outpos : -1;
}

static long inflate_stream(const unsigned char *in, size_t n, unsigned char *out, size_t cap, int id,
                           int skip_end)
{
    zctx c = {ZMAGIC, id};
    z_stream s;
    init_stream(&s, &c);
    if (zrc("inflateInit", inflateInit(&s)) != Z_OK) return -1;
    size_t pos = 0, outpos = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END && pos <= n) {
        size_t take = n - pos < CHUNK ? n - pos : CHUNK;
        s.next_in = (Bytef *)in + pos;
        s.avail_in = (uInt)take;
        do {
            size_t room = cap - outpos < CHUNK ? cap - outpos : CHUNK;
            s.next_out = out + outpos;
            s.avail_out = (uInt)room;
            rc = zrc("inflate", inflate(&s, Z_NO_FLUSH));
            if (rc != Z_OK && rc != Z_STREAM_END) goto done;
            outpos += room - s.avail_out;
        } while (s.avail_out == 0 && rc != Z_STREAM_END);
        pos += take - s.avail_in;
        if (take == 0) break;
    }
done:
    if (!skip_end) inflateEnd(&s);
    return rc == Z_STREAM_END ? (long)outpos : -1;
}

static long deflate_oneshot(const unsigned char *in, size_t n, unsigned char *out, size_t cap, int level)
{
    zctx c = {ZMAGIC, 100};
    z_stream s;
    init_stream(&s, &c);
    if (zrc("deflateInit", deflateInit(&s, level)) != Z_OK) return -1;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    int rc = zrc("deflate", deflate(&s, Z_FINISH));
    long got = (long)s.total_out;
    return deflateEnd(&s) == Z_OK && rc == Z_STREAM_END ? got : -1;
}

static long inflate_oneshot(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    zctx c = {ZMAGIC, 101};
    z_stream s;
    init_stream(&s, &c);
    if (zrc("inflateInit", inflateInit(&s)) != Z_OK) return -1;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    int rc = zrc("inflate", inflate(&s, Z_FINISH));
    long got = (long)s.total_out;
    return inflateEnd(&s) == Z_OK && rc == Z_STREAM_END ? got : -1;
}

/* One round trip: 1 when equal. */
static int round_trip(const unsigned char *data, size_t n, int level, int oneshot, int id, int skip_end,
                      size_t *csize)
{
    size_t cap = compressBound((uLong)n) + 64;
    unsigned char *comp = malloc(cap), *back = malloc(n + 1);
    int ok = 0;
    if (comp && back) {
        long c = oneshot ? deflate_oneshot(data, n, comp, cap, level)
                         : deflate_stream(data, n, comp, cap, level, id);
        long d = c < 0 ? -1
                       : oneshot ? inflate_oneshot(comp, (size_t)c, back, n + 1)
                                 : inflate_stream(comp, (size_t)c, back, n + 1, id, skip_end);
        ok = c > 0 && d == (long)n && memcmp(data, back, n) == 0 &&
             crc32(0, data, (uInt)n) == crc32(0, back, (uInt)n);
        if (csize) *csize = c > 0 ? (size_t)c : 0;
    }
    free(comp);
    free(back);
    return ok;
}

typedef struct {
    int id;
    size_t n;
    int ok;
} job_t;

static void *thread_job(void *arg)
{
    job_t *j = arg;
    unsigned char *d = malloc(j->n);
    if (!d) return NULL;
    fill(d, j->n, 1000 + (uint64_t)j->id);
    j->ok = round_trip(d, j->n, 6, 0, j->id, 0, NULL) && round_trip(d, j->n, 1, 1, j->id, 0, NULL);
    free(d);
    return NULL;
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    int quick = lr_opt(options, "quick");
    size_t n = lr_opt(options, "tiny") ? (16u << 10) : quick ? (512u << 10) : (8u << 20);
    unsigned char *data = malloc(n);
    if (!data) return snprintf(out, cap, "{\"error\":\"out of memory for the input\"}"), 1;
    fill(data, n, 42);
    char sizes[256] = "";
    int levels[] = {1, 6, 9};
    for (int li = 0; li < 3; li++) {
        for (int one = 0; one < 2; one++) {
            size_t cs = 0;
            int ok = round_trip(data, n, levels[li], one, li, 0, &cs);
            lr_check(ok, "level %d %s: round trip of %zu bytes differs or failed", levels[li],
                     one ? "one-shot" : "streaming", n);
            if (one) snprintf(sizes + strlen(sizes), sizeof sizes - strlen(sizes), "%s%zu", li ? "," : "", cs);
        }
    }
    lr_extra("input_bytes", "%zu", n);
    lr_extra("compressed_bytes_levels_1_6_9", "[%s]", sizes);
    if (!lr_opt(options, "nothreads")) {
        job_t jobs[4];
        for (int i = 0; i < 4; i++) jobs[i] = (job_t){i + 10, quick ? (256u << 10) : (2u << 20), 0};
        lr_threads(4, thread_job, jobs, sizeof(job_t));
        for (int i = 0; i < 4; i++) lr_check(jobs[i].ok, "thread %d: round trip failed", i);
        lr_extra("threads", "4");
    }
    if (lr_opt(options, "plant=leak")) {
        int ok = round_trip(data, 1 << 16, 6, 0, 50, 1, NULL);
        lr_check(ok, "planted leak run: round trip failed");
        lr_note("planted bug: one inflateEnd skipped");
    }
    if (lr_opt(options, "plant=foreign")) {
        /* libc memory the target never handed out; zeroed so whatever the debug hooks read around the
           pointer (size, id byte, pads) is deterministic and inside this block */
        unsigned char *p = calloc(1, 128);
        lr_note("planted bug: a libc block freed through the hook");
        if (p) lr_free(p + 32, "zlib:planted-foreign-free");
        free(p);
    }
    free(data);
    lr_settle();
    return lr_end("zlib", out, cap);
}
