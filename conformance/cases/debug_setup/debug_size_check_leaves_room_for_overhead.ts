import { defineCase } from "../../case.ts";
import { debugByDefault, same } from "../_lib.ts";
import { PY_SSIZE_T_MAX } from "../../../ref/types.ts";

export default defineCase({
  id: "debug_setup/debug_size_check_leaves_room_for_overhead",
  description:
    "Under the debug hooks, malloc(PY_SSIZE_T_MAX - 10) returns NULL without calling the allocator below (n + overhead would overflow)",
  spec: { section: "spec/cpython-facts.md §2.1", quote: "If `n > PY_SSIZE_T_MAX - 3S`, NULL is returned." },
  features: ["debug-setup", "size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "api-shipped"],
  run(ctx) {
    if (debugByDefault(ctx)) {
      // the defaults already are the debug hooks: their own size check, no recorder over them (a recorder
      // and PyMem_SetupDebugHooks() again would recurse: cpython-facts.md §2.7)
      same(
        ctx,
        ctx.malloc(PY_SSIZE_T_MAX - 10n),
        0,
        "malloc(PY_SSIZE_T_MAX - 10) under the default debug hooks",
      );
      return;
    }
    const h = ctx.hook();
    ctx.py.PyMem_SetupDebugHooks();
    same(ctx, ctx.malloc(PY_SSIZE_T_MAX - 10n), 0, "malloc(PY_SSIZE_T_MAX - 10) under the debug hooks");
    same(ctx, h.calls.length, 0, "calls that reached the allocator below the debug hooks");
  },
});
