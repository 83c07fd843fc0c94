// The citizen's phone page (/t/{id}): follows one ticket live (WebSocket first, polling
// /t/{id}/state when the socket is unavailable), rings and vibrates when it is called,
// and takes the rating once the visit is done. All text via textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var P = data.strings, lang = data.lang, id = data.ticket_id;
  var $ = function (k) { return document.getElementById(k); };
  var view = null, socket = null, pollTimer = null, retryTimer = null, retryS = 5;
  var alertsOn = false, audio = null, lastCall = null, mode = "";
  var clock = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "vi-VN",
    { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: data.tz });

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function time(iso) { return iso ? clock.format(new Date(iso)) : ""; }
  function show(el, on) { el.hidden = !on; }
  function name(v, prefix) {
    var vi = v[prefix + "_name"] || v[prefix], en = v[prefix + "_name_en"];
    return lang === "en" && en ? en : vi;
  }

  // ---------------------------------------------------------------- rendering
  function statusText(v) {
    switch (v.state) {
      case "pending": return P.pending;
      case "waiting": return P.waiting;
      case "called": return fill(P.called, { n: v.desk_number });
      case "serving": return fill(P.serving, { n: v.desk_number });
      case "done": return P.done;
      case "no_show": return P.no_show;
      case "cancelled": return P.cancelled;
      default: return P.transferred_end;
    }
  }

  function render(v) {
    var before = view;
    view = v;
    $("number").textContent = v.number || "…";
    document.title = P.title + (v.number ? " " + v.number : "");
    $("service").textContent = v.service ? name(v, "service") : "";
    show($("prio"), !!v.priority);
    var moved = v.transferred_from_service && v.state !== "pending";
    show($("moved"), !!moved);
    if (moved) $("moved").textContent = fill(P.transferred, { s: name(v, "service") });
    $("status").textContent = statusText(v);
    $("state-card").className = "card state st-" + v.state;
    show($("state-card"), v.state !== "called");  // the banner says it
    var ahead = "", eta = "";
    if (v.state === "waiting" && v.people_ahead !== null) {
      ahead = v.people_ahead === 0 ? P.next
        : v.people_ahead === 1 ? P.ahead_one : fill(P.ahead, { n: v.people_ahead });
      if (v.people_ahead > 0) eta = fill(P.eta, { m: v.eta_minutes });
    }
    $("ahead").textContent = ahead;
    $("eta").textContent = eta;
    renderBanner(v, before);
    show($("alert-on"), !alertsOn && ["pending", "waiting", "called"].indexOf(v.state) >= 0);
    renderRating(v);
  }

  function renderBanner(v, before) {
    var called = v.state === "called";
    show($("banner"), called);
    if (!called) { lastCall = null; return; }
    $("banner-text").textContent = fill(P.called, { n: v.desk_number });
    $("call-text").textContent = v.call_text ? "“" + v.call_text + "”" : "";
    var at = fill(P.called_at, { t: time(v.called_at) });
    if (v.recall_count) at += " · " + fill(P.recalled, { n: v.recall_count });
    $("called-at").textContent = at;
    var key = v.called_at + "#" + v.recall_count;
    if (key !== lastCall) {
      lastCall = key;
      if (before) ring();  // a call while the page is open (not the call it opened on)
    }
  }

  function renderRating(v) {
    var r = v.rating, open = r.status === "open";
    show($("rate"), open);
    show($("thanks"), r.status === "rated");
    if (open) $("until").textContent = fill(P.rate_until, { t: time(r.until) });
    var note = r.status === "expired" ? fill(P.expired, { m: data.window_minutes }) : "";
    $("rate-note").textContent = note;
    show($("rate-note"), !!note);
    if (!open) show($("error"), false);
  }

  // ---------------------------------------------------------------- sound and vibration
  function tone(freq, start, length) {
    var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime + start;
    o.type = "sine";
    o.frequency.value = freq;
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(0.5, t + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + length);
    o.connect(g);
    g.connect(audio.destination);
    o.start(t);
    o.stop(t + length + 0.05);
  }
  function ring() {
    if (!alertsOn) return;
    if (audio) {
      if (audio.state === "suspended") audio.resume();
      tone(880, 0, 0.5); tone(660, 0.55, 0.5); tone(880, 1.1, 0.8);
    }
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 800]);
  }
  $("alert-on").addEventListener("click", function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    try { audio = Ctx ? new Ctx() : null; } catch (e) { audio = null; }
    alertsOn = true;
    if (audio) tone(660, 0, 0.15);  // unlocks the sound, quietly confirms
    if (navigator.vibrate) navigator.vibrate(80);
    show($("alert-on"), false);
    $("conn").setAttribute("data-alerts", "on");
    flash(P.alert_ready);
  });

  // ---------------------------------------------------------------- following
  function status(kind) {
    mode = kind;
    var text = kind === "live" ? P.live : kind === "polling" ? P.polling : P.offline;
    $("conn").textContent = text + (view ? " · " + fill(P.updated, { t: time(new Date().toISOString()) }) : "");
    $("conn").className = "conn " + kind;
  }
  function flash(text) {
    var el = $("conn");
    el.textContent = text;
    setTimeout(function () { status(mode); }, 2500);
  }

  function poll() {
    fetch("/t/" + id + "/state", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (v) { render(v); status("polling"); })
      .catch(function () { status("offline"); });
  }
  function startPolling() {
    if (pollTimer) return;
    poll();
    pollTimer = setInterval(poll, 2500);
  }
  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    retryTimer = null;
    if (typeof window.WebSocket !== "function") { startPolling(); return; }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/ticket/" + id;
    var ws;
    try { ws = new WebSocket(url); } catch (e) { dropped(); return; }
    socket = ws;
    ws.onopen = function () { stopPolling(); retryS = 5; status("live"); };
    ws.onmessage = function (e) {
      var msg = JSON.parse(e.data);
      if (msg.type === "ticket") { render(msg.ticket); status("live"); }
    };
    ws.onclose = function () { if (socket === ws) { socket = null; dropped(); } };
  }
  function dropped() {
    startPolling();
    if (!retryTimer) {
      retryTimer = setTimeout(connect, retryS * 1000);
      retryS = Math.min(retryS * 2, 60);
    }
  }

  // ---------------------------------------------------------------- rating
  var level = null, picked = {}, msgId = uuid(), sending = false;
  function uuid() {  // crypto.randomUUID needs HTTPS; the office Wi-Fi may be plain HTTP
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function button(label, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  data.rating.levels.forEach(function (lv) {
    $("levels").appendChild(button(lv.label, "level lv-" + lv.code, function () { choose(lv); }));
  });
  function choose(lv) {
    level = lv;
    picked = {};
    Array.prototype.forEach.call($("levels").children, function (b) {
      b.setAttribute("aria-pressed", b.className.indexOf("lv-" + lv.code) >= 0 ? "true" : "false");
    });
    var list = lv.positive ? data.rating.praise : data.rating.reasons;
    $("choices-title").textContent = lv.positive ? P.praise_title : P.reasons_title;
    var items = $("items");
    items.textContent = "";
    list.forEach(function (it) {
      var b = button(it.label, "item", function () {
        picked[it.code] = !picked[it.code];
        b.setAttribute("aria-pressed", picked[it.code] ? "true" : "false");
      });
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("data-code", it.code);
      items.appendChild(b);
    });
    show($("choices"), true);
    show($("error"), false);
  }
  $("relevel").addEventListener("click", function () {
    level = null;
    show($("choices"), false);
    Array.prototype.forEach.call($("levels").children, function (b) { b.setAttribute("aria-pressed", "false"); });
  });
  $("comment").addEventListener("input", function () {
    $("count").textContent = $("comment").value.length + "/500";
  });
  function error(text) { $("error").textContent = text; show($("error"), true); }
  $("send").addEventListener("click", function () {
    if (!level || sending) return;
    var codes = Object.keys(picked).filter(function (k) { return picked[k]; });
    var body = { msg_id: msgId, level: level.code, praised: [], reasons: [] };
    body[level.positive ? "praised" : "reasons"] = codes;
    var comment = $("comment").value.normalize("NFC").trim();
    if (comment) body.comment = comment;
    sending = true;
    $("send").textContent = P.sending;
    fetch("/t/" + id + "/rating", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), credentials: "same-origin"
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      var j = res.body;
      if (j.ok) { render(j.ticket); return; }
      error(lang === "en" && j.message_en ? j.message_en : j.message);
      if (j.code === "already_rated" || j.code === "window_expired") {
        show($("rate"), false);
        if (j.code === "already_rated") show($("thanks"), true);
      }
    }).catch(function () { error(P.err_network); })
      .then(function () { sending = false; $("send").textContent = P.send; });
  });

  render(data.view);
  connect();
})();
