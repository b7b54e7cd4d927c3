#!/usr/bin/env node
// allocspec: the installed command (`npx allocspec ...`). Plain Node.js, no dependency: it picks a
// command from cli/commands.json (one line per command: name -> TypeScript module) and runs that module
// in Bun (default) or Deno, both from this package's own npm dependencies.
//
// What it hands the runtime (see cli/README.md):
// - the user's directory: the child runs in it and gets ALLOCSPEC_CWD, so relative paths
//   (`--target vtable:./libmine.so`, `--out DIR`) mean what the user typed;
// - ALLOCSPEC_CACHE_DIR: when this package is installed (it sits inside node_modules), everything made
//   at run time goes to ${XDG_CACHE_HOME:-~/.cache}/allocspec/<version>/, never into the install folder:
//   src/ (a copy of the sources, which both runtimes run: Deno will not run TypeScript under
//   node_modules), native/ (compiled from the shipped C sources on first use), bench/ (traces, results);
// - ALLOCSPEC_COMMAND: "allocspec <command>", shown in reports as the command line.
// Exit status: the command's own (0 ok, 1 findings, 2 usage); 2 for a usage error here; a signal
// that killed the runtime is re-raised. SIGINT/SIGTERM/SIGHUP are forwarded to the runtime, and a
// launcher whose parent is gone cancels it (tools/forward.cjs).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runInPlace } = require("../tools/forward.cjs");

const ROOT = path.join(__dirname, "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const COMMANDS = JSON.parse(fs.readFileSync(path.join(__dirname, "commands.json"), "utf8"));
const RUNTIMES = ["bun", "deno"];

function usageError(msg) {
  process.stderr.write(`allocspec: ${msg} (see allocspec --help)\n`);
  process.exit(2);
}

function installed() {
  return path.resolve(ROOT).split(path.sep).includes("node_modules");
}

function cacheDir() {
  if (process.env.ALLOCSPEC_CACHE_DIR) return path.resolve(process.env.ALLOCSPEC_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "allocspec", PKG.version);
}

/**
 * The runtime's executable from this package's dependencies: the platform package's binary
 * (@oven/bun-<os>-<arch>[-musl]/bin/bun, @deno/<os>-<arch>[-glibc]/deno; present even when npm did not run
 * the runtimes' own postinstall scripts), else the copy their postinstall made, else PATH.
 */
function runtimeExecutable(name) {
  const arch = process.arch === "arm64" ? (name === "bun" ? "aarch64" : "arm64") : process.arch;
  const plat = process.platform;
  const platformPkgs = name === "bun"
    ? [`@oven/bun-${plat}-${arch}`, `@oven/bun-${plat}-${arch}-musl`].map((p) => [p, "bin/bun"])
    : [`@deno/${plat}-${arch}-glibc`, `@deno/${plat}-${arch}`].map((p) => [p, "deno"]);
  const candidates = [];
  let mainDir;
  try {
    mainDir = path.dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] }));
  } catch { /* not installed */ }
  for (const [pkg, rel] of platformPkgs) {
    try {
      candidates.push(
        path.join(
          path.dirname(require.resolve(`${pkg}/package.json`, { paths: [mainDir ?? ROOT, ROOT] })),
          rel,
        ),
      );
    } catch { /* another platform */ }
  }
  if (mainDir) candidates.push(path.join(mainDir, name === "bun" ? "bin/bun.exe" : "deno"));
  for (const c of candidates) {
    try {
      if (fs.statSync(c).size > 1 << 20) return c; // not a placeholder text file
    } catch { /* missing */ }
  }
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  if (!r.error && r.status === 0) return name;
  usageError(
    `the ${name} runtime is not installed (looked in ${
      mainDir ?? "this package's dependencies"
    } and on PATH): ` +
      `reinstall allocspec (npm install), or use --runtime ${name === "bun" ? "deno" : "bun"}`,
  );
}

const HELP = `allocspec ${PKG.version}: conformance suite, benchmarks and reference implementation for PEP 445
(CPython's memory-allocator API: PyMem_SetAllocator, RAW/MEM/OBJ domains, arenas, debug hooks)

usage: allocspec [--runtime bun|deno] <command> [options]
       allocspec <command> --help        every option of a command
       allocspec --version | --help

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(13)} ${c.summary}`).join("\n")}

global options (before the command):
  --runtime R   bun (default) or deno: the JavaScript runtime that runs the command (both come with
                this package); also ALLOCSPEC_RUNTIME=R

examples:
  allocspec conformance --target vtable:./libmine.so               your allocator (a PyMemAllocatorEx)
  allocspec conformance --target libc:libmimalloc.so.2:mi_ --format html > report.html
  allocspec bench --quick

files: ${
  installed()
    ? `on first use the sources are copied and the native library is compiled from its C sources (needs a
C compiler: cc, gcc, clang or $CC) into ${cacheDir()}
(ALLOCSPEC_CACHE_DIR or XDG_CACHE_HOME move it); benchmark results go there too (bench --out DIR);
nothing is written into the install folder.`
    : `run from a checkout: the native library is built in ${path.join(ROOT, "native", "build")}.`
}
Relative paths are resolved against the directory you run allocspec in.
Progress goes to stderr, results to stdout.

exit status: 0 success (conformance: no FAIL and no ERROR), 1 findings (FAIL/ERROR, a failed benchmark
scenario), 2 bad usage (one line on stderr, nothing run), 3 internal error.`;

function main(argv) {
  let runtime = process.env.ALLOCSPEC_RUNTIME || "bun";
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runtime") runtime = argv[++i];
    else if (a.startsWith("--runtime=")) runtime = a.slice("--runtime=".length);
    else break;
  }
  if (!RUNTIMES.includes(runtime)) usageError(`unknown runtime '${runtime}': use bun or deno`);
  const cmd = argv[i];
  const rest = argv.slice(i + 1);
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help" && rest.length === 0) {
    (cmd === undefined ? process.stderr : process.stdout).write(HELP + "\n");
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "--version" || cmd === "-V") {
    process.stdout.write(`${PKG.version}\n`);
    return 0;
  }
  if (cmd === "help") return run(runtime, rest[0], ["--help"]);
  return run(runtime, cmd, rest);
}

/**
 * First use of an installed version: one line on stderr, then
 * 1. a copy of the sources in <cache>/src: Deno refuses to run TypeScript under node_modules
 *    (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), and the benchmarks start the other runtime on the
 *    same files, so both runtimes run the copy; its node_modules links to the install's (mitata, bun, deno);
 * 2. native/ compiled from its C sources into <cache>/native (a failure is reported, not fatal: the ref and
 *    mutant targets do not need it).
 */
function prepareCache(exe, runtime, env, wantNative) {
  const cache = env.ALLOCSPEC_CACHE_DIR;
  const src = path.join(cache, "src");
  const stamp = path.join(src, "package.json");
  const want = fs.readFileSync(path.join(ROOT, "package.json"), "utf8");
  const copy = !(fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === want);
  const lib = path.join(cache, "native", "release", "liballocspec.so");
  const build = wantNative && !fs.existsSync(lib);
  if (copy || build) {
    process.stderr.write(
      `allocspec: first use of ${PKG.version}: setting up ${cache} (${
        [copy && "a copy of the sources", build && "the native library compiled from its C sources"].filter(
          Boolean,
        )
          .join(", ")
      })\n`,
    );
  }
  if (copy) {
    const tmp = `${src}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    for (const e of fs.readdirSync(ROOT)) {
      if (e !== "package.json" && e !== "node_modules") {
        fs.cpSync(path.join(ROOT, e), path.join(tmp, e), { recursive: true });
      }
    }
    fs.symlinkSync(path.dirname(ROOT), path.join(tmp, "node_modules"));
    fs.writeFileSync(path.join(tmp, "package.json"), want); // last: it marks the copy complete
    fs.rmSync(src, { recursive: true, force: true });
    fs.renameSync(tmp, src);
  }
  if (build) {
    const script = path.join(src, "native", "build.ts");
    const r = spawnSync(exe, runtime === "deno" ? ["run", "-A", "--quiet", script] : [script], {
      env,
      encoding: "utf8",
    });
    if (r.status !== 0) {
      // the build's own one-line reason (native/build.ts puts the compiler's message on its first line),
      // not the command echo or Bun's closing banner
      const lines = `${r.stderr || ""}${r.error ? r.error.message : ""}`.split("\n").map((l) => l.trim())
        .filter((l) => l && !l.startsWith("$ ") && !/^Bun v\d/.test(l));
      const why = lines.find((l) => /native\/build\.ts:|error/i.test(l)) || lines[lines.length - 1];
      process.stderr.write(
        `allocspec: could not compile the native library: ${
          why || `exit ${r.status}`
        }; only the ref and mutant targets work without it\n`,
      );
    }
  }
  return src;
}

function run(runtime, cmd, args) {
  const entry = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!entry) {
    usageError(
      cmd.startsWith("-")
        ? `unknown option '${cmd}' before the command`
        : `unknown command '${cmd}': use one of ${Object.keys(COMMANDS).join(", ")}`,
    );
  }
  const exe = runtimeExecutable(runtime);
  const env = { ...process.env, ALLOCSPEC_CWD: process.cwd(), ALLOCSPEC_COMMAND: `allocspec ${cmd}` };
  let src = ROOT;
  if (installed()) {
    env.ALLOCSPEC_CACHE_DIR = cacheDir();
    src = prepareCache(exe, runtime, env, !args.includes("--help") && !args.includes("-h"));
  }
  const script = path.join(src, entry.module);
  // Bun drops a `--` that comes first after the script (`bun cli.ts -- prog.py` gives the script
  // `prog.py`): we hand it one to drop, so the command sees the user's arguments as typed
  const argv = runtime === "deno"
    ? ["run", "-A", "--quiet", ...(entry.denoFlags || []), script, ...args]
    : [script, "--", ...args];
  // the other runtime (bench runs some scenarios in both) is found on PATH next to this one
  const bins = [path.dirname(exe), path.join(ROOT, "..", ".bin"), path.join(ROOT, "node_modules", ".bin")]
    .filter((d) => path.isAbsolute(d) && fs.existsSync(d));
  env.PATH = [...bins, env.PATH || ""].join(path.delimiter);
  // in place of this process: signals forwarded, a cancel when orphaned, the child's exit status
  runInPlace(exe, argv, {
    env,
    onError: (e) => {
      process.stderr.write(`allocspec: cannot start ${exe}: ${e.message}\n`);
      process.exit(3);
    },
  });
  return undefined;
}

const code = main(process.argv.slice(2));
if (code !== undefined) process.exit(code);
