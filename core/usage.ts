/**
 * Bad input: `UsageError`. Every command prints its message as one line (naming the problem and what to
 * do) and exits 2 without running anything; every folder throws it for a bad flag, target, library or
 * path.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage.ts";
 * try {
 *   throw new UsageError("unknown target kind 'x': use one of ref, native, cpython");
 * } catch (e) {
 *   console.error((e as Error).message); // exit 2
 * }
 * ```
 * @module
 */

/** A usage problem: the CLI prints `message` as one line and exits 2 without running anything. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
