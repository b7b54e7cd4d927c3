import { defineCase } from "../../case.ts";
import { nonNull, recordArenas, requestedBytes } from "../_lib.ts";

export default defineCase({
  id: "pymalloc/small_obj_request_does_not_reach_raw",
  description:
    "PyObject_Malloc of 1..512 bytes is served by pymalloc from arenas, never by the RAW or MEM allocator",
  spec: {
    section: "PEP 445, Memory allocators",
    quote: "CPython has a pymalloc allocator using arenas of 256 KB for allocations smaller than 512 bytes.",
  },
  features: ["pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-shipped", "pymalloc", "arena"],
  run(ctx) {
    if (ctx.getAllocator("OBJ").malloc === ctx.getAllocator("RAW").malloc) {
      ctx.fail("OBJ's default malloc is RAW's malloc, not pymalloc");
    }
    const warm = nonNull(ctx, ctx.py.PyObject_Malloc(8), "warm-up PyObject_Malloc(8)");
    const arenas = recordArenas(ctx);
    const raw = ctx.hook("RAW");
    const mem = ctx.hook("MEM");
    const live: number[] = [];
    for (const n of [1, 8, 16, 100, 256, 500]) {
      live.push(nonNull(ctx, ctx.py.PyObject_Malloc(n), `PyObject_Malloc(${n})`));
    }
    for (let i = 0; i < 40000; i++) {
      live.push(nonNull(ctx, ctx.py.PyObject_Malloc(100), `PyObject_Malloc(100) #${i}`));
    }
    mem.uninstall();
    raw.uninstall();
    for (const p of live) ctx.py.PyObject_Free(p);
    ctx.py.PyObject_Free(warm);
    // A call's size is what it asks for (requestedBytes): pymalloc's own radix-tree node,
    // PyMem_RawCalloc(1, 131072) when an arena lands in a new 16 GiB region (3.10+), is no small request.
    const seen = [...raw.calls, ...mem.calls].filter((c) => c.op !== "free" && requestedBytes(c) <= 512);
    if (seen.length) {
      ctx.fail(
        `small PyObject_Malloc requests reached RAW/MEM: ${
          seen.slice(0, 5).map((c) => `${c.op}(${c.args})`).join(", ")
        }`,
      );
    }
    if (arenas.allocs.length === 0) {
      ctx.fail("4 MB of PyObject_Malloc(100) blocks allocated no pymalloc arena");
    }
  },
});
