import { test } from "node:test";
import assert from "node:assert/strict";
import type { Pep445 } from "../ref/types.ts";
import { alignmentClass, runDifferential } from "./differential.ts";

// CI-sized: 3 seeds x 2500 operations, both profiles, debug hooks off and on (the command in the
// module's doc runs 20 seeds x 20000).
for (const profile of ["cpython", "pep445-2013"] as const) {
  for (const debugHooks of [false, true]) {
    test(`differential: ref and native agree on random streams (${profile}, hooks ${debugHooks ? "on" : "off"})`, () => {
      for (const seed of [1, 2, 3]) {
        const r = runDifferential({ seed, ops: 2500, profile, debugHooks });
        assert.deepEqual(r.divergences, []);
        // the stream exercised every operation (and, under the hooks, every planted misuse)
        for (const op of ["malloc", "calloc", "realloc", "free", "free_null"]) {
          assert.ok(r.counts[op] > 0, op);
        }
        if (debugHooks) {
          for (const v of [0, 1, 2, 3]) assert.ok(r.counts[`violation_${v}`] > 0, `misuse ${v}`);
        }
      }
    });
  }
}

/** Wrap one domain of `py` with a JS hook whose functions are given the original allocator. */
function plantOn(
  domain: number,
  make: (orig: ReturnType<Pep445["PyMem_GetAllocator"]>, py: Pep445) => object,
) {
  return (py: Pep445) => {
    const orig = py.PyMem_GetAllocator(domain);
    py.PyMem_SetAllocator(domain, { ...orig, ...make(orig, py) });
  };
}

test("differential: a calloc that does not zero, planted in native's RAW, is found", () => {
  const plant = plantOn(0, (orig, py) => ({
    calloc: (c: unknown, n: number, e: number) => {
      const p = orig.calloc!(c, n, e);
      // the middle byte: inside the data also under the debug hooks (which wrap this calloc)
      if (p !== 0 && n * e > 0) py.memory.write(p + Math.floor((n * e) / 2), [0xaa]);
      return p;
    },
  }));
  for (const debugHooks of [false, true]) {
    const r = runDifferential({ seed: 5, ops: 1500, profile: "cpython", debugHooks, plant });
    assert.ok(
      r.divergences.some((d) => /PyMem_RawCalloc\(\d+, \d+\): not zeroed/.test(d)),
      r.divergences.join("\n"),
    );
  }
});

test("differential: a realloc that loses the first byte, planted in native's MEM, is found", () => {
  const plant = plantOn(1, (orig, py) => ({
    realloc: (c: unknown, p: number, n: number) => {
      const q = orig.realloc(c, p, n);
      if (q !== 0 && n > 0) py.memory.write(q, [py.memory.read(q, 1)[0] ^ 0xff]);
      return q;
    },
  }));
  const r = runDifferential({ seed: 6, ops: 1500, profile: "pep445-2013", debugHooks: false, plant });
  assert.ok(
    r.divergences.some((d) => /PyMem_Realloc\(.*\): native lost the prefix/.test(d)),
    r.divergences.join("\n"),
  );
});

test("differential: a malloc that returns 8-aligned blocks where 16 is due, planted in native's OBJ, is found", () => {
  const shifted = new Set<number>();
  const plant = plantOn(2, (orig) => ({
    malloc: (c: unknown, n: number) => {
      const p = orig.malloc(c, n + 8);
      if (p === 0) return 0;
      shifted.add(p + 8);
      return p + 8;
    },
    realloc: (c: unknown, p: number, n: number) => {
      const q = orig.realloc(c, shifted.delete(p) ? p - 8 : p, n + 8);
      if (q === 0) return 0;
      shifted.add(q + 8);
      return q + 8;
    },
    free: (c: unknown, p: number) => orig.free(c, shifted.delete(p) ? p - 8 : p),
  }));
  const r = runDifferential({ seed: 8, ops: 1500, profile: "cpython", debugHooks: false, plant });
  assert.ok(
    r.divergences.some((d) => /PyObject_(Malloc|Realloc)\(.*alignment class ref 16, native 8/.test(d)),
    r.divergences.join("\n"),
  );
});

test("differential: alignment classes", () => {
  assert.deepEqual([0, 1, 6, 8, 24, 32, 4096].map(alignmentClass), [0, 1, 2, 8, 8, 16, 16]);
});
