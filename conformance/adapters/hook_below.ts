/**
 * What the `hook:` and `tracemalloc` targets put BELOW the hook under test in each domain, so cases can
 * see what the hook forwards:
 *
 *     entry point --> hook under test --> recorder (ctx.hook()'s recordingHook: calls, ctx, failNext)
 *                                            --> guard --> the domain's allocator (native or libpython)
 *
 * The guard keeps the set of blocks the allocator below handed out and refuses (records, does not
 * forward) a free or realloc of any other pointer, so a hook that frees a pointer it did not get from
 * below is a FAIL with the pointer named, not a crash of the allocator below; it also notes whether the
 * GIL was held at each call (`gilCheck`, informational GIL cases). The guard is strict only while a case
 * runs (`mode.strict`): while the hook is being installed or removed (tracemalloc runs Python code then),
 * blocks allocated before the guard existed are freed and resized, and those are forwarded.
 *
 * @example
 * ```ts
 * import { installBelow } from "./hook_below.ts";
 * // const below = installBelow(py, () => undefined); below.MEM.recorder.failNext.malloc = 1;
 * ```
 * @module
 */
import type { DomainName } from "../case.ts";
import { DOMAIN_NUMBER, type RecordingHook, recordingHook } from "../context.ts";
import type { Pep445, Ptr, PyMemAllocatorEx } from "../../ref/types.ts";

/** The allocator below the hook in one domain, as cases see it. */
export interface Below {
  /** calls that reached the allocator below, their ctx and results; failNext makes the next ones NULL */
  readonly recorder: RecordingHook;
  /** pointers the allocator below handed out and that are not freed */
  readonly live: Set<Ptr>;
  /** frees/reallocs of pointers the allocator below never handed out (refused, not forwarded) */
  readonly foreign: Array<{ op: "free" | "realloc"; ptr: Ptr }>;
  /** GIL state (1 held, 0 not, undefined unknown) at each call, in call order */
  readonly gil: Array<{ op: string; held: number | undefined }>;
}

/** Installs guard + recorder over every domain's current allocator; returns them per domain. */
export function installBelow(
  py: Pep445,
  gilCheck: () => number | undefined,
  mode: { strict: boolean },
): Record<DomainName, Below> {
  const out = {} as Record<DomainName, Below>;
  for (const d of ["RAW", "MEM", "OBJ"] as const) {
    const dn = DOMAIN_NUMBER[d];
    const inner = py.PyMem_GetAllocator(dn);
    const live = new Set<Ptr>();
    const foreign: Below["foreign"] = [];
    const gil: Below["gil"] = [];
    const took = (p: Ptr) => (p !== 0 && live.add(p), p);
    const guard: PyMemAllocatorEx = {
      ctx: { guard: d },
      malloc: (_c, n) => (gil.push({ op: "malloc", held: gilCheck() }), took(inner.malloc(inner.ctx, n))),
      calloc: inner.calloc === null
        ? null
        : (_c, a, b) => (gil.push({ op: "calloc", held: gilCheck() }), took(inner.calloc!(inner.ctx, a, b))),
      realloc(_c, p, n) {
        gil.push({ op: "realloc", held: gilCheck() });
        if (p !== 0 && !live.has(p) && mode.strict) {
          foreign.push({ op: "realloc", ptr: p });
          return 0;
        }
        const q = inner.realloc(inner.ctx, p, n);
        if (q !== 0) {
          live.delete(p);
          live.add(q);
        }
        return q;
      },
      free(_c, p) {
        gil.push({ op: "free", held: gilCheck() });
        if (p !== 0 && !live.delete(p) && mode.strict) {
          foreign.push({ op: "free", ptr: p });
          return;
        }
        inner.free(inner.ctx, p);
      },
    };
    py.PyMem_SetAllocator(dn, guard);
    out[d] = { recorder: recordingHook(py, d), live, foreign, gil };
  }
  return out;
}
