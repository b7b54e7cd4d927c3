import { defineCase } from "../../case.ts";
import { arenaSize, recordArenas, same } from "../_lib.ts";
import type { Ptr } from "../../../ref/types.ts";

/** Enough 16-byte objects to fill any arena pymalloc may still have free pools in (CPython 3.11 needed 36,711). */
const MAX_OBJECTS = 400_000;

export default defineCase({
  id: "arena/arena_alloc_called_with_arena_size",
  description:
    "pymalloc asks the arena allocator for exactly ARENA_SIZE bytes (1 MiB on CPython 3.10+ 64-bit, 256 KiB in the PEP), observed at the first new arena",
  spec: { section: "spec/cpython-facts.md §4", quote: "The arena hook saw `alloc(1048576)`" },
  features: ["arena", "pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["arena", "pymalloc"],
  run(ctx) {
    const rec = recordArenas(ctx);
    const objs: Ptr[] = [];
    try {
      // A fresh instance needs an arena at once; a running CPython first uses up the free pools it holds.
      while (rec.allocs.length === 0 && objs.length < MAX_OBJECTS) {
        const p = ctx.py.PyObject_Malloc(16);
        if (p === 0) ctx.fail(`PyObject_Malloc(16) returned NULL after ${objs.length} objects`);
        objs.push(p);
      }
      if (rec.allocs.length === 0) {
        ctx.fail(`${MAX_OBJECTS} PyObject_Malloc(16) calls never reached the arena allocator`);
      }
      for (const a of rec.allocs) same(ctx, a.size, arenaSize(ctx), "size passed to the arena allocator");
    } finally {
      for (const p of objs) ctx.py.PyObject_Free(p);
    }
  },
});
