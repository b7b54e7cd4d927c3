/**
 * Seeded differential run of the native library against the executable specification (ref/): the same
 * random stream of allocator calls goes to both, and every observable that PEP 445 and CPython fix is
 * compared call by call:
 *
 * - NULL-ness of every malloc/calloc/realloc result (impossible sizes, calloc overflow, size 0);
 * - contents: calloc zeroes; realloc keeps the common prefix; the bytes the debug hooks write into fresh
 *   and grown data (CLEANBYTE);
 * - alignment class of every pointer (the largest power of two dividing it, capped at 16);
 * - with the debug hooks: the bytes around each block (size, API id, forbidden bytes, serial number);
 * - diagnostics: misuses planted in the stream (a write past the end, a write before the start, a free
 *   through the wrong domain, a call without the GIL) must give the same violation kind, function, API
 *   ids and CPython text (addresses normalised) on both.
 *
 * Pointers differ (ref simulates an address space), so blocks are matched by their position in the
 * stream. A divergence names the seed, the operation index and what differed; rerun one with
 * `deno run -A native/differential.ts --seed S --ops N`.
 *
 * @example
 * ```ts
 * import { runDifferential } from "./differential.ts";
 * const r = runDifferential({ seed: 1, ops: 2000, profile: "cpython", debugHooks: true });
 * console.log(r.divergences.length === 0 ? "same" : r.divergences[0]);
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { createRef } from "../ref/mod.ts";
import { type Pep445, type Profile, PY_SSIZE_T_MAX, PyMemDebugError } from "../ref/types.ts";
import { openNative } from "./ffi/native.ts";

/** One stream. */
export interface DifferentialOptions {
  seed: number;
  ops: number;
  profile: Profile;
  debugHooks: boolean;
  /**
   * Called on the native side before the stream starts (before the debug hooks): a test plants a bug
   * there (e.g. a hook that does not zero calloc) to show the comparison catches it.
   */
  plant?: (native: Pep445) => void;
}

/** What a stream did and where the two sides differed (empty: none). */
export interface DifferentialResult {
  options: DifferentialOptions;
  counts: Record<string, number>;
  divergences: string[];
}

/** mulberry32: a small seeded PRNG (the same as bench/synthetic.ts). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The largest power of two dividing p, capped at 16 (0 for NULL). */
export function alignmentClass(p: number): number {
  if (p === 0) return 0;
  for (const a of [16, 8, 4, 2]) if (p % a === 0) return a;
  return 1;
}

const ENTRY = ["PyMem_Raw", "PyMem_", "PyObject_"] as const;
type Side = { py: Pep445; ptr: number[] };
interface Block {
  domain: number;
  size: number;
  /** the bytes this stream wrote at the start of the block (checked after realloc) */
  pattern: number[];
}

/** Sizes: mostly small (pymalloc), some medium and large (raw), rarely 0 or impossible. */
function pickSize(r: () => number): number | bigint {
  const x = r();
  if (x < 0.04) return 0;
  if (x < 0.06) return 2n ** 62n; // passes the size check, cannot be allocated: NULL on both
  if (x < 0.07) return PY_SSIZE_T_MAX + 1n; // refused by the entry point
  if (x < 0.75) return 1 + Math.floor(r() * 512);
  if (x < 0.95) return 513 + Math.floor(r() * 4096);
  return 4097 + Math.floor(r() * 65536);
}

function call(py: Pep445, name: string, ...args: (number | bigint)[]): number | Error {
  try {
    return (py as unknown as Record<string, (...a: (number | bigint)[]) => number>)[name](...args);
  } catch (e) {
    return e as Error;
  }
}

/** A violation as the two sides can be compared: addresses in the text replaced. */
function violationKey(e: unknown): string {
  if (!(e instanceof PyMemDebugError)) return `not a PyMemDebugError: ${String(e)}`;
  const text = e.text.replace(/0x[0-9a-f]+/gi, "ADDR");
  return JSON.stringify({ kind: e.kind, func: e.func, apiId: e.apiId, verifiedId: e.verifiedId, text });
}

/** Run one stream; never throws for a divergence (it is returned). */
export function runDifferential(o: DifferentialOptions): DifferentialResult {
  const ref = createRef({ profile: o.profile, violation: "throw", heapLimit: 256 << 20 });
  const nat = openNative({ profile: o.profile, violation: "throw" });
  const sides: [Side, Side] = [{ py: ref, ptr: [] }, { py: nat, ptr: [] }];
  const blocks: Block[] = [];
  const counts: Record<string, number> = {};
  const divergences: string[] = [];
  const r = prng(o.seed);
  const S = 8;
  const here = (i: number, what: string) =>
    divergences.push(`seed ${o.seed} ${o.profile}${o.debugHooks ? " +hooks" : ""} op ${i}: ${what}`);
  try {
    o.plant?.(nat);
    if (o.debugHooks) { for (const s of sides) s.py.PyMem_SetupDebugHooks(); }
    /** Compare a result pair; on equal non-NULL results, compare bytes [from, to) relative to p. */
    const compareBytes = (i: number, what: string, ps: [number, number], from: number, to: number) => {
      if (to <= from) return;
      const a = ref.memory.read(ps[0] + from, to - from), b = nat.memory.read(ps[1] + from, to - from);
      for (let k = 0; k < a.length; k++) {
        if (a[k] !== b[k]) {
          here(
            i,
            `${what}: byte at p${from + k >= 0 ? "+" : ""}${from + k}: ref 0x${a[k].toString(16)}, native 0x${
              b[k].toString(16)
            }`,
          );
          return;
        }
      }
    };
    /** The checks every new or moved block gets; returns whether both are non-NULL. */
    const checkResult = (i: number, what: string, res: [number | Error, number | Error]): boolean => {
      if (res[0] instanceof Error || res[1] instanceof Error) {
        const k = res.map((x) => (x instanceof Error ? violationKey(x) : "a result"));
        if (k[0] !== k[1]) here(i, `${what}: ref gave ${k[0]}, native ${k[1]}`);
        return false;
      }
      const [a, b] = res as [number, number];
      if ((a === 0) !== (b === 0)) {
        here(i, `${what}: ref ${a === 0 ? "NULL" : "a block"}, native ${b === 0 ? "NULL" : "a block"}`);
      }
      if (a !== 0 && b !== 0 && alignmentClass(a) !== alignmentClass(b)) {
        here(i, `${what}: alignment class ref ${alignmentClass(a)}, native ${alignmentClass(b)}`);
      }
      return a !== 0 && b !== 0;
    };
    const write = (ps: [number, number], size: number, pattern: number[]) => {
      for (let s = 0; s < 2; s++) sides[s].py.memory.write(ps[s], pattern.slice(0, size));
    };
    const newPattern = () => Array.from({ length: 16 }, () => Math.floor(r() * 256));
    const guards = (i: number, what: string, ps: [number, number], size: number) => {
      if (!o.debugHooks) return;
      const tail = o.profile === "pep445-2013" ? 2 * S : S; // forbidden bytes, then the serial number
      compareBytes(i, `${what}, header`, ps, -2 * S, 0);
      compareBytes(i, `${what}, trailer`, ps, size, size + tail);
    };
    for (let i = 0; i < o.ops; i++) {
      const x = r();
      const d = Math.floor(r() * 3);
      const fn = ENTRY[d];
      const live = blocks.length;
      if (x < 0.3 || live === 0) {
        const n = pickSize(r);
        counts.malloc = (counts.malloc ?? 0) + 1;
        const res = sides.map((s) => call(s.py, `${fn}Malloc`, n)) as [number, number];
        if (!checkResult(i, `${fn}Malloc(${n})`, res)) continue;
        const size = Number(n);
        // fresh data is CLEANBYTE under the hooks; without them it is indeterminate
        if (o.debugHooks) compareBytes(i, `${fn}Malloc(${n}) data`, res, 0, Math.min(size, 64));
        guards(i, `${fn}Malloc(${n})`, res, size);
        const pattern = newPattern();
        write(res, size, pattern);
        blocks.push({ domain: d, size, pattern });
        sides[0].ptr.push(res[0]);
        sides[1].ptr.push(res[1]);
      } else if (x < 0.42) {
        const big = r() < 0.03;
        const nelem: number | bigint = big ? 2n ** 33n : Math.floor(r() * 64);
        const elsize: number | bigint = big ? 2n ** 31n : Math.floor(r() * 33);
        counts.calloc = (counts.calloc ?? 0) + 1;
        const what = `${fn}Calloc(${nelem}, ${elsize})`;
        const res = sides.map((s) => call(s.py, `${fn}Calloc`, nelem, elsize)) as [number, number];
        if (!checkResult(i, what, res)) continue;
        const size = Number(nelem) * Number(elsize);
        const z = nat.memory.read(res[1], size), zr = ref.memory.read(res[0], size);
        if (z.some((b) => b !== 0) || zr.some((b) => b !== 0)) here(i, `${what}: not zeroed`);
        guards(i, what, res, size);
        const pattern = newPattern();
        write(res, size, pattern);
        blocks.push({ domain: d, size, pattern });
        sides[0].ptr.push(res[0]);
        sides[1].ptr.push(res[1]);
      } else if (x < 0.6) {
        const k = Math.floor(r() * live);
        const b = blocks[k];
        const f = ENTRY[b.domain];
        const n = r() < 0.05 ? 0 : pickSize(r);
        counts.realloc = (counts.realloc ?? 0) + 1;
        const what = `${f}Realloc(block ${k} of ${b.size}, ${n})`;
        const res = sides.map((s) => call(s.py, `${f}Realloc`, s.ptr[k], n)) as [number, number];
        if (res[0] === 0 && res[1] === 0) continue; // failed on both: the old block is still valid
        if (!checkResult(i, what, res)) {
          if (res[0] === 0 || res[1] === 0) break; // the two sides' blocks no longer correspond
          continue;
        }
        const size = Number(n);
        const keep = Math.min(b.size, size, b.pattern.length);
        for (let s = 0; s < 2; s++) {
          const got = [...sides[s].py.memory.read(res[s], keep)];
          if (got.some((v, j) => v !== b.pattern[j])) {
            here(i, `${what}: ${s ? "native" : "ref"} lost the prefix`);
          }
        }
        if (o.debugHooks && size > b.size) {
          compareBytes(i, `${what} grown data`, res, b.size, Math.min(size, b.size + 64));
        }
        guards(i, what, res, size);
        b.size = size;
        b.pattern = newPattern();
        write(res, size, b.pattern);
        sides[0].ptr[k] = res[0];
        sides[1].ptr[k] = res[1];
      } else if (x < 0.93) {
        const k = Math.floor(r() * live);
        const f = ENTRY[blocks[k].domain];
        counts.free = (counts.free ?? 0) + 1;
        const res = sides.map((s) => call(s.py, `${f}Free`, s.ptr[k]));
        if (res.some((v) => v instanceof Error)) {
          here(i, `${f}Free(block ${k}): ${res.map(String).join(" / ")}`);
        }
        blocks.splice(k, 1);
        for (const s of sides) s.ptr.splice(k, 1);
      } else if (x < 0.95) {
        counts.free_null = (counts.free_null ?? 0) + 1;
        const res = sides.map((s) => call(s.py, `${fn}Free`, 0));
        if (res.some((v) => v instanceof Error)) here(i, `${fn}Free(NULL): ${res.map(String).join(" / ")}`);
      } else if (o.debugHooks) {
        // a planted misuse: both must detect it the same way, and the block stays usable afterwards
        const k = Math.floor(r() * live);
        const b = blocks[k];
        const f = ENTRY[b.domain];
        const kind = Math.floor(r() * 4);
        counts[`violation_${kind}`] = (counts[`violation_${kind}`] ?? 0) + 1;
        let res: (number | Error)[];
        if (kind === 0 || kind === 1) {
          const at = kind === 0 ? b.size : -1; // one byte past the end / before the start
          const saved = sides.map((s) => s.py.memory.read(s.ptr[k] + at, 1)[0]);
          for (const s of sides) s.py.memory.write(s.ptr[k] + at, [0x78]);
          res = sides.map((s) => call(s.py, `${f}Free`, s.ptr[k]));
          sides.forEach((s, j) => s.py.memory.write(s.ptr[k] + at, [saved[j]]));
        } else if (kind === 2) {
          const wrong = ENTRY[(b.domain + 1) % 3];
          res = sides.map((s) => call(s.py, `${wrong}Free`, s.ptr[k]));
        } else {
          for (const s of sides) s.py.setGilHeld(false);
          res = sides.map((s) => call(s.py, "PyObject_Malloc", 8));
          for (const s of sides) s.py.setGilHeld(true);
          sides.forEach((s, j) => typeof res[j] === "number" && res[j] !== 0 && s.py.PyObject_Free(res[j]));
        }
        const keys = res.map((
          v,
        ) => (v instanceof Error ? violationKey(v) : `no violation (${v === 0 ? "NULL" : "a result"})`));
        if (keys[0] !== keys[1]) {
          here(i, `planted misuse ${kind} on block ${k}: ref ${keys[0]}; native ${keys[1]}`);
        }
      }
      if (divergences.length >= 5) break;
    }
    for (let k = 0; k < blocks.length; k++) {
      for (const s of sides) call(s.py, `${ENTRY[blocks[k].domain]}Free`, s.ptr[k]);
    }
  } finally {
    ref.close();
    nat.close();
  }
  return { options: o, counts, divergences };
}

if ((import.meta as { main?: boolean }).main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seeds: { type: "string", default: "20" },
      seed: { type: "string" },
      ops: { type: "string", default: "20000" },
    },
  });
  const seeds = values.seed
    ? [Number(values.seed)]
    : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
  const ops = Number(values.ops);
  if (!seeds.every(Number.isInteger) || !Number.isInteger(ops) || ops < 1) {
    console.error("differential: --seeds N, --seed S and --ops N take positive integers");
    process.exit(2);
  }
  let bad = 0;
  for (const seed of seeds) {
    for (const profile of ["cpython", "pep445-2013"] as const) {
      for (const debugHooks of [false, true]) {
        const res = runDifferential({ seed, ops, profile, debugHooks });
        bad += res.divergences.length;
        for (const d of res.divergences) console.log(d);
      }
    }
  }
  console.log(`${seeds.length} seeds x ${ops} ops x 2 profiles x hooks off/on: ${bad} divergences`);
  process.exit(bad ? 1 : 0);
}
