/**
 * Seeded synthetic A445TRC1 traces: a trace of any length without Python.
 *
 * The model imitates what the tracing hook sees under CPython (bench/workloads): most calls are small
 * OBJ-domain objects (16..512 bytes, pymalloc's range) that die young, MEM buffers of a few hundred
 * bytes to a few KiB, and rare large RAW blocks; lists and strings grow by realloc. Lifetimes are a
 * mix of LIFO temporaries (freed soon after allocation, most Python objects) and long-lived blocks
 * freed at random, with the live set bounded by `maxLive` so the trace reaches a steady state.
 *
 * Deterministic: the same options give byte-identical output (mulberry32 PRNG). Every trace it
 * produces passes `validateTrace` (never frees or reallocs a dead slot, never overwrites a live one).
 *
 * @module
 */
import { NO_SLOT, TraceWriter } from "./trace.ts";

export interface SyntheticOptions {
  /** number of records (default 100_000) */
  ops?: number;
  /** PRNG seed (default 445) */
  seed?: number;
  /** upper bound on simultaneously live blocks (default 20_000) */
  maxLive?: number;
  /** fraction of allocations that are short-lived LIFO temporaries (default 0.7) */
  temporaries?: number;
}

/** mulberry32: small, fast, good enough for workload shapes; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generate a trace.
 *
 * @example
 * ```ts
 * const bytes = synthesizeTrace({ ops: 1_000_000, seed: 1 });
 * Deno.writeFileSync("bench/traces/synthetic.a445", bytes);
 * ```
 */
export function synthesizeTrace(opts: SyntheticOptions = {}): Uint8Array {
  const nops = opts.ops ?? 100_000;
  const maxLive = Math.max(2, opts.maxLive ?? 20_000);
  const tempShare = opts.temporaries ?? 0.7;
  if (!Number.isInteger(nops) || nops < 0) {
    throw new RangeError(`synthetic: ops must be a non-negative integer, got ${nops}`);
  }
  const rnd = mulberry32(opts.seed ?? 445);
  const w = new TraceWriter(nops);

  const domainOf = new Int8Array(maxLive);
  const sizeOf = new Uint32Array(maxLive);
  const freeSlots: number[] = [];
  for (let s = maxLive - 1; s >= 0; s--) freeSlots.push(s);
  // live slots: `temps` is a LIFO stack of temporaries, `longs` a bag with O(1) random removal.
  const temps: number[] = [];
  const longs: number[] = [];
  const longIndex = new Int32Array(maxLive).fill(-1);

  const pickSize = (d: number): number => {
    const r = rnd();
    if (d === 2) return r < 0.97 ? 16 + Math.floor(rnd() * rnd() * 497) : 513 + Math.floor(rnd() * 4096);
    if (d === 1) return r < 0.8 ? 8 + Math.floor(rnd() * 1024) : 1024 + Math.floor(rnd() * 8192);
    // RAW: buffers below glibc's initial mmap threshold (128 KiB), so a replay measures the allocator, not mmap
    return r < 0.9 ? 64 + Math.floor(rnd() * 4096) : 4096 + Math.floor(rnd() * 61440);
  };
  const pickDomain = (): 0 | 1 | 2 => {
    const r = rnd();
    return r < 0.75 ? 2 : r < 0.93 ? 1 : 0;
  };
  const removeLong = (slot: number) => {
    const i = longIndex[slot];
    const last = longs.pop()!;
    if (last !== slot) {
      longs[i] = last;
      longIndex[last] = i;
    }
    longIndex[slot] = -1;
  };

  let written = 0;
  while (written < nops) {
    const live = temps.length + longs.length;
    const fill = live / maxLive;
    const r = rnd();
    if (live > 0 && r < 0.08) {
      // grow or shrink a live block in place (lists, strings, bytearrays)
      const fromTemps = temps.length > 0 && (longs.length === 0 || rnd() < 0.5);
      const slot = fromTemps ? temps[temps.length - 1] : longs[Math.floor(rnd() * longs.length)];
      const old = sizeOf[slot];
      const next = rnd() < 0.8 ? old + 8 + Math.floor(old / 8) : Math.max(1, Math.floor(old / 2));
      w.realloc(domainOf[slot] as 0 | 1 | 2, slot, slot, next);
      sizeOf[slot] = next;
    } else if (
      live > 0 && (freeSlots.length === 0 || r < 0.08 + 0.46 * fill + (temps.length > 8 ? 0.3 : 0))
    ) {
      // free: a temporary (LIFO) when there are some, else a random long-lived block
      let slot: number;
      if (temps.length > 0 && (longs.length === 0 || rnd() < 0.85)) slot = temps.pop()!;
      else {
        slot = longs[Math.floor(rnd() * longs.length)];
        removeLong(slot);
      }
      w.free(domainOf[slot] as 0 | 1 | 2, slot);
      freeSlots.push(slot);
    } else {
      const slot = freeSlots.pop()!;
      const d = pickDomain();
      const size = pickSize(d);
      const k = rnd();
      if (k < 0.06) w.calloc(d, slot, 1 + Math.floor(size / 8), 8);
      else if (k < 0.09) w.realloc(d, slot, NO_SLOT, size);
      else w.malloc(d, slot, size);
      domainOf[slot] = d;
      sizeOf[slot] = k < 0.06 ? (1 + Math.floor(size / 8)) * 8 : size;
      if (rnd() < tempShare) temps.push(slot);
      else {
        longIndex[slot] = longs.length;
        longs.push(slot);
      }
    }
    written++;
  }
  return w.finish();
}
