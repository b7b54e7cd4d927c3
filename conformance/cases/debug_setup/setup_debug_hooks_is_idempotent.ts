import { defineCase } from "../../case.ts";
import { debugByDefault, nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "debug_setup/setup_debug_hooks_is_idempotent",
  description:
    "Calling PyMem_SetupDebugHooks twice installs one debug layer: same malloc pointer, overhead added once",
  spec: {
    section: "spec/cpython-facts.md §7 (invariants)",
    quote: "SetupDebugHooks is idempotent, judged by comparing the malloc pointer.",
  },
  features: ["debug-setup"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "api-shipped"],
  run(ctx) {
    if (debugByDefault(ctx)) {
      // the defaults already are the debug hooks: PyMem_SetupDebugHooks() over them changes nothing (a
      // recording allocator over them would make the call recurse: cpython-facts.md §2.7)
      const before = ctx.getAllocator();
      ctx.py.PyMem_SetupDebugHooks();
      const after = ctx.getAllocator();
      same(
        ctx,
        after.malloc,
        before.malloc,
        "malloc after PyMem_SetupDebugHooks over the default debug hooks",
      );
      same(ctx, after.ctx, before.ctx, "ctx after PyMem_SetupDebugHooks over the default debug hooks");
      const p = nonNull(ctx, ctx.malloc(10), "malloc(10)");
      same(ctx, ctx.read(p - 8, 1)[0], ctx.apiId, "API id byte of a block (one debug layer)");
      ctx.free(p);
      return;
    }
    const h = ctx.hook();
    ctx.py.PyMem_SetupDebugHooks();
    const first = ctx.getAllocator();
    ctx.py.PyMem_SetupDebugHooks();
    const second = ctx.getAllocator();
    same(ctx, second.malloc, first.malloc, "malloc after the second PyMem_SetupDebugHooks");
    same(ctx, second.ctx, first.ctx, "ctx after the second PyMem_SetupDebugHooks");
    const p = nonNull(ctx, ctx.malloc(10), "malloc(10)");
    ctx.free(p);
    same(
      ctx,
      h.calls.find((c) => c.op === "malloc")?.args[0],
      10 + ctx.debug.overhead,
      "size below the debug layer (one layer only)",
    );
  },
});
