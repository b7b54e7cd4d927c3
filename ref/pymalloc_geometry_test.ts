import { test } from "node:test";
import assert from "node:assert/strict";
import { POOL_HEADER_SIZE, pymallocParams, roundUp, SMALL_REQUEST_THRESHOLD } from "./pymalloc_geometry.ts";
import type { Geometry } from "./types.ts";

test("pymalloc_geometry: the two geometries (obmalloc.c 3.3-3.7 and 3.10+ 64-bit)", () => {
  assert.deepEqual(pymallocParams("pep445"), {
    geometry: "pep445",
    ARENA_SIZE: 262144,
    POOL_SIZE: 4096,
    ALIGNMENT: 8,
    ALIGNMENT_SHIFT: 3,
    POOL_OVERHEAD: 48,
    NB_SMALL_SIZE_CLASSES: 64,
    MAX_POOLS_IN_ARENA: 64,
  });
  assert.deepEqual(pymallocParams("cpython310"), {
    geometry: "cpython310",
    ARENA_SIZE: 1048576,
    POOL_SIZE: 16384,
    ALIGNMENT: 16,
    ALIGNMENT_SHIFT: 4,
    POOL_OVERHEAD: 48,
    NB_SMALL_SIZE_CLASSES: 32,
    MAX_POOLS_IN_ARENA: 64,
  });
  assert.equal(SMALL_REQUEST_THRESHOLD, 512);
  assert.equal(POOL_HEADER_SIZE, 4 * 8 + 4 * 4, "4 pointer-sized fields + 4 uints");
  assert.equal(roundUp(POOL_HEADER_SIZE, 32), 64);
  assert.throws(() => pymallocParams("x" as Geometry), RangeError);
});
