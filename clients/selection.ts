/**
 * Which CPython regression tests the client run selects, and what is expected to differ on an allocator
 * that is not CPython's pymalloc (listed in every report with its reason, never dropped).
 *
 * @example
 * ```ts
 * import { selectTests } from "./selection.ts";
 * selectTests("ci"); // ["test_json", ...]
 * ```
 * @module
 */
import { UsageError } from "../core/usage.ts";

/**
 * The default selection (issue 9): the allocator-heavy and library-heavy modules. test_capi holds the PEP 445
 * tests (test_pymem_setallocators, test_pymem_setrawallocators, test_pyobject_setallocators,
 * test_pymem_alloc0, test_set_nomemory); zlib, expat and sqlite3 call PyMem_RawMalloc from C libraries;
 * test_sys has the pymalloc-specific divergences below.
 */
export const DEFAULT_TESTS: readonly string[] = [
  "test_capi",
  "test_tracemalloc",
  "test_dict",
  "test_list",
  "test_set",
  "test_bytes",
  "test_unicode",
  "test_json",
  "test_re",
  "test_zlib",
  "test_pyexpat",
  "test_xml_etree",
  "test_sqlite3",
  "test_threading",
  "test_gc",
  "test_exceptions",
  "test_sys",
];

/** A short selection for the default test run and CI (seconds per allocator). */
export const CI_TESTS: readonly string[] = ["test_json", "test_zlib", "test_pyexpat", "test_sys"];

/** `default`, `ci`, `all` (the whole suite: an empty list for regrtest) or a comma-separated list. */
export function selectTests(spec: string): string[] {
  if (spec === "default") return [...DEFAULT_TESTS];
  if (spec === "ci") return [...CI_TESTS];
  if (spec === "all") return [];
  const names = spec.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.find((n) => !/^test_?[\w.]*$/.test(n));
  if (!names.length || bad) {
    throw new UsageError(`--tests ${spec}: use default, ci, all or test names (test_dict,test_json)`);
  }
  return names;
}

/** A test that fails for a reason other than a broken allocator. */
export interface Divergence {
  /** regular expression over regrtest test ids (`test.test_sys.SysModuleTest.test_getallocatedblocks`) */
  pattern: RegExp;
  reason: string;
}

/** Failures expected on an allocator that is not CPython's pymalloc (clients-facts.md section 4). */
export const EXPECTED_FAILURES: readonly Divergence[] = [
  {
    pattern: /^test\.test_sys\.SysModuleTest\.test_getallocatedblocks$/,
    reason: "sys.getallocatedblocks() counts CPython's pymalloc blocks; with another allocator it is 0",
  },
  {
    pattern: /^test\.test_sys\.SysModuleTest\.test_debugmallocstats$/,
    reason:
      "sys._debugmallocstats() prints pymalloc's arena statistics only when CPython's pymalloc is installed",
  },
];

/** Tests that pass, but do not exercise the allocator under test (they run children with PYTHONMALLOC). */
export const NOT_ON_ALLOCATOR: readonly Divergence[] = [
  {
    // PyMemDefaultTests set PYTHONMALLOC="" (unset): their children do run on the allocator under test
    pattern: /^test\.test_capi\.test_misc\.PyMem(Debug|MallocDebug|PymallocDebug)Tests\./,
    reason:
      "their children set PYTHONMALLOC, which wins over the launcher's allocator (targets/launcher/CONTRACT.md): they test CPython's allocators",
  },
  {
    pattern: /^test\.test_cmd_line\.\w+\.test_pythonmalloc$/,
    reason: "runs children with PYTHONMALLOC set: CPython's allocators, not the allocator under test",
  },
];
