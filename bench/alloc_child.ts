/**
 * Child process of the `pymalloc` and `debug_hooks` scenarios: replays one trace against ONE allocator
 * configuration in a fresh process,
 * so each allocator starts with a clean heap and its peak RSS can be read (VmHWM after resetting it
 * through /proc/self/clear_refs), as glibc's malloc trace tools report max RSS against "ideal RSS",
 * and so a crash (a heap corrupted by an allocator under test) costs one measurement, not the run.
 * jemalloc needs the parent to set GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536.
 *
 * usage: alloc_child.ts --alloc NAME --trace FILE [--reps N] [--python PY]
 * Prints one JSON line: { alloc, samples (ns/op), peakHeapBytes, peakLiveBytes, failed, ops }.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { entryTable, libpythonPath, loadNative, nativeModule } from "./native_glue.ts";
import { findPython } from "./traces.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

/** The allocators compared, and where their malloc family lives. */
export const ALLOCATORS: Record<string, { lib: string; prefix: string } | null> = {
  native_pymalloc: null, // native entry points, cpython profile defaults (pymalloc in MEM/OBJ)
  cpython_obmalloc: null, // libpython's entry points (obmalloc in MEM/OBJ), via an entry table
  glibc: { lib: "libc.so.6", prefix: "" },
  jemalloc: { lib: "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", prefix: "" },
  mimalloc: { lib: "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", prefix: "mi_" },
  tcmalloc: { lib: "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", prefix: "tc_" },
};

/** Debug-hook configurations (PyMem_SetupDebugHooks on top of the defaults). */
export const DEBUG_CONFIGS = ["cpython_debug", "native_debug_cpython", "native_debug_pep445-2013"] as const;

function statusKb(field: string): number {
  const m = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    options: { alloc: { type: "string" }, trace: { type: "string" }, reps: { type: "string", default: "5" }, python: { type: "string" } },
  });
  const name = v.alloc ?? "";
  const known = [...Object.keys(ALLOCATORS), ...DEBUG_CONFIGS];
  if (!known.includes(name)) throw new Error(`unknown --alloc ${JSON.stringify(name)}; known: ${known.join(", ")}`);
  if (!v.trace) throw new Error("--trace FILE is required");
  const bytes = new Uint8Array(readFileSync(v.trace));
  const m = await nativeModule(ROOT);
  const n = await loadNative(ROOT);
  let opts: Record<string, unknown> = {};
  const spec = ALLOCATORS[name];
  if (name === "cpython_obmalloc" || name === "cpython_debug") {
    const lp = libpythonPath(v.python ?? findPython());
    // never initialised: libpython's allocators are static; SetupDebugHooks wraps them (PYTHONMALLOC=debug)
    if (name === "cpython_debug") m.loadPep445Library(lp).PyMem_SetupDebugHooks();
    opts = { entries: entryTable(m, lp) };
  } else if (name.startsWith("native_debug_")) {
    n.reset({ profile: name.slice("native_debug_".length) });
    n.PyMem_SetupDebugHooks();
  } else if (spec) {
    const f = (s: string) => m.symbolAddress(spec.lib, spec.prefix + s);
    opts = { direct: n.libcAllocator({ malloc: f("malloc"), calloc: f("calloc"), realloc: f("realloc"), free: f("free") }) };
  }
  const rss0 = statusKb("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5");
  const first = n.replay(bytes, { ...opts, touch: true });
  const peakHeapBytes = Math.max(0, statusKb("VmHWM") - rss0) * 1024;
  const samples: number[] = [];
  for (let i = 0; i < Number(v.reps); i++) {
    const r = n.replay(bytes, opts);
    samples.push(r.ns / r.ops);
  }
  console.log(JSON.stringify({ alloc: name, samples, peakHeapBytes, peakLiveBytes: first.peakLiveBytes, failed: first.failed, ops: first.ops }));
}

if (import.meta.main) {
  main().then(() => process.exit(0), (e) => {
    console.error(`alloc_child: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
