import { defineCase } from "../../case.ts";
import { SST } from "../../../ref/types.ts";
import { defaultOverhead, nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_above_threshold_reaches_raw",
  description: "CPython: PyObject_Malloc(1000) (above the 512-byte threshold) falls back to PyMem_RawMalloc",
  spec: {
    section: "spec/cpython-facts.md §1.4",
    quote:
      "The 3.4 docs and the 3.5+ code fall back to **`PyMem_RawMalloc/RawRealloc`**, which a run confirms on 3.11: `PyObject_Malloc(1000)` reaches the RAW hook",
  },
  features: ["fallback", "pymalloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const raw = ctx.hook("RAW");
    const mem = ctx.hook("MEM");
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(1000), "PyObject_Malloc(1000)");
    ctx.py.PyObject_Free(p);
    mem.uninstall();
    raw.uninstall();
    const want = 1000 + defaultOverhead(ctx); // a Py_DEBUG build: the debug hooks over pymalloc add 3S
    const hit = raw.calls.find((c) => c.op === "malloc" && c.args[0] === want);
    if (!hit) {
      ctx.fail(
        `RAW hook did not see malloc(${want}); RAW saw [${
          raw.calls.map((c) => `${c.op}(${c.args})`)
        }], MEM saw [${mem.calls.map((c) => `${c.op}(${c.args})`)}]`,
      );
    }
    same(ctx, mem.calls.length, 0, "MEM hook calls (CPython falls back to RAW, not MEM)");
    same(
      ctx,
      // a Py_DEBUG build: the default debug hooks free q = p - 2S below
      raw.calls.filter((c) => c.op === "free" && c.args[0] === (want === 1000 ? p : p - 2 * SST)).length,
      1,
      "RAW frees of the fallback block by PyObject_Free",
    );
  },
});
