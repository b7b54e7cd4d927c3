/**
 * Escaping for HTML text, attributes and JSON embedded in a `<script>` element.
 *
 * @example
 * ```ts
 * import { esc, scriptJson } from "./escape.ts";
 * esc("a < b & \"c\""); // "a &lt; b &amp; &quot;c&quot;"
 * scriptJson({ s: "</script>" }); // '{"s":"\\u003c/script>"}'
 * ```
 * @module
 */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** JSON safe inside `<script type="application/json">` (no `</script>`, no `<!--`, no U+2028/9). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );
}
