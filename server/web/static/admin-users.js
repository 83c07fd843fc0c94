// The accounts page (admins): the accounts, add / disable / enable / reset a password /
// delete through the API (with the session's CSRF header, `api` of live.js), and the
// audit log, newest first, a page at a time. Names are only ever set as text.
"use strict";

const W = PAGE.strings; // this page's own catalog (server/web/admin_i18n.py)
const AUDIT_PAGE = 20;
let auditOffset = 0;
const fill = (s, v) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
const when = (iso) => (iso ? `${ddmmyyyy(new Date(iso))} ${hhmm(iso)}` : W.never);
const userPath = (name, what) => `/api/users/${encodeURIComponent(name)}/${what}`;

function say(message, bad) {
  const box = document.getElementById("au-message");
  box.textContent = message;
  box.classList.toggle("bad", !!bad);
  box.hidden = false;
}

function showSecret(user, password) {
  document.getElementById("au-secret-label").textContent = fill(W.new_password, { user });
  document.getElementById("au-secret-value").textContent = password;
  document.getElementById("au-secret").hidden = false;
}

function confirmed(text) {
  const dialog = document.getElementById("au-confirm");
  document.getElementById("au-confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

async function act(name, what, question, body) {
  if (question && !(await confirmed(fill(question, { user: name })))) return;
  const r = await api(userPath(name, what), body);
  if (!r.ok) { say(fill(W.failed, { why: problem(r.data) }), true); return; }
  if (r.data && r.data.password) showSecret(name, r.data.password);
  say(`${W.done}: ${name}`);
  await refresh();
}

function actions(u) {
  const box = el("div", { class: "au-actions" });
  if (u.username === PAGE.me) return el("span", { class: "muted" }, W.you);
  const button = (label, handler) => {
    const b = el("button", { type: "button", "data-action": label }, W[label]);
    b.addEventListener("click", handler);
    return b;
  };
  if (u.active) box.append(button("disable", () => act(u.username, "disable", W.confirm_disable)));
  else box.append(button("enable", () => act(u.username, "enable")));
  if (u.role !== "board") box.append(button("reset", () => act(u.username, "reset-password", W.confirm_reset, {})));
  box.append(button("delete", () => act(u.username, "delete", W.confirm_delete)));
  return box;
}

function renderUsers(users) {
  const body = document.querySelector("#au-users tbody");
  body.replaceChildren(...users.map((u) => {
    const clerk = u.clerk_id ? `${PAGE.clerks[u.clerk_id] || u.clerk_id} (${u.clerk_id})` : "—";
    const state = u.active ? W.active : fill(W.disabled, { at: when(u.disabled_at) });
    return el("tr", { "data-user": u.username, class: u.active ? "" : "off" },
      el("td", {}, u.username),
      el("td", {}, PAGE.roles[u.role] || u.role),
      el("td", {}, clerk),
      el("td", {}, when(u.created_at)),
      el("td", {}, when(u.last_login_at)),
      el("td", { class: u.active ? "good" : "bad" }, state),
      el("td", {}, actions(u)));
  }));
}

/** "role=clerk clerk=c01 sessions_ended=1" as words in the page's language. */
function describe(detail) {
  return detail.split(" ").filter(Boolean).map((pair) => {
    const [key, value] = pair.split("=");
    const shown = key === "role" ? (PAGE.roles[value] || value) : (W["v_" + value] || value);
    return W["d_" + key] ? fill(W["d_" + key], { v: shown }) : pair;
  }).join(", ");
}

function renderAudit(page) {
  const body = document.querySelector("#au-audit tbody");
  const rows = page.entries.map((e) => el("tr", { "data-action": e.action, "data-target": e.target },
    el("td", {}, when(e.at)),
    el("td", {}, e.actor),
    el("td", {}, W["act_" + e.action] || e.action),
    el("td", {}, e.target),
    el("td", { class: "muted", title: e.detail }, describe(e.detail))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 5, class: "muted" }, W.empty)));
  body.replaceChildren(...rows);
  const to = Math.min(auditOffset + page.entries.length, page.total);
  document.getElementById("au-range").textContent =
    fill(W.page_of, { from: page.total ? auditOffset + 1 : 0, to, total: page.total });
  document.getElementById("au-newer").disabled = auditOffset === 0;
  document.getElementById("au-older").disabled = to >= page.total;
}

async function getJson(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
  if (!r.ok) { say(fill(W.failed, { why: r.status }), true); return null; }
  return r.json();
}

async function refresh() {
  const [users, audit] = await Promise.all([
    getJson("/api/users"),
    getJson(`/api/audit?limit=${AUDIT_PAGE}&offset=${auditOffset}`),
  ]);
  if (users) renderUsers(users.users);
  if (audit) renderAudit(audit);
}

document.getElementById("au-add").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = { username: f.get("username"), role: f.get("role") };
  if (f.get("clerk_id")) body.clerk_id = f.get("clerk_id");
  if (f.get("password")) body.password = f.get("password");
  const r = await api("/api/users", body);
  const data = r.data;
  if (!r.ok) { say(fill(W.failed, { why: problem(data) }), true); return; }
  if (data.password) showSecret(data.username, data.password);
  say(`${W.done}: ${data.username}`);
  ev.target.reset();
  await refresh();
});
document.getElementById("au-secret-close").addEventListener("click", () => {
  document.getElementById("au-secret-value").textContent = "";
  document.getElementById("au-secret").hidden = true;
});
document.getElementById("au-newer").addEventListener("click", () => { auditOffset = Math.max(0, auditOffset - AUDIT_PAGE); refresh(); });
document.getElementById("au-older").addEventListener("click", () => { auditOffset += AUDIT_PAGE; refresh(); });
refresh();
