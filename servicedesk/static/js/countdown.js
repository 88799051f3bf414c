// Ticks every countdown on the page from the server's deadline (data-deadline,
// ISO 8601). The server renders the right text on load; this only keeps it
// moving. Formats and the amber threshold come from the page (#countdown-config)
// so the words match the server's, in the user's language.
(function () {
  "use strict";
  var configNode = document.getElementById("countdown-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  // The deadline is the server's: measure time on the server's clock.
  var skew = Date.parse(config.server_now) - Date.now();

  function fill(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function render(node, now) {
    var seconds = Math.floor((Date.parse(node.dataset.deadline) - now) / 1000);
    var state = seconds <= 0 ? "overdue" : (seconds < config.due_soon_seconds ? "due-soon" : "ok");
    var text;
    if (seconds <= 0) {
      text = config.overdue;
    } else {
      var hours = Math.floor(seconds / 3600);
      var minutes = Math.floor((seconds % 3600) / 60);
      // Under a minute: "9 s left", not "0 min 9 s left".
      text = hours > 0
        ? fill(config.hm, { hours: hours, minutes: minutes })
        : (minutes > 0
          ? fill(config.ms, { minutes: minutes, seconds: seconds % 60 })
          : fill(config.s, { seconds: seconds }));
    }
    if (node.textContent !== text) node.textContent = text;
    node.classList.remove("countdown-ok", "countdown-due-soon", "countdown-overdue");
    node.classList.add("countdown-" + state);
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (node) {
      render(node, now);
    });
  }

  tick();
  setInterval(tick, 1000);
})();
