import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_compose/overflow_detected_with_debug_hooks_below",
  description:
    "With the debug hooks set up BELOW the hook, a one-byte overflow of a block from the hook hits the debug tail and is reported",
  spec: {
    section: "PEP 445, Rationale (why hooks)",
    quote:
      "detect buffer underflow, buffer overflow and detect misuse of Python allocator APIs (builtin Python debug hooks)",
  },
  features: ["debug-setup", "debug-overflow", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook", "debug-hooks"],
  expect: { violation: "bad_trailing_pad", func: "_PyMem_DebugRawFree", text: [/bad trailing pad byte/] },
  run(ctx) {
    const { h, hooked } = hookOf(ctx);
    if (!hooked) ctx.py.PyMem_SetupDebugHooks(); // the hook leaves this domain alone: the debug hooks alone
    else h.reinstall(() => ctx.py.PyMem_SetupDebugHooks());
    const p = nonNull(ctx, ctx.malloc(24), "malloc(24)");
    ctx.write(p + 24, [0x78]);
    ctx.free(p);
  },
});
