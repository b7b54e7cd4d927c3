import { defineCase } from "../../case.ts";
import { arenaSize, nonNull, recordArenas, same } from "../_lib.ts";

export default defineCase({
  id: "arena/arena_alloc_called_with_arena_size",
  description: "pymalloc asks the arena allocator for exactly ARENA_SIZE bytes (1 MiB on CPython 3.10+ 64-bit, 256 KiB in the PEP)",
  spec: { section: "cpython-facts.md §4", quote: "The arena hook saw `alloc(1048576)`" },
  features: ["arena", "pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["arena", "pymalloc"],
  run(ctx) {
    const rec = recordArenas(ctx);
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(16), "PyObject_Malloc(16)");
    if (rec.allocs.length === 0) ctx.fail("the first PyObject_Malloc(16) of a fresh instance did not allocate an arena");
    for (const a of rec.allocs) same(ctx, a.size, arenaSize(ctx), "size passed to the arena allocator");
    ctx.py.PyObject_Free(p);
  },
});
