import { test } from "node:test";
import assert from "node:assert/strict";
import { createRef } from "../ref/mod.ts";
import { CaseFailure, CaseSkip, debugBytes, makeContext, pattern, Prng } from "./context.ts";
import { defineCase } from "./case.ts";
import {
  failEveryPath,
  injectedFailures,
  requestedBytes,
  requireInjectedFailure,
  stopFailing,
} from "./cases/_lib.ts";

const target = { label: "ref", capabilities: new Set<never>() };

test("context: Prng and pattern are deterministic per seed", () => {
  const a = new Prng(7), b = new Prng(7), c = new Prng(8);
  const xs = [a.next(), a.next(), a.next()];
  assert.deepEqual([b.next(), b.next(), b.next()], xs);
  assert.notDeepEqual([c.next(), c.next(), c.next()], xs);
  for (let i = 0; i < 100; i++) {
    const v = a.int(3, 9);
    assert.ok(v >= 3 && v <= 9);
  }
  assert.deepEqual(pattern(5, 32), pattern(5, 32));
  assert.notDeepEqual(pattern(5, 32), pattern(6, 32));
});

test("context: domain dispatch, fill/verify and a failing verify naming the byte", () => {
  const ctx = makeContext({ py: createRef(), target, domain: "MEM", profile: "cpython" });
  assert.equal(ctx.apiId, 0x6d);
  const p = ctx.malloc(40);
  ctx.fill(p, 40, 3);
  ctx.verify(p, 40, 3, "block");
  ctx.write(p + 17, [ctx.read(p + 17, 1)[0] ^ 1]);
  assert.throws(
    () => ctx.verify(p, 40, 3, "block"),
    (e: unknown) => e instanceof CaseFailure && /block: byte 17 of 40/.test(e.message),
  );
  ctx.free(p);
});

test("context: hook records calls with ctx and args, can fail chosen calls, and uninstalls", () => {
  const py = createRef();
  const ctx = makeContext({ py, target, domain: "RAW", profile: "cpython" });
  const before = py.PyMem_GetAllocator(0);
  const h = ctx.hook();
  const p = ctx.malloc(42);
  h.failNext.realloc = 1;
  assert.equal(ctx.realloc(p, 100), 0);
  ctx.free(p);
  h.uninstall();
  assert.deepEqual(h.calls.map((c) => `${c.op}(${c.args.join(",")})`), [
    "malloc(42)",
    `realloc(${p},100)`,
    `free(${p})`,
  ]);
  for (const c of h.calls) assert.equal(c.ctx, h.installed.ctx);
  assert.equal(py.PyMem_GetAllocator(0).malloc, before.malloc);
});

test("context: debug bytes per profile", () => {
  assert.deepEqual(debugBytes("cpython"), { clean: 0xcd, dead: 0xdd, forbidden: 0xfd, overhead: 24 });
  assert.deepEqual(debugBytes("pep445-2013"), { clean: 0xcb, dead: 0xdb, forbidden: 0xfb, overhead: 32 });
});

test("context: failEveryPath fails malloc, calloc and realloc until cleared, marking the calls", () => {
  const ctx = makeContext({
    py: createRef({ profile: "cpython" }),
    target,
    domain: "RAW",
    profile: "cpython",
  });
  const h = ctx.hook();
  failEveryPath(h);
  assert.equal(ctx.malloc(8), 0);
  assert.equal(ctx.calloc(2, 4), 0);
  assert.equal(ctx.realloc(0, 8), 0);
  assert.equal(ctx.malloc(8), 0, "still failing: every call, not the next one");
  assert.deepEqual(injectedFailures(h).map((c) => c.op), ["malloc", "calloc", "realloc", "malloc"]);
  stopFailing(h);
  const p = ctx.malloc(8);
  assert.notEqual(p, 0);
  assert.equal(injectedFailures(h).length, 4);
  ctx.free(p);
  h.uninstall();
});

test("context: a case whose injected failure is never reached is SKIP with the reason, not FAIL", async () => {
  const { executeInProcess } = await import("./execute.ts");
  const { refAdapter } = await import("./adapters/ref.ts");
  const c = defineCase({
    id: "x/never_reached",
    description: "the entry point refuses the size before the allocator is called",
    spec: { section: "test", quote: "test quote, long enough" },
    features: ["realloc"],
    profiles: ["cpython"],
    domains: ["RAW"],
    needs: [],
    injectsFailure: { fails: ["malloc", "calloc", "realloc"], precondition: "realloc reached the allocator" },
    run(ctx) {
      const p = ctx.malloc(8);
      const h = ctx.hook();
      failEveryPath(h);
      const q = ctx.realloc(p, 2n ** 63n); // above PY_SSIZE_T_MAX: refused by the entry point
      h.uninstall();
      requireInjectedFailure(ctx, h, 0, "realloc(p, 2**63)");
      ctx.fail(`unreachable ${q}`);
    },
  });
  const a = refAdapter("ref", (profile) => createRef({ profile }));
  const r = await executeInProcess(a, c, { caseId: c.id, domain: "RAW", profile: "cpython" } as never);
  assert.equal(r.status, "SKIP", r.message);
  assert.match(
    r.message,
    /precondition not met: realloc\(p, 2\*\*63\) made no malloc, calloc or realloc call/,
  );
  const thrown = (() => {
    try {
      makeContext({ py: createRef({ profile: "cpython" }), target, domain: "RAW", profile: "cpython" }).skip(
        "why",
      );
    } catch (e) {
      return e;
    }
  })();
  assert.ok(thrown instanceof CaseSkip && !(thrown instanceof CaseFailure));
});

test("context: requestedBytes is what a call asks for, not its smallest argument", () => {
  const call = (op: "malloc" | "calloc" | "realloc" | "free", ...args: number[]) => ({ op, ctx: 0, args });
  assert.equal(requestedBytes(call("malloc", 100)), 100);
  assert.equal(requestedBytes(call("calloc", 2, 5)), 10);
  // pymalloc's radix-tree bottom node (3.10+): one element of 128 KiB, not a 1-byte request
  assert.equal(requestedBytes(call("calloc", 1, 131072)), 131072);
  assert.equal(requestedBytes(call("realloc", 0x7f0000001000, 24)), 24);
  assert.equal(requestedBytes(call("realloc", 0, 600)), 600);
  assert.equal(requestedBytes(call("free", 0x7f0000001000)), 0);
});
