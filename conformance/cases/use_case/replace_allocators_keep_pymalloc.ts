import { defineCase } from "../../case.ts";
import { arenaSize, nonNull, same } from "../_lib.ts";
import type { PyMemAllocators } from "../../../ref/types.ts";

export default defineCase({
  id: "use_case/replace_allocators_keep_pymalloc",
  description:
    "PEP use case 1: custom RAW/MEM allocators and arena allocator with padding, pymalloc kept, debug hooks on top",
  spec: {
    section: "PEP 445, Examples / Use case 1",
    quote:
      "Setup your custom memory allocators, keeping pymalloc. Dummy example wasting 2 bytes per allocation, and 10 bytes per arena::",
  },
  features: ["use-case", "arena", "pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-2013", "arena", "pymalloc", "debug-hooks"],
  run(ctx) {
    const py = ctx.py;
    // the "malloc()" of the example: the default raw allocator as it was before any change
    const sys = py.PyMem_GetRawAllocators();
    const allocPadding = { padding: 2 };
    const arenaPadding = { padding: 10 };
    const seen = { malloc: [] as number[], arena: [] as number[] };
    const alloc: PyMemAllocators = {
      ctx: allocPadding,
      malloc: (c, size) => (seen.malloc.push(size), sys.malloc(sys.ctx, size + c.padding)),
      realloc: (c, ptr, n) => sys.realloc(sys.ctx, ptr, n + c.padding),
      free: (_c, ptr) => sys.free(sys.ctx, ptr),
    };
    py.PyMem_SetRawAllocators(alloc);
    py.PyMem_SetAllocators(alloc);
    py._PyObject_SetArenaAllocators(
      arenaPadding,
      (c, size) => (seen.arena.push(size), sys.malloc(sys.ctx, size + c.padding)),
      (_c, ptr) => sys.free(sys.ctx, ptr),
    );
    py.PyMem_SetupDebugHooks();
    const blocks = [
      py.PyMem_RawMalloc(10),
      py.PyMem_Malloc(20),
      py.PyObject_Malloc(30),
      py.PyObject_Malloc(40),
    ];
    blocks.forEach((p, i) => nonNull(ctx, p, `allocation ${i} after use case 1 setup`));
    blocks.forEach((p, i) => ctx.fill(p, 10, i));
    blocks.forEach((p, i) => ctx.verify(p, 10, i, `block ${i}`));
    py.PyMem_RawFree(blocks[0]);
    py.PyMem_Free(blocks[1]);
    py.PyObject_Free(blocks[2]);
    py.PyObject_Free(blocks[3]);
    if (!seen.malloc.includes(10 + ctx.debug.overhead)) {
      ctx.fail(
        `my_malloc never saw PyMem_RawMalloc(10) + debug overhead (${10 + ctx.debug.overhead}); saw ${
          seen.malloc.join(",")
        }`,
      );
    }
    if (!seen.malloc.includes(20 + ctx.debug.overhead)) {
      ctx.fail(`my_malloc never saw PyMem_Malloc(20) + debug overhead; saw ${seen.malloc.join(",")}`);
    }
    same(
      ctx,
      seen.arena.length >= 1 ? seen.arena[0] : -1,
      arenaSize(ctx),
      "size passed to my_alloc_arena (pymalloc kept, arena from the custom allocator)",
    );
    if (seen.malloc.includes(30 + ctx.debug.overhead)) {
      ctx.fail("PyObject_Malloc(30) reached my_malloc: pymalloc was not kept for OBJ");
    }
  },
});
