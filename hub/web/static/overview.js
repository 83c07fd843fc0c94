// The province overview: every office the account may see, grouped, ranked by the
// chosen figure, with group totals and the province total; refreshed every few seconds
// from /api/overview. Office names and alerts are set as text, never as HTML.
"use strict";

const S = PAGE.strings;
let data = PAGE.overview;
let sortKey = localStorage.getItem("hub-sort") || "satisfaction";

const pct = (v) => (v == null ? "—" : v.toFixed(1).replace(/\.0$/, "") + " %");
const fill = (s, v) => Object.entries(v).reduce((a, [k, x]) => a.replace(`{${k}}`, x), s);

// Higher first; an office without ratings today ranks after those with some.
function keyOf(o) {
  if (sortKey === "waiting") return o.waiting;
  if (sortKey === "served") return o.served;
  return o.satisfaction_pct == null ? -1 : o.satisfaction_pct;
}
function byKey(a, b) { return keyOf(b) - keyOf(a) || a.name.localeCompare(b.name, "vi"); }
function vsTarget(value, target) { return value == null || target == null ? "" : value >= target ? "good" : "bad"; }

function stateCell(o) {
  const [label, cls] = o.online ? [S.hub_online, "ok"] : o.last_contact ? [S.hub_offline, "off bad-badge"] : [S.hub_never, "off"];
  return el("td", { class: "state" }, el("span", { class: "badge " + cls }, label));
}

function alertsCell(alerts) {
  if (!alerts.length) return el("td", { class: "muted" }, "—");
  return el("td", { class: "hub-alerts" }, ...alerts.map((a) =>
    el("div", { class: "alert warning", "data-code": a.code }, "⚠ " + (PAGE.lang === "en" ? a.en || a.vi : a.vi))));
}

function officeRow(o, rank) {
  const tr = el("tr", { class: "office-row" + (o.online ? "" : " is-offline"), "data-code": o.code },
    el("td", { class: "num rank" }, String(rank)),
    el("td", { class: "name" }, el("a", { href: "/offices/" + encodeURIComponent(o.code) }, o.name), el("span", { class: "code muted" }, " " + o.code)),
    stateCell(o),
    el("td", { class: "contact nowrap" }, o.last_contact_text || "—"),
    el("td", { class: "num waiting" }, String(o.waiting)),
    el("td", { class: "num served" }, String(o.served)),
    el("td", { class: "num satisfaction " + vsTarget(o.satisfaction_pct, o.target_pct) },
      pct(o.satisfaction_pct), el("span", { class: "muted small" }, " " + fill(S.hub_ratings_n, { n: o.ratings }))),
    el("td", { class: "num target" }, o.target_pct == null ? "—" : o.target_pct + " %"),
    alertsCell(o.alerts),
    el("td", { class: "num backlog" + (o.backlog ? " warn" : "") }, o.backlog ? String(o.backlog) : "—"));
  return tr;
}

function totalRow(label, f, cls, attrs) {
  return el("tr", { class: cls, ...attrs },
    el("td", {}, ""),
    el("td", { class: "name" }, label),
    el("td", { class: "state" }, fill(S.hub_online_n, { n: f.online, m: f.offices })),
    el("td", {}, ""),
    el("td", { class: "num waiting" }, String(f.waiting)),
    el("td", { class: "num served" }, String(f.served)),
    el("td", { class: "num satisfaction " + vsTarget(f.satisfaction_pct, data.target_pct) },
      pct(f.satisfaction_pct), el("span", { class: "muted small" }, " " + fill(S.hub_ratings_n, { n: f.ratings }))),
    el("td", { class: "num" }, data.target_pct == null ? "—" : data.target_pct + " %"),
    el("td", {}, f.alerts ? "⚠ " + f.alerts : ""),
    el("td", { class: "num" + (f.backlog ? " warn" : "") }, f.backlog ? String(f.backlog) : "—"));
}

function renderProvince() {
  const t = data.total;
  const box = (id, value, label, cls) => el("div", { class: "kpi-box " + (cls || ""), id },
    el("div", { class: "kpi-value" }, value), el("div", { class: "kpi-label" }, label));
  document.getElementById("province").replaceChildren(
    box("kpi-online", `${t.online}/${t.offices}`, S.hub_online, t.online < t.offices ? "warn" : ""),
    box("kpi-waiting", String(t.waiting), S.hub_waiting),
    box("kpi-served", String(t.served), S.hub_served),
    box("kpi-satisfaction", pct(t.satisfaction_pct), S.hub_satisfaction + (data.target_pct == null ? "" : ` (${S.hub_target} ${data.target_pct} %)`),
      vsTarget(t.satisfaction_pct, data.target_pct)));
  document.getElementById("updated").textContent = fill(S.hub_updated, { t: data.generated_text });
}

function renderTable() {
  const table = document.getElementById("offices");
  for (const b of table.querySelectorAll("tbody")) b.remove();
  const ranks = new Map([...data.offices].sort(byKey).map((o, i) => [o.code, i + 1]));
  const byCode = new Map(data.offices.map((o) => [o.code, o]));
  if (!data.offices.length) {
    table.append(el("tbody", {}, el("tr", {}, el("td", { colSpan: 10, class: "muted" }, S.hub_no_offices))));
  }
  for (const g of data.groups) {
    const offices = g.codes.map((c) => byCode.get(c)).sort(byKey);
    const label = g.name || S.hub_no_group;
    table.append(el("tbody", { class: "group", "data-group": g.name },
      el("tr", { class: "group-head" }, el("th", { colSpan: 10 }, label)),
      ...offices.map((o) => officeRow(o, ranks.get(o.code))),
      totalRow(`${S.hub_group_total}: ${label}`, g.figures, "total group-total", { "data-group": g.name })));
  }
  if (data.groups.length > 1) {
    table.append(el("tbody", { class: "province" }, totalRow(S.hub_total, data.total, "total province-total", {})));
  }
  for (const th of document.querySelectorAll("th.sortable")) th.classList.toggle("sorted", th.dataset.sort === sortKey);
}

function render() { renderProvince(); renderTable(); }

const select = document.getElementById("sort");
select.value = sortKey;
select.onchange = () => { sortKey = select.value; localStorage.setItem("hub-sort", sortKey); renderTable(); };
for (const th of document.querySelectorAll("th.sortable")) {
  th.onclick = () => { select.value = th.dataset.sort; select.onchange(); };
}

async function refresh() {
  const banner = document.getElementById("offline");
  try {
    const r = await fetch("/api/overview", { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) { location.href = "/login?next=/"; return; }
    if (!r.ok) throw new Error(String(r.status));
    data = await r.json();
    banner.hidden = true;
    render();
  } catch (e) {
    banner.hidden = false;
  } finally {
    setTimeout(refresh, PAGE.refresh_s * 1000);
  }
}

render();
setTimeout(refresh, PAGE.refresh_s * 1000);
