// The report page: the period and the filters live in the address (a link reproduces
// the view); the figures come from GET /api/sites/{site}/reports/view, the charts are
// drawn with Chart.js (served by this server, /static/vendor). Every name and text from
// the configuration or the data is inserted as text, never as markup.
"use strict";

const S = PAGE.strings;
const EN = PAGE.lang === "en";
const DAY_MS = 86400000;
const $ = (id) => document.getElementById(id);
const fill = (t, v) => t.replace(/\{(\w+)\}/g, (_, k) => String(v[k] ?? ""));

// ------------------------------------------------------------------ numbers

const numberFormat = (d) => new Intl.NumberFormat(EN ? "en-GB" : "vi-VN", { minimumFractionDigits: d, maximumFractionDigits: d });
const NF = [numberFormat(0), numberFormat(1)];
const num = (v, d = 1) => (v == null ? "—" : NF[d].format(v));
const pct = (v) => (v == null ? "—" : NF[1].format(v) + " %");
const mins = (s) => (s == null ? "—" : NF[1].format(s / 60));
function hours(s) {
  const m = Math.round((s || 0) / 60);
  return fill(S.rep_hours, { h: NF[0].format(Math.floor(m / 60)), m: m % 60 });
}

// ------------------------------------------------------------------ periods
// Local days as UTC dates (no time of day): the same forms as server/reports/period.py.

const pad2 = (n) => String(n).padStart(2, "0");
const utc = (y, m, d) => new Date(Date.UTC(y, m - 1, d));
const addDays = (d, n) => new Date(d.getTime() + n * DAY_MS);
const isoDay = (d) => d.toISOString().slice(0, 10);
const dmy = (d) => `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;

function parseIso(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? utc(+m[1], +m[2], +m[3]) : null;
}

function isoWeek(d) {
  const thursday = addDays(d, 3 - ((d.getUTCDay() + 6) % 7));
  const year = thursday.getUTCFullYear();
  return [year, 1 + Math.floor((thursday - utc(year, 1, 1)) / DAY_MS / 7)];
}

function weekMonday(year, week) {
  const jan4 = utc(year, 1, 4);
  return addDays(jan4, -((jan4.getUTCDay() + 6) % 7) + (week - 1) * 7);
}

// The period a code names ({kind, start, end}), or null if it cannot be read here (the
// server then says what is wrong with it).
function periodOf(code) {
  let m;
  if ((m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(code))) {
    const a = parseIso(m[1]), b = parseIso(m[2]);
    return a && b ? { kind: "range", start: a, end: b } : null;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(code)) { const a = parseIso(code); return { kind: "day", start: a, end: a }; }
  if ((m = /^(\d{4})-[Ww](\d{1,2})$/.exec(code))) {
    const a = weekMonday(+m[1], +m[2]);
    return { kind: "week", start: a, end: addDays(a, 6) };
  }
  if ((m = /^(\d{4})-[Qq]([1-4])$/.exec(code))) {
    const y = +m[1], q = +m[2];
    return { kind: "quarter", start: utc(y, 3 * q - 2, 1), end: addDays(utc(y, 3 * q + 1, 1), -1) };
  }
  if ((m = /^(\d{4})-(\d{1,2})$/.exec(code)) && +m[2] >= 1 && +m[2] <= 12) {
    return { kind: "month", start: utc(+m[1], +m[2], 1), end: addDays(utc(+m[1], +m[2] + 1, 1), -1) };
  }
  if ((m = /^(\d{4})$/.exec(code))) return { kind: "year", start: utc(+m[1], 1, 1), end: utc(+m[1], 12, 31) };
  return null;
}

function codeOf(kind, start, end) {
  const y = start.getUTCFullYear(), m = start.getUTCMonth() + 1;
  if (kind === "day") return isoDay(start);
  if (kind === "week") { const [wy, w] = isoWeek(start); return `${wy}-W${pad2(w)}`; }
  if (kind === "month") return `${y}-${pad2(m)}`;
  if (kind === "quarter") return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
  if (kind === "year") return String(y);
  return `${isoDay(start)}..${isoDay(end || start)}`;
}

// The period n steps after p (n = -1: the one before), of the same kind and length.
function shifted(p, n) {
  const s = p.start, y = s.getUTCFullYear(), m = s.getUTCMonth() + 1;
  if (p.kind === "day") return codeOf("day", addDays(s, n));
  if (p.kind === "week") return codeOf("week", addDays(s, 7 * n));
  if (p.kind === "month") return codeOf("month", utc(y, m + n, 1));
  if (p.kind === "quarter") return codeOf("quarter", utc(y, m + 3 * n, 1));
  if (p.kind === "year") return String(y + n);
  const len = Math.round((p.end - p.start) / DAY_MS) + 1;
  return codeOf("range", addDays(s, n * len), addDays(p.end, n * len));
}

function dmyToIso(text) {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text || "");
  return m ? `${m[3]}-${pad2(m[2])}-${pad2(m[1])}` : null;
}

// ------------------------------------------------------------------ state (the address)

const FILTERS = ["service", "desk", "clerk", "source"];
const VIEWS = ["clerk", "desk", "service", "day", "week", "month"];
const IS_CLERK = PAGE.me.role === "clerk";
let state = {};

function defaultPeriod() { return PAGE.today.slice(0, 7); }

function readAddress() {
  const q = new URLSearchParams(location.search);
  state = { period: q.get("period") || defaultPeriod(), by: q.get("by") || "", heat: q.get("heat") || "arrivals" };
  state.itemsBy = q.get("items_by") === "service" ? "service" : "clerk";
  state.items = q.get("items") === "praised" ? "praised" : "reasons";
  for (const f of FILTERS) state[f] = q.get(f) || "";
  if (IS_CLERK) state.clerk = PAGE.me.clerk_id || "";
  if (!VIEWS.includes(state.by)) state.by = "";
  if (state.heat !== "wait") state.heat = "arrivals";
}

function query(extra) {
  const q = new URLSearchParams({ period: state.period });
  for (const f of FILTERS) if (state[f]) q.set(f, state[f]);
  for (const [k, v] of Object.entries(extra || {})) if (v) q.set(k, v);
  return q;
}

function writeAddress(replace) {
  const q = query({
    by: state.by,
    heat: state.heat === "wait" ? "wait" : "",
    items_by: state.itemsBy === "service" ? "service" : "",
    items: state.items === "praised" ? "praised" : "",
  });
  const target = `${location.pathname}?${q}`;
  if (replace) history.replaceState(null, "", target);
  else if (target !== location.pathname + location.search) history.pushState(null, "", target);
  const lang = document.querySelector("header a.lang");
  if (lang) lang.href = `/lang/${EN ? "vi" : "en"}?next=${encodeURIComponent(target)}`;
}

// ------------------------------------------------------------------ controls

function options(select, items, all) {
  const list = all ? [{ id: "", name: S.rep_all }, ...items] : items;
  select.replaceChildren(...list.map((i) => el("option", { value: i.id }, i.name)));
}

function setupControls() {
  options($("rp-service"), PAGE.services, true);
  options($("rp-desk"), PAGE.desks, true);
  options($("rp-clerk"), PAGE.clerks, !IS_CLERK);
  options($("rp-source"), PAGE.sources, true);
  if (IS_CLERK) $("rp-clerk").disabled = true;
  $("rp-kind").addEventListener("change", () => changeKind($("rp-kind").value));
  for (const id of ["rp-day", "rp-week", "rp-month", "rp-quarter", "rp-year", "rp-from", "rp-to"]) {
    $(id).addEventListener("change", () => choosePeriod());
    $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); choosePeriod(); } });
  }
  $("rp-form").addEventListener("submit", (e) => { e.preventDefault(); choosePeriod(); });
  $("rp-prev").addEventListener("click", () => step(-1));
  $("rp-next").addEventListener("click", () => step(1));
  for (const f of FILTERS) {
    $("rp-" + f).addEventListener("change", (e) => { state[f] = e.target.value; go(); });
  }
  for (const b of $("rp-heat-mode").querySelectorAll("button")) {
    b.addEventListener("click", () => { state.heat = b.dataset.heat; writeAddress(); if (current) renderHeat(current.charts.heatmap); });
  }
  for (const b of $("rp-items-by").querySelectorAll("button")) {
    b.addEventListener("click", () => { state.itemsBy = b.dataset.by; writeAddress(); if (current) renderItems(current.report); });
  }
  for (const b of $("rp-items-kind").querySelectorAll("button")) {
    b.addEventListener("click", () => { state.items = b.dataset.kind; writeAddress(); if (current) renderItems(current.report); });
  }
}

function showInputs(kind) {
  for (const label of document.querySelectorAll("#rp-form [data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(kind);
  }
}

function fillControls() {
  const p = periodOf(state.period);
  for (const f of FILTERS) $("rp-" + f).value = state[f];
  if (!p) return;
  $("rp-kind").value = p.kind;
  showInputs(p.kind);
  const y = p.kind === "week" ? isoWeek(p.start)[0] : p.start.getUTCFullYear();
  $("rp-year").value = y;
  $("rp-day").value = dmy(p.start);
  $("rp-week").value = isoWeek(p.start)[1];
  $("rp-month").value = p.start.getUTCMonth() + 1;
  $("rp-quarter").value = Math.floor(p.start.getUTCMonth() / 3) + 1;
  $("rp-from").value = dmy(p.start);
  $("rp-to").value = dmy(p.end);
}

function currentPeriod() {
  return periodOf(state.period) || periodOf(defaultPeriod());
}

function changeKind(kind) {
  const p = currentPeriod();
  state.period = codeOf(kind, p.start, p.end);
  go();
}

function codeFromInputs() {
  const kind = $("rp-kind").value, year = $("rp-year").value.trim();
  if (kind === "day") return dmyToIso($("rp-day").value);
  if (kind === "week") return `${year}-W${pad2($("rp-week").value.trim())}`;
  if (kind === "month") return `${year}-${pad2($("rp-month").value)}`;
  if (kind === "quarter") return `${year}-Q${$("rp-quarter").value}`;
  if (kind === "year") return year;
  const a = dmyToIso($("rp-from").value), b = dmyToIso($("rp-to").value);
  return a && b ? `${a}..${b}` : null;
}

function choosePeriod() {
  const code = codeFromInputs();
  if (!code) { fail(S.rep_bad_date); return; }
  // Enter, then the change event of the same value: one request
  if (code === state.period && $("rp-body").dataset.state !== "error") return;
  state.period = code;
  go();
}

function step(n) {
  state.period = shifted(currentPeriod(), n);
  go();
}

function go() {
  writeAddress();
  fillControls();
  load();
}

function exportLinks(report) {
  const f = report.filters;
  const q = new URLSearchParams({ period: report.period.code, lang: PAGE.lang });
  for (const k of FILTERS) if (f[k]) q.set(k, f[k]);
  const base = `/api/sites/${encodeURIComponent(PAGE.site)}/reports`;
  const by = state.by || "clerk";
  $("rp-xlsx").href = `${base}/export.xlsx?${q}`;
  $("rp-pdf").href = `${base}/export.pdf?${q}`;
  $("rp-csv").href = `${base}/export.csv?${q}&by=${by}`;
  $("rp-csv").textContent = `CSV: ${PAGE.views[by]}`;
  $("rp-dossiers").href = `${base}/dossiers.csv?${q}`;
  $("rp-dossiers-xlsx").href = `${base}/dossiers.xlsx?${q}`;
  $("rp-cit-csv").href = `${base}/export.csv?${q}&by=citizens`;
  $("rp-exports").classList.remove("off");
}

// ------------------------------------------------------------------ loading

let current = null;
let sequence = 0;

function setState(s) {
  $("rp-body").dataset.state = s;
  $("rp-status").hidden = s !== "loading";
}

function fail(message) {
  setState("error");
  $("rp-error").textContent = message;
  $("rp-error").hidden = false;
  $("rp-body").hidden = true;
  $("rp-exports").classList.add("off");
}

async function load() {
  const mine = ++sequence;
  setState("loading");
  $("rp-error").hidden = true;
  let r, data = null;
  try {
    r = await fetch(`/api/sites/${encodeURIComponent(PAGE.site)}/reports/view?${query({ lang: PAGE.lang })}`, { credentials: "same-origin" });
    data = await r.json().catch(() => null);
  } catch (e) {
    if (mine === sequence) fail(S.rep_network);
    return;
  }
  if (mine !== sequence) return;  // a newer request is on its way
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
  if (!r.ok || !data) { fail(problem(data)); return; }
  current = data;
  $("rp-body").hidden = false;
  render(data);
  $("rp-body").dataset.period = data.report.period.code;
  $("rp-body").dataset.clerk = data.report.filters.clerk || "";
  setState("ready");
}

// ------------------------------------------------------------------ rendering

function nameOf(list, id) {
  const hit = list.find((i) => i.id === id);
  return hit ? hit.name : id;
}

function render(data) {
  const r = data.report;
  renderHead(r);
  renderCards(r);
  renderCharts(data.charts);
  renderHeat(data.charts.heatmap);
  renderItems(r);
  renderTabs(r);
  renderFlags(r.flags);
  renderCitizens(r.citizens);
  renderOfficial(data.official, data.official_text);
  exportLinks(r);
}

function renderHead(r) {
  $("rp-title").textContent = `${EN ? r.period.label_en : r.period.label} – ${EN && r.office_en ? r.office_en : r.office}`;
  const f = r.filters, parts = [];
  if (f.service) parts.push(`${S.service}: ${nameOf(PAGE.services, f.service)}`);
  if (f.desk) parts.push(`${S.desk}: ${nameOf(PAGE.desks, f.desk)}`);
  if (f.clerk) parts.push(`${S.clerk}: ${nameOf(PAGE.clerks, f.clerk)}`);
  if (f.source) parts.push(`${S.rep_source}: ${nameOf(PAGE.sources, f.source)}`);
  const made = new Date(r.generated_at);
  $("rp-sub").textContent = `${parts.length ? parts.join(" · ") : S.rep_whole_office} · ${fill(S.rep_made_at, { t: `${ddmmyyyy(made)} ${hhmm(r.generated_at)}` })}`;
  const legend = [];
  if (r.previous) legend.push(`${S.rep_vs_prev}: ${EN ? r.previous.period.label_en : r.previous.period.label}`);
  if (r.last_year) legend.push(`${S.rep_vs_last_year}: ${EN ? r.last_year.period.label_en : r.last_year.period.label}`);
  $("rp-compare-legend").textContent = legend.join(" · ");
}

// Headline figures: value(f) reads the compared number, show(f) the big text.
const CARDS = [
  { id: "satisfaction", label: () => S.rep_satisfaction, value: (f) => f.satisfaction_pct, show: (f) => pct(f.satisfaction_pct), unit: "pts", better: 1, sub: targetText },
  { id: "response", label: () => S.rep_response, value: (f) => f.response_rate_pct, show: (f) => pct(f.response_rate_pct), unit: "pts", better: 1, sub: (f) => fill(S.rep_response_sub, { r: num(f.ratings, 0), s: num(f.served, 0) }) },
  { id: "served", label: () => S.rep_served, value: (f) => f.served, show: (f) => num(f.served, 0), unit: "count", better: 0, sub: (f) => fill(S.rep_visits_sub, { i: num(f.issued, 0), n: num(f.no_show, 0), t: num(f.transferred, 0), c: num(f.cancelled, 0), o: num(f.carried_over, 0) }) },
  { id: "wait", label: () => S.rep_wait, value: (f) => f.wait.mean_s, show: (f) => `${mins(f.wait.mean_s)} · ${mins(f.wait.median_s)} · ${mins(f.wait.p90_s)}`, unit: "min", better: -1, sub: () => S.rep_mmp, small: true },
  { id: "service-level", label: () => S.rep_service_level, value: (f) => f.service_level_pct, show: (f) => pct(f.service_level_pct), unit: "pts", better: 1 },
  { id: "service-time", label: () => S.rep_service_time, value: (f) => f.service.mean_s, show: (f) => `${mins(f.service.mean_s)} · ${mins(f.service.median_s)} · ${mins(f.service.p90_s)}`, unit: "min", better: 0, sub: () => S.rep_mmp, small: true },
  { id: "idle", label: () => S.rep_idle, value: (f) => f.idle_while_waiting_s, show: (f) => hours(f.idle_while_waiting_s), unit: "hours", better: -1, sub: () => S.rep_idle_sub },
];

function targetText(f) {
  if (f.target_pct == null) return S.rep_no_target;
  const year = current ? current.report.period.end.slice(0, 4) : "";
  const line = fill(S.rep_target, { y: year, p: num(f.target_pct, f.target_pct % 1 ? 1 : 0) });
  return f.meets_target == null ? line : `${line} — ${f.meets_target ? S.rep_met : S.rep_not_met}`;
}

// A period with neither visits nor ratings has nothing to compare with (not zeros).
const hasData = (f) => f.issued > 0 || f.ratings > 0;

function difference(card, now, then, label) {
  const a = card.value(now), b = then && hasData(then.figures) ? card.value(then.figures) : null;
  if (a == null || b == null) return el("div", { class: "rp-cmp muted" }, `${label}: ${S.rep_no_compare}`);
  const d = a - b;
  const arrow = d > 0 ? "▲" : d < 0 ? "▼" : "=";
  let amount;
  if (card.unit === "pts") amount = `${num(Math.abs(d))} ${S.rep_points}`;
  else if (card.unit === "min") amount = `${num(Math.abs(d) / 60)} ${S.minutes}`;
  else if (card.unit === "hours") amount = hours(Math.abs(d));
  else amount = num(Math.abs(d), 0);
  const cls = !card.better || d === 0 ? "" : d * card.better > 0 ? "good" : "bad";
  return el("div", { class: "rp-cmp", title: EN ? then.period.label_en : then.period.label },
    el("span", { class: cls }, `${arrow} ${amount}`), ` ${label}`);
}

function renderCards(r) {
  const f = r.total;
  const cards = CARDS.map((c) => {
    let cls = "card rp-card";
    if (c.id === "satisfaction" && f.meets_target != null) cls += f.meets_target ? " ok" : " below";
    const value = c.value(f);
    return el("div", { class: cls, id: "card-" + c.id, "data-value": value == null ? "" : String(value) },
      el("div", { class: "rp-card-label" }, c.label()),
      el("div", { class: c.small ? "rp-card-value triple" : "rp-card-value" }, c.show(f)),
      c.sub ? el("div", { class: "rp-card-sub" }, c.sub(f)) : null,
      difference(c, f, r.previous, S.rep_vs_prev),
      difference(c, f, r.last_year, S.rep_vs_last_year));
  });
  cards.push(levelsCard(f), sourcesCard(f, r.letters, r.citizens));
  $("rp-cards").replaceChildren(...cards);
}

function pairs(entries) {
  return el("ul", { class: "rp-pairs" }, ...entries.map(([k, v]) => el("li", {}, el("span", {}, k), el("b", {}, num(v, 0)))));
}

function levelsCard(f) {
  const official = Object.keys(PAGE.levels).map((k) => [PAGE.levels[k], f.levels[k] || 0]);
  const raw = ["neutral", "dissatisfied", "very_dissatisfied"].filter((k) => f.raw_levels[k]).map((k) => [PAGE.raw_levels[k], f.raw_levels[k]]);
  return el("div", { class: "card rp-card", id: "card-levels" },
    el("div", { class: "rp-card-label" }, S.rep_levels),
    pairs(official),
    raw.length ? el("div", { class: "rp-card-sub" }, S.rep_raw_col + ":") : null,
    raw.length ? pairs(raw) : null,
    f.partial ? el("div", { class: "rp-card-sub" }, `${num(f.partial, 0)} ${S.rep_partial}`) : null);
}

function sourcesCard(f, letters, said) {
  const sources = PAGE.sources.filter((s) => f.by_source[s.id]).map((s) => [s.name, f.by_source[s.id]]);
  return el("div", { class: "card rp-card", id: "card-letters" },
    el("div", { class: "rp-card-label" }, S.rep_by_source),
    sources.length ? pairs(sources) : el("div", { class: "muted" }, "—"),
    el("div", { class: "rp-card-label rp-gap" }, S.rep_letters),
    pairs([[S.rep_apology, letters.apology], [S.rep_thanks, letters.thanks]]),
    citizensPairs(said));
}

// ------------------------------------------------------------------ charts

const BLUE = "#0b57d0", RED = "#c5221f", GREEN = "#13795b", ORANGE = "#d9822b", GREY = "#9aa5b1";
const charts = {};
if (window.Chart) {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = Math.round(0.75 * parseFloat(getComputedStyle(document.documentElement).fontSize));
  Chart.defaults.color = "#14202b";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
}

// Long item names on two or three lines under their bar.
function wrap(text, width = 16) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last !== null && (last + " " + word).length <= width) lines[lines.length - 1] = last + " " + word;
    else lines.push(word);
  }
  return lines;
}

function draw(id, title, empty, config) {
  $(id + "-title").textContent = title;
  const box = $(id).parentElement, note = box.nextElementSibling;
  if (charts[id]) { charts[id].destroy(); delete charts[id]; }
  box.hidden = empty;
  note.hidden = !empty;
  note.textContent = empty ? S.rep_no_data : "";
  if (!empty && window.Chart) charts[id] = new Chart($(id), config);
}

function yFloor(values) {
  const known = values.filter((v) => v != null);
  return known.length ? Math.max(0, Math.floor((Math.min(...known) - 5) / 10) * 10) : 0;
}

function renderCharts(c) {
  const t = c.trend;
  const tValues = [...t.satisfaction_pct, ...t.target_pct];
  draw("ch-trend", t.title, !t.satisfaction_pct.some((v) => v != null), {
    type: "line",
    data: {
      labels: t.labels,
      datasets: [
        { label: t.y_label, data: t.satisfaction_pct, borderColor: BLUE, backgroundColor: BLUE, spanGaps: true,
          pointRadius: t.labels.length > 45 ? 1 : 3, pointStyle: t.small_sample.map((s) => (s ? "rectRot" : "circle")) },
        { label: t.target_label, data: t.target_pct, borderColor: RED, borderDash: [6, 4], pointRadius: 0, stepped: "middle", borderWidth: 2 },
      ],
    },
    options: {
      scales: { y: { min: yFloor(tValues), max: 100, title: { display: true, text: t.y_label } } },
      plugins: { tooltip: { callbacks: { afterLabel: (ctx) => (ctx.datasetIndex === 0 ? `${S.ratings}: ${num(t.ratings[ctx.dataIndex], 0)}` : "") } } },
    },
  });

  const k = c.clerks;
  const colours = k.satisfaction_pct.map((v, i) => (k.small_sample[i] ? GREY : k.target_pct != null && v != null && v < k.target_pct ? ORANGE : GREEN));
  const datasets = [{ type: "bar", label: k.y_label, data: k.satisfaction_pct, backgroundColor: colours }];
  if (k.target_pct != null) datasets.push({ type: "line", label: k.target_label, data: k.labels.map(() => k.target_pct), borderColor: RED, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 });
  $("ch-clerks").parentElement.style.height = `${Math.max(16, 3 + 2 * k.labels.length)}rem`;
  draw("ch-clerks", k.title, !k.satisfaction_pct.some((v) => v != null), {
    type: "bar",
    data: { labels: k.labels.map((l, i) => (k.small_sample[i] ? `${l} *` : l)), datasets },
    options: {
      indexAxis: "y",
      scales: { x: { min: yFloor([...k.satisfaction_pct, k.target_pct]), max: 100, title: { display: true, text: k.y_label } } },
      plugins: { tooltip: { callbacks: { afterLabel: (ctx) => (ctx.datasetIndex === 0 ? `${S.ratings}: ${num(k.ratings[ctx.dataIndex], 0)}` : "") } } },
    },
  });
  $("ch-clerks-note").textContent = k.small_sample.some(Boolean) ? `* ${k.small_sample_label}` : "";

  pareto("ch-reasons", c.reasons, RED);
  pareto("ch-praised", c.praised, GREEN);
}

// Horizontal Pareto: the items most often given first, full names readable; the
// cumulative % runs along the top axis.
function pareto(id, p, colour) {
  $(id).parentElement.style.height = `${Math.max(14, 5 + 2 * p.labels.length)}rem`;
  draw(id, p.title, p.total === 0, {
    type: "bar",
    data: {
      labels: p.labels.map((l) => wrap(l, 26)),
      datasets: [
        { type: "bar", label: p.y_label, data: p.counts, backgroundColor: colour, xAxisID: "x", order: 2 },
        { type: "line", label: p.cumulative_label, data: p.cumulative_pct, borderColor: "#14202b", backgroundColor: "#14202b", xAxisID: "x1", order: 1, pointRadius: 3 },
      ],
    },
    options: {
      indexAxis: "y",
      scales: {
        x: { beginAtZero: true, title: { display: true, text: p.y_label }, ticks: { precision: 0 } },
        x1: { position: "top", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: p.cumulative_label } },
        y: { ticks: { autoSkip: false } },
      },
    },
  });
}

// ------------------------------------------------------------------ heat map

function renderHeat(h) {
  for (const b of $("rp-heat-mode").querySelectorAll("button")) b.classList.toggle("on", b.dataset.heat === state.heat);
  const wait = state.heat === "wait";
  const values = wait ? h.wait_mean_min : h.arrivals;
  const peak = Math.max(0, ...values.flat().filter((v) => v != null));
  const head = el("tr", {}, el("th", {}, h.hour_label), ...h.hours.map((hr) => el("th", { class: "num" }, `${pad2(hr)}h`)));
  const rows = h.rows.map((day, d) => el("tr", {}, el("th", {}, day), ...values[d].map((v) => heatCell(v, peak, wait))));
  $("rp-heat").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  $("rp-heat").dataset.mode = state.heat;
}

function heatCell(v, peak, wait) {
  const td = el("td", { class: "num" }, v ? (wait ? num(v) : num(v, 0)) : "");
  if (v && peak) {
    const a = 0.12 + 0.88 * (v / peak);
    td.style.backgroundColor = wait ? `rgba(197, 34, 31, ${a.toFixed(2)})` : `rgba(11, 87, 208, ${a.toFixed(2)})`;
    if (a > 0.55) td.style.color = "#fff";
  }
  return td;
}

// ------------------------------------------------------------------ conduct items by clerk / service

// One row per conduct item (reasons: all 13; praise: the 8 of 4 Xin / 4 Luôn), the most
// frequent first (ties: the conduct model's order); one column per clerk or service, in
// the report's order, then the total. A cell is tinted by its share of its column's
// largest count. The same table as the Excel and PDF exports (server/reports/conduct_matrix.py).
function renderItems(r) {
  const by = state.itemsBy, kind = state.items;
  for (const b of $("rp-items-by").querySelectorAll("button")) b.classList.toggle("on", b.dataset.by === by);
  for (const b of $("rp-items-kind").querySelectorAll("button")) b.classList.toggle("on", b.dataset.kind === kind);
  const table = $("rp-items");
  const columns = r.by[by] || [];
  table.dataset.by = by;
  table.dataset.kind = kind;
  if (!columns.length) {
    table.replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "muted" }, S.rep_no_data))));
    return;
  }
  const lines = PAGE.conduct.filter((item) => kind === "reasons" || item.praise).map((item, order) => {
    const counts = columns.map((row) => row.figures[kind][item.code] || 0);
    return { item, order, counts, total: counts.reduce((a, b) => a + b, 0) };
  }).sort((a, b) => b.total - a.total || a.order - b.order);
  const peaks = columns.map((_, j) => Math.max(0, ...lines.map((l) => l.counts[j])));
  const peakTotal = Math.max(0, ...lines.map((l) => l.total));
  const rgb = kind === "reasons" ? "197, 34, 31" : "19, 121, 91";
  const head = el("tr", {},
    el("th", {}, S.rep_items_item),
    el("th", {}, S.rep_items_group),
    ...columns.map((row) => el("th", { class: "num", "data-key": row.key }, EN && row.label_en ? row.label_en : row.label)),
    el("th", { class: "num total", "data-key": "total" }, S.rep_items_total));
  const rows = lines.map((l) => el("tr", { "data-code": l.item.code },
    el("td", { class: "rp-item" }, l.item.name),
    el("td", { class: "muted nowrap" }, l.item.group),
    ...l.counts.map((n, j) => countCell(n, peaks[j], rgb, columns[j].key)),
    countCell(l.total, peakTotal, rgb, "total")));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function countCell(n, peak, rgb, key) {
  const cls = "num" + (key === "total" ? " total" : "") + (n ? "" : " zero");
  const td = el("td", { class: cls, "data-key": key, "data-value": String(n) }, n ? num(n, 0) : "·");
  if (n && peak) td.style.backgroundColor = `rgba(${rgb}, ${(0.06 + 0.34 * (n / peak)).toFixed(2)})`;
  return td;
}

// ------------------------------------------------------------------ breakdowns

// [column key (its header is the exports' one), kind, value]
const COLUMNS = [
  ["served", "int", (f) => f.served],
  ["wait_mean", "min", (f) => f.wait.mean_s],
  ["wait_p90", "min", (f) => f.wait.p90_s],
  ["service_level", "pct", (f) => f.service_level_pct],
  ["service_mean", "min", (f) => f.service.mean_s],
  ["idle_while_waiting", "min0", (f) => f.idle_while_waiting_s],
  ["ratings", "int", (f) => f.ratings],
];
// The official levels, then the levels pressed on 4- and 5-face pads that count as
// "Không hài lòng", beside them.
const OFFICIAL = ["very_satisfied", "satisfied", "dissatisfied"];
const RAW = ["neutral", "dissatisfied", "very_dissatisfied"];
const AFTER = [
  ["satisfaction", "pct", (f) => f.satisfaction_pct],
  ["response_rate", "pct", (f) => f.response_rate_pct],
];

function cellText(kind, v) {
  if (kind === "int") return num(v, 0);
  if (kind === "pct") return v == null ? "—" : num(v);
  if (kind === "min") return mins(v);
  return num(Math.round((v || 0) / 60), 0);
}

function renderTabs(r) {
  const by = state.by || "clerk";
  $("rp-tabs").replaceChildren(...VIEWS.filter((v) => r.by[v]).map((v) => {
    const b = el("button", { type: "button", class: v === by ? "on" : "", "data-view": v }, PAGE.views[v]);
    b.addEventListener("click", () => { state.by = v; writeAddress(); renderTabs(current.report); exportLinks(current.report); });
    return b;
  }));
  $("rp-small-note").textContent = fill(S.rep_small_note, { n: PAGE.small_sample });
  renderTable(r, by);
}

function tableHead(by, ranked) {
  const span2 = (text, cls) => el("th", { class: cls || "", rowSpan: 2 }, text);
  const top = el("tr", {},
    ranked ? span2(S.rep_rank, "num") : null,
    span2(PAGE.keys[by]),
    ...COLUMNS.map(([key]) => span2(PAGE.columns[key], "num")),
    el("th", { class: "group", colSpan: OFFICIAL.length }, S.rep_official_levels),
    el("th", { class: "group raw", colSpan: RAW.length }, S.rep_raw_col),
    ...AFTER.map(([key]) => span2(PAGE.columns[key], "num")));
  const sub = el("tr", {},
    ...OFFICIAL.map((k) => el("th", { class: "num" }, PAGE.levels[k])),
    ...RAW.map((k) => el("th", { class: "num raw" }, PAGE.raw_levels[k])));
  return el("thead", {}, top, sub);
}

function tableRow(row, total, ranked) {
  const f = row.figures;
  const name = el("td", { class: "rp-name" }, total ? S.rep_total : EN && row.label_en ? row.label_en : row.label);
  if (f.small_sample && f.ratings > 0) name.append(" ", el("span", { class: "badge small" }, S.rep_small));
  const cell = (key, kind, v, extra) => el("td", { class: "num" + (extra || ""), "data-col": key }, cellText(kind, v));
  const sat = f.satisfaction_pct, target = f.target_pct;
  const attrs = total ? { class: "total" } : { class: f.small_sample && f.ratings > 0 ? "small" : "", "data-key": row.key };
  return el("tr", attrs,
    ranked ? el("td", { class: "num" }, total || row.rank == null ? "" : String(row.rank)) : null,
    name,
    ...COLUMNS.map(([key, kind, get]) => cell(key, kind, get(f))),
    ...OFFICIAL.map((k) => cell(k, "int", f.levels[k] || 0)),
    ...RAW.map((k) => cell("raw_" + k, "int", f.raw_levels[k] || 0, " raw")),
    cell("satisfaction", "pct", sat, sat == null || target == null ? "" : sat >= target ? " good" : " bad"),
    cell("response_rate", "pct", f.response_rate_pct));
}

function renderTable(r, by) {
  const ranked = by === "clerk" || by === "service";
  const rows = (r.by[by] || []).map((row) => tableRow(row, false, ranked));
  rows.push(tableRow({ figures: r.total }, true, ranked));
  $("rp-table").replaceChildren(tableHead(by, ranked), el("tbody", {}, ...rows));
  $("rp-table").dataset.view = by;
}

// ------------------------------------------------------------------ flags

function renderFlags(flags) {
  const head = el("tr", {}, ...[S.rep_flag_kind, S.desk, S.clerk, S.rep_count, S.rep_when, S.rep_delta, S.rep_detail].map((h, i) => el("th", { class: i === 3 || i === 5 ? "num" : "" }, h)));
  if (!flags.length) {
    $("rp-flags").replaceChildren(el("tbody", {}, el("tr", {}, el("td", { class: "muted", colSpan: 7 }, S.rep_no_flags))));
    return;
  }
  const rows = flags.map((f) => {
    const first = new Date(f.first_at), last = new Date(f.last_at);
    const sameDay = ddmmyyyy(first) === ddmmyyyy(last);
    const when = `${ddmmyyyy(first)} ${hhmm(f.first_at)} – ${sameDay ? "" : ddmmyyyy(last) + " "}${hhmm(f.last_at)}`;
    const delta = f.delta_pct == null ? "—" : `${f.delta_pct > 0 ? "+" : f.delta_pct < 0 ? "−" : "±"}${num(Math.abs(f.delta_pct))}`;
    return el("tr", { class: "flag" },
      el("td", {}, PAGE.flag_kinds[f.kind] || f.kind),
      el("td", {}, f.desk_id ? nameOf(PAGE.desks, f.desk_id) : ""),
      el("td", {}, f.clerk_id ? nameOf(PAGE.clerks, f.clerk_id) : ""),
      el("td", { class: "num" }, num(f.count, 0)),
      el("td", { class: "nowrap" }, when),
      el("td", { class: "num" }, delta),
      el("td", {}, EN ? f.detail_en : f.detail));
  });
  $("rp-flags").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

// ------------------------------------------------------------------ citizens' comments and suggestions
// Everything a citizen typed is put in with textContent (el), never as markup. The
// contact left with a suggestion is shown here, to supervisors (a clerk's report has no
// suggestions: they are not tied to a clerk); the PDF leaves it out.

const CIT = PAGE.citizens;

// In the sources card: how many comments, and how many suggestions wait for an answer.
function citizensPairs(c) {
  const lines = [[CIT.words.comments, c.comments_total]];
  if (c.suggestions) lines.push([CIT.counts.open, c.suggestions.open]);
  const list = pairs(lines);
  list.id = "card-citizens";
  return el("div", {}, el("div", { class: "rp-card-label rp-gap" }, CIT.title), list);
}

function when(iso) {
  return `${ddmmyyyy(new Date(iso))} ${hhmm(iso)}`;
}

function citHead(keys) {
  return el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", {}, CIT.heads[k]))));
}

function emptyBody(span) {
  return el("tbody", {}, el("tr", {}, el("td", { class: "muted", colSpan: span }, CIT.words.none)));
}

function more(id, count, shown, key) {
  const rest = count - shown;
  $(id).hidden = rest <= 0;
  $(id).textContent = rest > 0 ? fill(CIT.words[key], { n: num(rest, 0) }) : "";
}

function renderCitizens(c) {
  $("rp-cit-title").textContent = CIT.title;
  $("rp-comments-title").textContent = CIT.words.comments;
  const ckeys = ["when", "number", "service", "desk", "clerk", "level", "source", "text"];
  const crow = (x) => el("tr", { class: "comment" },
    el("td", { class: "nowrap" }, when(x.at)),
    el("td", {}, x.number),
    el("td", {}, nameOf(PAGE.services, x.service)),
    el("td", {}, x.desk_id ? nameOf(PAGE.desks, x.desk_id) : ""),
    el("td", {}, x.clerk_id ? nameOf(PAGE.clerks, x.clerk_id) : ""),
    el("td", {}, PAGE.raw_levels[x.level_raw] || PAGE.levels[x.level] || x.level_raw),
    el("td", {}, nameOf(PAGE.sources, x.source)),
    el("td", { class: "rp-said" }, x.text));
  $("rp-comments").replaceChildren(citHead(ckeys), c.comments.length ? el("tbody", {}, ...c.comments.map(crow)) : emptyBody(ckeys.length));
  more("rp-comments-more", c.comments_total, c.comments.length, "more_comments");

  const n = c.suggestions;
  $("rp-sugg-part").hidden = !n && IS_CLERK;
  $("rp-sugg-title").textContent = CIT.words.suggestions;
  if (!n) {
    $("rp-sugg-counts").textContent = CIT.not_applicable;
    $("rp-suggestions").replaceChildren();
    more("rp-sugg-more", 0, 0, "more_suggestions");
    return;
  }
  $("rp-sugg-counts").replaceChildren(...["received", "handled", "open"].flatMap((k, i) => [i ? " · " : "", `${CIT.counts[k]}: `, el("b", {}, num(n[k], 0))]));
  $("rp-sugg-counts").classList.add("rp-counts");
  const skeys = ["when", "service", "status", "text", "contact", "note"];
  const srow = (x) => el("tr", { class: x.handled_at ? "suggestion handled" : "suggestion open" },
    el("td", { class: "nowrap" }, when(x.received_at)),
    el("td", {}, x.service ? nameOf(PAGE.services, x.service) : ""),
    el("td", { class: "rp-status" }, x.handled_at ? `${CIT.words.handled} ${when(x.handled_at)}` : CIT.words.open),
    el("td", { class: "rp-said" }, x.text),
    el("td", { class: "rp-contact" }, x.contact || ""),
    el("td", { class: "rp-said" }, x.handled_note || ""));
  $("rp-suggestions").replaceChildren(citHead(skeys), c.suggestion_items.length ? el("tbody", {}, ...c.suggestion_items.map(srow)) : emptyBody(skeys.length));
  more("rp-sugg-more", n.received, c.suggestion_items.length, "more_suggestions");
}

// ------------------------------------------------------------------ official table

function renderOfficial(t, words) {
  $("doc-parent").textContent = (t.parent_unit || "").toUpperCase();
  $("doc-office").textContent = t.office.toUpperCase();
  $("doc-nation").textContent = words.nation;
  $("doc-motto").textContent = words.motto;
  $("doc-title").textContent = t.title;
  $("doc-period").textContent = t.period_label;
  $("doc-target").textContent = words.target_line;
  $("doc-footnote").textContent = words.footnote;
  $("doc-date").textContent = words.date_line;
  $("doc-signer-left").textContent = t.signer_left.toUpperCase();
  $("doc-signer-right").textContent = t.signer_right.toUpperCase();
  $("doc-hint-left").textContent = words.sign_hint_left;
  $("doc-hint-right").textContent = words.sign_hint_right;
  const head = el("tr", {}, ...words.headers.map((h) => el("th", {}, h)));
  const numbers = el("tr", { class: "col-no" }, ...words.column_numbers.map((n) => el("th", {}, n)));
  const line = (row, total) => el("tr", { class: total ? "total" : "", "data-clerk": row.clerk_id },
    el("td", { class: "c" }, row.no ? String(row.no) : ""),
    el("td", {}, row.name),
    el("td", { class: "num" }, num(row.ratings, 0)),
    el("td", { class: "num" }, num(row.very_satisfied, 0)),
    el("td", { class: "num" }, num(row.satisfied, 0)),
    el("td", { class: "num" }, num(row.dissatisfied, 0)),
    el("td", { class: "num", "data-col": "pct" }, num(row.satisfaction_pct)),
    el("td", { class: "c" }, EN && row.grade_en ? row.grade_en : row.grade),
    el("td", { class: row.small_sample ? "small-note" : "" }, row.small_sample ? words.small_sample_note : ""));
  $("doc-table").replaceChildren(el("thead", {}, head, numbers), el("tbody", {}, ...t.rows.map((r) => line(r, false)), line(t.total, true)));
}

// ------------------------------------------------------------------ start

setupControls();
readAddress();
fillControls();
writeAddress(true);
load();
window.addEventListener("popstate", () => { readAddress(); fillControls(); load(); });
