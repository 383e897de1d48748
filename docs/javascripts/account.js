/*
 * SOP Portal: the signed-in state in the header of every page (public, members and the
 * gate's own pages, which all wear the same theme).
 *
 * Public pages are static files, so this script asks the gate's /auth/status who the reader
 * is: signed in, the header shows their email (a link to their account page) and "Sign out",
 * and the "Members (sign in)" tab reads "Members area"; signed out, it offers "Sign in".
 * One-time notices ("You are signed out.") are shown above the page's content. Served without
 * the gate (plain files) the status cannot be read and nothing is added.
 */
(function () {
  "use strict";

  var STATUS = "/auth/status";
  var SIGNED_OUT_TAB = "Members (sign in)";
  var SIGNED_IN_TAB = "Members area";

  function link(href, text, className) {
    var node = document.createElement("a");
    node.href = href;
    node.className = className;
    node.textContent = text;
    return node;
  }

  function accountBox(status) {
    var box = document.createElement("div");
    box.className = "sop-account";
    if (status.signed_in) {
      var who = link(status.account_url, "", "sop-account__who");
      who.title = "Your account: " + status.email;
      var full = document.createElement("span");
      full.className = "sop-account__email";
      full.textContent = status.email;
      var short = document.createElement("span");
      short.className = "sop-account__short";
      short.textContent = "Account";
      who.appendChild(full);
      who.appendChild(short);
      who.setAttribute("aria-label", "Your account (signed in as " + status.email + ")");
      box.appendChild(who);
      box.appendChild(link("/auth/logout", "Sign out", "sop-account__action"));
    } else {
      box.appendChild(link("/auth/login", "Sign in", "sop-account__action"));
    }
    return box;
  }

  function showAccount(status) {
    var inner = document.querySelector(".md-header__inner");
    if (!inner) return;
    var old = inner.querySelector(".sop-account");
    if (old) old.remove();
    var before = inner.querySelector(".md-search") ||
      inner.querySelector("label[for='__search']") || null;
    inner.insertBefore(accountBox(status), before);
  }

  function renameMembersLinks(status) {
    var from = status.signed_in ? SIGNED_OUT_TAB : SIGNED_IN_TAB;
    var to = status.signed_in ? SIGNED_IN_TAB : SIGNED_OUT_TAB;
    document.querySelectorAll("a[href$='/members/']").forEach(function (anchor) {
      var walker = document.createTreeWalker(anchor, NodeFilter.SHOW_TEXT);
      for (var text = walker.nextNode(); text; text = walker.nextNode()) {
        if (text.nodeValue.trim() === from) text.nodeValue = text.nodeValue.replace(from, to);
      }
    });
  }

  function showNotices(notices) {
    var content = document.querySelector(".md-content__inner");
    if (!content || !notices || !notices.length) return;
    notices.forEach(function (text) {
      var note = document.createElement("p");
      note.className = "sop-notice";
      note.setAttribute("role", "status");
      note.textContent = text;
      content.insertBefore(note, content.firstChild);
    });
  }

  function refresh() {
    if (!window.fetch) return;
    fetch(STATUS, {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) return null;
        return response.json();
      })
      .then(function (status) {
        if (!status || typeof status.signed_in !== "boolean") return;
        showAccount(status);
        renameMembersLinks(status);
        showNotices(status.notices);
      })
      .catch(function () { /* plain files without the gate: nothing to show */ });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(refresh);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
