/**
 * `conformance --help` (also `allocspec conformance --help`): every option, the target kinds with one
 * example each, the formats and the exit codes. `help_test.ts` checks that every option cli.ts parses is
 * described here.
 *
 * @example
 * ```ts
 * import { CONFORMANCE_HELP } from "./help.ts";
 * console.log(CONFORMANCE_HELP);
 * ```
 * @module
 */

/** The help text. */
export const CONFORMANCE_HELP = `usage: allocspec conformance [options]
       (in the repository: npx deno task conformance [options] | npx bun run conformance [options])

Runs the PEP 445 conformance suite: every case x domain (RAW/MEM/OBJ) x variant x profile on each target.

options:
  --target T      a target to check (repeatable); default: ref, native and cpython (when a shared
                  libpython is found). Kinds, one example each:
                    ref                                 the TypeScript reference (executable spec)
                    native[:release|debug|asan]         this project's C library   --target native:asan
                    cpython[:LIBPYTHON]                 a real CPython through its shared libpython
                                                        --target cpython:/path/to/libpython3.11.so.1.0
                    vtable:PATH[:SYMBOL][@chain]        your allocator: a .so exporting a PyMemAllocatorEx
                                                        named pep445_allocator   --target vtable:./libmine.so
                    libc:LIB[:PREFIX]                   a malloc-family library  --target libc:libmimalloc.so.2:mi_
                    mutant:NAME                         a deliberately broken ref --target mutant:realloc_zero_frees
                    hook:PATH[@native|@cpython]         your PEP 445 hook (pep445_hook_install or a constructor)
                                                        over native (default) or libpython
                                                        --target hook:./libmyhook.so@cpython
                    tracemalloc[:FRAMES]                CPython's own hook over libpython --target tracemalloc:25
                  Relative paths are resolved against the directory you run the command in; a bare
                  soname (libc.so.6) is found by the dynamic loader.
  --profile P     cpython (CPython 3.8+ as shipped) or pep445-2013 (the PEP's 2013 text); default both
  --filter RE     only cases whose id matches the regular expression (ids: group/what, e.g. ^zero_size/)
  --domain D      only the runs of domain RAW, MEM or OBJ (- for cases without a domain)
  --variant V     only the runs of variant V (cases with variants: debug_pads/... tail+3)
                  With --filter '^CASE$' and --profile they select one run: every FAIL and ERROR in
                  every format comes with that command ("rerun alone").
  --format F      table (default: counts per target, failures grouped by cause with spec quotes and
                            the command that reruns each)
                  json      one JSON object per run as it completes, then a summary object
                  tap       TAP version 13
                  junit     JUnit XML (one testsuite per target)
                  markdown  a feature x target matrix and the failures
                  html      one self-contained page (no network): feature x target matrix, click a cell
                            for its runs, filters; e.g. --format html > report.html
  --abi A         struct layout of vtable: targets: shipped (PyMemAllocatorEx, CPython 3.5+, default) or
                  2013 (the draft's PyMemAllocators without calloc)
  --jobs N        worker processes in parallel (default 2, 1..64)
  --timeout S     seconds a case may take on an idle machine (0.1 to 86400, default 20); the budget
                  is S x the load factor (load / cores, 1 to 16), counted once the worker is ready;
                  a run over budget is run again alone with 4x before it is a timeout, and a target
                  is stopped after 2 such confirmed timeouts in a row (the summary's "budget" says
                  what was applied)
  --list          print the cases (features, domains, profiles, needs) and exit
  -h, --help      this text

Statuses: PASS, FAIL (wrong result; the message says expected vs actual and the report quotes the spec),
ERROR (the target crashed or hung; the run goes on), SKIP (a known gap of the target), UNSUPPORTED (the
target lacks a capability the case needs). Informational cases (C/POSIX, quality) never fail a run.

Output: results on stdout; progress (one line updated in place on a terminal, a line per 10 s
otherwise), each FAIL/ERROR as it happens and notes on stderr.
Exit status: 0 no FAIL and no ERROR, 1 otherwise, 2 bad usage (one line on stderr, nothing run),
3 internal error.`;
