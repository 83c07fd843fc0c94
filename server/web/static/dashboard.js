// The supervisor dashboard: queues, desks, devices, the live stream of ratings (with
// where each was given and a phone's comment), the suggestion box, today's satisfaction
// against this year's target, and the alerts — all pushed live. What citizens typed is
// only ever set as text (textContent), never as HTML.
"use strict";

const S = PAGE.strings;
const C = PAGE.conduct;
const st = { queues: {}, desks: {}, stats: {}, devices: {}, ratings: [], alerts: [], server: null, suggestions: [], sgOpen: 0 };
const MAX_RATINGS = 30;
// For tests and benchmarks: when each rating reached the page (ms since the epoch).
window.motcuaDash = { ratingAt: {} };
const pct = (v) => (v == null ? "—" : v.toFixed(1).replace(/\.0$/, "") + " %");

// A desk's name in the page's language (the page carries them; the live data has the
// Vietnamese one only).
function deskName(id, fallback) { return (PAGE.desks[id] || {}).name || fallback; }

function cls(ok) { return ok == null ? "" : ok ? "good" : "bad"; }

function renderQueues() {
  const body = document.querySelector("#queues tbody");
  body.replaceChildren(...Object.values(st.queues).map((q) => {
    const target = PAGE.services[q.service].target_wait_minutes;
    const late = q.longest_wait_s != null && q.longest_wait_s > target * 60;
    return el("tr", { "data-service": q.service },
      el("td", {}, PAGE.services[q.service].name),
      el("td", { class: "num" }, String(q.waiting), q.waiting_priority ? ` (${S.priority_waiting} ${q.waiting_priority})` : ""),
      el("td", { class: late ? "num bad" : "num" }, `${minutes(q.longest_wait_s)} / ${target}`),
      el("td", { class: "num" }, `${q.eta_minutes} ${S.minutes}`),
      el("td", { class: "num" }, String(q.open_desks)));
  }));
}

function waitingFor(desk) {
  return desk.services.some((s) => st.queues[s] && st.queues[s].waiting > 0);
}

function renderDesks() {
  const body = document.querySelector("#desks tbody");
  body.replaceChildren(...Object.values(st.desks).map((d) => {
    let state = S.closed, stateCls = "muted";
    if (d.open && d.paused) { state = `${S.desk_paused}: ${d.pause_reason || ""}`; stateCls = "warn"; }
    else if (d.open && d.serving) { state = `${S.serving} ${d.serving.number}`; stateCls = "good"; }
    else if (d.open && waitingFor(d)) { state = S.idle_waiting; stateCls = "bad"; }
    else if (d.open) { state = S.desk_open; stateCls = ""; }
    const k = st.stats[d.desk_id] || {};
    const target = k.target_pct;
    return el("tr", { "data-desk": d.desk_id },
      el("td", {}, deskName(d.desk_id, d.name)),
      el("td", {}, d.clerk ? d.clerk.name : "—"),
      el("td", { class: "state " + stateCls }, state),
      el("td", { class: "num" }, String(k.served ?? 0)),
      el("td", { class: "num " + cls(k.satisfaction_pct == null || target == null ? null : k.satisfaction_pct >= target) }, pct(k.satisfaction_pct)),
      el("td", { class: "num" }, pct(k.response_rate_pct)));
  }));
}

function renderKpi() {
  let served = 0, ratings = 0, satisfied = 0;
  for (const k of Object.values(st.stats)) { served += k.served; ratings += k.ratings; satisfied += k.satisfied; }
  const sat = ratings ? (100 * satisfied) / ratings : null;
  const resp = served ? (100 * ratings) / served : null;
  const target = PAGE.target_pct;
  document.getElementById("target").textContent = target == null ? "" : S.year_target.replace("{y}", PAGE.year).replace("{p}", target);
  document.getElementById("kpi").replaceChildren(
    el("div", { class: "kpi-box " + cls(sat == null || target == null ? null : sat >= target), id: "kpi-satisfaction" },
      el("div", { class: "kpi-value" }, pct(sat)), el("div", { class: "kpi-label" }, S.satisfaction)),
    el("div", { class: "kpi-box", id: "kpi-response" }, el("div", { class: "kpi-value" }, pct(resp)), el("div", { class: "kpi-label" }, S.response_rate)),
    el("div", { class: "kpi-box", id: "kpi-ratings" }, el("div", { class: "kpi-value" }, String(ratings)), el("div", { class: "kpi-label" }, S.ratings)),
    el("div", { class: "kpi-box", id: "kpi-served" }, el("div", { class: "kpi-value" }, String(served)), el("div", { class: "kpi-label" }, S.served)));
}

// The display board is a web page: it never connects to the broker, so its row says
// how many board pages are open (or when one last was) instead of "never seen".
function deviceStatus(v) {
  if (v.status !== "web_page") return S[v.status] || v.status;
  if (v.pages_open) return S.web_pages_open.replace("{n}", v.pages_open);
  if (v.page_seen) return S.web_page_seen.replace("{t}", hhmm(v.page_seen));
  return S.web_page;
}

function renderDevices() {
  const body = document.querySelector("#devices tbody");
  body.replaceChildren(...Object.values(st.devices).map((v) => {
    const printer = v.printer ? (S["printer_" + v.printer] || v.printer) : "";
    const pcls = !v.printer || v.printer === "ok" ? "" : v.printer === "paper_near_end" ? "warn" : "bad";
    return el("tr", { "data-device": v.id },
      el("td", {}, PAGE.lang === "en" && v.name_en ? v.name_en : v.name),
      el("td", { class: v.status === "online" ? "good" : v.status === "offline" ? "bad" : "muted" }, deviceStatus(v)),
      el("td", { class: pcls }, printer),
      el("td", { class: "num" }, v.outbox_depth == null ? "" : String(v.outbox_depth)));
  }));
}

// Praise is marked with an inline thumbs-up drawing, not the emoji: Debian has no emoji
// font by default and would show an empty box. (⚠ is in DejaVu Sans.)
const THUMB_UP = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

function icon(path, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}

function conduct(r) {
  const items = r.praised.map((c) => [icon(THUMB_UP, S.praised), " " + (C.items[c] || c)]);
  for (const c of r.reasons) items.push([(C.violations.includes(c) ? "⚠ " : `⚠ ${S.missed}: `) + (C.items[c] || c)]);
  return items.flatMap((parts, i) => (i ? [" · ", ...parts] : parts));
}

function ratingItem(r) {
  const good = r.level !== "dissatisfied";
  return el("li", { class: "rating " + (good ? "good" : "bad"), "data-ticket": r.ticket_id },
    el("span", { class: "r-time" }, hhmm(r.received_at)),
    el("span", { class: "r-level" }, C.raw_levels[r.level_raw] || C.levels[r.level]),
    el("span", { class: "r-who" }, `${r.number} · ${deskName(r.desk_id, r.desk_name)}${r.clerk_name ? " · " + r.clerk_name : ""}`),
    el("span", { class: "r-source", "data-source": r.source }, S["src_" + r.source] || r.source),
    el("span", { class: "r-conduct muted" }, ...conduct(r), r.partial ? ` (${S.partial})` : null),
    r.comment ? el("span", { class: "r-comment" }, `“${r.comment}”`) : null);
}

function renderRatings() {
  const list = document.getElementById("ratings");
  if (!st.ratings.length) list.replaceChildren(el("li", { class: "muted" }, S.no_ratings));
  else list.replaceChildren(...st.ratings.map(ratingItem));
}

function renderAlerts() {
  const ul = document.getElementById("alerts");
  document.getElementById("alerts-card").classList.toggle("has-alerts", st.alerts.length > 0);
  if (!st.alerts.length) { ul.replaceChildren(el("li", { class: "muted" }, S.no_alerts)); return; }
  ul.replaceChildren(...st.alerts.map((a) => el("li", { class: "alert " + a.severity, "data-kind": a.kind, "data-key": a.key },
    el("span", { class: "a-time" }, a.since ? hhmm(a.since) : ""), " ", PAGE.lang === "en" ? a.message_en : a.message)));
}

// The server's own problems (broker link, one-box broker, ingest, database): while its
// broker link is down the device rows say "unknown", and this says why.
function renderServer() {
  const box = document.getElementById("server-status");
  const problems = st.server ? st.server.problems : [];
  box.hidden = problems.length === 0;
  document.getElementById("server-problems").replaceChildren(...problems.map((p) =>
    el("li", { class: "alert critical", "data-code": p.code }, PAGE.lang === "en" ? p.en : p.vi)));
  const note = document.getElementById("presence-note");
  if (note) note.hidden = !st.server || st.server.presence_known;
}

// ------------------------------------------------------------------ suggestion box
// Items are kept by id and reused, so a note being typed survives other arrivals.
const sgItems = new Map();
const fmtDM = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, day: "2-digit", month: "2-digit" });
const ddmmHHMM = (iso) => `${fmtDM.format(new Date(iso))} ${hhmm(iso)}`;

function sgForm(g, li) {
  const note = el("textarea", { rows: 2, maxLength: 1000, placeholder: S.sg_note, className: "sg-note" });
  note.setAttribute("aria-label", S.sg_note);
  const err = el("p", { class: "error sg-error", hidden: true });
  const save = el("button", { type: "submit", class: "primary" }, S.sg_save);
  const cancel = el("button", { type: "button" }, S.sg_cancel);
  const form = el("form", { class: "sg-form" }, note, el("div", { class: "sg-buttons" }, save, cancel), err);
  cancel.onclick = () => { form.remove(); li.querySelector(".sg-handle").hidden = false; };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (!note.value.trim()) { err.textContent = S.sg_note; err.hidden = false; note.focus(); return; }
    save.disabled = true;
    const r = await api(`/api/sites/${encodeURIComponent(PAGE.site)}/suggestions/${g.id}/handled`, { note: note.value });
    save.disabled = false;
    if (r.ok) { suggestionChanged(r.data); return; }
    err.textContent = problem(r.data); err.hidden = false;
  };
  return form;
}

function sgItem(g) {
  let li = sgItems.get(g.id);
  if (li) return li;
  const service = g.service ? (PAGE.lang === "en" ? g.service_name_en : g.service_name) : "";
  const handle = el("button", { type: "button", class: "sg-handle" }, S.sg_handle);
  li = el("li", { class: "sg", "data-id": g.id },
    el("div", { class: "sg-head" },
      el("span", { class: "sg-time" }, ddmmHHMM(g.received_at)),
      service ? el("span", { class: "sg-service" }, service) : null,
      handle),
    el("p", { class: "sg-text" }, g.text),
    g.contact ? el("p", { class: "sg-contact" }, `${S.sg_contact}: `, el("span", {}, g.contact)) : null);
  handle.onclick = () => {
    handle.hidden = true;
    const form = sgForm(g, li);
    li.append(form);
    form.querySelector("textarea").focus();
  };
  sgItems.set(g.id, li);
  return li;
}

function renderSuggestions() {
  const list = document.getElementById("suggestions");
  const ids = new Set(st.suggestions.map((g) => g.id));
  for (const id of [...sgItems.keys()]) if (!ids.has(id)) sgItems.delete(id);
  if (!st.suggestions.length) list.replaceChildren(el("li", { class: "muted" }, S.sg_none));
  else list.replaceChildren(...st.suggestions.map(sgItem));
  const count = document.getElementById("sg-count");
  count.textContent = st.sgOpen ? S.sg_open.replace("{n}", st.sgOpen) : "";
  document.getElementById("suggestions-card").classList.toggle("has-open", st.sgOpen > 0);
}

// A suggestion received (open) or handled (here, on another dashboard, by the API).
function suggestionChanged(g) {
  const known = st.suggestions.some((x) => x.id === g.id);
  if (g.handled_at) {
    if (known) { st.suggestions = st.suggestions.filter((x) => x.id !== g.id); st.sgOpen = Math.max(0, st.sgOpen - 1); }
  } else if (!known) {
    st.suggestions.push(g);
    st.sgOpen += 1;
  }
  renderSuggestions();
  if (!g.handled_at) sgItems.get(g.id)?.classList.add("flash");
}

function renderAll() { renderServer(); renderAlerts(); renderKpi(); renderQueues(); renderDesks(); renderRatings(); renderSuggestions(); renderDevices(); }

Live.connect("dashboard", (m) => {
  switch (m.type) {
    case "snapshot":
      st.queues = {}; st.desks = {}; st.stats = {}; st.devices = {};
      m.queues.forEach((q) => (st.queues[q.service] = q));
      m.desks.forEach((d) => (st.desks[d.desk_id] = d));
      m.stats.forEach((k) => (st.stats[k.desk_id] = k));
      m.devices.forEach((v) => (st.devices[v.id] = v));
      st.ratings = m.ratings; st.alerts = m.alerts; st.server = m.server;
      st.suggestions = m.suggestions || []; st.sgOpen = m.suggestions_open || 0;
      renderAll(); break;
    case "server": st.server = m.server; renderServer(); break;
    case "devices": st.devices = {}; m.devices.forEach((v) => (st.devices[v.id] = v)); renderDevices(); break;
    case "queue": st.queues[m.queue.service] = m.queue; renderQueues(); renderDesks(); break;
    case "desk": st.desks[m.desk.desk_id] = m.desk; renderDesks(); break;
    case "stats": st.stats[m.stats.desk_id] = m.stats; renderDesks(); renderKpi(); break;
    case "device": st.devices[m.device.id] = m.device; renderDevices(); break;
    case "rating":
      st.ratings = [m.rating, ...st.ratings.filter((r) => r.ticket_id !== m.rating.ticket_id)].slice(0, MAX_RATINGS);
      renderRatings();
      document.querySelector("#ratings li")?.classList.add("flash");
      window.motcuaDash.ratingAt[m.rating.ticket_id] = Date.now();
      break;
    case "alerts": st.alerts = m.alerts; renderAlerts(); break;
    case "suggestion": suggestionChanged(m.suggestion); break;
  }
});
