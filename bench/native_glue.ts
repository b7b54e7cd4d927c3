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
