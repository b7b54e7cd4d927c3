import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_threshold_512_served_by_pymalloc",
  description:
    "CPython: 512 bytes is still a small request (served by pymalloc, no RAW call); 513 falls back",
  spec: {
    section: "spec/cpython-facts.md §4 (size classes)",
    quote:
      "idx = `(n-1) >> ALIGNMENT_SHIFT` for 1 ≤ n ≤ 512, and block size = `(idx+1) << ALIGNMENT_SHIFT`. n==0 and n>512 are passed to PyMem_Raw*.",
  },
  features: ["fallback", "pymalloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const warm = nonNull(ctx, ctx.py.PyObject_Malloc(512), "warm-up PyObject_Malloc(512)");
    const raw = ctx.hook("RAW");
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(512), "PyObject_Malloc(512)");
    const q = nonNull(ctx, ctx.py.PyObject_Malloc(513), "PyObject_Malloc(513)");
    raw.uninstall();
    for (const b of [warm, p, q]) ctx.py.PyObject_Free(b);
    if (raw.calls.some((c) => c.op === "malloc" && c.args[0] === 512)) {
      ctx.fail("PyObject_Malloc(512) reached the RAW allocator: 512 must be served by pymalloc");
    }
    if (!raw.calls.some((c) => c.op === "malloc" && c.args[0] === 513)) {
      ctx.fail("PyObject_Malloc(513) did not reach the RAW allocator");
    }
  },
});
