// The review workbench's keyboard and evidence viewer, in a static file (the
// CSP allows no inline script). Everything here has a plain equivalent: the
// keys click the page's own links and buttons, the viewer's thumbnails are
// links to the full image.
//   a  approve          r  reject (caret in the reason)
//   j  next reply       k  previous reply        ?  show / hide the keys
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }

  function click(id) {
    var node = document.getElementById(id);
    if (node) node.click();
    return !!node;
  }

  function toggleKeys() {
    var panel = document.getElementById("review-keys");
    var button = document.getElementById("review-keys-button");
    if (!panel) return;
    panel.hidden = !panel.hidden;
    if (button) button.setAttribute("aria-expanded", String(!panel.hidden));
  }

  function rejectReason() {
    var form = document.getElementById("reject-form");
    if (!form) return false;
    var field = form.querySelector("select, textarea");
    if (field) field.focus();
    return true;
  }

  var viewer = {
    links: [], index: 0,
    dialog: function () { return document.getElementById("evidence-viewer"); },
    show: function (index) {
      var dialog = this.dialog();
      if (!dialog || !this.links.length) return;
      this.index = (index + this.links.length) % this.links.length;
      var link = this.links[this.index];
      var image = document.getElementById("evidence-viewer-image");
      var thumb = link.querySelector("img");
      image.src = link.href;
      image.alt = thumb ? thumb.alt : "";
      image.classList.remove("zoomed");
      document.getElementById("evidence-viewer-caption").textContent = image.alt;
      if (!dialog.open) dialog.showModal();
    },
    open: function (link) {
      var group = link.closest("[data-evidence-group]");
      this.links = Array.prototype.slice.call(group.querySelectorAll("a[data-evidence]"));
      this.show(this.links.indexOf(link));
    }
  };

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-evidence]");
    if (link && viewer.dialog()) {
      event.preventDefault();
      viewer.open(link);
      return;
    }
    var control = event.target.closest("[data-viewer]");
    if (control) {
      var what = control.getAttribute("data-viewer");
      if (what === "close") viewer.dialog().close();
      else if (what === "zoom") document.getElementById("evidence-viewer-image").classList.toggle("zoomed");
      else viewer.show(viewer.index + (what === "next" ? 1 : -1));
      return;
    }
    if (event.target.closest("#review-keys-button")) toggleKeys();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var dialog = viewer.dialog();
    if (dialog && dialog.open) {
      if (event.key === "ArrowRight") viewer.show(viewer.index + 1);
      else if (event.key === "ArrowLeft") viewer.show(viewer.index - 1);
      return;
    }
    if (typing(event.target)) return;
    var handled = false;
    if (event.key === "a") {
      var form = document.getElementById("approve-form");
      if (form) { form.requestSubmit(); handled = true; }
    } else if (event.key === "r") handled = rejectReason();
    else if (event.key === "j") handled = click("review-next");
    else if (event.key === "k") handled = click("review-prev");
    else if (event.key === "?") { toggleKeys(); handled = true; }
    if (handled) event.preventDefault();
  });

  // A refused decision (400 bad reason, 409 claimed or already decided) comes
  // back as the pane with the message: show it, as the page would without htmx.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.target &&
        event.detail.target.id === "review-pane") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
