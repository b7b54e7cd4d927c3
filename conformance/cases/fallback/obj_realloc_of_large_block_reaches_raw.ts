import { defineCase } from "../../case.ts";
import { SST } from "../../../ref/types.ts";
import { defaultOverhead, nonNull } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_realloc_of_large_block_reaches_raw",
  description: "CPython: PyObject_Realloc of a block pymalloc does not own becomes PyMem_RawRealloc(p, n)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (zero size, pymalloc)",
    quote: "`realloc(non-pymalloc block, n)` becomes `PyMem_RawRealloc(p, n)`.",
  },
  features: ["fallback", "pymalloc", "realloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(2000), "PyObject_Malloc(2000)");
    ctx.fill(p, 2000, 7);
    const raw = ctx.hook("RAW");
    const q = nonNull(ctx, ctx.py.PyObject_Realloc(p, 3000), "PyObject_Realloc(p, 3000)");
    raw.uninstall();
    ctx.verify(q, 2000, 7, "block after PyObject_Realloc");
    ctx.py.PyObject_Free(q);
    // a Py_DEBUG build: the debug hooks over pymalloc pass q = p - 2S and n + 3S below
    const extra = defaultOverhead(ctx);
    const base = extra ? p - 2 * SST : p;
    const hit = raw.calls.find((c) => c.op === "realloc" && c.args[0] === base && c.args[1] === 3000 + extra);
    if (!hit) {
      ctx.fail(
        `RAW hook did not see realloc(${extra ? "p - 2S" : "p"}, ${3000 + extra}); saw [${
          raw.calls.map((c) => `${c.op}(${c.args})`)
        }]`,
      );
    }
  },
});
