// Keyboard and screen-reader focus, in a static file (the CSP allows no inline
// script):
// - a page that comes back with form errors puts the caret in the first invalid
//   field (Django marks it aria-invalid and links it to its errors through
//   aria-describedby);
// - after an htmx swap the person asked for (a click or a submit, not the
//   badge's polling), focus moves to the new content and the page's one polite
//   live region (#live-region) says what happened: the new content's
//   data-announce, or its text when it is short.
(function () {
  "use strict";
  var MAX_SPOKEN = 200;

  function focusFirstInvalid() {
    var field = document.querySelector("main [aria-invalid=true]");
    if (field) field.focus();
  }

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region || !text) return;
    // Emptied first so the same words twice are still spoken twice.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function moveFocus(node) {
    if (!node.matches("a, button, input, select, textarea, [tabindex]")) {
      node.setAttribute("tabindex", "-1");
    }
    node.focus();
  }

  // Only swaps a person asked for count: a poll (the badge, the workbench's
  // claim renewal) has no triggering event, and one that lands while a
  // decision's swap is settling must neither cancel nor take its focus move.
  function askedFor(event) {
    var config = event.detail.requestConfig;
    return !!(config && config.triggeringEvent);
  }

  // Which element the swap replaced or filled: outerHTML swaps put a new
  // element under the same id, so it is found again by id after settling.
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (askedFor(event)) pending = {id: event.detail.target.id, node: event.detail.target};
  });
  // Where focus was right after the swap (htmx gives it back to an element of
  // the same id): if it is elsewhere in the new content by the time the swap
  // settles, a quick keyboard user moved it there (r puts the caret in the
  // reason), and it stays.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (pending && askedFor(event)) pending.focused = document.activeElement;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!pending || !askedFor(event)) return;
    var node = (pending.id && document.getElementById(pending.id)) || pending.node;
    var focused = pending.focused;
    pending = null;
    if (!node || !node.isConnected) return;
    var spoken = node.getAttribute("data-announce") ||
      node.querySelector("[data-announce]") && node.querySelector("[data-announce]").getAttribute("data-announce") ||
      node.textContent.replace(/\s+/g, " ").trim().slice(0, MAX_SPOKEN);
    var moved = document.activeElement !== focused && node.contains(document.activeElement);
    if (!moved) moveFocus(node);
    announce(spoken);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstInvalid);
  } else {
    focusFirstInvalid();
  }
})();
