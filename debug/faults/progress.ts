/**
 * A progress bar with rate and ETA on stderr: redrawn in place on a terminal, one line per 10% otherwise
 * (CI logs).
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { progressBar } from "./progress.ts";
 * const bar = progressBar(process.stderr);
 * bar.update(5, 10, 0);
 * bar.done();
 * ```
 * @module
 */

/** Where the bar is drawn. */
export interface Sink {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** A bar: `update(done, total, findings)` as points finish, `done()` at the end. */
export function progressBar(out: Sink, label = "faults"): {
  update: (done: number, total: number, findings: number) => void;
  done: () => void;
} {
  const t0 = Date.now();
  let lastDecile = -1, drawn = false;
  const update = (done: number, total: number, findings: number) => {
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    const width = 30, fill = total ? Math.round((width * done) / total) : width;
    const line = `${label}: [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total} points, ` +
      `${rate.toFixed(1)}/s, ETA ${eta}s, ${findings} finding${findings === 1 ? "" : "s"}`;
    if (out.isTTY) {
      out.write(`\r${line}\x1b[K`);
      drawn = true;
    } else {
      const decile = total ? Math.floor((10 * done) / total) : 10;
      if (decile !== lastDecile) {
        lastDecile = decile;
        out.write(line + "\n");
      }
    }
  };
  return { update, done: () => drawn && out.write("\n") };
}
