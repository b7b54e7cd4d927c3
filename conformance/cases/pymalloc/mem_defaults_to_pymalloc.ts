import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "pymalloc/mem_defaults_to_pymalloc",
  description: "CPython 3.6+: PyMem_Malloc(100) is served by pymalloc (no call to the RAW allocator)",
  spec: { section: "cpython-facts.md §1.1", quote: "The MEM domain now defaults to pymalloc (previously malloc) (bpo-26249)." },
  features: ["pymalloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const warm = nonNull(ctx, ctx.py.PyMem_Malloc(100), "warm-up PyMem_Malloc(100)");
    const raw = ctx.hook("RAW");
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(100), "PyMem_Malloc(100)");
    raw.uninstall();
    ctx.py.PyMem_Free(p);
    ctx.py.PyMem_Free(warm);
    if (raw.calls.length) ctx.fail(`PyMem_Malloc(100) reached the RAW allocator (${raw.calls.map((c) => `${c.op}(${c.args})`)}): MEM is not pymalloc`);
  },
});
