// The clerk console: the ticket in hand, the actions (buttons and keys), the queue, the
// dossier code (typed or scanned) and the letters (apology slip, thank-you letter).
"use strict";

const S = PAGE.strings;
// last: the visit finished last at this desk ({ticket, can_attach}), for its dossier code.
// lastAsked: the visit awaiting its rating when `last` was last asked for.
const desk = { state: null, queues: {}, stats: null, last: null, lastAsked: null };
const base = `/api/sites/${PAGE.site}/desks/${PAGE.desk_id}/`;
const msgEl = document.getElementById("message");

function say(text, bad) {
  msgEl.textContent = text || "";
  msgEl.classList.toggle("bad", !!bad);
}

async function act(action, body) {
  const r = await api(base + action, body);
  if (!r.ok) { say(problem(r.data), true); return r; }
  say(action === "call-next" && !r.data.ticket ? S.no_one_waiting : "");
  if ((action === "done" || action === "dossier") && r.data.ticket) {
    desk.last = { ticket: r.data.ticket, can_attach: true };
  }
  if (r.data.desk) { desk.state = r.data.desk; render(); }
  return r;
}

function ask(id, fill) {
  const dlg = document.getElementById(id);
  const form = dlg.querySelector("form");
  form.reset();
  if (fill) fill(form);
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? new FormData(form) : null), { once: true });
    dlg.showModal();
  });
}

const needs = {
  "call-number": async () => {
    const f = await ask("dlg-number");
    return f && { number: f.get("number") };
  },
  transfer: async () => {
    const f = await ask("dlg-transfer", (form) => {
      const sel = form.querySelector("select");
      sel.replaceChildren(...PAGE.services.filter((s) => !desk.state || s.code !== (desk.state.serving || {}).service)
        .map((s) => el("option", { value: s.code }, s.name)));
    });
    return f && { service: f.get("service") };
  },
  pause: async () => {
    const list = document.getElementById("pause-reasons");
    list.replaceChildren(...S.reasons_preset.split("|").map((r) => el("option", { value: r })));
    const f = await ask("dlg-pause");
    return f && { reason: f.get("reason") };
  },
};

async function run(action) {
  const btn = document.querySelector(`[data-action="${action}"]`);
  if (!btn || btn.hidden || btn.disabled) return;
  let body = null;
  if (needs[action]) { body = await needs[action](); if (!body) return; }
  const code = dossierInput.value.trim();
  if (action === "done" && code) { await dossier(code); return; }  // the code typed so far
  await act(action, body);
}

function allowed() {
  const d = desk.state;
  const a = new Set();
  if (!d || !d.open) { a.add("open"); return a; }
  const mine = !d.clerk || PAGE.me.role !== "clerk" || d.clerk.id === PAGE.me.clerk_id;
  if (!mine) return a;
  a.add("close");
  if (d.paused) { a.add("resume"); return a; }
  const t = d.serving;
  if (!t) { a.add("call-next"); a.add("call-number"); a.add("pause"); return a; }
  if (t.state === "called") ["recall", "start", "no-show", "done", "transfer"].forEach((x) => a.add(x));
  if (t.state === "serving") ["done", "transfer"].forEach((x) => a.add(x));
  a.add("pause");
  return a;
}

function render() {
  const d = desk.state;
  if (!d) return;
  const status = document.getElementById("desk-status");
  status.textContent = !d.open ? S.desk_closed : d.paused ? `${S.desk_paused}: ${d.pause_reason || ""}` : S.desk_open;
  status.className = "badge " + (!d.open ? "off" : d.paused ? "warn" : "ok");
  const mineOrFree = !d.clerk || d.clerk.id === PAGE.me.clerk_id;
  document.getElementById("desk-clerk").textContent = d.clerk
    ? (mineOrFree ? d.clerk.name : S.desk_taken.replace("{name}", d.clerk.name)) : "";
  const t = d.serving;
  document.getElementById("ticket-number").textContent = t ? t.number : "—";
  document.getElementById("ticket-state").textContent = t
    ? (t.state === "called" ? S.state_called : S.state_serving) +
      (t.recall_count ? " · " + S.recalls.replace("{n}", t.recall_count) : "") + " · " + hhmm(t.called_at)
    : S.nobody;
  document.getElementById("awaiting").textContent = d.awaiting_rating
    ? S.awaiting_rating.replace("{n}", d.awaiting_rating.number) : "";
  renderLastVisit();
  const ok = allowed();
  for (const b of document.querySelectorAll("[data-action]")) {
    const a = b.dataset.action;
    b.hidden = (a === "open" && d.open) || (a === "resume" && !d.paused) || (a === "pause" && d.paused);
    b.disabled = !ok.has(a);
    if (!b.querySelector("kbd")) b.append(" ", el("kbd", {}, b.dataset.key));
  }
  renderQueues();
}

function renderQueues() {
  const box = document.getElementById("queues");
  box.replaceChildren(...Object.values(desk.queues).map((q) => {
    const late = q.longest_wait_s != null && q.longest_wait_s > 60 * PAGE.targets[q.service];
    return el("div", { class: "queue card", "data-service": q.service },
      el("div", { class: "q-name" }, q.name),
      el("div", { class: "q-count" }, `${S.waiting}: `, el("strong", {}, String(q.waiting)),
        q.waiting_priority ? ` (${S.priority_waiting}: ${q.waiting_priority})` : ""),
      el("div", { class: "q-next" }, `${S.next_numbers}: `, el("span", { class: "numbers" }, q.next_numbers.join(" · ") || "—")),
      el("div", { class: late ? "q-wait late" : "q-wait" },
        `${S.longest_wait}: ${minutes(q.longest_wait_s)} (${S.target} ${PAGE.targets[q.service]} ${S.minutes})`));
  }));
  const st = desk.stats;
  document.getElementById("desk-stats").textContent = st
    ? `${S.served}: ${st.served} · ${S.ratings}: ${st.ratings} · ${S.satisfaction}: ${st.satisfaction_pct == null ? "—" : st.satisfaction_pct.toFixed(0) + " %"}`
    : "";
}

Live.connect("desk:" + PAGE.desk_id, (m) => {
  if (m.type === "snapshot") {
    desk.state = m.desk; desk.stats = m.stats; desk.queues = {};
    for (const q of m.queues) desk.queues[q.service] = q;
  } else if (m.type === "desk") desk.state = m.desk;
  else if (m.type === "queue") desk.queues[m.queue.service] = m.queue;
  else if (m.type === "stats") desk.stats = m.stats;
  // a visit finished elsewhere (another tab, the API): learn its dossier code, once
  const a = desk.state && desk.state.awaiting_rating;
  if (m.type === "snapshot" || (a && a.ticket_id !== desk.lastAsked)) {
    desk.lastAsked = a && a.ticket_id;
    loadLastVisit();
  }
  render();
});

for (const b of document.querySelectorAll("[data-action]")) b.addEventListener("click", () => run(b.dataset.action));

// A keyboard-wedge scanner types a whole code within milliseconds; a clerk presses one
// key. A digit or M outside a field starts the dossier code at once. A letter waits
// SCAN_GAP_MS: another key within that time means a scan (the whole code goes into the
// dossier field, even one starting with D or N); otherwise it is a one-key shortcut.
const SCAN_GAP_MS = 100;
let held = null;  // {keys, timer}

function toDossierField(text) {
  dossierInput.value = text;
  dossierInput.focus();  // the rest of the code and its Enter land in the field
}

function shortcut(key) {
  const d = desk.state;
  const action = key === "P" ? (d && d.paused ? "resume" : "pause")
    : ({ O: "open", N: "call-next", R: "recall", S: "start", D: "done", V: "no-show", T: "transfer", G: "call-number", Q: "close" })[key];
  if (action) run(action);
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
  if (e.target.closest("input, select, textarea, dialog")) return;
  if (e.key.length !== 1 || !/[A-Za-z0-9._\/-]/.test(e.key)) return;
  e.preventDefault();
  if (held) {  // a second key at scanner speed: a scanned code
    clearTimeout(held.timer);
    toDossierField(held.keys + e.key);
    held = null;
  } else if (/^[0-9mM]$/.test(e.key)) {
    toDossierField(/^[0-9]$/.test(e.key) ? e.key : "");
  } else {
    const key = e.key.toUpperCase();
    held = { keys: e.key, timer: setTimeout(() => { held = null; shortcut(key); }, SCAN_GAP_MS) };
  }
});

// "Cancel" is not a submit button, so Enter in a dialog means OK.
for (const b of document.querySelectorAll("dialog [data-close]")) {
  b.addEventListener("click", () => b.closest("dialog").close("cancel"));
}

// ---------------------------------------------------------------- dossier code

const dossierInput = document.getElementById("dossier-code");

async function loadLastVisit() {
  const r = await fetch(`/api/sites/${PAGE.site}/desks/${PAGE.desk_id}/last-visit`, { credentials: "same-origin" });
  if (r.ok) { desk.last = await r.json(); renderLastVisit(); }
}

function renderLastVisit() {
  const box = document.getElementById("last-visit");
  const t = desk.last && desk.last.ticket;
  if (!t) { box.replaceChildren(); return; }
  box.replaceChildren(
    el("span", { class: "muted" }, S.last_visit.replace("{n}", t.number).replace("{t}", hhmm(t.ended_at)) + " · "),
    t.dossier_code
      ? el("span", {}, `${S.dossier_code}: `, el("span", { class: "code", id: "last-dossier" }, t.dossier_code))
      : el("span", { class: "muted" }, S.dossier_none));
}

// With a ticket in hand the code finishes it ("done"); otherwise it goes to the visit
// just finished (a clerk often scans the slip after pressing "done").
async function dossier(code) {
  const d = desk.state;
  const inHand = d && d.serving && allowed().has("done");
  const last = desk.last && desk.last.ticket;
  let r;
  if (inHand) r = await act("done", { dossier_code: code });
  else if (last && desk.last.can_attach) r = await act("dossier", { dossier_code: code, ticket_id: last.ticket_id });
  else { say(S.dossier_nothing, true); dossierInput.select(); return; }
  if (!r.ok) { dossierInput.focus(); dossierInput.select(); return; }
  dossierInput.value = "";
  dossierInput.blur();  // the one-key shortcuts work again
  say(S.dossier_saved.replace("{code}", r.data.ticket.dossier_code).replace("{n}", r.data.ticket.number));
  renderLastVisit();
}

document.getElementById("dossier-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = dossierInput.value.trim();
  if (code) dossier(code);
});
dossierInput.addEventListener("keydown", (e) => { if (e.key === "Escape") dossierInput.blur(); });

// ---------------------------------------------------------------- letters

// "09/12/2026" (as Vietnamese write dates; also 9-12-2026, 9.12.2026) → "2026-12-09";
// "" when empty, null when it is no date.
function isoDate(text) {
  const t = (text || "").trim();
  if (!t) return "";
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function openLetter(kind) {
  const dlg = document.getElementById("dlg-letter");
  const form = dlg.querySelector("form");
  form.reset();
  dlg.dataset.kind = kind;
  dlg.querySelector("[data-title]").textContent = S[`letter_${kind}_title`];
  dlg.querySelector("[data-reason-label]").textContent = S[`letter_reason_${kind}`];
  dlg.querySelector("[data-for=apology]").hidden = kind !== "apology";
  const last = desk.last && desk.last.ticket;
  form.elements.dossier_code.value = (last && last.dossier_code) || "";
  form.elements.signer_title.value = PAGE.letters.signer_title || "";
  form.elements.signer_name.value = PAGE.letters.signer_name || "";
  dlg.querySelector("[data-error]").textContent = "";
  dlg.showModal();
  (form.elements.dossier_code.value ? form.elements.reason : form.elements.dossier_code).focus();
}

async function makeLetter(dlg) {
  const form = dlg.querySelector("form");
  const f = new FormData(form);
  const kind = dlg.dataset.kind;
  const body = {
    kind,
    dossier_code: f.get("dossier_code"),
    reason: f.get("reason"),
    signer_title: f.get("signer_title"),
    signer_name: f.get("signer_name"),
  };
  if (kind === "apology") {
    const day = isoDate(f.get("new_date"));
    if (day === null) { dlg.querySelector("[data-error]").textContent = S.bad_date; return; }
    body.new_date = day || null;
  }
  const r = await api(`/api/sites/${PAGE.site}/letters`, body);
  if (!r.ok) { dlg.querySelector("[data-error]").textContent = problem(r.data); return; }
  dlg.close("ok");
  const link = document.getElementById("letter-link");
  link.href = r.data.pdf_url;
  link.textContent = S.letter_made.replace("{title}", S[`letter_${kind}_title`]).replace("{code}", r.data.dossier_code);
  document.getElementById("letter-made").hidden = false;
  say("");
  window.open(r.data.pdf_url, "_blank", "noopener");
}

for (const b of document.querySelectorAll("[data-letter]")) b.addEventListener("click", () => openLetter(b.dataset.letter));
document.querySelector("#dlg-letter form").addEventListener("input", () => {
  document.querySelector("#dlg-letter [data-error]").textContent = "";
});
document.querySelector("#dlg-letter form").addEventListener("submit", (e) => {
  e.preventDefault();  // stays open until the server has taken the letter
  makeLetter(document.getElementById("dlg-letter"));
});
