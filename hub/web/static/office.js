// One office's dashboard on the hub, read-only: queues, desks, today's figures per desk,
// devices, alerts and the latest ratings; refreshed every few seconds from
// /api/offices/{code}. What came from the office is set as text, never as HTML.
"use strict";

const S = PAGE.strings;
const C = PAGE.conduct;
let d = PAGE.office;

const pct = (v) => (v == null ? "—" : v.toFixed(1).replace(/\.0$/, "") + " %");
const fill = (s, v) => Object.entries(v).reduce((a, [k, x]) => a.replace(`{${k}}`, x), s);
const cls = (v, t) => (v == null || t == null ? "" : v >= t ? "good" : "bad");
const deskName = (id) => (d.desk_names || {})[id] || id;
const serviceName = (code) => ((d.services || {})[code] || {}).name || code;

function renderHead() {
  const state = document.getElementById("office-state");
  state.textContent = d.online ? S.hub_online : d.last_contact ? S.hub_offline : S.hub_never;
  state.className = "badge " + (d.online ? "ok" : "off bad-badge");
  document.getElementById("office-contact").textContent = d.last_contact_text ? `${S.hub_last_contact}: ${d.last_contact_text}` : "";
  document.getElementById("office-backlog").textContent = d.backlog ? fill(S.hub_backlog_n, { n: d.backlog }) : "";
  document.getElementById("no-config").hidden = d.has_config;
  document.getElementById("office-grid").hidden = !d.has_config;
  document.getElementById("kpi-card").hidden = !d.has_config;
}

function renderAlerts() {
  const ul = document.getElementById("alerts");
  document.getElementById("alerts-card").classList.toggle("has-alerts", d.alerts.length > 0);
  if (!d.alerts.length) { ul.replaceChildren(el("li", { class: "muted" }, S.no_alerts)); return; }
  ul.replaceChildren(...d.alerts.map((a) => el("li", { class: "alert warning", "data-code": a.code }, PAGE.lang === "en" ? a.en || a.vi : a.vi)));
}

function renderKpi() {
  const k = d.kpi, target = d.target_pct;
  document.getElementById("target").textContent = target == null ? "" : fill(S.year_target, { y: d.year, p: target });
  const box = (id, value, label, c) => el("div", { class: "kpi-box " + (c || ""), id }, el("div", { class: "kpi-value" }, value), el("div", { class: "kpi-label" }, label));
  document.getElementById("kpi").replaceChildren(
    box("kpi-satisfaction", pct(k.satisfaction_pct), S.satisfaction, cls(k.satisfaction_pct, target)),
    box("kpi-waiting", String(k.waiting), S.waiting),
    box("kpi-served", String(k.served), S.served),
    box("kpi-ratings", String(k.ratings), S.ratings),
    box("kpi-response", pct(k.response_rate_pct), S.response_rate));
}

function renderQueues() {
  document.querySelector("#queues tbody").replaceChildren(...d.queues.map((q) => {
    const target = (d.services[q.service] || {}).target_wait_minutes;
    const late = q.longest_wait_s != null && target != null && q.longest_wait_s > target * 60;
    return el("tr", { "data-service": q.service },
      el("td", {}, serviceName(q.service)),
      el("td", { class: "num waiting" }, String(q.waiting), q.waiting_priority ? ` (${S.priority_waiting} ${q.waiting_priority})` : ""),
      el("td", { class: "numbers next" }, q.next_numbers.join(" ") || "—"),
      el("td", { class: late ? "num bad" : "num" }, `${minutes(q.longest_wait_s)} / ${target}`),
      el("td", { class: "num" }, String(q.open_desks)));
  }));
}

function renderDesks() {
  document.querySelector("#desks tbody").replaceChildren(...d.desks.map((k) => {
    let state = S.closed, c = "muted";
    if (k.open && k.paused) { state = `${S.desk_paused}: ${k.pause_reason || ""}`; c = "warn"; }
    else if (k.open && k.serving) { state = `${S.serving} ${k.serving.number}`; c = "good"; }
    else if (k.open) { state = S.desk_open; c = ""; }
    return el("tr", { "data-desk": k.desk_id },
      el("td", {}, deskName(k.desk_id)),
      el("td", { class: "clerk" }, k.clerk ? k.clerk.name : "—"),
      el("td", { class: "state " + c }, state));
  }));
  const mins = (s) => (s == null ? "—" : (s / 60).toFixed(1).replace(/\.0$/, "") + " " + S.minutes);
  document.querySelector("#desk-stats tbody").replaceChildren(...d.stats.map((k) =>
    el("tr", { "data-desk": k.desk_id },
      el("td", {}, deskName(k.desk_id)),
      el("td", { class: "num served" }, String(k.served)),
      el("td", { class: "num" }, String(k.no_show)),
      el("td", { class: "num" }, String(k.ratings)),
      el("td", { class: "num " + cls(k.satisfaction_pct, k.target_pct) }, pct(k.satisfaction_pct)),
      el("td", { class: "num" }, pct(k.response_rate_pct)),
      el("td", { class: "num" }, mins(k.wait_mean_s)),
      el("td", { class: "num" }, mins(k.service_mean_s)))));
}

function renderDevices() {
  document.querySelector("#devices tbody").replaceChildren(...d.devices.map((v) => {
    const printer = v.printer ? (S["printer_" + v.printer] || v.printer) : "";
    const pc = !v.printer || v.printer === "ok" ? "" : v.printer === "paper_near_end" ? "warn" : "bad";
    return el("tr", { "data-device": v.id },
      el("td", {}, v.name),
      el("td", { class: "status " + (v.status === "online" ? "good" : v.status === "offline" ? "bad" : "muted") }, S[v.status] || v.status),
      el("td", { class: "printer " + pc }, printer),
      el("td", { class: "num" }, v.outbox_depth == null ? "" : String(v.outbox_depth)));
  }));
}

function conduct(r) {
  const items = r.praised.map((c) => `${S.praised}: ${C.items[c] || c}`);
  for (const c of r.reasons) items.push((C.violations.includes(c) ? "⚠ " : `⚠ ${S.missed}: `) + (C.items[c] || c));
  return items.join(" · ");
}

function renderRatings() {
  const list = document.getElementById("ratings");
  if (!d.ratings.length) { list.replaceChildren(el("li", { class: "muted" }, S.no_ratings)); return; }
  list.replaceChildren(...d.ratings.map((r) => el("li", { class: "rating " + (r.level !== "dissatisfied" ? "good" : "bad"), "data-ticket": r.ticket_id },
    el("span", { class: "r-time" }, hhmm(r.received_at)),
    el("span", { class: "r-level" }, C.raw_levels[r.level_raw] || C.levels[r.level]),
    el("span", { class: "r-who" }, `${r.number} · ${deskName(r.desk_id)}${r.clerk_name ? " · " + r.clerk_name : ""}`),
    el("span", { class: "r-source", "data-source": r.source }, S["src_" + r.source] || r.source),
    el("span", { class: "r-conduct muted" }, conduct(r), r.partial ? ` (${S.partial})` : ""),
    r.comment ? el("span", { class: "r-comment" }, `“${r.comment}”`) : null)));
}

function render() {
  renderHead(); renderAlerts();
  if (!d.has_config) return;
  renderKpi(); renderQueues(); renderDesks(); renderDevices(); renderRatings();
}

async function refresh() {
  const banner = document.getElementById("offline");
  try {
    const r = await fetch("/api/offices/" + encodeURIComponent(PAGE.code), { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
    if (!r.ok) throw new Error(String(r.status));
    d = await r.json();
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
