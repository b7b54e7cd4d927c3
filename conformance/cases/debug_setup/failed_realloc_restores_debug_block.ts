import { defineCase } from "../../case.ts";
import {
  EVERY_ALLOCATING_PATH,
  failEveryPath,
  nonNull,
  requireInjectedFailure,
  same,
  skipOverDebugDefaults,
  stopFailing,
} from "../_lib.ts";

export default defineCase({
  id: "debug_setup/failed_realloc_restores_debug_block",
  description:
    "When the allocator below the debug hooks fails a realloc, the old block keeps data, header and pads (it frees cleanly)",
  spec: {
    section: "spec/cpython-facts.md §2.3",
    quote: "On **failure** it rewrites the old header and tail, restores the saved bytes and returns NULL.",
  },
  features: ["debug-setup", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "api-shipped"],
  injectsFailure: {
    // the debug realloc may call realloc below (CPython) or grow by malloc + copy + free: fail them all
    fails: EVERY_ALLOCATING_PATH,
    precondition: "the debug realloc(p, 5000) called malloc, calloc or realloc below and got NULL",
  },
  run(ctx) {
    skipOverDebugDefaults(ctx);
    const h = ctx.hook();
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(300), "malloc(300)");
    ctx.fill(p, 300, 77);
    const from = h.calls.length;
    failEveryPath(h);
    const q = ctx.realloc(p, 5000);
    stopFailing(h);
    requireInjectedFailure(ctx, h, from, "the debug realloc(p, 5000)");
    same(ctx, q, 0, "realloc(p, 5000) when every malloc, calloc and realloc below fails");
    ctx.verify(p, 300, 77, "data after the failed realloc");
    ctx.free(p); // a damaged header or pad would be reported here
  },
});
