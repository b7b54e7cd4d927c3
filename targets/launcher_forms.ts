/**
 * The launcher's allocator forms (`ALLOCSPEC_ALLOCATOR=FORM[:FIELD...]`), read from the one list the C
 * launcher is built from: the X-macro `LAUNCHER_FORMS` in targets/launcher/forms.h (memray's way of keeping
 * C and other code on one list). A target kind's descriptor hands the launcher one of these resolved forms
 * (kind.ts `LaunchForm`, which names its form with {@link LauncherFormName}), so a new kind needs C only when it needs a new form.
 *
 * @example
 * ```ts
 * import { encodeLaunchForm, LAUNCHER_FORMS } from "./launcher_forms.ts";
 * console.log(LAUNCHER_FORMS.map((f) => f.name)); // ["cpython", "native", "vtable", "libc"]
 * encodeLaunchForm({ form: "libc", fields: ["libc.so.6", ""] }); // "libc:libc.so.6:"
 * ```
 * @module
 */
import { readFileSync } from "node:fs";

/** A form's name (one of {@link LAUNCHER_FORMS}). */
export type LauncherFormName = string;

/** One entry of the X-macro: name, number of fields after it, the syntax shown in errors. */
export interface LauncherFormSpec {
  name: LauncherFormName;
  fields: number;
  syntax: string;
}

/** The path of the C header holding the list. */
export const FORMS_HEADER: URL = new URL("./launcher/forms.h", import.meta.url);

/** Parses the `X(name, fields, "syntax")` entries of forms.h. */
export function parseFormsHeader(text: string): LauncherFormSpec[] {
  const out: LauncherFormSpec[] = [];
  for (const m of text.matchAll(/^\s*X\((\w+),\s*(\d+),\s*"([^"]*)"\)/gm)) {
    out.push({ name: m[1], fields: +m[2], syntax: m[3] });
  }
  if (out.length === 0) throw new Error(`${FORMS_HEADER.pathname}: no X(name, fields, "syntax") entry`);
  return out;
}

/** The forms, in the header's order. */
export const LAUNCHER_FORMS: readonly LauncherFormSpec[] = parseFormsHeader(
  readFileSync(FORMS_HEADER, "utf8"),
);

/** `ALLOCSPEC_ALLOCATOR` for a resolved form (throws on a form or field count the C side does not know). */
export function encodeLaunchForm(f: { form: LauncherFormName; fields: readonly string[] }): string {
  const spec = LAUNCHER_FORMS.find((x) => x.name === f.form);
  if (!spec) {
    throw new Error(
      `launcher form '${f.form}' is not in forms.h: use ${LAUNCHER_FORMS.map((x) => x.name).join(", ")}`,
    );
  }
  if (f.fields.length !== spec.fields) {
    throw new Error(`launcher form '${f.form}' takes ${spec.fields} field(s), got ${f.fields.length}`);
  }
  return [f.form, ...f.fields].join(":");
}
