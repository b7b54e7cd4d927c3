/**
 * Replay an A445TRC1 trace inside TypeScript against any {@link Pep445} (ref/ above all): the same
 * semantics as native's `allocspec_replay` with entries = the instance's entry points (op and domain
 * pick PyMem_RawMalloc ... PyObject_Free; a failed allocation leaves its slot NULL; a free of a NULL
 * slot is free(NULL); blocks still live at the end are freed, untimed). No FFI per operation.
 *
 * @module
 */
import type { Pep445, Ptr } from "../ref/types.ts";
import { nowNs } from "../core/runtime.ts";
import { NO_SLOT, type Trace, TRACE_RECORD_SIZE } from "./trace.ts";

/** Same fields as native's ReplayResult. */
export interface TsReplayResult {
  ns: number;
  ops: number;
  failed: number;
  /** xor-fold of the low 32 bits of every pointer returned (changes when the allocator's choices change) */
  checksum: number;
}

/**
 * Replay `t` against `py`.
 *
 * @example
 * ```ts
 * import { createRef } from "../ref/mod.ts";
 * import { replayOnPep445 } from "./ref_replay.ts";
 * import { synthesizeTrace } from "./synthetic.ts";
 * import { readTrace } from "./trace.ts";
 * const r = replayOnPep445(createRef(), readTrace(synthesizeTrace({ ops: 10_000, seed: 1 })));
 * console.log(r.ns / r.ops, "ns/op");
 * ```
 */
export function replayOnPep445(py: Pep445, t: Trace): TsReplayResult {
  const slots = new Float64Array(t.nslots);
  const dv = t.records;
  const n = t.nops;
  const mallocs = [
    (s: number) => py.PyMem_RawMalloc(s),
    (s: number) => py.PyMem_Malloc(s),
    (s: number) => py.PyObject_Malloc(s),
  ];
  const callocs = [
    (a: number, b: number) => py.PyMem_RawCalloc(a, b),
    (a: number, b: number) => py.PyMem_Calloc(a, b),
    (a: number, b: number) => py.PyObject_Calloc(a, b),
  ];
  const reallocs = [
    (p: Ptr, s: number) => py.PyMem_RawRealloc(p, s),
    (p: Ptr, s: number) => py.PyMem_Realloc(p, s),
    (p: Ptr, s: number) => py.PyObject_Realloc(p, s),
  ];
  const frees = [
    (p: Ptr) => py.PyMem_RawFree(p),
    (p: Ptr) => py.PyMem_Free(p),
    (p: Ptr) => py.PyObject_Free(p),
  ];
  const domains = new Int8Array(t.nslots);
  let failed = 0, checksum = 0;
  const t0 = nowNs();
  for (let i = 0, at = 0; i < n; i++, at += TRACE_RECORD_SIZE) {
    const op = dv.getUint8(at), d = dv.getUint8(at + 1), slot = dv.getUint32(at + 4, true);
    let p: Ptr;
    switch (op) {
      case 0:
        p = mallocs[d](dv.getUint32(at + 12, true));
        break;
      case 1:
        p = callocs[d](dv.getUint32(at + 12, true), dv.getUint32(at + 16, true));
        break;
      case 2: {
        const src = dv.getUint32(at + 8, true);
        const old = src === NO_SLOT ? 0 : slots[src];
        p = reallocs[d](old, dv.getUint32(at + 12, true));
        if (p === 0) {
          failed++;
          continue; // the old block stays in its slot
        }
        if (src !== NO_SLOT && src !== slot) slots[src] = 0;
        break;
      }
      default:
        frees[d](slots[slot]);
        slots[slot] = 0;
        continue;
    }
    if (p === 0) failed++;
    slots[slot] = p;
    domains[slot] = d;
    checksum = (checksum ^ (p >>> 0)) >>> 0;
  }
  const ns = nowNs() - t0;
  for (let s = 0; s < slots.length; s++) if (slots[s] !== 0) frees[domains[s]](slots[s]);
  return { ns, ops: n, failed, checksum };
}
