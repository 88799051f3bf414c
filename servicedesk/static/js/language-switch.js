// The header's language menu submits its form as soon as a language is picked
// (without script, the <noscript> button does it). A listener in a static file
// rather than an onchange attribute: the CSP allows no inline script.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches(".langswitch select")) select.form.submit();
  });
})();
