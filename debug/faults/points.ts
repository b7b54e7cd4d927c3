/**
 * Which calls a sweep fails (the one point chooser of every fault sweep: debug/faults, clients/libs, the
 * fault-sweep benchmark): all points 1..total, or a stratified sample (`--max-points`: evenly spaced over the
 * whole run, so early, middle and late calls are all represented; optionally a share of the budget on the
 * first points, where a failure leaves global state half-built), partitioned
 * deterministically into shards (`--shard K/N`: the sorted points dealt round-robin, so each shard gets a
 * spread of the run).
 *
 * @example
 * ```ts
 * import { choosePoints, parseShard, shardPoints } from "./points.ts";
 * const pts = choosePoints(1000, 100); // [1, 11, 21, ...]
 * shardPoints(pts, parseShard("2/4")); // every 4th point from the second
 * ```
 * @module
 */

/** A shard: 1-based index k of n. */
export interface Shard {
  k: number;
  n: number;
}

/** Parses `K/N` (1 <= K <= N); throws a one-line Error otherwise. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const k = m ? +m[1] : 0, n = m ? +m[2] : 0;
  if (!m || n < 1 || k < 1 || k > n) {
    throw new Error(`--shard '${text}': use K/N with 1 <= K <= N, e.g. --shard 2/4`);
  }
  return { k, n };
}

/**
 * Points 1..total, or `max` of them when total > max (max <= 0: all): the first `headShare` of the budget on
 * the first points (1, 2, ...), the rest stratified over the remaining points (the first point of each of
 * `rest` equal strata, so early, middle and late calls are all represented).
 */
export function choosePoints(total: number, max = 0, headShare = 0): number[] {
  if (max <= 0 || total <= max) return Array.from({ length: total }, (_, i) => i + 1);
  const head = Math.floor(max * headShare), rest = max - head, span = total - head;
  return [
    ...Array.from({ length: head }, (_, i) => i + 1),
    ...Array.from({ length: rest }, (_, i) => head + Math.floor((i * span) / rest) + 1),
  ];
}

/** The points of one shard (round-robin over the sorted list). */
export function shardPoints(points: number[], shard?: Shard): number[] {
  if (!shard || shard.n === 1) return points;
  return points.filter((_, i) => i % shard.n === shard.k - 1);
}
