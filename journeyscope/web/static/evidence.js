// The binding editor's live figure: the share of events bound to a step, and the unbound
// event names by reach, recomputed whenever a step is picked. No network, no inline script.
(function () {
  "use strict";
  var form = document.getElementById("binding-form");
  if (!form) { return; }
  var figure = document.getElementById("mapped-figure");
  var list = document.getElementById("unmapped-list");
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr.binding-row"));
  function update() {
    var total = 0, bound = 0, open = [];
    rows.forEach(function (row) {
      var events = parseInt(row.dataset.events, 10) || 0;
      var pick = row.querySelector("select.step-pick");
      total += events;
      if ((pick && pick.value) || row.dataset.pattern === "1") { bound += events; }
      else { open.push(row); }
    });
    var share = total ? Math.round(100 * bound / total) : 0;
    figure.textContent = figure.dataset.template.replace("{share}", share + "%");
    figure.dataset.share = String(share);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    open.sort(function (a, b) { return b.dataset.customers - a.dataset.customers; });
    open.slice(0, 10).forEach(function (row) {
      var item = document.createElement("li");
      item.textContent = row.querySelector(".event-name").textContent + " · " + row.dataset.customers;
      list.appendChild(item);
    });
    if (!open.length) {
      var none = document.createElement("li");
      none.textContent = list.dataset.empty;
      list.appendChild(none);
    }
  }
  rows.forEach(function (row) {
    var attr = row.querySelector("select[name^='attr:']");
    var value = row.querySelector("input[name^='value:']");
    function suggest() { if (attr && value) { value.setAttribute("list", "attr-values-" + attr.value); } }
    if (attr) { attr.addEventListener("change", suggest); suggest(); }
  });
  // Drag an event name onto a step or touchpoint of the board: it picks that target in the
  // row's select, which stays the keyboard path. SortableJS is vendored (no network).
  var board = document.getElementById("step-board");
  var targets = board ? Array.prototype.slice.call(board.querySelectorAll(".drop-target")) : [];
  function pickFor(n) { return form.querySelector("select[name='step:" + n + "']"); }
  function counts() {
    targets.forEach(function (target) {
      var n = 0;
      rows.forEach(function (row) {
        var pick = row.querySelector("select.step-pick");
        if (pick && pick.value === target.dataset.target) { n += 1; }
      });
      target.querySelector(".drop-count").textContent = n ? " · " + n : "";
      target.classList.toggle("has-events", n > 0);
    });
  }
  if (board && window.Sortable) {
    rows.forEach(function (row) {
      var cell = row.querySelector("td");
      if (!cell.querySelector(".event-chip")) { return; }
      window.Sortable.create(cell, { group: { name: "events", pull: "clone", put: false },
        sort: false, draggable: ".event-chip" });
    });
    targets.forEach(function (target) {
      window.Sortable.create(target, { group: { name: "events", pull: false, put: true },
        draggable: ".event-chip", onAdd: function (evt) {
          var pick = pickFor(evt.item.dataset.row);
          if (evt.clone && evt.clone.parentNode) { evt.clone.parentNode.replaceChild(evt.item, evt.clone); }
          else if (evt.item.parentNode === target) { target.removeChild(evt.item); }
          if (pick && !pick.disabled) {
            pick.value = target.dataset.target;
            pick.dispatchEvent(new Event("change", { bubbles: true }));
          }
        } });
    });
  }
  form.addEventListener("change", function () { update(); counts(); });
  update();
  counts();
})();

// The persona forms: the value box suggests the values of the customer attribute picked.
(function () {
  "use strict";
  Array.prototype.slice.call(document.querySelectorAll(".persona-form .condition-row")).forEach(function (row) {
    var attr = row.querySelector("select.pattr"), value = row.querySelector("input.pvalue");
    if (!attr || !value) { return; }
    function suggest() {
      var chosen = attr.options[attr.selectedIndex];
      if (chosen && chosen.dataset.list) { value.setAttribute("list", chosen.dataset.list); }
      else { value.removeAttribute("list"); }
    }
    attr.addEventListener("change", suggest);
    suggest();
  });
})();

// The launch form shows what the map already says of the opportunity picked.
(function () {
  "use strict";
  var pick = document.getElementById("opportunity-pick");
  if (!pick) { return; }
  var form = pick.form;
  function show() {
    var o = pick.options[pick.selectedIndex];
    if (!o) { return; }
    form.elements.launch_date.value = o.dataset.launch || "";
    if (o.dataset.status) { form.elements.status.value = o.dataset.status; }
    if (o.dataset.effort) { form.elements.effort.value = o.dataset.effort; }
    form.elements.expected_effect.value = o.dataset.effect || "";
    var kpis = (o.dataset.kpis || "").split(" ");
    Array.prototype.slice.call(form.querySelectorAll("input[name^='kpi:']")).forEach(function (box) {
      box.checked = kpis.indexOf(box.name.slice(4)) >= 0;
    });
  }
  pick.addEventListener("change", show);
  show();
})();
