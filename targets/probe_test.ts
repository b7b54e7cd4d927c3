/**
 * The library probe's two children agree: `allocspec-probe` (probe/probe.c) and a child of the current
 * runtime give the same report (symbols found, the objects they lie in, the struct's fields, the GIL
 * calls, the need for static TLS) or the same one-line refusal, on libraries we did not write (glibc,
 * libpython, jemalloc and mimalloc when installed) and on our fixtures, hostile constructors included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ProbeChild, probeLibrary, type ProbeRequest } from "./probe.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileShared, findCompiler } from "../core/cbuild.ts";
import { findLibpython } from "../core/python.ts";
import { needs } from "../core/optional.ts";

let noCompiler: string | false = false;
try {
  findCompiler();
} catch (e) {
  noCompiler = `no C compiler to build allocspec-probe: ${(e as Error).message.split("\n")[0]}`;
}

/** Small libraries of our own, built here: an allocator struct, a constructor that aborts, one that forks. */
function withLibraries(use: (libs: Record<"vtable" | "ctorAbort" | "forkCtor", string>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-probe-test-"));
  const src = {
    vtable: `#include <stdlib.h>
static void *m(void *c, size_t n) { (void)c; return malloc(n); }
static void *z(void *c, size_t a, size_t b) { (void)c; return calloc(a, b); }
static void *r(void *c, void *p, size_t n) { (void)c; return realloc(p, n); }
static void f(void *c, void *p) { (void)c; free(p); }
__attribute__((visibility("default"))) void *pep445_allocator[5] = {0, (void *)m, (void *)z, (void *)r, (void *)f};`,
    ctorAbort: `#include <stdlib.h>
__attribute__((constructor)) static void boom(void) { abort(); }
__attribute__((visibility("default"))) int pep445_allocator;`,
    forkCtor: `#include <unistd.h>
__attribute__((constructor)) static void daemonize(void) { if (fork() == 0) { sleep(30); _exit(0); } }
__attribute__((visibility("default"))) int pep445_allocator;`,
  };
  const out = {} as Record<keyof typeof src, string>;
  for (const [name, code] of Object.entries(src) as [keyof typeof src, string][]) {
    writeFileSync(join(dir, `${name}.c`), code + "\n");
    compileShared({
      sources: [join(dir, `${name}.c`)],
      output: join(dir, `lib${name}.so`),
      flags: ["-Wno-pedantic"],
    });
    out[name] = join(dir, `lib${name}.so`);
  }
  try {
    use(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What must agree: addresses as found or not (their values differ from process to process). */
function outcome(kind: string, lib: string, req: ProbeRequest, child: ProbeChild): string {
  try {
    const { report, needsTls } = probeLibrary(kind, lib, req, 20000, child);
    return JSON.stringify({
      ...report,
      addresses: report.addresses.map((a) => a !== 0),
      struct: report.struct && { ...report.struct, fields: report.struct.fields.map((a) => a !== 0) },
      needsTls,
    });
  } catch (e) {
    // a signal's line may quote the child's first stderr line: Bun's crash banner, not the library's
    return `refused: ${
      (e as Error).message.replace(/(crashes or aborts\?\)): .*(; nothing was run)$/, "$1$2")
    }`;
  }
}

function agree(kind: string, lib: string, req: ProbeRequest): string {
  const program = outcome(kind, lib, req, "program");
  assert.equal(program, outcome(kind, lib, req, "runtime"), `${lib}: the two probe children disagree`);
  // and the default (the program, the runtime where static TLS decides) says the same
  assert.equal(outcome(kind, lib, req, "auto"), program);
  return program;
}

test("probe: allocspec-probe and the runtime child agree on glibc, libpython and a vtable fixture", {
  skip: noCompiler,
}, () => {
  assert.match(
    agree("libc", "libc.so.6", { names: ["malloc", "calloc", "realloc", "free", "nope"] }),
    /"file":/,
  );
  let py: string | undefined;
  try {
    py = findLibpython().path;
  } catch { /* no shared libpython: the rest still runs */ }
  if (py) {
    const r = agree("cpython", py, {
      names: ["PyMem_SetAllocator", "PyMem_GetAllocator", "malloc"],
      embed: true,
    });
    assert.match(r, /"embed":\{"gil":true\}/);
    assert.match(r, /libc\.so\.6/, "malloc is found in libpython's dependency, glibc");
  }
  withLibraries((libs) => {
    const v = agree("vtable", libs.vtable, {
      names: ["pep445_allocator"],
      struct: { symbol: "pep445_allocator", fields: 5 },
    });
    assert.match(v, /"struct":\{"fields":\[false,true,true,true,true\]/);
  });
});

test("probe: both refuse a missing file, a non-library and hostile constructors with the same line", {
  skip: noCompiler,
  timeout: 120_000,
}, () => {
  assert.match(agree("libc", "/no/such/lib.so", { names: ["malloc"] }), /^refused: libc target: cannot load/);
  assert.match(agree("libc", "/etc/hostname", { names: ["malloc"] }), /^refused: libc target: cannot load/);
  withLibraries((h) => {
    assert.match(
      agree("vtable", h.ctorAbort, { names: ["pep445_allocator"] }),
      /^refused: vtable target: loading .* killed the probe process with SIGABRT/,
    );
    // the daemon its constructor forks holds our stdout: the probe still returns, the group is killed
    assert.match(agree("vtable", h.forkCtor, { names: ["pep445_allocator"] }), /"file":/);
  });
});

test("probe: static TLS as the runtime needs it: jemalloc needs the tunable, mimalloc does not", {
  skip: noCompiler || needs("libjemalloc2", "libmimalloc2.0"),
}, () => {
  assert.match(agree("libc", "libjemalloc.so.2", { names: ["malloc", "free"] }), /"needsTls":true/);
  assert.match(agree("libc", "libmimalloc.so.2", { names: ["mi_malloc", "mi_free"] }), /"needsTls":false/);
});
