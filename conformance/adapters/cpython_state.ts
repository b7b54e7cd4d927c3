/**
 * Per-case state of the `cpython` target: Python is initialised once per process, so "fresh state" is
 * restored by hand. {@link wrapForeign} captures the allocators of the three domains and the arena
 * allocator before the first case (as `Py_InitializeEx` left them, e.g. pymalloc, or CPython's debug
 * hooks under PYTHONMALLOC=debug), hands each case a view of the library whose host controls map to
 * CPython (GIL via PyEval_SaveThread/RestoreThread; violations always abort), and after each case takes
 * the GIL back and reinstalls the captured allocators (their C function pointers go back unchanged, so no
 * JS is left on the path).
 *
 * @example
 * ```ts
 * import { wrapForeign } from "./cpython_state.ts";
 * // const session = wrapForeign(loadPep445Library(path), openEmbedding(path));
 * // const py = session.begin(); ...; session.end();
 * ```
 * @module
 */
import type { Embedding } from "./cpython_embed.ts";
import type { Pep445, PyMemAllocatorEx, PyObjectArenaAllocator, ViolationMode } from "../../ref/types.ts";

/** A per-process session over one libpython. */
export interface CpythonSession {
  /** The Pep445 a case uses (the same object every time; state is reset by {@link end}). */
  begin(): Pep445;
  /** Restores the captured allocators and the GIL. Idempotent. */
  end(): void;
}

/** Wraps a loaded libpython (any {@link Pep445} over its symbols) with the embedding controls. */
export function wrapForeign(foreign: Pep445, emb: Embedding): CpythonSession {
  const domains = [0, 1, 2];
  const pristine: PyMemAllocatorEx[] = domains.map((d) => foreign.PyMem_GetAllocator(d));
  const pristineArena: PyObjectArenaAllocator = foreign.PyObject_GetArenaAllocator();
  const overrides: Partial<Record<keyof Pep445, unknown>> = {
    name: `cpython (${foreign.name})`,
    setGilHeld(held: boolean) {
      if (held) emb.acquireGil();
      else emb.releaseGil();
    },
    setViolationMode(mode: ViolationMode) {
      if (mode !== "abort") {
        throw new Error(
          `CPython's debug hooks can only abort (Py_FatalError): violation mode "${mode}" is not available`,
        );
      }
    },
    close() {/* the library stays loaded for the next case; state is reset by the adapter's close() */},
  };
  const view = new Proxy(foreign, {
    get(target, key, receiver) {
      if (typeof key === "string" && key in overrides) return overrides[key as keyof Pep445];
      const v = Reflect.get(target, key, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as Pep445;
  return {
    begin() {
      return view;
    },
    end() {
      emb.acquireGil();
      for (const d of domains) foreign.PyMem_SetAllocator(d, pristine[d]);
      foreign.PyObject_SetArenaAllocator(pristineArena);
    },
  };
}
