// A batch's progress ("84 of 150 sent"), refreshed every few seconds from the JSON
// endpoint. Without JavaScript the page shows the figures of its last load and a link
// to reload it.
(function () {
  "use strict";
  function start(root) {
    var url = root.getAttribute("data-status-url");
    var text = root.querySelector("[data-progress-text]");
    var worker = root.querySelector("[data-progress-worker]");
    var reload = root.querySelector("[data-progress-reload]");
    if (!url || !text || !window.fetch) return;
    if (reload) reload.hidden = true;
    var last = text.textContent;
    function describe(data) {
      var parts = [data.sent + " of " + data.total + " sent"];
      if (data.failed) parts.push(data.failed + " failed");
      if (data.retrying) parts.push(data.retrying + " to be retried");
      return parts.join(", ") + (data.done ? ". Finished." : "");
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          var message = describe(data);
          if (message !== last) {
            // Only a change is announced: a screen reader hears each new figure once.
            text.innerHTML = "";
            var strong = document.createElement("strong");
            strong.textContent = message;
            text.appendChild(strong);
            last = message;
          }
          if (worker) worker.hidden = !data.worker_missing;
          if (!data.done) window.setTimeout(poll, 3000);
        })
        .catch(function () {
          if (reload) reload.hidden = false;
          window.setTimeout(poll, 15000);
        });
    }
    window.setTimeout(poll, 1500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var roots = document.querySelectorAll('[data-module="app-email-progress"]');
    for (var i = 0; i < roots.length; i++) start(roots[i]);
  });
})();
