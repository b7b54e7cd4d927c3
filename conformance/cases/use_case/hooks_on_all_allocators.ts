import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";
import type { Pep445, PyMemAllocators } from "../../../ref/types.ts";

/** The PEP's setup_hooks(), in TypeScript, through the 2013 API. */
function setupHooks(py: Pep445, count: Record<string, number>, state: { installed: boolean }) {
  if (state.installed) return;
  state.installed = true;
  const hook = {
    pymem: py.PyMem_GetAllocators(),
    pymem_raw: py.PyMem_GetRawAllocators(),
    pyobj: py.PyObject_GetAllocators(),
  };
  const alloc = (which: keyof typeof hook): PyMemAllocators => ({
    ctx: hook[which],
    malloc: (a: PyMemAllocators, size) => (count[which]++, a.malloc(a.ctx, size)),
    realloc: (a: PyMemAllocators, ptr, n) => (count[which]++, a.realloc(a.ctx, ptr, n)),
    free: (a: PyMemAllocators, ptr) => (count[which]++, a.free(a.ctx, ptr)),
  });
  py.PyMem_SetRawAllocators(alloc("pymem_raw"));
  py.PyMem_SetAllocators(alloc("pymem"));
  py.PyObject_SetAllocators(alloc("pyobj"));
}

export default defineCase({
  id: "use_case/hooks_on_all_allocators",
  description:
    "PEP use case 3: hooks on all three allocators delegate to the saved ones; setup twice installs once",
  spec: {
    section: "PEP 445, Examples / Use case 3",
    quote: "Example to setup hooks on all memory allocators::",
  },
  features: ["use-case", "hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-2013"],
  run(ctx) {
    const py = ctx.py;
    const count = { pymem: 0, pymem_raw: 0, pyobj: 0 };
    const state = { installed: false };
    // keep pymalloc's arena alive so its bookkeeping (arenas[], radix nodes) does not reach RAW mid-count
    const warm = nonNull(ctx, py.PyObject_Malloc(8), "warm-up PyObject_Malloc(8)");
    setupHooks(py, count, state);
    setupHooks(py, count, state);
    const a = nonNull(ctx, py.PyMem_RawMalloc(10), "PyMem_RawMalloc(10)");
    const b = nonNull(ctx, py.PyMem_Malloc(10), "PyMem_Malloc(10)");
    const c = nonNull(ctx, py.PyObject_Malloc(10), "PyObject_Malloc(10)");
    const c2 = nonNull(ctx, py.PyObject_Realloc(c, 20), "PyObject_Realloc(c, 20)");
    py.PyMem_RawFree(a);
    py.PyMem_Free(b);
    py.PyObject_Free(c2);
    same(ctx, count.pymem_raw, 2, "RAW hook calls (malloc, free)");
    same(ctx, count.pymem, 2, "MEM hook calls (malloc, free)");
    same(ctx, count.pyobj, 3, "OBJ hook calls (malloc, realloc, free)");
    py.PyObject_Free(warm);
  },
});
