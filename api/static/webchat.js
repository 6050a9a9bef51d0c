// The web chat page. It draws the session's messages, the buttons of the bot's messages (pressing one posts
// its payload, as messengers do, and shows its title), the conversation's state (the queue, an operator
// joining, resolved) and a typing indicator while the bot's answer is pending. No build step.
// Customer and operator text only ever goes into the page through textContent, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const S = JSON.parse(root.dataset.strings);
  const log = document.getElementById("log"), statusLine = document.getElementById("status");
  const queueBar = document.getElementById("queue"), typing = document.getElementById("typing");
  const input = document.getElementById("text");
  const TYPING_MS = 20000;  // a bot answer takes a second or two; past this the indicator would be a lie
  const seen = new Set();
  let state = null, stateKey = null, typingTimer = null;

  function fill(text, params) {
    return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function append(el) {
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
  }

  // Quick replies answer the latest question: once the visitor says anything, the old ones go.
  function dropButtons() {
    log.querySelectorAll(".buttons").forEach(row => row.remove());
  }

  function drawButtons(buttons) {
    const row = element("div", "buttons");
    for (const b of buttons) {
      const button = element("button", "quick", b.title);
      button.type = "button";
      button.addEventListener("click", () => {
        row.querySelectorAll("button").forEach(x => { x.disabled = true; });
        send(b.payload, b.title);
      });
      row.appendChild(button);
    }
    return row;
  }

  function show(msg, pending) {
    const keys = [msg.id, msg.client_id].filter(Boolean);  // history repeats what is already shown
    if (keys.some(k => seen.has(k))) return null;
    keys.forEach(k => seen.add(k));
    const inbound = msg.direction === "inbound";
    if (inbound) dropButtons();
    const wrap = element("div", "msg " + (inbound ? "inbound" : "outbound " + (msg.author || "bot")));
    if (!inbound && msg.author === "operator") {
      wrap.appendChild(element("div", "author", msg.author_name ? S.operator + " " + msg.author_name : S.operator));
    }
    wrap.appendChild(element("div", "bubble" + (pending ? " pending" : ""), msg.button || msg.text));
    append(wrap);
    if (!inbound && msg.buttons && msg.buttons.length) append(drawButtons(msg.buttons));
    return wrap;
  }

  function note(text) {
    append(element("div", "note", text));
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      typing.querySelector(".typing-text").textContent = S.typing_bot;
      typingTimer = setTimeout(() => { typing.hidden = true; }, TYPING_MS);
      log.scrollTop = log.scrollHeight;
    }
  }

  function queueText(s) {
    if (s.position === 1) return S.queued_next;
    if (s.position) return fill(S.queued_at, {ahead: s.position - 1});
    return S.queued;
  }

  // The first state after (re)connecting only sets the scene; later changes are also written into the log.
  function setState(s) {
    const key = [s.conversation_id, s.state, s.operator].join("|");
    const changed = stateKey !== null && key !== stateKey;
    stateKey = key;
    state = s;
    queueBar.hidden = s.state !== "queued";
    if (s.state === "queued") queueBar.textContent = queueText(s);
    if (s.state && s.state !== "bot") setTyping(false);
    if (!changed) return;
    if (s.state === "queued") {
      note(queueText(s));
    } else if (s.state === "assigned") {
      note(s.operator ? fill(S.joined, {name: s.operator}) : S.joined_anonymous);
    } else if (s.state === "resolved") {
      note(S.resolved);
    }
  }

  function newId() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
  }

  function contact() {
    const found = {};
    for (const field of ["name", "email", "phone"]) {
      const value = document.getElementById(field).value.trim();
      if (value) found[field] = value;
    }
    return found;
  }

  async function send(text, title) {
    const clientId = newId(), body = {client_id: clientId, text, contact: contact()};
    if (title) body.button = title;
    const shown = show({client_id: clientId, text, button: title, direction: "inbound"}, true);
    const bubble = shown && shown.querySelector(".bubble");
    if (!state || !state.state || state.state === "bot") setTyping(true);
    for (let attempt = 0; attempt < 5; attempt++) {  // the same client_id on every try: the server dedupes
      try {
        const r = await fetch("/chat/messages", {method: "POST", headers: {"content-type": "application/json"},
                                                 body: JSON.stringify(body)});
        if (r.ok) { bubble && bubble.classList.remove("pending"); statusLine.textContent = ""; return; }
        const answer = await r.json().catch(() => ({}));
        statusLine.textContent = (answer.error && answer.error.reason) || ("HTTP " + r.status);
        if (r.status < 500) { setTyping(false); return; }
      } catch (err) { statusLine.textContent = S.offline; }
      await new Promise(res => setTimeout(res, 1000 * 2 ** attempt));
    }
    setTyping(false);
  }

  const events = new EventSource("/chat/events");
  events.addEventListener("message", e => {
    const msg = JSON.parse(e.data);
    if (msg.direction !== "inbound") setTyping(false);
    show(msg, false);
  });
  events.addEventListener("state", e => setState(JSON.parse(e.data)));
  events.onerror = () => { statusLine.textContent = S.reconnecting; stateKey = null; };
  events.onopen = () => { statusLine.textContent = ""; };

  document.getElementById("send").addEventListener("submit", e => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, null);
  });
})();
