// The tables and drill-downs, drawn from the page's data: a thousand rows of explanations as HTML would be several
// megabytes, and a drill-down is drawn only when opened. The data names its own fields and the document's words for
// missing, not rated, tiers and directions (T), so that none is spelled here.
(() => {
"use strict";
const blob = JSON.parse(document.getElementById("report-data").textContent);
const S = blob.strings, P = blob.policies, F = blob.fields, T = blob.terms, C = blob.cells, SIDES = ["A", "B"];
const hasPeriods = blob.periods.length > 0;
const ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
// Control characters of the data are shown as their escapes, as the terminal shows them, never drawn raw.
const NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"};
const hex = (c, width) => c.charCodeAt(0).toString(16).padStart(width, "0");
const printable = (s) => String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
  (c) => NAMED[c] || (c.charCodeAt(0) < 0x100 ? "\\x" + hex(c, 2) : "\\u" + hex(c, 4)));
const esc = (s) => printable(s).replace(/[&<>"']/g, (c) => ESC[c]);

// A packed instance is the list of its fields' values, in the order the data names them.
const unpack = (fields, values, read = (v) => v) => Object.fromEntries(fields.map((f, k) => [f, read(values[k])]));
function outcome(o) {
  if (o === null) return null;
  const out = unpack(F.outcome, o);
  out.steps = out.steps.map((s) => unpack(F.step, s, (k) => k === null ? null : S[k]));
  return out;
}
const rows = blob.rows.map((packed, i) => {
  const r = unpack(F.row, packed);
  r.i = i;
  r.out = r.outcomes.map(outcome);
  r.hay = (r.org + "\n" + (r.name || "")).toLowerCase();
  return r;
});

function rank(side, o) {
  if (o === null) return 1e9 + 1;
  if (o.value === null) return 1e9;
  const k = P[side].scale.indexOf(o.value);
  return k < 0 ? 1e8 : k;
}
function badge(side, o) {
  if (o === null) return `<span class="badge t-none">${esc(T.not_rated)}</span>`;
  if (o.value === null) return `<span class="badge t-missing">${esc(T.missing)}</span>`;
  const d = P[side].descriptions[o.value];
  const tier = T.tiers.includes(o.tier) ? o.tier : "plain";
  return `<span class="badge t-${tier}"${d ? ` title="${esc(d)}"` : ""}>${esc(o.value)}</span>`;
}
// What the delta beside a change says, for its tooltip; the tables' notes say it in full.
const NUMBERS = P.every((p) => p.scale.length === 0);
const DELTA = NUMBERS ? "\u0394: B\u2019s number minus A\u2019s" : "\u0394 standing: B\u2019s standing minus " +
  "A\u2019s, each from 0 (best) to 1 (worst) on its own scale; + when B rates the row worse, \u2212 when better";
function change(r, withDelta) {
  const d = r.delta === null || !withDelta ? "" : `<small title="${esc(DELTA)}">&Delta; ${r.delta > 0 ? "+" : r.delta < 0 ? "&minus;" : ""}` +
    `${Math.abs(r.delta).toFixed(2)}</small>`;
  if (r.direction === T.better) return `<span class="dir dir-better">&#9650;&nbsp;Better under&nbsp;B${d}</span>`;
  if (r.direction === T.worse) return `<span class="dir dir-worse">&#9660;&nbsp;Worse under&nbsp;B${d}</span>`;
  if (r.direction === T.higher) return `<span class="dir">&#9650;&nbsp;Higher under&nbsp;B${d}</span>`;
  if (r.direction === T.lower) return `<span class="dir">&#9660;&nbsp;Lower under&nbsp;B${d}</span>`;
  return r.moved ? `<span class="dir">Moved${d}</span>` : '<span class="muted">&mdash;</span>';
}
// The step that decided an outcome: the first that does more than pass a value on, as the document defines it.
const decisive = (o) => o.steps.find((s) => s.kind !== T.pass) || o.steps[0];
function reason(k, o) {
  let text = '<span class="muted">&mdash;</span>';
  if (o === null) text = `<span class="muted">${esc(T.not_rated)}</span>`;
  else if (o.steps.length) {
    const s = decisive(o);
    const full = `${s.name} = ${s.value}${s.why ? ": " + s.why : ""}${s.source ? " (" + s.source + ")" : ""}`;
    text = `<span title="${esc(full)}"><b>${esc(s.name)} = ${esc(s.value)}</b> ${esc(s.why || "")}</span>`;
  }
  return `<div class="r"><span class="tag tag-${SIDES[k].toLowerCase()}">${SIDES[k]}</span>${text}</div>`;
}
const cells = (r) => `<td class="chev"></td><td class="org"><span class="code">${esc(r.org)}</span>` +
  `<span class="type">${esc(r.org_type)}</span>${r.name === null ? "" : `<span class="nm">${esc(r.name)}</span>`}</td>` +
  (hasPeriods ? `<td>${r.period === null ? "" : esc(r.period)}</td>` : "") +
  `<td>${badge(0, r.out[0])}</td><td>${badge(1, r.out[1])}</td>`;

function side(r, k) {
  const o = r.out[k], p = P[k], id = "assumptions-" + SIDES[k].toLowerCase();
  let body;
  if (o === null) {
    body = `<p class="muted">${esc(p.name)} does not rate organisations of type <b>${esc(r.org_type)}</b>.</p>`;
  } else {
    const lead = o.steps.length ? decisive(o) : null;
    body = o.steps.length ? '<ol class="steps">' + o.steps.map((s) =>
      `<li${s === lead ? ' class="lead" title="The decisive step"' : ""}><div class="head"><code>${esc(s.name)}</code> = <b>${esc(s.value)}</b>` +
      `</div>${s.why ? `<div class="why">${esc(s.why)}</div>` : ""}` +
      `${s.source ? `<div class="src">${esc(s.source)}</div>` : ""}</li>`).join("") + "</ol>"
      : '<p class="muted">No decisive steps recorded.</p>';
    body += `<p class="rests">Rests on <b>${o.assumptions}</b> assumption${o.assumptions === 1 ? "" : "s"} &middot; ` +
      `<a href="#${id}" data-open="${id}">${esc(SIDES[k])}&rsquo;s assumptions</a></p>`;
  }
  const lower = SIDES[k].toLowerCase();
  return `<section class="side side-${lower}"><header><span class="tag tag-${lower}">${SIDES[k]}</span>${esc(p.name)}` +
    `${badge(k, o)}</header>${body}</section>`;
}
const detail = (r, span) => `<tr class="detail"><td colspan="${span}"><div class="who"><b>${esc(r.name || r.org)}</b>` +
  `<span>${esc(r.org)} &middot; ${esc(r.org_type)}${r.period ? " &middot; " + esc(r.period) : ""}</span></div>` +
  `<div class="explain">${side(r, 0)}${side(r, 1)}</div></td></tr>`;

const state = {q: "", period: "", type: "", moved: false, cell: null, driver: null};
const KEYS = {
  org: (r) => r.org, period: (r) => r.period || "",
  a: (r) => rank(0, r.out[0]), b: (r) => rank(1, r.out[1]),
  change: (r) => r.delta === null ? -1 : Math.abs(r.delta), delta: (r) => r.delta === null ? 9 : r.delta,
};
const compare = (x, y) => typeof x === "number" ? x - y : x.localeCompare(y, undefined, {numeric: true});
const tables = {
  movers: {
    sort: "change", dir: -1, open: new Set(),
    keep: (r) => r.moved && (state.driver === null || r.driver === state.driver),
    row: (r) => cells(r) + `<td class="change">${change(r, true)}</td>` +
      `<td class="reason">${reason(0, r.out[0])}${reason(1, r.out[1])}</td>`,
  },
  organisations: {
    sort: null, dir: 1, open: new Set(),
    keep: (r) => (!state.period || r.period === state.period) && (!state.type || r.org_type === state.type) &&
      (!state.moved || r.moved) &&
      (!state.cell || (C[r.i][0] === state.cell[0] && C[r.i][1] === state.cell[1])),
    row: (r) => cells(r) + `<td class="change">${change(r, false)}</td><td class="num">${r.delta === null ? "" :
      (r.delta > 0 ? "+" : "") + r.delta.toFixed(2)}</td>`,
  },
};
for (const [name, t] of Object.entries(tables)) {
  t.table = document.getElementById(name + "-table");
  t.body = t.table.tBodies[0];
  t.span = t.table.tHead.rows[0].cells.length;
  t.count = document.getElementById(name + "-count");
  t.all = rows.filter((r) => name !== "movers" || r.moved).length;
  t.labels = [...t.table.tHead.rows[0].cells].map(heading);
  t.shown = [];
  t.table.tHead.addEventListener("click", (ev) => {
    const th = ev.target.closest("th[data-sort]");
    if (!th) return;
    const key = th.dataset.sort;
    t.dir = t.sort === key ? -t.dir : (key === "change" ? -1 : 1);
    t.sort = key;
    render(name);
  });
  t.body.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    const tr = ev.target.closest("tr[data-i]");
    if (tr) toggle(t, tr);
  });
  t.body.addEventListener("keydown", (ev) => {
    const tr = ev.target.closest("tr[data-i]");
    if (tr && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); toggle(t, tr); }
  });
}

function toggle(t, tr) {
  const i = +tr.dataset.i, open = !t.open.has(i);
  if (open) {
    t.open.add(i);
    tr.insertAdjacentHTML("afterend", detail(rows[i], t.span));
  } else {
    t.open.delete(i);
    tr.nextElementSibling.remove();
  }
  tr.classList.toggle("open", open);
  tr.setAttribute("aria-expanded", String(open));
}

function render(name) {
  const t = tables[name];
  let list = rows.filter((r) => (!state.q || r.hay.includes(state.q)) && t.keep(r));
  if (t.sort) {
    const key = KEYS[t.sort];
    list = list.map((r) => [key(r), r]).sort((x, y) => t.dir * compare(x[0], y[0]) || x[1].i - y[1].i)
      .map((x) => x[1]);
  }
  const html = list.map((r) => {
    const open = t.open.has(r.i);
    return `<tr data-i="${r.i}" tabindex="0" aria-expanded="${open}"${open ? ' class="open"' : ""}>${t.row(r)}</tr>` +
      (open ? detail(r, t.span) : "");
  });
  t.body.innerHTML = html.length ? html.join("") :
    `<tr class="empty"><td colspan="${t.span}">No ${name === "movers" ? "movers" : "organisations"} match.</td></tr>`;
  t.shown = list;
  labelCells(t);
  t.count.textContent = list.length === t.all ? `${t.all.toLocaleString("en-GB")} rows` :
    `Showing ${list.length.toLocaleString("en-GB")} of ${t.all.toLocaleString("en-GB")} rows`;
  for (const th of t.table.tHead.querySelectorAll("th[data-sort]")) {
    if (th.dataset.sort === t.sort) th.setAttribute("aria-sort", t.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}
const renderAll = () => { render("movers"); render("organisations"); };

// Each cell labelled by its column, which a narrow page shows above it when the rows are drawn as cards.
function heading(th) {
  const tag = th.querySelector(".tag"), text = th.textContent.trim();
  return tag ? `${tag.textContent}: ${text.slice(tag.textContent.length).trim()}` : text;
}
function labelCells(t) {
  for (const tr of t.body.rows) {
    if (!tr.dataset.i) continue;
    for (let k = 0; k < tr.cells.length; k++) if (t.labels[k]) tr.cells[k].dataset.label = t.labels[k];
  }
}

// The rows a table shows, downloaded as CSV: every cell quoted, its quotes doubled, and a text that a spreadsheet
// would take for a formula (one that begins with = + - @, a tab or a carriage return, and is not a number) led by
// an apostrophe, so that it stays text.
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const guard = (text) => /^[=+\-@\t\r]/.test(text) && !NUMBER.test(text) ? "'" + text : text;
const quote = (v) => '"' + (v === null || v === undefined ? "" : typeof v === "number" ? String(v) :
  guard(String(v))).replace(/"/g, '""') + '"';
const status = (o) => o === null ? T.not_rated : o.value === null ? T.missing : "rated";
const why = (o) => {
  if (o === null || !o.steps.length) return "";
  const s = decisive(o);
  return `${s.name} = ${s.value}${s.why ? ": " + s.why : ""}`;
};
const CSV = {
  organisations: [["org", "name", "org_type", "period", "a_value", "a_status", "b_value", "b_status", "moved",
    "direction", "delta"], (r) => [r.org, r.name, r.org_type, r.period, ...r.out.flatMap((o) =>
    [o === null || o.value === null ? "" : o.value, status(o)]), r.moved ? "yes" : "no", r.direction, r.delta]],
};
CSV.movers = [[...CSV.organisations[0], "driver", "a_reason", "b_reason"],
  (r) => [...CSV.organisations[1](r), r.driver, why(r.out[0]), why(r.out[1])]];
// Bound here, so that the page holds no call of a function whose name ends in "url", which the report's check that
// nothing is fetched takes for the stylesheet's url function.
const blobLink = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);
function download(name) {
  const [head, record] = CSV[name];
  const lines = [head, ...tables[name].shown.map(record)].map((cells) => cells.map(quote).join(","));
  const file = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
  const a = document.createElement("a");
  a.href = blobLink(file);
  a.download = name + ".csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => revoke(a.href), 1000);
}
for (const button of document.querySelectorAll("button[data-export]")) {
  button.addEventListener("click", () => download(button.dataset.export));
}

// Laying out a thousand rows takes a while on a slow machine: keystrokes that arrive meanwhile share one redraw.
let pending = 0;
document.getElementById("search").addEventListener("input", (ev) => {
  state.q = ev.target.value.trim().toLowerCase();
  if (!pending) pending = requestAnimationFrame(() => { pending = 0; renderAll(); });
});
const bind = (id, field, read) => {
  const el = document.getElementById(id);
  if (el) el.addEventListener("change", () => { state[field] = read(el); render("organisations"); });
};
bind("org-period", "period", (el) => el.value);
bind("org-type", "type", (el) => el.value);
bind("org-moved", "moved", (el) => el.checked);

const chip = document.getElementById("cell-filter");
function chooseCell(td) {
  state.cell = [+td.dataset.i, +td.dataset.j];
  chip.firstElementChild.textContent = `A: ${td.dataset.a} \u00b7 B: ${td.dataset.b}`;
  chip.hidden = false;
  render("organisations");
  document.getElementById("organisations").scrollIntoView();
}
const xtab = document.querySelector("#crosstab table");
xtab.addEventListener("click", (ev) => { const td = ev.target.closest("td[data-a]"); if (td) chooseCell(td); });
xtab.addEventListener("keydown", (ev) => {
  const td = ev.target.closest("td[data-a]");
  if (td && ev.key === "Enter") chooseCell(td);
});
chip.lastElementChild.addEventListener("click", () => {
  state.cell = null;
  chip.hidden = true;
  render("organisations");
});

// The drivers above the movers: choosing one lists only the movers it drove; choosing it again lists them all.
const driverList = document.getElementById("drivers");
if (driverList) driverList.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-driver]");
  if (!button) return;
  const chosen = state.driver === button.dataset.driver ? null : button.dataset.driver;
  state.driver = chosen;
  for (const b of driverList.querySelectorAll("button[data-driver]")) {
    b.setAttribute("aria-pressed", String(b.dataset.driver === chosen));
  }
  render("movers");
});

const periodChoice = document.getElementById("dist-period");
if (periodChoice) periodChoice.addEventListener("change", () => {
  for (const g of document.querySelectorAll("#distribution .chart-group")) {
    g.hidden = g.dataset.period !== periodChoice.value;
  }
});
document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-open]");
  if (a) document.getElementById(a.dataset.open).open = true;
});
renderAll();
})();
