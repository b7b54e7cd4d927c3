import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { UsageError } from "../core/usage.ts";
import { benchForm, launchableKinds, launchForm, parseTarget, TARGET_KINDS, targetKind } from "./kinds.ts";
import { encodeLaunchForm, LAUNCHER_FORMS, parseFormsHeader } from "./launcher_forms.ts";
import { normalizeTargetFlags, parseDebugHooks } from "./flags.ts";

const oneLine = (re: RegExp) => (e: unknown) =>
  e instanceof UsageError && re.test(e.message) && !e.message.includes("\n");

test("kinds: every descriptor names an adapter module that exists and exports its factory", async () => {
  assert.deepEqual(Object.keys(TARGET_KINDS), [
    "ref",
    "native",
    "cpython",
    "vtable",
    "libc",
    "mutant",
    "hook",
    "tracemalloc",
  ]);
  for (const k of Object.values(TARGET_KINDS)) {
    const url = new URL(`../${k.adapter.module}`, import.meta.url);
    assert.ok(existsSync(url), `${k.name}: ${k.adapter.module} is missing`);
    const mod = await import(url.href);
    assert.equal(typeof mod[k.adapter.export], "function", `${k.name}: no ${k.adapter.export}`);
    assert.equal(parseTarget(k.example).kind, k.name, `${k.name}: its example is of another kind`);
  }
});

test("kinds: one parser, one line for an unknown kind", () => {
  assert.deepEqual(parseTarget("libc:libmimalloc.so.2:mi_"), { kind: "libc", arg: "libmimalloc.so.2:mi_" });
  assert.deepEqual(parseTarget("native"), { kind: "native", arg: undefined });
  assert.throws(() => targetKind("bogus"), oneLine(/^unknown target kind 'bogus': use one of ref, native, /));
});

test("kinds: launcher forms of the kinds real programs can run on (no probing needed for these)", () => {
  assert.deepEqual(launchableKinds(), ["native", "cpython", "vtable", "libc"]);
  assert.deepEqual(launchForm("native"), { form: "native", fields: ["cpython310"] });
  assert.deepEqual(launchForm("native:pep445"), { form: "native", fields: ["pep445"] });
  assert.deepEqual(launchForm("native:asan"), { form: "native", fields: ["cpython310"], variant: "asan" });
  assert.deepEqual(launchForm("cpython:/x/libpython3.11.so"), {
    form: "cpython",
    fields: [],
    libpython: "/x/libpython3.11.so",
  });
  assert.throws(() => launchForm("native:huge"), oneLine(/unknown variant or geometry 'huge'/));
  assert.throws(() => launchForm("ref"), oneLine(/^cannot run CPython on target 'ref': use native, cpython/));
  assert.throws(
    () => launchForm("vtable:/nonexistent/lib.so"),
    oneLine(/library \/nonexistent\/lib\.so not found/),
  );
  for (const f of [launchForm("native"), launchForm("cpython")]) {
    assert.ok(LAUNCHER_FORMS.some((x) => x.name === f.form), f.form);
  }
});

test("kinds: bench replay forms, from the registry (libraries found by the loader, no paths)", () => {
  assert.deepEqual(benchForm("native"), { replay: "native" });
  assert.deepEqual(benchForm("libc:libmimalloc.so.2:mi_"), {
    replay: "libc",
    lib: "libmimalloc.so.2",
    prefix: "mi_",
  });
  assert.deepEqual(benchForm("libc:libjemalloc.so.2"), {
    replay: "libc",
    lib: "libjemalloc.so.2",
    prefix: "",
  });
  assert.deepEqual(benchForm("vtable:libmine.so.1:my_alloc"), {
    replay: "vtable",
    lib: "libmine.so.1",
    symbol: "my_alloc",
  });
  assert.throws(
    () => benchForm("hook:./x.so"),
    oneLine(/^the benchmarks cannot replay on target 'hook:\.\/x\.so'/),
  );
  assert.throws(() => benchForm("native:asan"), oneLine(/bench replays native's release build/));
});

test("launcher forms: one X-macro list shared by C and TS; the C parser has a case for every form", () => {
  assert.deepEqual(LAUNCHER_FORMS.map((f) => f.name), ["cpython", "native", "vtable", "libc"]);
  assert.equal(encodeLaunchForm({ form: "libc", fields: ["libc.so.6", ""] }), "libc:libc.so.6:");
  assert.equal(encodeLaunchForm({ form: "cpython", fields: [] }), "cpython");
  assert.throws(() => encodeLaunchForm({ form: "mmap", fields: [] }), /not in forms\.h/);
  assert.throws(() => encodeLaunchForm({ form: "vtable", fields: ["x.so"] }), /takes 2 field/);
  assert.throws(() => parseFormsHeader("nothing here"), /no X\(name, fields, "syntax"\) entry/);
  const c = readFileSync(new URL("./launcher/allocator.c", import.meta.url), "utf8");
  for (const f of LAUNCHER_FORMS) assert.match(c, new RegExp(`case LAUNCHER_FORM_${f.name}:`), f.name);
});

test("flags: --target everywhere, --allocator and '--debug-hooks V' kept as aliases with one note each", () => {
  const notes: string[] = [];
  const note = (l: string) => notes.push(l);
  assert.deepEqual(
    normalizeTargetFlags(
      ["--allocator", "native", "--allocator=libc:libc.so.6", "--debug-hooks"],
      "faults",
      note,
    ),
    ["--target", "native", "--target=libc:libc.so.6", "--debug-hooks=cpython"],
  );
  assert.deepEqual(notes, ["faults: --allocator is deprecated: use --target (same syntax)"]);
  notes.length = 0;
  assert.deepEqual(normalizeTargetFlags(["--debug-hooks", "none", "--jobs", "2"], "clients", note), [
    "--debug-hooks=none",
    "--jobs",
    "2",
  ]);
  assert.deepEqual(notes, ["clients: '--debug-hooks none' is deprecated: use --debug-hooks=none"]);
  notes.length = 0;
  // after "--" everything is the program's
  assert.deepEqual(normalizeTargetFlags(["--", "--allocator", "--debug-hooks"], "python", note), [
    "--",
    "--allocator",
    "--debug-hooks",
  ]);
  assert.deepEqual(notes, []);
  assert.equal(parseDebugHooks(undefined), "");
  assert.equal(parseDebugHooks(undefined, "cpython"), "cpython");
  assert.equal(parseDebugHooks("none", "cpython"), "");
  assert.equal(parseDebugHooks("native"), "native");
  assert.throws(
    () => parseDebugHooks("on"),
    oneLine(/^--debug-hooks=on: use --debug-hooks, --debug-hooks=cpython/),
  );
});
