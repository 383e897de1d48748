/*
 * SOP Portal: small accessibility repairs to what Markdown and the theme render, on every page
 * (checked by axe-core in tests/browser/test_reader.py).
 *
 * - Task-list boxes (`- [ ]` in Markdown) have no label: each is named by its item's text.
 * - A wide table scrolls sideways inside its wrapper: the wrapper can take the keyboard focus
 *   (so it can be scrolled without a mouse) and is named as a region.
 */
(function () {
  "use strict";

  function itemText(box) {
    var item = box.closest("li");
    return item ? item.textContent.replace(/\s+/g, " ").trim().slice(0, 120) : "";
  }

  function repair() {
    document.querySelectorAll(".task-list-item input[type=checkbox]").forEach(function (box) {
      if (!box.getAttribute("aria-label")) box.setAttribute("aria-label", itemText(box) || "Done");
    });
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (wrap) {
      if (wrap.hasAttribute("tabindex")) return;
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", "Table (scrolls sideways)");
    });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(repair);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", repair);
  } else {
    repair();
  }
})();
