import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "pymalloc/small_obj_request_does_not_reach_raw",
  description: "PyObject_Malloc of 1..512 bytes is served by pymalloc from its pools, not by the RAW or MEM allocator",
  spec: { section: "PEP 445, Memory allocators", quote: "CPython has a pymalloc allocator using arenas of 256 KB for allocations smaller than 512 bytes." },
  features: ["pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const warm = nonNull(ctx, ctx.py.PyObject_Malloc(8), "warm-up PyObject_Malloc(8)");
    const raw = ctx.hook("RAW");
    const mem = ctx.hook("MEM");
    const live: number[] = [];
    for (const n of [1, 8, 16, 100, 256, 500]) live.push(nonNull(ctx, ctx.py.PyObject_Malloc(n), `PyObject_Malloc(${n})`));
    for (const p of live) ctx.py.PyObject_Free(p);
    mem.uninstall();
    raw.uninstall();
    ctx.py.PyObject_Free(warm);
    const seen = [...raw.calls, ...mem.calls].filter((c) => c.op !== "free");
    if (seen.length) ctx.fail(`small PyObject_Malloc requests reached RAW/MEM: ${seen.map((c) => `${c.op}(${c.args})`).join(", ")}`);
  },
});
