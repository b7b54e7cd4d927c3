/**
 * Sites of failing allocation calls: parses the engine's `p<N>.site` files, symbolizes their C frames with
 * binutils' addr2line (function, file:line where debug info exists), drops allocator and interpreter-
 * dispatch frames, and makes the key findings are deduplicated by.
 *
 * @example
 * ```ts
 * import { parseSite, siteKey, Symbolizer } from "./site.ts";
 * const raw = parseSite("point 3\ndomain mem\nsize 64\nc /lib/x.so 0x1234\nend\n");
 * const site = new Symbolizer().site(raw);
 * console.log(siteKey(site));
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { basename } from "node:path";

/** One C frame as the engine wrote it. */
export interface RawFrame {
  module: string;
  offset: number;
}

/** A site file (site.c; the failing process appends exc/settled/rerun lines, settle.c and guard.c). */
export interface RawSite {
  point: number;
  domain: string;
  size: number;
  c: RawFrame[];
  /** Python frames, innermost first: `file:line in func` */
  py: string[];
  /** the file ended with `end` (the capture completed) */
  complete: boolean;
  /** where the process died (the crash handler's backtrace), innermost first; empty when it did not */
  crash: RawFrame[];
}

/** A symbolized, filtered site. */
export interface Site {
  domain: string;
  size: number;
  /** kept C frames, innermost first: `func (file:line)` or `module+0xoff` */
  c: string[];
  py: string[];
  /** kept frames of the crash location, innermost first (empty when the process did not crash) */
  crash: string[];
}

/** Parses one `p<N>.site` file. */
export function parseSite(text: string): RawSite {
  const s: RawSite = { point: 0, domain: "?", size: 0, c: [], py: [], complete: false, crash: [] };
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    const tag = sp < 0 ? line : line.slice(0, sp), rest = line.slice(sp + 1);
    if (tag === "point") s.point = +rest;
    else if (tag === "domain") s.domain = rest;
    else if (tag === "size") s.size = +rest;
    else if (tag === "c" || tag === "x") {
      const at = rest.lastIndexOf(" ");
      (tag === "c" ? s.c : s.crash).push({
        module: rest.slice(0, at),
        offset: parseInt(rest.slice(at + 1), 16),
      });
    } else if (tag === "py") {
      const m = rest.match(/^(-?\d+) (\S+) (.*)$/);
      if (m) s.py.push(`${m[3]}:${m[1]} in ${m[2]}`);
    } else if (tag === "end") s.complete = true;
  }
  return s;
}

/** Modules whose frames are the allocator stack (the engine, allocspec, third-party allocators, libc). */
const DROP_MODULE =
  /(libas_faults|libas_leaks|liballocspec|jemalloc|mimalloc|tcmalloc|\/libc\.so|allocspec-python)/;
/** libpython functions that allocate for their caller or dispatch calls: never the site. */
const DROP_FUNC = new RegExp(
  "^(PyMem_|_PyMem_|PyObject_(Malloc|Calloc|Realloc|Free)|_PyObject_(Malloc|Calloc|Realloc|Free)|pymalloc_|" +
    "_PyObject_GC_|PyObject_GC_|gc_alloc|_PyObject_New|PyType_GenericAlloc|_PyType_AllocNoTrack|" +
    "_PyEval_EvalFrame|_PyEval_Vector|builtin_exec|_PyFunction_Vectorcall|PyObject_Call|_PyObject_Call|" +
    "_PyObject_MakeTpCall|_PyObject_VectorcallTstate|PyObject_Vectorcall|_PyObject_FastCall|cfunction_|" +
    "method_vectorcall|vectorcall_|slot_tp_|PyEval_EvalCode|run_eval_code_obj|run_mod|pyrun_|_PyRun_|PyRun_|" +
    "pymain_|Py_RunMain|Py_BytesMain|main$|__libc_start|_start$|" +
    // where a crash is reported from rather than where it happened
    "fatal_error|_Py_FatalError|Py_FatalError|faulthandler_|_PyObject_AssertFailed)",
);

/** Batch addr2line per module, cached. */
export class Symbolizer {
  #cache = new Map<string, { func: string; loc: string }>();

  /** Resolves every frame of `sites` in one addr2line run per module. */
  prime(frames: RawFrame[]): void {
    const byModule = new Map<string, number[]>();
    for (const f of frames) {
      if (f.module === "?" || this.#cache.has(`${f.module}+${f.offset}`)) continue;
      const list = byModule.get(f.module) ?? [];
      if (!list.includes(f.offset)) list.push(f.offset);
      byModule.set(f.module, list);
    }
    for (const [module, offsets] of byModule) {
      // return addresses: look up the call instruction (offset - 1)
      const r = spawnSync("addr2line", ["-f", "-C", "-e", module], {
        input: offsets.map((o) => `0x${Math.max(0, o - 1).toString(16)}`).join("\n") + "\n",
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      const lines = r.status === 0 ? r.stdout.split("\n") : [];
      offsets.forEach((o, i) => {
        const func = lines[2 * i] ?? "??";
        const loc = (lines[2 * i + 1] ?? "??:0").replace(/ \(discriminator \d+\)$/, "");
        this.#cache.set(`${module}+${o}`, { func, loc });
      });
    }
  }

  /** `func (file:line)`, or `module+0xoff` when nothing is known. */
  frame(f: RawFrame): { text: string; func: string } {
    const hit = this.#cache.get(`${f.module}+${f.offset}`);
    const mod = `${basename(f.module)}+0x${f.offset.toString(16)}`;
    if (!hit || hit.func === "??") return { text: mod, func: "" };
    const loc = hit.loc.startsWith("??") ? basename(f.module) : hit.loc.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "");
    return { text: `${hit.func} (${loc})`, func: hit.func };
  }

  /** Symbolized frames with allocator and interpreter-dispatch frames dropped, innermost first. */
  kept(frames: RawFrame[]): string[] {
    this.prime(frames.filter((f) => !DROP_MODULE.test(f.module)));
    const c: string[] = [];
    for (const f of frames) {
      if (DROP_MODULE.test(f.module)) continue;
      const { text, func } = this.frame(f);
      if (func && DROP_FUNC.test(func)) continue;
      c.push(text);
    }
    return c;
  }

  /** Symbolized site with allocator and dispatch frames dropped. */
  site(raw: RawSite): Site {
    return {
      domain: raw.domain,
      size: raw.size,
      c: this.kept(raw.c),
      py: raw.py,
      crash: this.kept(raw.crash),
    };
  }
}

/** Frames that make a site: the innermost kept C frames (exact call site first), else the Python frame. */
export const KEY_FRAMES = 3;

/** Dedup key of a site (stable across runs and shards on the same binaries): its C site (the innermost
 * kept C frames), or its innermost Python frame when no C frame is kept. */
export function siteKey(site: Site): string {
  if (site.c.length) return site.c.slice(0, KEY_FRAMES).join(" < ");
  return site.py.length ? `py ${site.py[0]}` : "unknown site";
}

/** Where the standard library lives, as prefixes of co_filename (sysconfig's stdlib and platstdlib). */
export type StdlibDirs = readonly string[];

/** Whether a Python frame (`file:line in func`) is the standard library's: frozen modules (`<frozen
 * importlib._bootstrap>`) and files under the stdlib directories (not site-packages). */
export function isStdlibFrame(frame: string, stdlib: StdlibDirs): boolean {
  if (frame.startsWith("<frozen ")) return true;
  return stdlib.some((d) => frame.startsWith(d.endsWith("/") ? d : `${d}/`)) && !frame.includes("-packages/");
}

/** The Python site of a failing call, as a user reads it: the innermost frame outside the standard
 * library (the user's own code that led to the call), else the innermost frame; "" without frames. */
export function pythonSite(py: readonly string[], stdlib: StdlibDirs): string {
  return py.find((f) => !f.startsWith("<") && !isStdlibFrame(f, stdlib)) ??
    py.find((f) => !isStdlibFrame(f, stdlib)) ?? py[0] ?? "";
}
