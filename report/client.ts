/**
 * The page's inline script: renders each matrix section from its embedded JSON (a `<script
 * type="application/json">` beside it): filters, a text search over case ids and messages, the matrix
 * (failing columns first at phone width), the FAIL/ERROR runs grouped by cause (report/causes.ts; the page
 * embeds the groups), informational results apart, and a cell's runs on click. Every run that failed
 * carries its rerun command with a copy button. The view (filters, search, sort, the open cell and cause)
 * lives in the URL hash (`#<section>.status=FAIL&<section>.q=zero`), so a view can be linked. Plain
 * tables sort by a click on a column head; citations open the cited text embedded in the page.
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
  var NARROW = "(max-width: 600px)";
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null) continue;
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function uniq(xs) { var s = []; xs.forEach(function (x) { if (s.indexOf(x) < 0) s.push(x); }); return s; }
  function bucket(r) { return r.informational && (r.status === "FAIL" || r.status === "ERROR") ? "INFO" : r.status; }
  function isBad(r) { return !r.informational && (r.status === "FAIL" || r.status === "ERROR"); }
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
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function list(xs, max) { return xs.length <= max ? xs.join(", ") : xs.slice(0, max).join(", ") + " and " + (xs.length - max) + " more"; }

  // --- the URL hash: "#<section>.<key>=<value>&..." (other pages' anchors are left alone)
  function readHash() {
    var out = {};
    var h = location.hash.replace(/^#/, "");
    if (h.indexOf("=") < 0) return out;
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }
  var hashState = readHash();
  // encoded, but keeping the characters that are safe in a fragment readable (targets, cell keys)
  function readable(v) { return encodeURIComponent(v).replace(/%(2F|3A|7C|40|2C|5E|24)/g, function (m) { return decodeURIComponent(m); }); }
  function writeHash() {
    var parts = [];
    Object.keys(hashState).sort().forEach(function (k) {
      if (hashState[k] !== "") parts.push(readable(k) + "=" + readable(hashState[k]));
    });
    var h = parts.length ? "#" + parts.join("&") : " ";
    try { history.replaceState(null, "", h === " " ? location.pathname + location.search : h); }
    catch (e) { location.hash = h; }
  }

  // --- copying a rerun command
  function copyText(text, done) {
    function fallback() {
      var t = el("textarea", { readonly: "", cls: "sr" });
      t.value = text;
      document.body.appendChild(t);
      t.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(t);
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else fallback();
  }
  function rerunBox(cmd) {
    var code = el("code", { cls: "cmd", text: cmd });
    var btn = el("button", { type: "button", cls: "copy", "data-command": cmd, "aria-label": "copy the rerun command", text: "copy" });
    btn.addEventListener("click", function () {
      copyText(cmd, function (ok) {
        btn.textContent = ok ? "copied" : "select and copy";
        btn.setAttribute("data-copied", ok ? "true" : "false");
        if (!ok) { var r = document.createRange(); r.selectNodeContents(code); var s = getSelection(); s.removeAllRanges(); s.addRange(r); }
      });
    });
    return el("div", { cls: "rerun" }, [el("span", { cls: "lbl", text: "rerun alone:" }), code, btn]);
  }

  // --- citations: open the cited part embedded in the page, keep the view's hash
  function citation(spec) {
    var head = el("strong", {}, ["spec "]);
    if (spec.href) head.appendChild(el("a", { href: spec.href, cls: "cite", "data-cite": spec.href.slice(1), text: spec.section }));
    else head.appendChild(document.createTextNode(spec.section));
    return el("div", { cls: "spec" }, [head, el("blockquote", { text: spec.quote })]);
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a[data-cite]") : null;
    if (!a) return;
    var target = document.getElementById(a.getAttribute("data-cite"));
    if (!target) return;
    ev.preventDefault();
    for (var p = target.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
    var old = document.querySelector(".part.hit");
    if (old) old.classList.remove("hit");
    target.classList.add("hit");
    if (target.scrollIntoView) target.scrollIntoView({ block: "start" });
  });

  // --- sortable plain tables: a click on a column head sorts by it (numbers as numbers), again reverses
  function setupSortable(table) {
    var heads = table.querySelectorAll("thead button.sort");
    Array.prototype.forEach.call(heads, function (b, col) {
      b.addEventListener("click", function () {
        var th = b.parentElement;
        var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
        Array.prototype.forEach.call(table.querySelectorAll("thead th"), function (t) { t.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var a = x.cells[col] ? x.cells[col].textContent : "", c = y.cells[col] ? y.cells[col].textContent : "";
          var na = parseFloat(a), nc = parseFloat(c);
          var r = !isNaN(na) && !isNaN(nc) && /^\s*-?[\d.]/.test(a) && /^\s*-?[\d.]/.test(c) ? na - nc : cmp(a, c);
          return dir === "ascending" ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function setup(root) {
    var id = root.getAttribute("data-section");
    var data = JSON.parse(document.getElementById(id + "-data").textContent);
    var rows = data.rows || uniq([].concat.apply([], data.runs.map(function (r) { return r.rows; })));
    var cols = data.columns || uniq(data.runs.map(function (r) { return r.column; }));
    var facets = data.facets || [];
    var causes = data.causes || [];
    data.runs.forEach(function (r, i) { r.index = i; });
    var causeOf = {};
    causes.forEach(function (c) { c.runs.forEach(function (i) { causeOf[i] = c; }); });
    var KEYS = ["column", "status", "row", "q", "open", "cause", "sort"].concat(facets.map(function (f) { return "f:" + f; }));
    var state = {};
    function loadState() {
      hashState = readHash();
      KEYS.forEach(function (k) { state[k] = hashState[id + "." + k] || ""; });
      if (state.sort !== "time" && state.sort !== "case") state.sort = "status";
    }
    function saveState() {
      KEYS.forEach(function (k) { hashState[id + "." + k] = k === "sort" && state.sort === "status" ? "" : state[k]; });
      writeHash();
    }
    loadState();

    var filters = el("div", { cls: "filters", role: "group", "aria-label": "filters" });
    var controls = {};
    function addSelect(key, label, values, names) {
      var sel = el("select", { "data-filter": key, id: id + "-filter-" + key.replace(":", "-") });
      sel.appendChild(el("option", { value: "", text: "all" }));
      values.forEach(function (v, i) { sel.appendChild(el("option", { value: v, text: names ? names[i] : v })); });
      sel.addEventListener("change", function () { state[key] = sel.value; update(); });
      controls[key] = sel;
      filters.appendChild(el("label", {}, [label, sel]));
    }
    var search = el("input", { type: "search", id: id + "-search", "data-filter": "q", placeholder: "case id or message", autocomplete: "off" });
    search.addEventListener("input", function () { state.q = search.value; update(); });
    controls.q = search;
    filters.appendChild(el("label", { cls: "search" }, ["search", search]));
    addSelect("column", data.columnLabel, cols);
    addSelect("status", "status", STATUSES.concat(["INFO"]), STATUSES.concat(["INFO (informational FAIL/ERROR)"]));
    addSelect("row", data.rowLabel, rows);
    facets.forEach(function (f) {
      addSelect("f:" + f, f, uniq(data.runs.map(function (r) { return r.fields[f]; }).filter(function (v) { return v !== undefined; })));
    });
    addSelect("sort", "sort runs by", ["time", "case"], ["time (slowest first)", "case id"]);
    controls.sort.options[0].textContent = "status (failures first)";
    var link = el("a", { href: "#", cls: "permalink", text: "link to this view" });
    filters.appendChild(el("p", { cls: "plink" }, [link]));
    var counts = el("p", { cls: "counts", "aria-live": "polite" });
    var scroll = el("div", { cls: "scroll" });
    var causesBox = el("div", { cls: "causes", id: id + "-causes" });
    var infoBox = el("details", { cls: "causes info", id: id + "-info" });
    var drill = el("div", { cls: "drill", id: id + "-drill", "aria-live": "polite" });
    [filters, counts, scroll, drill, causesBox, infoBox].forEach(function (e) { root.appendChild(e); });

    function syncControls() {
      KEYS.forEach(function (k) {
        if (!controls[k]) return;
        var v = k === "sort" && state.sort === "status" ? "" : state[k];
        if (controls[k].value !== v) controls[k].value = v;
      });
    }
    function matchesQuery(r) {
      if (!state.q) return true;
      var q = state.q.toLowerCase();
      return r.item.toLowerCase().indexOf(q) >= 0 || (r.message || "").toLowerCase().indexOf(q) >= 0;
    }
    function selected() {
      return data.runs.filter(function (r) {
        if (state.column && r.column !== state.column) return false;
        if (state.status && bucket(r) !== state.status) return false;
        for (var i = 0; i < facets.length; i++) {
          var v = state["f:" + facets[i]];
          if (v && r.fields[facets[i]] !== v) return false;
        }
        if (state.row && r.rows.indexOf(state.row) < 0) return false;
        return matchesQuery(r);
      });
    }
    function sortRuns(rs) {
      return rs.slice().sort(function (a, b) {
        if (state.sort === "time") return (b.ms || 0) - (a.ms || 0) || cmp(a.item, b.item);
        if (state.sort === "case") return cmp(a.item, b.item) || rank(a) - rank(b);
        return rank(a) - rank(b) || cmp(a.item, b.item);
      });
    }
    function metaParts(r, withColumn) {
      var meta = withColumn ? [el("span", { cls: "tgt", text: r.column })] : [];
      Object.keys(r.fields).forEach(function (k) { meta.push((meta.length ? " · " : "") + k + " " + r.fields[k]); });
      if (r.ms !== undefined) meta.push(" · " + r.ms + " ms");
      if (r.note) meta.push(" · " + r.note);
      return meta;
    }
    function runArticle(r) {
      var item = data.items[r.item] || {};
      var b = bucket(r);
      return el("article", { cls: "run s-" + b, "data-status": r.status, "data-item": r.item, "data-ms": r.ms !== undefined ? String(r.ms) : undefined }, [
        el("h4", {}, [el("span", { cls: "badge s-" + b, text: b === "INFO" ? r.status + " (informational)" : r.status }), " ", el("code", { text: r.item })]),
        el("div", { cls: "meta" }, metaParts(r, true)),
        item.description ? el("div", { cls: "desc" }, [el("strong", { text: "checks: " }), item.description]) : null,
        r.message ? el("div", { cls: "msg" }, [el("strong", { text: "result: " }), r.message]) : null,
        r.rerun && (r.status === "FAIL" || r.status === "ERROR") ? rerunBox(r.rerun) : null,
        item.spec ? citation(item.spec) : null,
      ]);
    }
    /** A run inside a cause: where it ran, its own message when it differs from the cause's, its rerun. */
    function runRow(r, cause) {
      var msg = (r.message || "").trim();
      return el("div", { cls: "crun", "data-status": bucket(r), "data-item": r.item, "data-ms": r.ms !== undefined ? String(r.ms) : undefined }, [
        el("div", { cls: "meta" }, metaParts(r, false)),
        msg && msg !== cause.text ? el("div", { cls: "msg" }, [el("strong", { text: "result: " }), msg]) : null,
        r.rerun ? rerunBox(r.rerun) : null,
      ]);
    }

    function update() { saveState(); render(); }
    function render() {
      syncControls();
      var runs = selected();
      var total = tally(runs);
      counts.textContent = "";
      counts.appendChild(el("strong", { text: runs.length + " runs: " }));
      ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED", "INFO"].forEach(function (s) {
        counts.appendChild(el("span", { cls: "count", "data-status": s }, [el("span", { cls: "badge s-" + s, text: s }), " " + total[s]]));
      });
      link.setAttribute("href", location.hash || "#");
      renderMatrix(runs);
      renderDrill(runs);
      renderCauses(runs);
    }
    function renderMatrix(runs) {
      var useCols = cols.filter(function (c) { return !state.column || c === state.column; });
      if (window.matchMedia && window.matchMedia(NARROW).matches) {
        // at phone width the failing targets come first (only the first columns fit on screen)
        var badCount = function (c) { return runs.filter(function (r) { return r.column === c && isBad(r); }).length; };
        var failing = useCols.filter(function (c) { return badCount(c) > 0; });
        useCols = failing.concat(useCols.filter(function (c) { return failing.indexOf(c) < 0; }));
      }
      var useRows = rows.filter(function (w) { return !state.row || w === state.row; });
      var table = el("table", { cls: "grid", id: id + "-matrix" });
      var head = el("tr", {}, [el("th", { cls: "rowh", scope: "col", text: data.rowLabel + " \\ " + data.columnLabel })]);
      useCols.forEach(function (c) {
        var bad = runs.filter(function (r) { return r.column === c && isBad(r); }).length;
        head.appendChild(el("th", { scope: "col", "data-column": c, cls: bad ? "failing" : undefined, text: c }));
      });
      table.appendChild(el("thead", {}, [head]));
      var body = el("tbody");
      var open = state.open ? state.open.split("|") : null;
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
            "aria-pressed": open && open[0] === w && open[1] === c ? "true" : "false",
            "aria-label": w + " on " + c + ": " + (rs.length ? word + ", " + countsText(t) : "no runs"),
          }, [el("span", { cls: "w", text: word }), el("span", { cls: "n", text: rs.length ? countsText(t) : "no runs" })]);
          if (!rs.length) btn.disabled = true;
          btn.addEventListener("click", function () {
            state.open = w + "|" + c;
            update();
            if (drill.scrollIntoView) drill.scrollIntoView({ block: "start" });
          });
          tr.appendChild(el("td", {}, [btn]));
        });
        if (any || !(state.status || state.q)) body.appendChild(tr);
      });
      table.appendChild(body);
      scroll.textContent = "";
      scroll.appendChild(table);
    }
    function renderDrill(runs) {
      drill.textContent = "";
      if (!state.open) {
        drill.appendChild(el("p", { cls: "note", text: "Click a cell to see its runs (message, rerun command, spec section and quote, domain, profile, variant, duration)." }));
        return;
      }
      var open = state.open.split("|"), w = open[0], c = open.slice(1).join("|");
      var rs = sortRuns(runs.filter(function (r) { return r.column === c && r.rows.indexOf(w) >= 0; }));
      var close = el("button", { type: "button", cls: "close", text: "close" });
      close.addEventListener("click", function () { state.open = ""; update(); });
      drill.appendChild(el("h3", { id: id + "-drill-title" }, [w + " on " + c + ": " + rs.length + " runs (" + countsText(tally(rs)) + ") ", close]));
      rs.forEach(function (r) { drill.appendChild(runArticle(r)); });
    }
    function causeArticle(c, rs) {
      var cases = uniq(rs.map(function (r) { return r.item; }));
      var domains = uniq(rs.map(function (r) { return r.fields.domain; }).filter(function (x) { return x !== undefined; }));
      var profiles = uniq(rs.map(function (r) { return r.fields.profile; }).filter(function (x) { return x !== undefined; }));
      var isOpen = state.cause === c.id;
      var b = c.informational ? "INFO" : c.status;
      var toggle = el("button", { type: "button", cls: "toggle", "aria-expanded": isOpen ? "true" : "false", text: isOpen ? "hide the runs" : "show the " + rs.length + " runs" });
      toggle.addEventListener("click", function () { state.cause = isOpen ? "" : c.id; update(); });
      var hits = [cases.length + " case" + (cases.length === 1 ? "" : "s") + ": " + list(cases, 3)];
      if (domains.length) hits.push("domains " + domains.join(", "));
      if (profiles.length) hits.push("profiles " + profiles.join(", "));
      var art = el("article", { cls: "cause s-" + b, id: id + "-cause-" + c.id, "data-cause": c.id, "data-column": c.column, "data-count": String(rs.length) }, [
        el("h4", {}, [el("span", { cls: "badge s-" + b, text: c.informational ? c.status + " (informational)" : c.status }), " ",
          el("span", { cls: "tgt", text: c.column }), " · " + rs.length + " run" + (rs.length === 1 ? "" : "s") + ": ",
          el("span", { cls: "ctext", text: c.text })]),
        el("div", { cls: "hits", text: hits.join(" · ") }),
        toggle,
      ]);
      if (isOpen) {
        // the spec quote belongs to each case: runs grouped under their case
        var sorted = sortRuns(rs);
        var order = state.sort === "status" ? cases : uniq(sorted.map(function (r) { return r.item; }));
        order.forEach(function (item) {
          var info = data.items[item] || {};
          var box = el("div", { cls: "case", "data-item": item }, [
            el("h5", {}, [el("code", { text: item })]),
            info.description ? el("div", { cls: "desc" }, [el("strong", { text: "checks: " }), info.description]) : null,
            info.spec ? citation(info.spec) : null,
          ]);
          sorted.filter(function (r) { return r.item === item; }).forEach(function (r) { box.appendChild(runRow(r, c)); });
          art.appendChild(box);
        });
      }
      return art;
    }
    function renderCauses(runs) {
      var inSel = {};
      runs.forEach(function (r) { inSel[r.index] = true; });
      function section(box, informational) {
        var shown = causes.filter(function (c) { return c.informational === informational; }).map(function (c) {
          return { c: c, rs: c.runs.filter(function (i) { return inSel[i]; }).map(function (i) { return data.runs[i]; }) };
        }).filter(function (x) { return x.rs.length; });
        var n = shown.reduce(function (a, x) { return a + x.rs.length; }, 0);
        var t = tally([].concat.apply([], shown.map(function (x) { return x.rs; })));
        box.textContent = "";
        var title = informational
          ? "Informational results: " + n + " FAIL/ERROR runs in " + shown.length + " causes (never fail a run)"
          : "Failures by cause: " + n + " runs (FAIL " + t.FAIL + ", ERROR " + t.ERROR + ") in " + shown.length + " cause" + (shown.length === 1 ? "" : "s");
        box.appendChild(el(informational ? "summary" : "h3", { id: id + (informational ? "-info-title" : "-causes-title"), "data-count": String(n) }, [title]));
        if (!informational && !n) box.appendChild(el("p", { cls: "note", text: "No normative FAIL or ERROR in this view." }));
        shown.forEach(function (x) { box.appendChild(causeArticle(x.c, x.rs)); });
        return n;
      }
      section(causesBox, false);
      var ni = section(infoBox, true);
      infoBox.hidden = !ni;
      if (state.cause && state.cause.charAt(0) === "i") infoBox.open = true;
    }
    window.addEventListener("hashchange", function () { loadState(); render(); });
    window.matchMedia && window.matchMedia(NARROW).addEventListener && window.matchMedia(NARROW).addEventListener("change", render);
    render();
    if (state.cause) {
      var target = document.getElementById(id + "-cause-" + state.cause);
      if (target && target.scrollIntoView) target.scrollIntoView({ block: "start" });
    } else if (state.open && drill.scrollIntoView) drill.scrollIntoView({ block: "start" });
    root.setAttribute("data-ready", "true");
  }
  var roots = document.querySelectorAll("[data-section][data-kind=matrix]");
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
  var tables = document.querySelectorAll("table.sortable");
  for (var j = 0; j < tables.length; j++) setupSortable(tables[j]);
  document.documentElement.setAttribute("data-ready", "true");
})();
`;
