/**
 * Progress of a long run (conformance runs, fault points, client runs, library scenarios), the one home
 * for it. On a terminal: ONE line redrawn in place (`\r` + erase), at most 10 times a second, with
 * done/total, percent, elapsed time, ETA and the current item, cut to the terminal's width. Off a
 * terminal (CI logs, pipes): a line when the run starts, then at most one line every 10 s, and a last
 * line when it ends, so a log shows it is alive without drowning in it. Lines that must stay (a failure
 * as it happens) go through {@link Progress.log}, which clears the in-place line, writes the line and
 * redraws. Progress goes to stderr by default: stdout carries only results.
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const p = createProgress({ label: "conformance", unit: "runs", total: 3 });
 * p.update(1, "zero_size/malloc_zero[RAW]@cpython on ref");
 * p.log("FAIL ref zero_size/malloc_zero[RAW]@cpython: malloc(0) returned NULL");
 * p.update(3);
 * p.done("3 runs");
 * ```
 * @module
 */
import process from "node:process";

/** Where progress is written (`process.stderr` by default). */
export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** what runs, first on every line ("conformance", "faults", "libs") */
  label: string;
  /** what is counted ("runs", "points", "scenarios"); default "items" */
  unit?: string;
  /** how many items in all (can be changed later with {@link Progress.setTotal}) */
  total?: number;
  /** default process.stderr */
  out?: ProgressSink;
  /** in-place line (terminal) or periodic lines; default `out.isTTY` */
  tty?: boolean;
  /** off a terminal: the least time between two lines, ms (default 10 000) */
  intervalMs?: number;
  /** on a terminal: the least time between two redraws, ms (default 100) */
  redrawMs?: number;
  /** the clock, ms (tests pass their own) */
  now?: () => number;
}

/** A running progress display. */
export interface Progress {
  /** `done` items of `total` are finished; `current` names the item being (or last) worked on */
  update(done: number, current?: string): void;
  /** one more item finished */
  tick(current?: string): void;
  /** the total changed (a run discovered more work) */
  setTotal(total: number): void;
  /** a line that stays (a failure as it happens): printed above the progress line */
  log(line: string): void;
  /** the run ended: the last line (with `summary` when given), the terminal line left in place */
  done(summary?: string): void;
}

/** "0:07", "1:02:03" */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/**
 * The text of one progress line: `conformance: 312/616 runs (50%) · 0:42 elapsed · ETA 0:41 · <current>`.
 * The ETA is the remaining items at the mean rate so far ("ETA ?" before the first item finishes).
 */
export function progressLine(
  label: string,
  unit: string,
  done: number,
  total: number,
  elapsedMs: number,
  current?: string,
): string {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const eta = done > 0 && total >= done ? formatDuration(((total - done) * elapsedMs) / done) : "?";
  const parts = [`${label}: ${done}/${total} ${unit} (${pct}%)`, `${formatDuration(elapsedMs)} elapsed`];
  if (done < total) parts.push(`ETA ${eta}`);
  if (current) parts.push(current);
  return parts.join(" · ");
}

/** Starts a progress display (nothing is drawn until the first update, off a terminal the start line). */
export function createProgress(o: ProgressOptions): Progress {
  const out = o.out ?? process.stderr;
  const tty = o.tty ?? !!out.isTTY;
  const now = o.now ?? (() => Date.now());
  const interval = o.intervalMs ?? 10_000;
  const redraw = o.redrawMs ?? 100;
  const unit = o.unit ?? "items";
  const t0 = now();
  let total = o.total ?? 0;
  let done = 0;
  let current: string | undefined;
  let lastDraw = -Infinity;
  let drawn = false; // a terminal line is on screen (not yet ended by a newline)
  let finished = false;
  const line = () => progressLine(o.label, unit, done, total, now() - t0, current);
  const fit = (s: string) => {
    const cols = out.columns ?? 0;
    return cols > 10 && s.length >= cols ? s.slice(0, cols - 2) + "…" : s;
  };
  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < (tty ? redraw : interval)) return;
    lastDraw = t;
    if (tty) {
      out.write(`\r${fit(line())}\x1b[K`);
      drawn = true;
    } else out.write(line() + "\n");
  };
  if (!tty) {
    // the start line, so a log shows the run began and how big it is
    out.write(`${o.label}: ${total ? `${total} ${unit} to run` : "started"}\n`);
    lastDraw = now();
  }
  const update = (d: number, cur?: string) => {
    if (finished) return;
    done = d;
    if (cur !== undefined) current = cur;
    draw(false);
  };
  return {
    update,
    tick: (cur) => update(done + 1, cur),
    setTotal(t) {
      total = t;
    },
    log(text) {
      if (tty && drawn) out.write(`\r\x1b[K${text}\n`);
      else out.write(text + "\n");
      drawn = false;
      if (tty && !finished && lastDraw > -Infinity) draw(true);
    },
    done(summary) {
      if (finished) return;
      finished = true;
      current = undefined;
      const last = `${o.label}: ${done}/${total} ${unit} in ${formatDuration(now() - t0)}${
        summary ? ` · ${summary}` : ""
      }`;
      if (tty) out.write(`\r${fit(last)}\x1b[K\n`);
      else out.write(last + "\n");
      drawn = false;
    },
  };
}
