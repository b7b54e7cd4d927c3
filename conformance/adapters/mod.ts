/**
 * From `--target kind[:arg]` to an {@link Adapter}: the kind's descriptor in the one registry
 * (targets/kinds.ts: `parseTarget`, `targetKind`) names its adapter module and factory export, which are
 * imported lazily here, so a build without one of them still runs the others; asking for a missing kind is
 * a usage error: "target kind X is not available in this build".
 *
 * @example
 * ```ts
 * import { loadAdapter } from "./mod.ts";
 * const a = await loadAdapter("ref", { abi: "shipped" });
 * const py = a.open("cpython");
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { type Adapter, type AdapterFactory, type AdapterOptions } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { parseTarget, TARGET_KINDS, targetKind } from "../../targets/kinds.ts";

export { parseTarget, TARGET_KINDS };

/** The factory for a kind, or a UsageError naming the problem. */
export async function loadFactory(kind: string): Promise<AdapterFactory> {
  const { adapter } = targetKind(kind);
  const url = new URL(`../../${adapter.module}`, import.meta.url);
  if (!existsSync(url)) throw new UsageError(`target kind ${kind} is not available in this build`);
  const mod = await import(url.href) as Record<string, unknown>;
  const f = mod[adapter.export] ?? mod.default;
  if (typeof f !== "function") {
    throw new UsageError(
      `target kind ${kind} is not available in this build (${adapter.module} exports no ${adapter.export})`,
    );
  }
  return f as AdapterFactory;
}

/**
 * Builds the adapter for `spec`. Errors from the factory that are not already UsageErrors are turned into
 * one-line UsageErrors naming the target (a missing library or symbol is a usage problem, exit 2).
 */
export async function loadAdapter(spec: string, opts: AdapterOptions): Promise<Adapter> {
  const { kind, arg } = parseTarget(spec);
  const factory = await loadFactory(kind);
  try {
    return factory(arg, opts);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(`target ${spec}: ${msg.split("\n")[0]}`);
  }
}
