import { defineCase } from "../../case.ts";
import { nonNull, same, skipOverDebugDefaults } from "../_lib.ts";

export default defineCase({
  id: "debug_setup/custom_allocator_sees_n_plus_overhead",
  description:
    "PyMem_SetupDebugHooks over a custom allocator wraps it: malloc(n) reaches it as malloc(n + 3S) (4S before 3.8)",
  spec: {
    section: "spec/cpython-facts.md §2.7",
    quote: "Over a custom non-hook allocator, the debug layer wraps it, and the custom allocator sees n+24",
  },
  features: ["debug-setup"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "api-shipped"],
  run(ctx) {
    skipOverDebugDefaults(ctx);
    const h = ctx.hook();
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(40), "malloc(40)");
    ctx.free(p);
    const m = h.calls.find((c) => c.op === "malloc");
    if (!m) return ctx.fail("the custom allocator saw no malloc after PyMem_SetupDebugHooks");
    same(ctx, m.args[0], 40 + ctx.debug.overhead, "size the custom allocator saw for malloc(40)");
    const f = h.calls.find((c) => c.op === "free");
    same(ctx, f?.args[0], p - 16, "pointer the custom allocator was asked to free (p - 2S)");
  },
});
