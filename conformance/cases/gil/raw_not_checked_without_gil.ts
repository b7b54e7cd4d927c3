import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "gil/raw_not_checked_without_gil",
  description:
    "The RAW debug hooks do not check the GIL: PyMem_RawMalloc/Calloc/Realloc/Free work without it",
  spec: {
    section: "spec/cpython-facts.md §2.6",
    quote: "The RAW hooks perform no check: RawMalloc and RawFree without the GIL worked",
  },
  features: ["gil"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["debug-hooks", "gil"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    const p = nonNull(ctx, ctx.py.PyMem_RawMalloc(10), "PyMem_RawMalloc(10) without the GIL");
    const q = nonNull(ctx, ctx.py.PyMem_RawRealloc(p, 100), "PyMem_RawRealloc without the GIL");
    ctx.py.PyMem_RawFree(q);
    ctx.py.PyMem_RawFree(0);
    ctx.py.setGilHeld(true);
  },
});
