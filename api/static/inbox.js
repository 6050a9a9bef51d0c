// Otklik inbox: keyboard shortcuts for the everyday actions, canned-answer search, fresh idempotency keys,
// and live fragments that never overwrite what the operator is typing. No build step.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function freshKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // j/k move through list rows, Enter opens the selected one.
  function rows() { return Array.from(document.querySelectorAll("[data-row]")); }
  var selected = -1;
  function select(step) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, selected + step));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    all[selected].scrollIntoView({ block: "nearest" });
    var link = all[selected].querySelector("a.open");
    if (link) link.focus();
  }

  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) { el.focus(); return true; }
    return false;
  }

  function openDetails(id, field) {
    var details = document.getElementById(id);
    if (!details) return;
    details.open = true;
    var input = details.querySelector(field);
    if (input) input.focus();
  }

  function claimSelected() {
    var row = rows()[selected];
    var button = row ? row.querySelector("[data-action=claim]") : null;
    if (button) button.click(); else click("#claim");
  }

  var keys = {
    j: function () { select(1); },
    k: function () { select(-1); },
    c: claimSelected,
    r: function () { focus("#reply-text"); },
    n: function () { focus("#note-text"); },
    e: function () { openDetails("resolve", "textarea"); },
    t: function () { var d = document.querySelector("details.transfer"); if (d) { d.open = true; focus("details.transfer select"); } },
    a: function () { click("[data-shortcut=a]"); },
    "/": function () { focus("#canned-search"); },
    g: function () { window.location.href = "/inbox"; }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && event.key === "Enter" && typing(event.target)) {
      var form = event.target.form;
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    var action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  // Canned answers: type to filter, Enter (or a click) inserts the first match into the reply box.
  function cannedItems() { return Array.from(document.querySelectorAll("[data-canned]")); }
  function insertCanned(item) {
    var box = document.getElementById("reply-text");
    if (!box || !item) return;
    var text = item.getAttribute("data-canned-text");
    var at = typeof box.selectionStart === "number" ? box.selectionStart : box.value.length;
    var end = typeof box.selectionEnd === "number" ? box.selectionEnd : at;
    box.value = box.value.slice(0, at) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = at + text.length;
  }
  document.addEventListener("input", function (event) {
    if (event.target.id !== "canned-search") return;
    var query = event.target.value.toLowerCase();
    cannedItems().forEach(function (item) {
      item.hidden = query !== "" && item.textContent.toLowerCase().indexOf(query) < 0;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "canned-search" || event.key !== "Enter") return;
    event.preventDefault();
    insertCanned(cannedItems().filter(function (item) { return !item.hidden; })[0]);
    event.target.value = "";
    cannedItems().forEach(function (item) { item.hidden = false; });
  });
  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest("[data-canned]");
    if (item) insertCanned(item);
  });

  // In the reply box, "/shortcut" then Tab becomes that canned answer.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (box.id !== "reply-text" || event.key !== "Tab") return;
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|\s)\/([\w.-]+)$/.exec(before);
    if (!match) return;
    var item = cannedItems().filter(function (i) { return i.getAttribute("data-shortcut") === match[2].toLowerCase(); })[0];
    if (!item) return;
    event.preventDefault();
    var start = before.length - match[2].length - 1;
    box.setSelectionRange(start, before.length);
    insertCanned(item);
  });

  // After an HTMX reply or note: empty the box and take a new idempotency key for the next one.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.tagName !== "FORM" || !event.detail.successful) return;
    form.reset();
    form.querySelectorAll("[data-fresh-key]").forEach(function (input) { input.value = freshKey(); });
  });
  document.addEventListener("htmx:responseError", function (event) {
    var text = event.detail.xhr.responseText;
    try { text = JSON.parse(text).error.reason; } catch (e) { /* not JSON: show as is */ }
    var box = document.getElementById("inbox-flash");
    if (!box) {
      box = document.createElement("p");
      box.id = "inbox-flash";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = text;  // textContent: the reason is shown as text, never as HTML
  });

  // The timeline opens at its newest line and follows new ones: the operator's own reply or note always
  // comes into view; a live line does while they are at the bottom (not while they scrolled up to read).
  var NEAR_BOTTOM = 80;  // px: "at the bottom" despite a line's rounding
  var followTimeline = true;
  function timeline() { return document.getElementById("timeline"); }
  function toNewest(el) { el.scrollTop = el.scrollHeight; }
  function watchTimeline() {
    var el = timeline();
    if (!el || el.hasAttribute("data-follows")) return;
    el.setAttribute("data-follows", "");
    toNewest(el);
    el.addEventListener("scroll", function () {
      followTimeline = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM;
    });
  }
  watchTimeline();
  document.addEventListener("DOMContentLoaded", watchTimeline);
  window.addEventListener("load", function () { var el = timeline(); if (el && followTimeline) toNewest(el); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var el = timeline();
    if (!el || event.target !== el) return;
    var own = event.detail && event.detail.requestConfig;  // the operator's reply or note, not a live redraw
    if (own || followTimeline) { toNewest(el); followTimeline = true; }
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    var el = timeline();
    if (el && event.target === el && followTimeline) toNewest(el);
  });

  // A live redraw waits while the operator works inside the part it would replace.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var target = event.target;
    var active = document.activeElement;
    if (target && (target.contains(active) && typing(active) || target.querySelector("details[open]"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    selected = Math.min(selected, rows().length - 1);
    var target = event.target;
    if (target && target.id === "gone") {  // the stream ended: signed out, or the conversation left our sight
      target.textContent = target.getAttribute("data-message");
      target.hidden = false;
    }
  });
})();
