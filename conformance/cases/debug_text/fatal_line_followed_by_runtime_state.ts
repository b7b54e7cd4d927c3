import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_text/fatal_line_followed_by_runtime_state",
  description: "CPython 3.8+: the fatal line is followed by 'Python runtime state: initialized'",
  spec: {
    section: "spec/cpython-facts.md §7 (guidance)",
    quote: "In 3.11 the stable part ends at `Python runtime state: initialized`.",
  },
  features: ["debug-text"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_trailing_pad",
    func: "_PyMem_DebugRawFree",
    text: [
      /\nFatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n/,
    ],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(24), "PyObject_Malloc(24)");
    ctx.write(p + 24, [0x78]);
    ctx.py.PyObject_Free(p);
  },
});
