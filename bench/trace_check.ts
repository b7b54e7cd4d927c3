/**
 * Trace validation and statistics: what a replay of an A445TRC1 trace will do, computed without
 * replaying it (assuming every allocation succeeds).
 *
 * Rules checked by {@link validateTrace}:
 * - op in 0..3, domain in 0..2, slot < nslots, flags 0;
 * - malloc/calloc/realloc(NULL) never write into a slot that holds a live block (that would leak it);
 * - realloc's src is a live slot of the same domain; a realloc into another slot kills src;
 * - a free of a live slot is in the block's domain.
 * A free of a slot that holds no live block is free(NULL) (the format's rule: a dead or failed slot is
 * NULL); the native tracer records a program's free(NULL) that way. It is counted in `freeOfNull`, not a
 * problem; the synthetic generator never emits one (its tests check `freeOfNull === 0`).
 *
 * @module
 */
import { NO_SLOT, OP_CALLOC, OP_FREE, OP_REALLOC, readTrace, TRACE_RECORD_SIZE } from "./trace.ts";

/** Counters over a trace. Sizes are requested bytes (calloc: nelem * elsize). */
export interface TraceStats {
  nops: number;
  nslots: number;
  /** by op code: malloc, calloc, realloc, free */
  byOp: [number, number, number, number];
  /** by domain: RAW, MEM, OBJ */
  byDomain: [number, number, number];
  peakLiveBytes: number;
  peakLiveBlocks: number;
  /** frees of a slot holding no live block: free(NULL) */
  freeOfNull: number;
  /** blocks still live at the end (freed by the replay, untimed) */
  endLiveBlocks: number;
  meanAllocSize: number;
  maxAllocSize: number;
  /** first few rule violations (see module doc), with their total count */
  problems: string[];
  problemCount: number;
}

/**
 * Walk a trace and compute {@link TraceStats}; `problems` lists rule violations.
 *
 * @example
 * ```ts
 * import { synthesizeTrace } from "./synthetic.ts";
 * import { traceStats } from "./trace_check.ts";
 * const s = traceStats(synthesizeTrace({ ops: 1000 }));
 * if (s.problemCount) throw new Error(s.problems[0]);
 * ```
 */
export function traceStats(bytes: Uint8Array, maxProblems = 10): TraceStats {
  const t = readTrace(bytes);
  const dv = t.records;
  const size = new Float64Array(t.nslots); // live size per slot
  const dom = new Int8Array(t.nslots).fill(-1); // domain of the live block, -1 = dead
  const byOp: [number, number, number, number] = [0, 0, 0, 0];
  const byDomain: [number, number, number] = [0, 0, 0];
  let freeOfNull = 0;
  let live = 0, liveBlocks = 0, peak = 0, peakBlocks = 0, allocs = 0, allocBytes = 0, maxAlloc = 0;
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (i: number, msg: string) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(`record ${i}: ${msg}`);
  };
  for (let i = 0; i < t.nops; i++) {
    const at = i * TRACE_RECORD_SIZE;
    const op = dv.getUint8(at), d = dv.getUint8(at + 1), flags = dv.getUint16(at + 2, true);
    const slot = dv.getUint32(at + 4, true), src = dv.getUint32(at + 8, true);
    const n = dv.getUint32(at + 12, true), el = dv.getUint32(at + 16, true);
    if (op > 3) {
      problem(i, `unknown op ${op}`);
      continue;
    }
    if (d > 2) {
      problem(i, `unknown domain ${d}`);
      continue;
    }
    if (flags !== 0) problem(i, `flags ${flags} (must be 0)`);
    if (slot >= t.nslots) {
      problem(i, `slot ${slot} >= nslots ${t.nslots}`);
      continue;
    }
    byOp[op]++;
    byDomain[d]++;
    if (op === OP_FREE) {
      if (dom[slot] < 0) freeOfNull++;
      else {
        if (dom[slot] !== d) problem(i, `free in domain ${d} of a block from domain ${dom[slot]}`);
        live -= size[slot];
        liveBlocks--;
        dom[slot] = -1;
      }
      continue;
    }
    const req = op === OP_CALLOC ? n * el : n;
    allocs++;
    allocBytes += req;
    if (req > maxAlloc) maxAlloc = req;
    if (op === OP_REALLOC && src !== NO_SLOT) {
      if (src >= t.nslots) {
        problem(i, `realloc src ${src} >= nslots`);
        continue;
      }
      if (dom[src] < 0) problem(i, `realloc of dead slot ${src}`);
      else {
        if (dom[src] !== d) problem(i, `realloc in domain ${d} of a block from domain ${dom[src]}`);
        live -= size[src];
        liveBlocks--;
        dom[src] = -1;
      }
    } else if (src !== NO_SLOT) {
      problem(i, `src ${src} on a malloc/calloc record`);
    }
    if (dom[slot] >= 0) {
      problem(i, `allocation into live slot ${slot} (leaks its block)`);
      live -= size[slot];
      liveBlocks--;
    }
    dom[slot] = d;
    size[slot] = req;
    live += req;
    liveBlocks++;
    if (live > peak) peak = live;
    if (liveBlocks > peakBlocks) peakBlocks = liveBlocks;
  }
  return {
    nops: t.nops,
    nslots: t.nslots,
    byOp,
    byDomain,
    peakLiveBytes: peak,
    peakLiveBlocks: peakBlocks,
    freeOfNull,
    endLiveBlocks: liveBlocks,
    meanAllocSize: allocs ? allocBytes / allocs : 0,
    maxAllocSize: maxAlloc,
    problems,
    problemCount,
  };
}

/** Throws the first problem of a trace that must be fully valid (generated traces). */
export function validateTrace(bytes: Uint8Array): TraceStats {
  const s = traceStats(bytes);
  if (s.problemCount) throw new Error(`trace: ${s.problemCount} invalid records; first: ${s.problems[0]}`);
  return s;
}
