/**
 * The `native[:WORD]` target's argument: WORD is a build variant of liballocspec (`release`, the default;
 * `debug`; `asan`) or a pymalloc geometry (`cpython310`, the default of real programs; `pep445`). The
 * conformance suite picks the geometry per profile, so there WORD is a variant; real programs (the
 * launcher) take either.
 *
 * @example
 * ```ts
 * import { parseNativeArg } from "./native.ts";
 * parseNativeArg("asan"); // { variant: "asan" }
 * parseNativeArg("pep445"); // { geometry: "pep445" }
 * ```
 * @module
 */
import { type Variant, VARIANTS } from "../core/cbuild.ts";
import { UsageError } from "../core/usage.ts";

/** native's pymalloc geometries (allocspec_reset; ref/pymalloc_geometry.ts). */
export const GEOMETRIES = ["cpython310", "pep445"] as const;
export type Geometry = typeof GEOMETRIES[number];

/** Parses the argument of `native[:WORD]`; one UsageError line for anything else. */
export function parseNativeArg(arg: string | undefined): { variant?: Variant; geometry?: Geometry } {
  if (arg === undefined || arg === "") return {};
  if ((VARIANTS as readonly string[]).includes(arg)) return { variant: arg as Variant };
  if ((GEOMETRIES as readonly string[]).includes(arg)) return { geometry: arg as Geometry };
  throw new UsageError(
    `native target: unknown variant or geometry '${arg}': use native:${
      VARIANTS.join("|")
    } (build variant) or native:${GEOMETRIES.join("|")} (pymalloc geometry)`,
  );
}
