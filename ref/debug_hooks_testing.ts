/**
 * Test helpers for the debug hooks: a small world without pymalloc (every domain on the default raw
 * allocator) and a recording allocator that logs each call with its exact arguments and can snapshot
 * bytes at the moment it is called.
 *
 * @example
 * ```ts
 * import { debugWorld } from "./debug_hooks_testing.ts";
 * const w = debugWorld("cpython");
 * w.ep.PyMem_Free(w.ep.PyMem_Malloc(16));
 * w.log; // [["malloc", 40], ["free", q]] as seen under the hooks
 * ```
 * @module
 */
import type { Profile, Ptr, PyMemAllocatorEx, ViolationMode } from "./types.ts";
import { Heap } from "./heap.ts";
import { RawAllocator } from "./raw.ts";
import { createDefaultArenaAllocator } from "./arena.ts";
import { rawDefaultAllocator } from "./default_allocators.ts";
import { EntryPoints } from "./entry.ts";
import { createDebugHooks, type DebugHooks, type DebugHost, setupDebugHooks } from "./debug_hooks.ts";

/** One logged call: the operation and its arguments (ctx left out). */
export type Call = [op: string, ...args: number[]];

/**
 * An allocator that logs every call into `log` and forwards to `under`. `onCall`, if set, runs before
 * forwarding (tests snapshot bytes there).
 */
export function recorder(
  under: PyMemAllocatorEx,
  log: Call[],
  onCall?: (call: Call) => void,
): PyMemAllocatorEx {
  const note = (c: Call) => {
    log.push(c);
    onCall?.(c);
  };
  return {
    ctx: "recorder",
    malloc: (_c, n) => (note(["malloc", n]), under.malloc(under.ctx, n)),
    calloc: (_c, e, s) => (note(["calloc", e, s]), under.calloc!(under.ctx, e, s)),
    realloc: (_c, p, n) => (note(["realloc", p, n]), under.realloc(under.ctx, p, n)),
    free: (_c, p) => (note(["free", p]), under.free(under.ctx, p)),
  };
}

/** A world with recording allocators under the debug hooks in all three domains. */
export interface DebugWorld {
  heap: Heap;
  raw: RawAllocator;
  ep: EntryPoints;
  host: DebugHost;
  hooks: DebugHooks;
  /** Calls that reached the allocators under the hooks (all domains). */
  log: Call[];
  /** Set to snapshot bytes when a logged call happens. */
  onCall?: (call: Call) => void;
  /** PyMem_SetupDebugHooks() on this world. */
  install(): void;
}

/** Builds the world; hooks are installed unless `install` is false. */
export function debugWorld(
  profile: Profile,
  opts: { install?: boolean; heapLimit?: number; violation?: ViolationMode } = {},
): DebugWorld {
  const heap = new Heap({ limit: opts.heapLimit ?? 16 << 20 });
  const raw = new RawAllocator(heap);
  const log: Call[] = [];
  const w = { heap, raw, log } as DebugWorld;
  const rec = recorder(rawDefaultAllocator(raw), log, (c) => w.onCall?.(c));
  w.ep = new EntryPoints(heap, rec, rec, rec, createDefaultArenaAllocator(heap));
  w.host = { profile, mem: heap, gilHeld: true, violation: opts.violation ?? "throw" };
  w.hooks = createDebugHooks(w.host);
  w.install = () => setupDebugHooks(w.hooks, w.ep);
  if (opts.install !== false) w.install();
  return w;
}

/** Bytes [from, to) of the heap as an array of numbers. */
export function bytes(heap: Heap, from: Ptr, to: Ptr): number[] {
  return Array.from(heap.u8.subarray(from, to));
}
