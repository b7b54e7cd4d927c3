import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";
import type { PyMemAllocators } from "../../../ref/types.ts";

export default defineCase({
  id: "use_case/replace_allocators_override_pymalloc",
  description:
    "PEP use case 2: one custom allocator for RAW, MEM and OBJ (pymalloc replaced) under the debug hooks",
  spec: {
    section: "PEP 445, Examples / Use case 2",
    quote:
      "If your allocator is optimized for allocation of small objects (less than 512 bytes) with a short lifetime, pymalloc can be overriden: replace ``PyObject_Malloc()``.",
  },
  features: ["use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-2013", "debug-hooks"],
  run(ctx) {
    const py = ctx.py;
    const sys = py.PyMem_GetRawAllocators();
    const padding = { padding: 2 };
    const sizes: number[] = [];
    const alloc: PyMemAllocators = {
      ctx: padding,
      malloc: (c, size) => (sizes.push(size), sys.malloc(sys.ctx, size + c.padding)),
      realloc: (c, ptr, n) => sys.realloc(sys.ctx, ptr, n + c.padding),
      free: (_c, ptr) => sys.free(sys.ctx, ptr),
    };
    py.PyMem_SetRawAllocators(alloc);
    py.PyMem_SetAllocators(alloc);
    py.PyObject_SetAllocators(alloc);
    py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, py.PyObject_Malloc(10), "PyObject_Malloc(10)");
    same(
      ctx,
      sizes.at(-1),
      10 + ctx.debug.overhead,
      "size my_malloc saw for PyObject_Malloc(10) under the debug hooks",
    );
    const q = nonNull(ctx, py.PyObject_Realloc(p, 100), "PyObject_Realloc(p, 100)");
    py.PyObject_Free(q);
    const r = nonNull(ctx, py.PyMem_RawMalloc(7), "PyMem_RawMalloc(7)");
    same(ctx, sizes.at(-1), 7 + ctx.debug.overhead, "size my_malloc saw for PyMem_RawMalloc(7)");
    py.PyMem_RawFree(r);
  },
});
