/**
 * How the benchmarks reach native/ and ref/ (both land in parallel with bench/): one lazily opened
 * native instance per process, the libpython loader, symbol addresses and entry tables.
 *
 * Modules are imported by computed URL so bench/ type-checks and its pure parts run even where
 * native/ or ref/ are absent; a missing piece gives one clear line, and only the scenarios that need
 * it fail.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

let nativeMod: any;
let nativeInst: any;

/** native/mod.ts (openNative, loadPep445Library, symbolAddress), imported once. */
export async function nativeModule(root: string): Promise<any> {
  if (nativeMod) return nativeMod;
  const p = join(root, "native", "mod.ts");
  if (!existsSync(p)) throw new Error("native/mod.ts is missing: the native loader is not in this checkout");
  nativeMod = await import(new URL(`file://${p}`).href);
  return nativeMod;
}

/** The process's native instance (openNative, profile cpython), reset to defaults on every call. */
export async function loadNative(root: string): Promise<any> {
  const m = await nativeModule(root);
  if (!nativeInst) nativeInst = m.openNative({ profile: "cpython", violation: "throw" });
  else nativeInst.reset({ profile: "cpython" });
  return nativeInst;
}

/** ref/mod.ts createRef. */
export async function refModule(root: string): Promise<any> {
  const p = join(root, "ref", "mod.ts");
  if (!existsSync(p)) {
    throw new Error("ref/mod.ts is missing: the reference implementation is not in this checkout yet");
  }
  return await import(new URL(`file://${p}`).href);
}

export const ENTRY_NAMES = {
  malloc: ["PyMem_RawMalloc", "PyMem_Malloc", "PyObject_Malloc"],
  calloc: ["PyMem_RawCalloc", "PyMem_Calloc", "PyObject_Calloc"],
  realloc: ["PyMem_RawRealloc", "PyMem_Realloc", "PyObject_Realloc"],
  free: ["PyMem_RawFree", "PyMem_Free", "PyObject_Free"],
} as const;

/** The entry table of a library exporting CPython's entry points (e.g. libpython): addresses per domain. */
export function entryTable(
  m: any,
  libPath: string,
): { malloc: number[]; calloc: number[]; realloc: number[]; free: number[] } {
  const t: any = {};
  for (const [k, names] of Object.entries(ENTRY_NAMES)) t[k] = names.map((n) => m.symbolAddress(libPath, n));
  return t;
}
