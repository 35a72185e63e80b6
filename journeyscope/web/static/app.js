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
