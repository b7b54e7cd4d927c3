// One home for "run a program in place of this launcher": the JS launchers (`node_modules/.bin/deno`,
// tools/deno_launcher.cjs, and the installed `allocspec` command, cli/allocspec.cjs) start the real runtime
// as a child, because Node cannot exec. A launcher must then behave as if it WERE that program:
//
// - SIGINT, SIGTERM and SIGHUP sent to the launcher are forwarded to the child (a CI cancel or `kill`
//   reaches only the launcher; without forwarding the child and its workers were re-parented to PID 1 and
//   kept running). A signal sent to the whole process group (Ctrl-C, `timeout`) reaches the child twice,
//   which the programs here tolerate (their handlers stop once).
// - When the launcher's own parent goes away (npx runs `sh -c 'deno' ...`; `kill` of npx makes npm forward
//   SIGTERM to that sh, which dies without forwarding it), the launcher is re-parented: that is a cancel
//   too, and the child gets SIGTERM. Checked by polling the parent pid (Node and Deno read it live).
// - It exits with the child's status: the child's exit code, or, when a signal ended the child, the same
//   signal re-raised (Node), or 128 + its number where the runtime keeps a signal handler installed
//   (Deno's node:process cannot restore the default disposition), which is what a shell reports.
//
// Runs under Node (npx) and under Deno (inside `deno task`, which runs node_modules/.bin/deno as JS).
"use strict";
const { spawn } = require("node:child_process");
const os = require("node:os");

/** The signals a launcher forwards. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];

/** How often the parent pid is checked, ms. */
const PARENT_POLL_MS = 250;

/**
 * Runs `exe args` with inherited stdio in place of this process: forwards {@link FORWARDED} signals, sends
 * SIGTERM when this process is orphaned, and exits with the child's status. `onError(e)` is called (and
 * should exit) when the child cannot be started. Never returns.
 */
function runInPlace(exe, args, opts = {}) {
  // the program learns who launched it: when we are gone it was cancelled (core/cancel.ts)
  const env = { ...(opts.env ?? process.env), ALLOCSPEC_LAUNCHER_PID: String(process.pid) };
  const child = spawn(exe, args, { stdio: "inherit", env, cwd: opts.cwd });
  const handlers = new Map();
  for (const sig of FORWARDED) {
    const h = () => {
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  const parent = process.ppid;
  let orphaned = false;
  const poll = setInterval(() => {
    if (orphaned || process.ppid === parent) return;
    orphaned = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }, PARENT_POLL_MS);
  child.on("error", (e) => {
    clearInterval(poll);
    if (opts.onError) opts.onError(e);
    process.stderr.write(`cannot start ${exe}: ${e.message}\n`);
    process.exit(3);
  });
  child.on("exit", (code, signal) => {
    clearInterval(poll);
    if (signal) {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
      const n = os.constants.signals[signal] ?? 0;
      try {
        process.kill(process.pid, signal);
      } catch { /* not deliverable: the status below */ }
      // still alive (a handler stays installed, or the signal is ignored): the shell's convention
      setTimeout(() => process.exit(128 + n), 100);
      return;
    }
    process.exit(code ?? 1);
  });
}

module.exports = { runInPlace, FORWARDED, PARENT_POLL_MS };
