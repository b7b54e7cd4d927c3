/**
 * The page's inline stylesheet. Status colours always come with the status word (never colour alone);
 * the layout is one column, and the matrix scrolls sideways inside its box at phone width.
 *
 * @module
 */

/** CSS of every report page. */
export const PAGE_CSS = `
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#b3261e;--fail-bg:#ffdcd8;--error:#8a4600;--error-bg:#ffe7c2;
--skip:#57606a;--skip-bg:#eaeef2;--uns:#6e7781;--uns-bg:#f6f8fa;--info:#0b5cad;--info-bg:#ddf0ff;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
main{max-width:1200px;margin:0 auto;padding:12px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em;border-bottom:1px solid var(--line)}
h3{font-size:1em;margin:1em 0 .3em}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.verdict{display:inline-block;max-width:100%;overflow-wrap:anywhere;padding:.15em .6em;border-radius:4px;font-weight:700;border:2px solid}
.verdict.ok{color:var(--pass);background:var(--pass-bg)}.verdict.bad{color:var(--fail);background:var(--fail-bg)}
.verdict.neutral{color:#1f2328;background:var(--skip-bg)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:.6em 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
nav.toc a{margin-right:1em}
.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;margin:.5em 0;padding:.5em;background:var(--uns-bg);border:1px solid var(--line);border-radius:6px}
.filters label{display:flex;flex-direction:column;font-size:.85em;font-weight:600}
.filters select{font-size:1em;min-width:9em;max-width:16em}
.counts{margin:.4em 0}.counts span{margin-right:.8em;white-space:nowrap}
.scroll{display:inline-block;vertical-align:top;overflow-x:auto;border:1px solid var(--line);border-radius:6px;max-width:100%}
table{border-collapse:collapse}
table.grid th,table.grid td{border:1px solid var(--line);padding:2px}
table.grid thead th{position:sticky;top:0;background:#fff;font-size:.85em;vertical-align:bottom;max-width:12em;overflow-wrap:anywhere}
table.grid th.rowh{position:sticky;left:0;background:#fff;text-align:left;font-weight:600;font-size:.9em;white-space:nowrap;z-index:1}
button.cell{display:block;width:100%;min-width:7.5em;min-height:3em;border:2px solid transparent;border-radius:4px;font:inherit;font-size:.82em;cursor:pointer;text-align:center;padding:2px 4px}
button.cell .w{display:block;font-weight:700;letter-spacing:.02em}
button.cell .n{display:block}
button.cell[aria-pressed=true]{outline:3px solid #0969da;outline-offset:1px}
.s-PASS{background:var(--pass-bg);color:var(--pass)}.s-FAIL{background:var(--fail-bg);color:var(--fail)}
.s-ERROR{background:var(--error-bg);color:var(--error)}.s-SKIP{background:var(--skip-bg);color:var(--skip)}
.s-UNSUPPORTED{background:var(--uns-bg);color:var(--uns);border-style:dashed!important;border-color:var(--line)!important}
.s-INFO{background:var(--info-bg);color:var(--info)}
.s-NONE{background:#fff;color:#8c959f}
.badge{display:inline-block;font-weight:700;font-size:.8em;padding:0 .4em;border-radius:3px;border:1px solid currentColor}
.drill{margin-top:1em}
.run{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.4em .6em;margin:.4em 0}
.run.s-PASS{border-left-color:var(--pass)}.run.s-FAIL{border-left-color:var(--fail)}.run.s-ERROR{border-left-color:var(--error)}
.run.s-SKIP,.run.s-UNSUPPORTED{border-left-color:var(--skip)}.run.s-INFO{border-left-color:var(--info)}
.run{background:#fff;color:#1f2328}.run h4{margin:0;font-size:.95em;overflow-wrap:anywhere}
.run .meta{font-size:.85em;color:#57606a}.run .desc{color:#3d444d;font-size:.92em}.run .msg{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}
.spec blockquote{margin:.3em 0;padding:.2em .6em;border-left:3px solid var(--line);color:#3d444d;font-size:.9em;white-space:pre-wrap}
figure{margin:.6em 0 1.2em}figcaption{font-weight:600}
svg.chart{width:100%;height:auto;max-width:1000px;font:12px system-ui,sans-serif}
svg.chart.narrow{display:none;font-size:13px}svg.chart .nm{font-style:italic}
svg.chart .bar{fill:#6c8ebf}svg.chart .bar.met{fill:#3a9d4a}svg.chart .bar.missed{fill:#d0463c}
svg.chart .goal{stroke:#000;stroke-dasharray:4 3}svg.chart .ref{stroke:#888;stroke-width:.7}
svg.chart .whisker{stroke:#222;stroke-width:1.5}svg.chart .axis{fill:#57606a}svg.chart .nm{fill:#8c959f}
table.plain th,table.plain td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
table.plain td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#57606a;font-size:.9em}
.sr{position:absolute;left:-9999px}
.filters input[type=search]{font-size:1em;min-width:14em}
.filters .plink{margin:auto 0 0;font-size:.85em}
table.grid thead th.failing{color:var(--fail)}
.causes{margin-top:1em}.causes>summary{font-weight:600;cursor:pointer;margin:.6em 0}
.cause{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.4em .6em;margin:.5em 0;background:#fff;color:#1f2328}
.cause.s-FAIL{border-left-color:var(--fail)}.cause.s-ERROR{border-left-color:var(--error)}.cause.s-INFO{border-left-color:var(--info)}
.cause h4{margin:0;font-size:.95em;overflow-wrap:anywhere}.cause .ctext{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.cause .hits{font-size:.88em;color:#3d444d;margin:.2em 0;overflow-wrap:anywhere}
.cause .case{margin:.5em 0 .5em .4em;padding-left:.5em;border-left:2px solid var(--line)}.cause h5{margin:.3em 0;font-size:.92em;overflow-wrap:anywhere}
.tgt{font-weight:600}
.rerun{margin:.25em 0;font-size:.85em;display:flex;align-items:flex-start;gap:.4em}
.rerun .lbl{font-weight:600;white-space:nowrap;padding-top:.15em}
.rerun code.cmd{flex:1;min-width:0;background:var(--uns-bg);border:1px solid var(--line);border-radius:4px;padding:.1em .35em;overflow-wrap:anywhere;user-select:all}
.crun{border-top:1px dashed var(--line);padding:.25em 0}.crun .meta{font-size:.85em;color:#57606a}
.crun[data-status=FAIL] .meta::before{content:"FAIL · ";color:var(--fail);font-weight:700}.crun[data-status=ERROR] .meta::before{content:"ERROR · ";color:var(--error);font-weight:700}
.crun[data-status=INFO] .meta::before{content:"informational · ";color:var(--info);font-weight:700}
button.copy,button.toggle,button.close{font:inherit;font-size:.85em;padding:.15em .6em;border:1px solid var(--line);border-radius:4px;background:#f6f8fa;cursor:pointer}
button.copy[data-copied=true]{color:var(--pass);border-color:var(--pass)}
table.plain thead button.sort{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer;text-align:left}
table.plain th[aria-sort=ascending] button.sort::after{content:" ▲"}table.plain th[aria-sort=descending] button.sort::after{content:" ▼"}
details.source{margin:.4em 0}details.source>summary{cursor:pointer}
.part{border:1px solid var(--line);border-radius:6px;margin:.4em 0;padding:.2em .6em}.part h4{margin:.2em 0}
.part pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.82em;margin:.2em 0}.part.hit{outline:3px solid #0969da}
a.cite{color:#0550ae}
@media (max-width:600px){svg.chart.wide{display:none}svg.chart.narrow{display:block}body{font-size:14px}.rerun{flex-wrap:wrap}.rerun code.cmd{flex-basis:100%}main{padding:6px}button.cell{min-width:5.5em}.filters select{min-width:7em}
.filters input[type=search]{min-width:0;width:100%}.filters label.search{flex-basis:100%}}
`;
