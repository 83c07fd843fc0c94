// The display board: the latest call of each desk (updated as soon as the call
// arrives) and, big, the call being announced; calls are announced in turn (chime +
// Vietnamese voice, or the chime alone). A call is one ticket called at one moment (a
// recall is a new call). After a reconnect the server
// sends every call since the last one seen here, so none is lost; calls older than
// ANNOUNCE_MAX_AGE_S when they arrive are shown but not announced.
"use strict";

const ANNOUNCE_MAX_AGE_S = 120;
const SINCE_KEY = "motcua.board.since";
const seen = new Set();
const pending = [];
const latestAt = {}; // desk id → time of its latest call shown on its tile
let playing = false;
let lastAt = localStorage.getItem(SINCE_KEY);
// For tests and diagnostics: the calls in the order they were announced.
window.motcuaBoard = { announced: [], shown: [], shownAt: {} };

function tile(deskId) { return document.querySelector(`.tile[data-desk="${deskId}"]`); }

function show(call, newest) {
  if (!(call.key in window.motcuaBoard.shownAt)) window.motcuaBoard.shownAt[call.key] = Date.now();
  const t = tile(call.desk_id);
  const at = Date.parse(call.called_at);
  if (t && (latestAt[call.desk_id] === undefined || at >= latestAt[call.desk_id])) {
    latestAt[call.desk_id] = at; // an older call announced late stays off the tile
    t.querySelector(".tile-number").textContent = call.number;
    if (newest) {
      document.querySelectorAll(".tile.newest").forEach((x) => x.classList.remove("newest"));
      t.classList.add("newest");
      const tiles = document.getElementById("tiles");
      tiles.prepend(t); // newest first
      t.classList.remove("flash"); void t.offsetWidth; t.classList.add("flash");
    }
  }
  if (newest) {
    document.getElementById("now-number").textContent = call.number;
    document.getElementById("now-desk").textContent = call.desk_name;
    document.querySelector(".now-calling").classList.add("has-call");
  }
}

function remember(call) {
  // Compared as times, not strings ("…:05Z" and "…:05.5Z" sort wrongly as text); the
  // string itself goes back to the server, which compares it to the microsecond.
  if (!lastAt || Date.parse(call.called_at) >= Date.parse(lastAt)) {
    lastAt = call.called_at;
    localStorage.setItem(SINCE_KEY, lastAt);
  }
}

function arrive(call, announce) {
  if (seen.has(call.key)) return;
  seen.add(call.key);
  remember(call);
  window.motcuaBoard.shown.push(call.number);
  show(call, false); // its desk's tile at once; the big panel when it is announced
  if (announce) { pending.push(call); next(); }
}

function play(url) {
  return new Promise((resolve, reject) => {
    const a = new Audio(url);
    a.onended = () => resolve();
    a.onerror = () => reject(new Error("audio " + url));
    a.play().catch(reject);
  });
}

async function next() {
  if (playing || !pending.length) return;
  playing = true;
  const call = pending.shift();
  show(call, true);
  window.motcuaBoard.announced.push(call.number);
  try {
    await play(`/board/audio/call/${encodeURIComponent(call.number)}/${encodeURIComponent(call.desk_id)}.wav`);
  } catch (e) {
    if (e && e.name === "NotAllowedError") soundBlocked();
    try { await play("/board/audio/chime.wav"); } catch (e2) { await new Promise((r) => setTimeout(r, 2500)); }
  }
  playing = false;
  next();
}

function soundBlocked() {
  const b = document.getElementById("sound-on");
  b.hidden = false;
  b.onclick = () => { b.hidden = true; new Audio("/board/audio/chime.wav").play().catch(() => {}); };
}

Live.connect("board", (m) => {
  if (m.type === "snapshot") {
    // Missed calls first (announced in order), then each desk's latest, shown quietly.
    const now = Date.parse(m.now);
    for (const c of m.missed) arrive(c, (now - Date.parse(c.called_at)) / 1000 <= ANNOUNCE_MAX_AGE_S);
    const latest = m.latest.filter((c) => !seen.has(c.key)).reverse(); // oldest first
    latest.forEach((c, i) => {
      seen.add(c.key); remember(c);
      show(c, i === latest.length - 1 && !playing && !pending.length);
    });
  } else if (m.type === "call") {
    arrive(m.call, true);
  }
}, () => (lastAt ? { since: lastAt } : {}));

function tick() {
  const d = new Date();
  document.getElementById("clock").textContent = `${hhmm(d.toISOString())}  ${ddmmyyyy(d)}`;
}
tick();
setInterval(tick, 1000);
