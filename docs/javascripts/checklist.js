/*
 * SOP Portal: tick-box checklists a reader can use (the onboarding checklist and the other
 * checklist pages).
 *
 * A page opts in with an element carrying `data-sop-checklist` (Markdown:
 * `<div class="sop-checklist-tools" data-sop-checklist></div>`). The task-list boxes of that
 * page, which Markdown renders disabled, become real check boxes; their ticks are kept in this
 * browser's local storage (per page), and the tools element gets "Print" and "Clear the ticks"
 * buttons. Nothing leaves the browser. (docs/javascripts/a11y.js names each box by its item.)
 */
(function () {
  "use strict";

  var PREFIX = "sop-checklist:";

  function storageKey() {
    return PREFIX + window.location.pathname;
  }

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storageKey()) || "{}");
      return saved && typeof saved === "object" ? saved : {};
    } catch (error) {
      return {};
    }
  }

  function save(state) {
    try {
      window.localStorage.setItem(storageKey(), JSON.stringify(state));
    } catch (error) { /* storage full or refused: the ticks simply are not kept */ }
  }

  /* A stable name for one box: its position and the start of its item's text. */
  function itemKey(box, index) {
    var item = box.closest("li");
    var text = item ? item.textContent.replace(/\s+/g, " ").trim().slice(0, 60) : "";
    return index + ":" + text;
  }

  function button(text, onClick) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "md-button";
    node.textContent = text;
    node.addEventListener("click", onClick);
    return node;
  }

  function start() {
    var tools = document.querySelector("[data-sop-checklist]");
    if (!tools || tools.getAttribute("data-sop-checklist-ready")) return;
    tools.setAttribute("data-sop-checklist-ready", "true");
    var content = tools.closest(".md-content") || document;
    var boxes = Array.prototype.slice.call(
      content.querySelectorAll(".task-list-item input[type=checkbox]"));
    var state = load();
    boxes.forEach(function (box, index) {
      var key = itemKey(box, index);
      box.disabled = false;
      box.removeAttribute("disabled");
      box.checked = Boolean(state[key]);
      box.addEventListener("change", function () {
        var current = load();
        if (box.checked) current[key] = true; else delete current[key];
        save(current);
      });
    });
    var note = document.createElement("p");
    note.className = "sop-checklist-tools__note";
    note.textContent = "Tick the boxes as you go: your ticks are kept in this browser only.";
    tools.appendChild(note);
    tools.appendChild(button("Print the checklist", function () { window.print(); }));
    tools.appendChild(button("Clear the ticks", function () {
      boxes.forEach(function (box) { box.checked = false; });
      save({});
    }));
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(start);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
