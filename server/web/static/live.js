// Shared by the pages: page data, the live WebSocket (reconnects by itself), the JSON
// API with the CSRF header, and local-time formatting (24 h, dd/mm/yyyy).
"use strict";

const PAGE = JSON.parse(document.getElementById("page-data").textContent);

const Live = {
  // onMessage(msg) gets every message; params() gives extra query parameters at each
  // (re)connect; the #offline banner shows while disconnected.
  connect(channel, onMessage, params) {
    let delay = 500;
    const banner = document.getElementById("offline");
    const open = () => {
      const q = new URLSearchParams({ channel, ...(params ? params() : {}) });
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(`${proto}//${location.host}/ws/live?${q}`);
      ws.onopen = () => { delay = 500; if (banner) banner.hidden = true; };
      ws.onmessage = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.type === "ping") return;
        if (msg.type === "resync") { ws.close(); return; }
        onMessage(msg);
      };
      ws.onclose = (ev) => {
        if (ev.code === 4401) {  // the session ended (log-out, revoked, expired)
          location.href = "/login?next=" + encodeURIComponent(location.pathname);
          return;
        }
        if (banner) banner.hidden = false;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    };
    open();
  },
};

async function api(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": PAGE.csrf },
    body: body ? JSON.stringify(body) : null,
    credentials: "same-origin",
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); }
  return { ok: r.ok, status: r.status, data };
}

function problem(data) {
  const d = data && data.detail;
  if (!d) return "?";
  if (typeof d === "string") return d;
  return PAGE.lang === "en" ? (d.message_en || d.message) : d.message;
}

const TZ = PAGE.tz || "Asia/Ho_Chi_Minh";
const fmtTime = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false });
const fmtDate = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" });
const hhmm = (iso) => (iso ? fmtTime.format(new Date(iso)) : "");
const ddmmyyyy = (d) => fmtDate.format(d);
const minutes = (s) => (s == null ? "—" : Math.floor(s / 60) + " " + ((PAGE.strings || {}).minutes || "phút"));

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
