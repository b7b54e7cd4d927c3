/**
 * `--format junit`: JUnit XML, one `<testsuite>` per target, one `<testcase>` per run
 * (classname = case group, name = case[domain/variant]@profile).
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

/** XML-escapes text (and drops characters XML 1.0 cannot carry). */
export function xml(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "?").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;");
}

export function junitReporter(write: (s: string) => void): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
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
            write(`${head}><system-out>informational ${r.status}: ${msg}</system-out></testcase>`);
          } else {
            const tag = r.status === "FAIL" ? "failure" : "error";
            write(
              `${head}><${tag} message="${msg}" type="${r.status}">${
                xml(`${r.spec.section}: ${r.spec.quote}`)
              }</${tag}></testcase>`,
            );
          }
        }
        write(`  </testsuite>`);
      }
      write(`</testsuites>`);
    },
  };
}
