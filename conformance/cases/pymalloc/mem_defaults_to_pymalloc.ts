import { defineCase } from "../../case.ts";
import { nonNull, recordArenas } from "../_lib.ts";

export default defineCase({
  id: "pymalloc/mem_defaults_to_pymalloc",
  description:
    "CPython 3.6+: PyMem_Malloc is served by pymalloc: 4 MB of 100-byte PyMem blocks make pymalloc allocate an arena, and never reach RAW",
  spec: {
    section: "spec/cpython-facts.md §1.1",
    quote: "The MEM domain now defaults to pymalloc (previously malloc) (bpo-26249).",
  },
  features: ["pymalloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc", "arena"],
  run(ctx) {
    const mem = ctx.getAllocator("MEM");
    if (mem.malloc === ctx.getAllocator("RAW").malloc) {
      ctx.fail("MEM's default malloc is RAW's malloc, not pymalloc");
    }
    const warm = nonNull(ctx, ctx.py.PyMem_Malloc(100), "warm-up PyMem_Malloc(100)");
    const arenas = recordArenas(ctx);
    const raw = ctx.hook("RAW");
    const blocks: number[] = [];
    for (let i = 0; i < 40000; i++) {
      blocks.push(nonNull(ctx, ctx.py.PyMem_Malloc(100), `PyMem_Malloc(100) #${i}`));
    }
    raw.uninstall();
    for (const p of blocks) ctx.py.PyMem_Free(p);
    ctx.py.PyMem_Free(warm);
    const rawMallocs = raw.calls.filter((c) => c.op === "malloc" && c.args[0] === 100).length;
    if (rawMallocs) {
      ctx.fail(`${rawMallocs} PyMem_Malloc(100) calls reached the RAW allocator: MEM is not pymalloc`);
    }
    if (arenas.allocs.length === 0) {
      ctx.fail("4 MB of PyMem_Malloc(100) blocks allocated no pymalloc arena: MEM is not pymalloc");
    }
  },
});
