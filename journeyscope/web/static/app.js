/* Journeyscope workspace: small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Keep the open <details> of the editor in view after a save redirected back here.
  if (location.hash && location.hash.indexOf("#el-") === 0) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) { target.scrollIntoView({ block: "start" }); }
  }

  // Current / future / both switch of a map (standalone map files do this inline).
  document.querySelectorAll(".js-toggle").forEach(function (toggle) {
    var root = toggle.parentElement;
    toggle.querySelectorAll("button").forEach(function (b) {
      b.addEventListener("click", function () {
        var show = b.getAttribute("data-show");
        root.querySelectorAll(".js-state").forEach(function (s) {
          s.hidden = !(show === "both" || s.getAttribute("data-state") === show);
        });
        toggle.querySelectorAll("button").forEach(function (o) {
          o.setAttribute("aria-selected", o === b ? "true" : "false");
        });
      });
    });
  });

  // Charts: the figure is data on the element (the Content-Security-Policy runs no inline
  // script); plotly.js is loaded by the page before this file.
  var charts = document.querySelectorAll(".js-plotly[data-figure]");
  for (var i = 0; i < charts.length && window.Plotly; i++) {
    var figure = JSON.parse(charts[i].getAttribute("data-figure"));
    window.Plotly.newPlot(charts[i], figure.data, figure.layout, figure.config);
  }

  // Analysis status: poll the JSON twin until the job is done, then show the result.
  var box = document.getElementById("analysis");
  if (box && /^(queued|running)$/.test(box.getAttribute("data-status"))) {
    var url = box.getAttribute("data-poll");
    var bar = document.getElementById("analysis-progress");
    var timer = window.setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (bar) { bar.value = data.progress; }
          if (data.status === "done" || data.status === "failed") {
            window.clearInterval(timer);
            location.reload();
          }
        })
        .catch(function () { /* try again on the next tick */ });
    }, 700);
  }
})();
