import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";
import { DOMAINS, type PyMemAllocatorEx } from "../../../ref/types.ts";

export default defineCase({
  id: "use_case/hooks_on_all_allocators_shipped_api",
  description:
    "PEP use case 3 with the shipped API: PyMem_GetAllocator/SetAllocator hooks on all domains count every call and delegate",
  spec: {
    section: "PEP 445, Examples / Use case 3",
    quote: "Example to setup hooks on all memory allocators::",
  },
  features: ["use-case", "hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const py = ctx.py;
    const count = [0, 0, 0];
    const warm = nonNull(ctx, py.PyObject_Malloc(8), "warm-up PyObject_Malloc(8)");
    const saved = DOMAINS.map((d) => py.PyMem_GetAllocator(d));
    DOMAINS.forEach((d) => {
      const hook: PyMemAllocatorEx = {
        ctx: saved[d],
        malloc: (a: PyMemAllocatorEx, n) => (count[d]++, a.malloc(a.ctx, n)),
        calloc: (a: PyMemAllocatorEx, x, y) => (count[d]++, a.calloc!(a.ctx, x, y)),
        realloc: (a: PyMemAllocatorEx, p, n) => (count[d]++, a.realloc(a.ctx, p, n)),
        free: (a: PyMemAllocatorEx, p) => (count[d]++, a.free(a.ctx, p)),
      };
      py.PyMem_SetAllocator(d, hook);
    });
    for (const dn of ["RAW", "MEM", "OBJ"] as const) {
      const e = ctx.on(dn);
      const p = nonNull(ctx, e.calloc(3, 5), `${dn} calloc(3, 5)`);
      e.free(nonNull(ctx, e.realloc(p, 50), `${dn} realloc(p, 50)`));
    }
    DOMAINS.forEach((d) => py.PyMem_SetAllocator(d, saved[d]));
    py.PyObject_Free(warm);
    same(ctx, count.join(","), "3,3,3", "hook calls per domain (calloc, realloc, free)");
  },
});
