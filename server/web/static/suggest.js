// The suggestion box (/gop-y): a live character count, the post as JSON, the server's
// refusal shown as it words it, and a thank-you. Nothing typed is ever put in as HTML.
"use strict";

(() => {
  const PAGE = JSON.parse(document.getElementById("page-data").textContent);
  const W = PAGE.strings; // this page's own catalog (server/web/suggest_i18n.py)
  const $ = (id) => document.getElementById(id);
  const form = $("form"), text = $("text"), count = $("count"), error = $("error"), send = $("send");
  const fill = (s, v) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
  // As the server counts: NFC, trimmed (a decomposed letter is one character).
  const length = () => text.value.normalize("NFC").trim().length;

  function showCount() {
    const n = length();
    count.textContent = fill(W.count, { n, max: PAGE.max });
    count.classList.toggle("over", n > PAGE.max);
  }

  function say(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function refusal(data) {
    const d = data && data.detail;
    if (!d || typeof d !== "object") return W.offline;
    return PAGE.lang === "en" ? d.message_en || d.message : d.message;
  }

  async function submit(ev) {
    ev.preventDefault();
    if (length() < PAGE.min) { say(fill(W.too_short, { min: PAGE.min })); text.focus(); return; }
    say("");
    send.disabled = true;
    send.textContent = W.sending;
    const body = { text: text.value, service: $("service").value || null, contact: $("contact").value || null };
    try {
      const r = await fetch("/gop-y", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      let data = null;
      try { data = await r.json(); } catch (e) { data = null; }
      if (r.ok) {
        form.hidden = true;
        $("sent-contact").hidden = !(data && data.contact);
        $("sent").hidden = false;
        form.reset();
        showCount();
        $("another").focus();
      } else {
        say(refusal(data));
      }
    } catch (e) {
      say(W.offline);
    } finally {
      send.disabled = false;
      send.textContent = W.send;
    }
  }

  text.addEventListener("input", showCount);
  form.addEventListener("submit", submit);
  $("another").addEventListener("click", () => {
    $("sent").hidden = true;
    form.hidden = false;
    text.focus();
  });
  showCount();
})();
