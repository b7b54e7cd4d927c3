import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32, synthesizeTrace } from "./synthetic.ts";
import { decodeTrace, OP_FREE } from "./trace.ts";
import { validateTrace } from "./trace_check.ts";

test("synthetic: same options give identical bytes, another seed differs", () => {
  const a = synthesizeTrace({ ops: 20_000, seed: 7 });
  const b = synthesizeTrace({ ops: 20_000, seed: 7 });
  const c = synthesizeTrace({ ops: 20_000, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("synthetic: exact length, valid (no free of a dead slot, no leak by overwrite), all ops and domains", () => {
  for (const seed of [1, 2, 3]) {
    const bytes = synthesizeTrace({ ops: 50_000, seed, maxLive: 500 });
    const s = validateTrace(bytes);
    assert.equal(s.nops, 50_000);
    assert.equal(s.freeOfNull, 0, "a free of a dead slot");
    assert.ok(s.nslots <= 500, `nslots ${s.nslots} > maxLive`);
    for (const n of s.byOp) assert.ok(n > 0, `an op kind never appears: ${s.byOp}`);
    for (const n of s.byDomain) assert.ok(n > 0, `a domain never appears: ${s.byDomain}`);
    assert.ok(s.peakLiveBlocks <= 500);
  }
});

test("synthetic: most frees are of young blocks (LIFO temporaries)", () => {
  const ops = decodeTrace(synthesizeTrace({ ops: 20_000, seed: 3 }));
  const born = new Map<number, number>();
  let young = 0, frees = 0;
  ops.forEach((op, i) => {
    if (op.op === OP_FREE) {
      frees++;
      if (i - born.get(op.slot)! < 50) young++;
    } else if (op.src !== op.slot) born.set(op.slot, i);
  });
  assert.ok(young / frees > 0.4, `young share ${young / frees}`);
});

test("synthetic: zero ops and bad input", () => {
  assert.equal(validateTrace(synthesizeTrace({ ops: 0 })).nops, 0);
  assert.throws(() => synthesizeTrace({ ops: -1 }), /ops must be/);
  const r = mulberry32(1);
  const x = r();
  assert.ok(x >= 0 && x < 1);
});
