// The header's "My work" count, read once the page has loaded: every page shows it, and counting
// every kind of waiting work took longer than most pages themselves (docs/work-queue.md). The
// home page lists the work and prints its count itself. Without script the link still leads
// to the list.
(function () {
  "use strict";
  var badge = document.querySelector("[data-work-count]");
  if (!badge || !window.fetch) return;
  fetch(badge.getAttribute("data-work-count"), {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
    })
    .then(function (body) {
      if (body && typeof body.count === "number" && body.count > 0) {
        badge.textContent = String(body.count);
        badge.hidden = false;
      }
    })
    .catch(function () {
      // No count is shown rather than a wrong one; the link still leads to the list.
    });
})();
