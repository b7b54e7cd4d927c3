import { test } from "node:test";
import assert from "node:assert/strict";
import { causeCountText, groupByCause, listText, maskMessage } from "./causes.ts";

const run = (column: string, message: string, status = "FAIL") => ({ column, status, message });

test("causes: numbers, addresses and URLs are masked; identifiers with digits are not", () => {
  assert.equal(maskMessage("realloc(0x55aa01, 24) moved to 0x7f0001"), "realloc(0x…, N) moved to 0x…");
  assert.equal(maskMessage("byte 3 of 1.5 in ctx_v2 A445TRC1"), "byte N of N in ctx_v2 A445TRC1");
  assert.equal(
    maskMessage("crashed; stderr: see https://bun.report/1.4.5/la1a7_+x; worker restarted"),
    "crashed; stderr: see <url>; worker restarted",
  );
});

test("causes: grouped by column, status and masked message; equal numbers kept in the text", () => {
  const runs = [
    run("jemalloc", "malloc(0) returned NULL"),
    run("jemalloc", "malloc(24) at 0x10 not aligned"),
    run("native", "malloc(0) returned NULL"),
    run("jemalloc", "malloc(0) returned NULL"),
    run("jemalloc", "malloc(48) at 0x20 not aligned"),
    run("jemalloc", "malloc(48) at 0x20 not aligned"),
    run("jemalloc", "malloc(0) returned NULL", "ERROR"),
  ];
  const cs = groupByCause(runs, (r) => r);
  assert.deepEqual(cs.map((c) => [c.id, c.column, c.status, c.runs.length, c.text]), [
    ["c1", "jemalloc", "FAIL", 3, "malloc(N) at 0x… not aligned"],
    ["c2", "jemalloc", "FAIL", 2, "malloc(0) returned NULL"],
    ["c3", "jemalloc", "ERROR", 1, "malloc(0) returned NULL"],
    ["c4", "native", "FAIL", 1, "malloc(0) returned NULL"],
  ]);
  assert.equal(causeCountText(cs.slice(0, 3)), "5 FAIL, 1 ERROR in 3 causes");
  assert.equal(causeCountText(cs.slice(3)), "1 FAIL in 1 cause");
  assert.equal(listText(["a", "b", "c", "d", "e"], 3), "a, b, c and 2 more");
});
