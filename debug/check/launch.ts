/**
 * The checking layer for the launcher: builds libas_check.so (debug/layers.ts) and returns the
 * {@link CheckOptions} that `launchSpec({ check })` (targets/launcher.ts) turns into ALLOCSPEC_CHECK_*.
 *
 * @example
 * ```ts
 * import { checkLayerOptions } from "./launch.ts";
 * import { launchSpec } from "../../targets/launcher.ts";
 * const spec = launchSpec({ target: "native", check: checkLayerOptions({ mode: "stop" }) });
 * ```
 * @module
 */
import type { Variant } from "../../core/cbuild.ts";
import type { CheckOptions } from "../../targets/launcher.ts";
import { buildLayer } from "../layers.ts";

/** CheckOptions with the layer's library built for `variant` (default release). */
export function checkLayerOptions(
  o: Omit<CheckOptions, "library"> & { variant?: Variant } = {},
): CheckOptions {
  const { variant, ...rest } = o;
  return { library: buildLayer("as_check", { variant: variant ?? "release" }), ...rest };
}
