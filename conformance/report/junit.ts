/**
 * `--format junit`: JUnit XML, one `<testsuite>` per target, one `<testcase>` per run
 * (classname = case group, name = case[domain/variant]@profile). A FAIL or ERROR has its cause in the
 * failure's text and the command that reruns it alone as the test's `<system-out>` (what CI systems show
 * beside a failed test); an informational one is a passing test with both in `<system-out>`.
 *
 * @example
 * ```ts
 * import { junitReporter } from "./junit.ts";
 * const rep = junitReporter((s) => console.log(s));
 * ```
 * @module
 */
import type { Result } from "../execute.ts";
import { runKey } from "../plan.ts";
import type { Reporter } from "./reporter.ts";
import { failureCauses } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";

/** XML-escapes text (and drops characters XML 1.0 cannot carry). */
export function xml(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "?").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;");
}

export function junitReporter(write: (s: string) => void, rerun: RerunContext = rerunContext()): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
      const causeOf = new Map<Result, string>();
      for (const c of failureCauses(results)) {
        for (const r of c.runs) {
          causeOf.set(r, `cause ${c.id} (${c.runs.length} runs on ${c.column}): ${c.text}`);
        }
      }
      const by = new Map<string, Result[]>();
      for (const r of results) {
        if (!by.has(r.target)) by.set(r.target, []);
        by.get(r.target)!.push(r);
      }
      const c = summary.counts;
      write(`<?xml version="1.0" encoding="UTF-8"?>`);
      write(
        `<testsuites name="allocspec conformance" tests="${results.length}" failures="${c.FAIL}" errors="${c.ERROR}" skipped="${
          c.SKIP + c.UNSUPPORTED
        }" time="${summary.seconds.toFixed(3)}">`,
      );
      for (const [target, rs] of by) {
        const t = summary.targets[target];
        write(
          `  <testsuite name="${
            xml(target)
          }" tests="${rs.length}" failures="${t.FAIL}" errors="${t.ERROR}" skipped="${
            t.SKIP + t.UNSUPPORTED
          }">`,
        );
        for (const r of rs) {
          const name = runKey({ caseId: r.case, domain: r.domain, variant: r.variant, profile: r.profile });
          const head = `    <testcase classname="${xml(target + "." + r.case.split("/")[0])}" name="${
            xml(name)
          }" time="${(r.ms / 1000).toFixed(3)}"`;
          const msg = xml(r.message);
          if (r.status === "PASS") write(`${head}/>`);
          else if (r.status === "SKIP" || r.status === "UNSUPPORTED") {
            write(`${head}><skipped message="${r.status}: ${msg}"/></testcase>`);
          } else if (r.informational) {
            write(
              `${head}><system-out>${
                xml(`informational ${r.status}: ${r.message}\nrerun alone: ${rerunCommand(r, rerun)}`)
              }</system-out></testcase>`,
            );
          } else {
            const tag = r.status === "FAIL" ? "failure" : "error";
            write(
              `${head}><${tag} message="${msg}" type="${r.status}">${
                xml(`${causeOf.get(r)}\nspec ${r.spec.section}: ${r.spec.quote}`)
              }</${tag}><system-out>${xml(`rerun alone: ${rerunCommand(r, rerun)}`)}</system-out></testcase>`,
            );
          }
        }
        write(`  </testsuite>`);
      }
      write(`</testsuites>`);
    },
  };
}
