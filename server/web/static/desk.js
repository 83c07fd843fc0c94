// The clerk console: the ticket in hand, the actions (buttons and keys), the queue.
"use strict";

const S = PAGE.strings;
const desk = { state: null, queues: {}, stats: null };
const base = `/api/sites/${PAGE.site}/desks/${PAGE.desk_id}/`;
const msgEl = document.getElementById("message");

function say(text, bad) {
  msgEl.textContent = text || "";
  msgEl.classList.toggle("bad", !!bad);
}

async function act(action, body) {
  const r = await api(base + action, body);
  if (!r.ok) { say(problem(r.data), true); return; }
  say(action === "call-next" && !r.data.ticket ? S.no_one_waiting : "");
  if (r.data.desk) { desk.state = r.data.desk; render(); }
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
  render();
});

for (const b of document.querySelectorAll("[data-action]")) b.addEventListener("click", () => run(b.dataset.action));

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
  if (e.target.closest("input, select, textarea, dialog")) return;
  const key = e.key.toUpperCase();
  const d = desk.state;
  const action = key === "P" ? (d && d.paused ? "resume" : "pause")
    : ({ O: "open", N: "call-next", R: "recall", S: "start", D: "done", V: "no-show", T: "transfer", G: "call-number", Q: "close" })[key];
  if (action) { e.preventDefault(); run(action); }
});

// "Cancel" is not a submit button, so Enter in a dialog means OK.
for (const b of document.querySelectorAll("dialog [data-close]")) {
  b.addEventListener("click", () => b.closest("dialog").close("cancel"));
}
