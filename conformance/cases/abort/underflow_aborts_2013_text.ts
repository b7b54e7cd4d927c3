import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "abort/underflow_aborts_2013_text",
  description:
    "PEP-era hooks: an underflow dies by SIGABRT with 'Fatal Python error: bad leading pad byte' (no function prefix)",
  spec: {
    section: "spec/cpython-facts.md §2.5",
    quote:
      "**Up to 3.8** the fatal line had no function prefix (`Fatal Python error: bad trailing pad byte`).",
  },
  features: ["debug-underflow", "debug-text"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["debug-hooks", "death"],
  death: {
    expect: {
      signal: "SIGABRT",
      stderr: [/at p-1: 0x78 \*\*\* OUCH/, /Fatal Python error: bad leading pad byte/],
    },
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.write(p - 1, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
