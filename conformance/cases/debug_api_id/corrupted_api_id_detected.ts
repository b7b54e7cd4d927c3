import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_api_id/corrupted_api_id_detected",
  description:
    "Overwriting the API id byte at p-8 with 'x' is reported as bad ID naming 'x' and the domain's id",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote:
      "id byte p[-8] overwritten with 'x' | −6 | bad ID: Allocated using API 'x', verified using API 'm'",
  },
  features: ["debug-api-id"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_id",
    func: "_PyMem_DebugRawFree",
    text: [/bad ID: Allocated using API 'x', verified using API '[rmo]'/],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.write(p - 8, [0x78]);
    ctx.free(p);
  },
});
