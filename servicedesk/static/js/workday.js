// The merchant's workday on the ticket pages, in a static file (the CSP allows
// no inline script). Everything here is an aid: without it the forms still work.
// - a page rendered for a refused POST (data-replace-url on <body>) puts the
//   ticket's own address in the address bar, so a reload shows the ticket
//   instead of sending the form again;
// - textareas with data-max-length count characters as you type or paste
//   (nothing is cut: the server says if it is too long);
// - picking a reply template (select[data-template-target]) puts its text in
//   the textarea it names;
// - while the reply form is typed in, the server hears about it at most every
//   30 s (form[data-presence-url]), so others see "… is replying";
// - "select all on this page" (input[data-select-all]) ticks the list's boxes.
(function () {
  "use strict";

  var replaceUrl = document.body.dataset.replaceUrl;
  if (replaceUrl && window.history.replaceState) {
    window.history.replaceState(null, "", replaceUrl);
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  document.querySelectorAll("textarea[data-max-length]").forEach(function (area) {
    var limit = parseInt(area.dataset.maxLength, 10);
    var counter = document.getElementById(area.id + "-counter");
    if (!counter) return;
    var template = counter.dataset.format || "%(count)s / %(limit)s";
    function update() {
      var count = Array.from(area.value).length;
      counter.textContent = template.replace("%(count)s", count).replace("%(limit)s", limit);
      counter.classList.toggle("over-limit", count > limit);
    }
    area.addEventListener("input", update);
    update();
  });

  document.querySelectorAll("select[data-template-target]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var area = document.getElementById(select.dataset.templateTarget);
      if (!area || !option || option.dataset.body === undefined) return;
      area.value = option.dataset.body;
      area.dispatchEvent(new Event("input"));
      area.focus();
    });
  });

  document.querySelectorAll("form[data-presence-url]").forEach(function (form) {
    var last = Date.now();  // the page load itself counted as the first beat
    form.addEventListener("input", function () {
      if (Date.now() - last < 30000) return;
      last = Date.now();
      fetch(form.dataset.presenceUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      }).catch(function () { /* advisory only */ });
    });
  });

  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var boxes = function () {
      return document.querySelectorAll("input[type=checkbox][name=numbers]");
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
  });
})();
