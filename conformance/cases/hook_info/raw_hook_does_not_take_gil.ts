import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_info/raw_hook_does_not_take_gil",
  description:
    "Informational: PyMem_RawMalloc/RawFree without the GIL reach the allocator below still without the GIL (the RAW hook does not take it)",
  spec: {
    section: "PEP 445, PyMem_Malloc() GIL-free",
    quote:
      "Calling ``PyGILState_Ensure()`` in a memory allocator may have unexpected behaviour, especially at Python startup and at creation of a new Python thread state.",
  },
  features: ["gil", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["hook", "gil"],
  informational: true,
  run(ctx) {
    const { h } = hookOf(ctx);
    if (!h.hooked.has("RAW")) return; // the hook leaves RAW alone: nothing of it to check
    const below = h.below.RAW;
    ctx.py.setGilHeld(false);
    try {
      ctx.py.PyMem_RawFree(nonNull(ctx, ctx.py.PyMem_RawMalloc(32), "PyMem_RawMalloc(32) without the GIL"));
    } finally {
      ctx.py.setGilHeld(true);
    }
    const held = below.gil.filter((g) => g.held === 1);
    if (held.length) {
      ctx.fail(
        `the RAW hook took the GIL: ${
          held.map((g) => g.op).join(", ")
        } reached the allocator below with the GIL held`,
      );
    }
  },
});
