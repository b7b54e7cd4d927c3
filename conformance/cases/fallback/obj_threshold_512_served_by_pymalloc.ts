import { defineCase } from "../../case.ts";
import { defaultOverhead, nonNull } from "../_lib.ts";

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
    // pymalloc's threshold is on what reaches it: a Py_DEBUG build's default debug hooks add 3S first
    const x = defaultOverhead(ctx);
    const [small, big] = [512 - x, 513 - x];
    const warm = nonNull(ctx, ctx.py.PyObject_Malloc(small), `warm-up PyObject_Malloc(${small})`);
    const raw = ctx.hook("RAW");
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(small), `PyObject_Malloc(${small})`);
    const q = nonNull(ctx, ctx.py.PyObject_Malloc(big), `PyObject_Malloc(${big})`);
    raw.uninstall();
    for (const b of [warm, p, q]) ctx.py.PyObject_Free(b);
    if (raw.calls.some((c) => c.op === "malloc" && c.args[0] === 512)) {
      ctx.fail(`PyObject_Malloc(${small}) reached the RAW allocator: 512 must be served by pymalloc`);
    }
    if (!raw.calls.some((c) => c.op === "malloc" && c.args[0] === 513)) {
      ctx.fail(`PyObject_Malloc(${big}) did not reach the RAW allocator as malloc(513)`);
    }
  },
});
