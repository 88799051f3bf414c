// The export button shows a refusal (400/429/503) next to itself. htmx does not
// swap error responses by default, so before-swap is told to swap them into the
// button's feedback element. A listener in a static file, not hx-on: hx-on is
// evaluated code, which the CSP (and htmx's allowEval: false) forbids.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.target.closest || !event.target.closest(".export-action")) return;
    if (event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
