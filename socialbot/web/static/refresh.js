// The overview refreshes itself: every few seconds it asks live.json for its sections,
// freshly rendered (and escaped) by the server, and swaps them in. No reload, no library.
(function () {
  "use strict";
  var stamp = document.getElementById("refreshed");
  if (!stamp || !window.fetch) { return; }
  var url = stamp.getAttribute("data-live-url") + window.location.search;
  var every = Math.max(5, parseInt(stamp.getAttribute("data-every"), 10) || 30) * 1000;
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        Object.keys(data.sections).forEach(function (name) {
          var box = document.querySelector('[data-live="' + name + '"]');
          if (box) { box.innerHTML = data.sections[name]; }
        });
        stamp.textContent = "updated " + new Date(data.generated_at).toLocaleTimeString();
      })
      .catch(function (err) { stamp.textContent = "could not update (" + err.message + ")"; });
  }
  window.setInterval(refresh, every);
})();
