import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "gil/mem_realloc_without_gil_detected",
  description: "PyMem_Realloc without the GIL under the debug hooks is reported by _PyMem_DebugRealloc",
  spec: {
    section: "spec/cpython-facts.md §2.4",
    quote: "GIL failures name `_PyMem_DebugMalloc`, `…Calloc`, `…Realloc` or `…Free`.",
  },
  features: ["gil"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "gil"],
  expect: { violation: "no_gil", func: "_PyMem_DebugRealloc" },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(10), "PyMem_Malloc(10) with the GIL");
    ctx.py.setGilHeld(false);
    ctx.py.PyMem_Realloc(p, 20);
  },
});
