import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_realloc_of_large_block_reaches_mem",
  description: "PEP 2013 text: PyObject_Realloc of a block pymalloc does not own falls back to PyMem_Realloc",
  spec: {
    section: "PEP 445, Make usage of these new APIs",
    quote: "and ``PyObject_Realloc()`` falls back on ``PyMem_Realloc()`` instead of ``realloc()``",
  },
  features: ["fallback", "pymalloc", "realloc"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(2000), "PyObject_Malloc(2000)");
    ctx.fill(p, 2000, 8);
    const mem = ctx.hook("MEM");
    const q = nonNull(ctx, ctx.py.PyObject_Realloc(p, 3000), "PyObject_Realloc(p, 3000)");
    mem.uninstall();
    ctx.verify(q, 2000, 8, "block after PyObject_Realloc");
    ctx.py.PyObject_Free(q);
    const hit = mem.calls.find((c) => c.op === "realloc" && c.args[0] === p && c.args[1] === 3000);
    if (!hit) {
      ctx.fail(`MEM hook did not see realloc(p, 3000); saw [${mem.calls.map((c) => `${c.op}(${c.args})`)}]`);
    }
  },
});
