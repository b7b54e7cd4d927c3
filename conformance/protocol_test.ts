import { test } from "node:test";
import assert from "node:assert/strict";
import { parseMessage, trustedResult } from "./protocol.ts";
import type { RunSpec } from "./plan.ts";

const run: RunSpec = { caseId: "zero_size/malloc_zero_distinct_non_null", domain: "RAW", profile: "cpython" };
const good = {
  target: "ref",
  case: run.caseId,
  domain: "RAW",
  profile: "cpython",
  status: "PASS",
  message: "",
  spec: { section: "s", quote: "q" },
  features: [],
  ms: 1,
};

test("protocol: ready, fatal and a result for the run in flight are accepted", () => {
  assert.deepEqual(parseMessage('{"ready":true}', undefined), { ok: { ready: true } });
  assert.deepEqual(parseMessage('{"fatal":"boom"}', run), { ok: { fatal: "boom" } });
  assert.deepEqual(parseMessage(JSON.stringify({ result: good }), run), { ok: { result: good } });
});

test("protocol: bad JSON, wrong shapes and results for another run are errors, never results", () => {
  const bad = [
    ['{"result": {bad json', /not JSON/],
    ["[1,2]", /not an object/],
    ['{"ready":true}', /unexpected protocol message/],
    [JSON.stringify({ result: { ...good, case: "free_null/free_null_is_noop" } }), /not the run asked for/],
    [JSON.stringify({ result: { ...good, domain: "MEM" } }), /not the run asked for/],
    [JSON.stringify({ result: { ...good, status: "GREAT" } }), /unknown status/],
    [JSON.stringify({ result: { ...good, ms: -1 } }), /no valid ms/],
    [JSON.stringify({ result: { ...good, spec: undefined } }), /lacks spec/],
    [JSON.stringify({ result: good, extra: 1 }), /unexpected protocol message/],
  ] as const;
  for (const [line, re] of bad) {
    const m = parseMessage(line, run);
    assert.ok("error" in m, line);
    assert.match(m.error, re);
  }
  assert.ok("error" in parseMessage(JSON.stringify({ result: good }), undefined));
});

test("protocol: with a nonce, only a result carrying it is accepted, once asked for", () => {
  const nonce = "n-123";
  assert.deepEqual(parseMessage(JSON.stringify({ result: good, nonce }), run, nonce), {
    ok: { result: good },
  });
  for (
    const line of [
      JSON.stringify({ result: good }), // what a target forging a line on fd 3 writes
      JSON.stringify({ result: good, nonce: "guess" }),
      JSON.stringify({ result: good, nonce, extra: 1 }),
    ]
  ) {
    const m = parseMessage(line, run, nonce);
    assert.ok("error" in m, line);
  }
  assert.match(
    (parseMessage(JSON.stringify({ result: good, nonce: "x" }), run, nonce) as { error: string }).error,
    /unauthenticated result/,
  );
});

test("protocol: a trusted result takes identity, spec and features from the runner, not the message", () => {
  const expected = {
    ...good,
    target: "vtable:./libmine.so",
    features: ["zero-size"],
    informational: true,
  } as const;
  const forged = { ...good, target: "made-up", status: "FAIL", message: "m", ms: 5, features: [] } as const;
  const r = trustedResult(expected as never, forged as never);
  assert.equal(r.target, "vtable:./libmine.so");
  assert.deepEqual(r.features, ["zero-size"]);
  assert.equal(r.informational, true);
  assert.deepEqual([r.status, r.message, r.ms], ["FAIL", "m", 5]);
});
