import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLibrary, requireSymbols, symbolAddress } from "./library.ts";
import { ENTRY_POINTS } from "./symbols.ts";
import { buildNative } from "../build.ts";
import { LIBPYTHON, NO_LIBPYTHON as skip } from "./libpython_fixture.ts";

const LIBPY = LIBPYTHON ?? "";
/** Runs `fn` with a temporary folder of its own, removed afterwards. */
function inTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-ffi-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line, naming `what`. */
function oneLine(fn: () => unknown, what: RegExp): string {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    assert.ok(!m.includes("\n"), `multi-line error: ${m}`);
    assert.match(m, what);
    return m;
  }
  assert.fail("expected an error");
}

test("library: a missing file is named with what to do", () => {
  const m = oneLine(
    () => openLibrary("/nonexistent/libfoo.so", ENTRY_POINTS),
    /library not found: \/nonexistent\/libfoo\.so/,
  );
  assert.match(m, /check the path/);
  oneLine(() => symbolAddress("/nonexistent/libfoo.so", "x"), /library not found: \/nonexistent\/libfoo\.so/);
});

test("library: a file that is not a shared library gives one clear line", () =>
  inTempDir((dir) => {
    const f = join(dir, "not_a_lib.so");
    writeFileSync(f, "this is text, not ELF\n".repeat(10));
    oneLine(() => openLibrary(f, ENTRY_POINTS), new RegExp(`cannot load ${f}: .*not a shared library`));
    oneLine(() => openLibrary(dir, ENTRY_POINTS), /is a directory, not a shared library/);
  }));

test("library: a library built for another ABI (ELF class 32) gives one clear line", () =>
  inTempDir((dir) => {
    const f = join(dir, "libwrongclass.so");
    copyFileSync(buildNative(), f); // a 64-bit ELF library of ours
    const b = readFileSync(f);
    b[4] = 1; // EI_CLASS = ELFCLASS32
    writeFileSync(f, b);
    oneLine(() => openLibrary(f, ENTRY_POINTS), new RegExp(`cannot load ${f}: .*(ELF|another architecture)`));
  }));

test("library: a missing symbol names the symbol and the file", { skip }, () => {
  const m = oneLine(
    () => symbolAddress(LIBPY, "pep445_no_such_allocator"),
    /symbol 'pep445_no_such_allocator' not found in .*libpython3\.\d+\.so/,
  );
  assert.match(m, /export it/);
  const lib = openLibrary("libc.so.6", ENTRY_POINTS);
  oneLine(
    () => requireSymbols(lib, ["PyMem_RawMalloc", "PyMem_RawFree"], "not a libpython"),
    /libc\.so\.6 does not export PyMem_RawMalloc, PyMem_RawFree: not a libpython/,
  );
});

test("library: bad argument types are TypeErrors", () => {
  assert.throws(() => symbolAddress(42 as any, "x"), TypeError);
  assert.throws(() => symbolAddress("libc.so.6", "" as any), TypeError);
  assert.throws(() => openLibrary("" as any, ENTRY_POINTS), TypeError);
});

test("library: libraries open once per path and table", { skip }, () => {
  assert.equal(openLibrary(LIBPY, ENTRY_POINTS), openLibrary(LIBPY, ENTRY_POINTS));
  assert.equal(
    symbolAddress(LIBPY, "PyMem_RawMalloc"),
    openLibrary(LIBPY, ENTRY_POINTS).address("PyMem_RawMalloc"),
  );
});
