/**
 * The page's inline script: renders each matrix section from its embedded JSON (a `<script
 * type="application/json">` beside it), recounts on every filter change and opens a cell's runs on click.
 * Plain ES2017 with no dependency; it reads the data shape of {@link MatrixSection} (types.ts).
 *
 * Cell status rule (shown as a word, the colour only repeats it): FAIL if any normative run failed, else
 * ERROR if any crashed or hung, else PASS if any passed, else SKIP, else UNSUPPORTED. Informational
 * FAIL/ERROR runs are counted apart ("INFO") and never make a cell FAIL.
 *
 * @module
 */

/** JavaScript of every report page (kept as text: it runs in the browser, not in Deno or Bun). */
export const PAGE_JS = String.raw`
(function () {
  "use strict";
  var STATUSES = ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED"];
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function uniq(xs) { var s = []; xs.forEach(function (x) { if (s.indexOf(x) < 0) s.push(x); }); return s; }
  function bucket(r) { return r.informational && (r.status === "FAIL" || r.status === "ERROR") ? "INFO" : r.status; }
  function tally(runs) {
    var c = { PASS: 0, FAIL: 0, ERROR: 0, SKIP: 0, UNSUPPORTED: 0, INFO: 0 };
    runs.forEach(function (r) { c[bucket(r)]++; });
    return c;
  }
  function cellStatus(c, n) {
    if (!n) return "NONE";
    if (c.FAIL) return "FAIL";
    if (c.ERROR) return "ERROR";
    if (c.PASS) return "PASS";
    if (c.INFO) return "INFO";
    if (c.SKIP) return "SKIP";
    return "UNSUPPORTED";
  }
  function countsText(c) {
    var parts = [];
    ["FAIL", "ERROR", "PASS", "INFO", "SKIP", "UNSUPPORTED"].forEach(function (s) {
      if (c[s]) parts.push(c[s] + " " + (s === "UNSUPPORTED" ? "unsup" : s.toLowerCase()));
    });
    return parts.join(" · ");
  }
  function rank(r) { return ["FAIL", "ERROR", "INFO", "PASS", "SKIP", "UNSUPPORTED"].indexOf(bucket(r)); }

  function setup(root) {
    var id = root.getAttribute("data-section");
    var data = JSON.parse(document.getElementById(id + "-data").textContent);
    var rows = data.rows || uniq([].concat.apply([], data.runs.map(function (r) { return r.rows; })));
    var cols = data.columns || uniq(data.runs.map(function (r) { return r.column; }));
    var facets = data.facets || [];
    var state = { column: "", status: "", row: "", open: null };
    facets.forEach(function (f) { state["f:" + f] = ""; });

    var filters = el("div", { cls: "filters", role: "group", "aria-label": "filters" });
    function addSelect(key, label, values, names) {
      var sel = el("select", { "data-filter": key, id: id + "-filter-" + key.replace(":", "-") });
      sel.appendChild(el("option", { value: "", text: "all" }));
      values.forEach(function (v, i) { sel.appendChild(el("option", { value: v, text: names ? names[i] : v })); });
      sel.addEventListener("change", function () { state[key] = sel.value; render(); });
      filters.appendChild(el("label", {}, [label, sel]));
    }
    addSelect("column", data.columnLabel, cols);
    addSelect("status", "status", STATUSES.concat(["INFO"]), STATUSES.concat(["INFO (informational FAIL/ERROR)"]));
    addSelect("row", data.rowLabel, rows);
    facets.forEach(function (f) {
      addSelect("f:" + f, f, uniq(data.runs.map(function (r) { return r.fields[f]; }).filter(function (v) { return v !== undefined; })));
    });
    var counts = el("p", { cls: "counts", "aria-live": "polite" });
    var scroll = el("div", { cls: "scroll" });
    var drill = el("div", { cls: "drill", id: id + "-drill", "aria-live": "polite" });
    root.appendChild(filters);
    root.appendChild(counts);
    root.appendChild(scroll);
    root.appendChild(drill);

    function selected() {
      return data.runs.filter(function (r) {
        if (state.column && r.column !== state.column) return false;
        if (state.status && bucket(r) !== state.status) return false;
        for (var i = 0; i < facets.length; i++) {
          var v = state["f:" + facets[i]];
          if (v && r.fields[facets[i]] !== v) return false;
        }
        return true;
      });
    }
    function render() {
      var runs = selected();
      var useCols = cols.filter(function (c) { return !state.column || c === state.column; });
      var useRows = rows.filter(function (w) { return !state.row || w === state.row; });
      var inRows = runs.filter(function (r) { return useRows.some(function (w) { return r.rows.indexOf(w) >= 0; }); });
      var total = tally(inRows);
      counts.textContent = "";
      counts.appendChild(el("strong", { text: inRows.length + " runs: " }));
      ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED", "INFO"].forEach(function (s) {
        counts.appendChild(el("span", { cls: "count", "data-status": s }, [el("span", { cls: "badge s-" + s, text: s }), " " + total[s]]));
      });
      var table = el("table", { cls: "grid", id: id + "-matrix" });
      var head = el("tr", {}, [el("th", { cls: "rowh", scope: "col", text: data.rowLabel + " \\ " + data.columnLabel })]);
      useCols.forEach(function (c) { head.appendChild(el("th", { scope: "col", text: c })); });
      table.appendChild(el("thead", {}, [head]));
      var body = el("tbody");
      useRows.forEach(function (w) {
        var tr = el("tr", { "data-row": w }, [el("th", { cls: "rowh", scope: "row", text: w })]);
        var any = false;
        useCols.forEach(function (c) {
          var rs = runs.filter(function (r) { return r.column === c && r.rows.indexOf(w) >= 0; });
          var t = tally(rs), s = cellStatus(t, rs.length);
          if (rs.length) any = true;
          var word = s === "NONE" ? "—" : s;
          var btn = el("button", {
            type: "button", cls: "cell s-" + s, "data-row": w, "data-column": c, "data-status": s,
            "data-count": String(rs.length),
            "aria-pressed": state.open && state.open[0] === w && state.open[1] === c ? "true" : "false",
            "aria-label": w + " on " + c + ": " + (rs.length ? word + ", " + countsText(t) : "no runs"),
          }, [el("span", { cls: "w", text: word }), el("span", { cls: "n", text: rs.length ? countsText(t) : "no runs" })]);
          if (!rs.length) btn.disabled = true;
          btn.addEventListener("click", function () {
            state.open = [w, c];
            render();
            if (drill.scrollIntoView) drill.scrollIntoView({ block: "start" });
          });
          tr.appendChild(el("td", {}, [btn]));
        });
        if (any || !state.status) body.appendChild(tr);
      });
      table.appendChild(body);
      scroll.textContent = "";
      scroll.appendChild(table);
      renderDrill(runs);
    }
    function renderDrill(runs) {
      drill.textContent = "";
      if (!state.open) {
        drill.appendChild(el("p", { cls: "note", text: "Click a cell to see its runs (message, spec section and quote, domain, profile, variant, duration)." }));
        return;
      }
      var w = state.open[0], c = state.open[1];
      var rs = runs.filter(function (r) { return r.column === c && r.rows.indexOf(w) >= 0; });
      rs.sort(function (a, b) { return rank(a) - rank(b) || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0); });
      var close = el("button", { type: "button", cls: "close", text: "close" });
      close.addEventListener("click", function () { state.open = null; render(); });
      drill.appendChild(el("h3", { id: id + "-drill-title" }, [w + " on " + c + ": " + rs.length + " runs (" + countsText(tally(rs)) + ") ", close]));
      rs.forEach(function (r) {
        var item = data.items[r.item] || {};
        var meta = [];
        Object.keys(r.fields).forEach(function (k) { meta.push(k + " " + r.fields[k]); });
        if (r.ms !== undefined) meta.push(r.ms + " ms");
        var b = bucket(r);
        var art = el("article", { cls: "run s-" + b, "data-status": r.status }, [
          el("h4", {}, [el("span", { cls: "badge s-" + b, text: b === "INFO" ? r.status + " (informational)" : r.status }), " ", el("code", { text: r.item })]),
          el("div", { cls: "meta", text: meta.join(" · ") }),
          item.description ? el("div", { cls: "desc" }, [el("strong", { text: "checks: " }), item.description]) : null,
          r.message ? el("div", { cls: "msg" }, [el("strong", { text: "result: " }), r.message]) : null,
          item.spec ? el("div", { cls: "spec" }, [el("strong", { text: "spec " + item.spec.section }), el("blockquote", { text: item.spec.quote })]) : null,
        ]);
        drill.appendChild(art);
      });
    }
    render();
    root.setAttribute("data-ready", "true");
  }
  var roots = document.querySelectorAll("[data-section][data-kind=matrix]");
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
  document.documentElement.setAttribute("data-ready", "true");
})();
`;
