/**
 * Child process of the `pymalloc` and `debug_hooks` scenarios: replays one trace against allocator
 * configurations in a fresh process.
 *
 * - `--alloc A` (one configuration): the first replay, on a clean heap, gives the peak RSS growth
 *   (VmHWM after resetting it through /proc/self/clear_refs), as glibc's malloc trace tools report max
 *   RSS against "ideal RSS"; then `--reps` timed replays.
 * - `--alloc A,B,...` (several): `--reps` rounds; each round replays every configuration once, the
 *   order rotating, so configurations are compared replay by replay (milliseconds apart) and a busy
 *   machine slows all of them alike. Samples are aligned by round. No RSS figure.
 * - Before the timed rounds, `--warmup` untimed rounds (default 1) replay every configuration, so the
 *   first timed replay of each does not pay first-touch page faults, arena creation and cold caches.
 * A crash (a heap corrupted by an allocator under test) costs this child only, not the run.
 * jemalloc needs the parent to set the static-TLS tunable (core/env.ts STATIC_TLS_ENV).
 *
 * usage: alloc_child.ts --alloc NAME[,NAME...] --trace FILE [--reps N] [--warmup N] [--python PY]
 * (NAME: a label of ALLOCATORS or DEBUG_CONFIGS, or LABEL=TARGET for any target the registry can replay on)
 * Prints one JSON line: { configs, samples: {name: ns/op[]}, wall: {name: ns/op[]}, peakHeapBytes?, peakLiveBytes, ops }.
 * `samples` is the thread's CPU time per operation of each replay call (bench/cpu_clock.ts), `wall` the
 * replay's own wall-clock time per operation.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadNative, nativeModule } from "./native_glue.ts";
import { findPython, resolveLibpython } from "../core/python.ts";
import { benchForm } from "../targets/kinds.ts";
import { threadCpuNs } from "./cpu_clock.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

/**
 * The allocators compared by default: a label (the figures carry it) -> the target (targets/kinds.ts, whose
 * descriptor says how a replay reaches it; libraries are found by the dynamic loader, as on any machine).
 * `--target SPEC` of the bench command adds others, labelled by {@link targetLabel}.
 */
export const ALLOCATORS: Readonly<Record<string, string>> = {
  native_pymalloc: "native", // native entry points, cpython profile defaults (pymalloc in MEM/OBJ)
  cpython_obmalloc: "cpython", // libpython's entry points (obmalloc in MEM/OBJ), via an entry table
  glibc: "libc:libc.so.6",
  jemalloc: "libc:libjemalloc.so.2",
  mimalloc: "libc:libmimalloc.so.2:mi_",
  tcmalloc: "libc:libtcmalloc_minimal.so.4:tc_",
};

/** The label of a target the user added (`--target SPEC`): the spec with every other character as `_`. */
export function targetLabel(spec: string): string {
  return spec.replace(/[^A-Za-z0-9_]+/g, "_");
}

/** A configuration name: a label of {@link ALLOCATORS} or {@link DEBUG_CONFIGS}, or `LABEL=SPEC`. */
export function configSpec(name: string): { label: string; spec: string | undefined } {
  const i = name.indexOf("=");
  if (i > 0) return { label: name.slice(0, i), spec: name.slice(i + 1) };
  return { label: name, spec: ALLOCATORS[name] };
}

/** Debug-hook configurations (PyMem_SetupDebugHooks on top of the defaults). */
export const DEBUG_CONFIGS = ["cpython_debug", "native_debug_cpython", "native_debug_pep445-2013"] as const;

function statusKb(field: string): number {
  const m = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]);
}

/**
 * A configuration: `setup()` puts the process in that state before every replay; it changes state only
 * when another configuration changed it, so allocator state (pymalloc arenas, caches) stays warm
 * across replays as it does in a long-running process.
 */
interface Config {
  setup(): void;
  opts: Record<string, unknown>;
}

async function makeConfigs(names: string[], python: string | undefined): Promise<Record<string, Config>> {
  const m = await nativeModule(ROOT);
  const n = await loadNative(ROOT);
  let lp: string | null = null;
  let py: any = null;
  let saved: any[] | null = null; // libpython's allocators before its debug hooks
  let nativeState = "";
  const libpython = () => {
    lp ??= resolveLibpython(python ?? findPython(), {
      hint: "ALLOCSPEC_PYTHON=/path/to/python3 (built with --enable-shared)",
    });
    // never initialised: libpython's allocators are static; SetupDebugHooks wraps them (PYTHONMALLOC=debug)
    py ??= m.loadPep445Library(lp);
    return lp;
  };
  const out: Record<string, Config> = {};
  for (const name of names) {
    const { label, spec } = configSpec(name);
    const form = spec ? benchForm(spec) : undefined;
    if (label === "cpython_debug" || (form?.replay === "entries" && !spec?.includes(":"))) {
      // libpython's own entry points: the same library as the debug configuration's
      const entries = m.entryTableOf(libpython());
      const debug = label === "cpython_debug";
      out[name] = {
        opts: { entries },
        setup: () => {
          if (debug && !saved) {
            saved = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
            py.PyMem_SetupDebugHooks();
          } else if (!debug && saved) {
            for (const d of [0, 1, 2]) py.PyMem_SetAllocator(d, saved[d]);
            saved = null;
          }
        },
      };
    } else if (form?.replay === "entries") {
      out[name] = { opts: { entries: m.entryTableOf(form.lib) }, setup: () => {} };
    } else if (label.startsWith("native_debug_") || form?.replay === "native") {
      const debug = label.startsWith("native_debug_");
      const profile = debug ? label.slice("native_debug_".length) : "cpython";
      out[name] = {
        opts: {},
        setup: () => {
          if (nativeState === name) return;
          n.reset({ profile });
          if (debug) n.PyMem_SetupDebugHooks();
          nativeState = name;
        },
      };
    } else if (form?.replay === "libc") {
      const f = (s: string) => m.symbolAddress(form.lib, form.prefix + s);
      const direct = n.libcAllocator({
        malloc: f("malloc"),
        calloc: f("calloc"),
        realloc: f("realloc"),
        free: f("free"),
      });
      out[name] = { opts: { direct }, setup: () => {} };
    } else if (form?.replay === "vtable") {
      out[name] = {
        opts: { direct: n.allocatorFromStruct(m.symbolAddress(form.lib, form.symbol)) },
        setup: () => {},
      };
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    options: {
      alloc: { type: "string" },
      trace: { type: "string" },
      reps: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      python: { type: "string" },
    },
  });
  const names = (v.alloc ?? "").split(",").filter(Boolean);
  const known: string[] = [...Object.keys(ALLOCATORS), ...DEBUG_CONFIGS];
  const bad = names.filter((x) => !x.includes("=") && !known.includes(x));
  if (names.length === 0 || bad.length) {
    throw new Error(`unknown --alloc ${JSON.stringify(bad.join(",") || "")}; known: ${known.join(", ")}`);
  }
  if (!v.trace) throw new Error("--trace FILE is required");
  const bytes = new Uint8Array(readFileSync(v.trace));
  const n = await loadNative(ROOT);
  const configs = await makeConfigs(names, v.python);
  const reps = Number(v.reps);
  // samples: the thread's CPU time per op of each replay call; wall: the replay's own wall clock per op
  const samples: Record<string, number[]> = Object.fromEntries(names.map((x) => [x, []]));
  const wall: Record<string, number[]> = Object.fromEntries(names.map((x) => [x, []]));
  const result: Record<string, unknown> = { configs: names };
  if (names.length === 1) {
    const c = configs[names[0]];
    c.setup();
    // settle the JS heap first so its collector does not hand pages back during the replay
    const g = globalThis as any;
    if (g.Bun) g.Bun.gc(true);
    else g.gc?.();
    const rss0 = statusKb("VmRSS");
    writeFileSync("/proc/self/clear_refs", "5");
    const first = n.replay(bytes, { ...c.opts, touch: true });
    result.peakHeapBytes = Math.max(0, statusKb("VmHWM") - rss0) * 1024;
    result.peakLiveBytes = first.peakLiveBytes;
    result.ops = first.ops;
  }
  for (let r = 0; reps > 0 && r < Number(v.warmup); r++) {
    for (const name of names) {
      configs[name].setup();
      n.replay(bytes, configs[name].opts); // untimed
    }
  }
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      configs[name].setup();
      const c0 = threadCpuNs();
      const res = n.replay(bytes, configs[name].opts);
      samples[name].push((threadCpuNs() - c0) / res.ops);
      wall[name].push(res.ns / res.ops);
      result.peakLiveBytes ??= res.peakLiveBytes;
      result.ops ??= res.ops;
    }
  }
  result.samples = samples;
  result.wall = wall;
  console.log(JSON.stringify(result));
}

if (import.meta.main) {
  main().then(() => process.exit(0), (e) => {
    console.error(`alloc_child: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
