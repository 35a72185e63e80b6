/* Journeyscope map editor: type on the map, drag steps and stages, undo/redo, live presence.
 *
 * Every change is one small operation sent to the REST API (POST /api/maps/{id}/edit with the
 * session's CSRF header); the server merges it three-way into the newest version and answers
 * with the whole map, which is drawn again. When the same field was changed by someone else,
 * the answer (409) lists both texts and the cell offers the choice. A WebSocket
 * (/maps/{id}/live) says who is here, which cell each person has selected, and when a new
 * version was saved, so everyone sees the others' edits within a second.
 * The DOM is built with textContent only: nothing typed is ever parsed as HTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("board-root");
  if (!root) { return; }
  var S = JSON.parse(root.getAttribute("data-strings"));
  var CHANNELS = JSON.parse(root.getAttribute("data-channels"));
  var mapId = root.getAttribute("data-map");
  var csrf = root.getAttribute("data-csrf");
  var canEdit = root.getAttribute("data-can-edit") === "1";
  var mapState = root.getAttribute("data-state") || "current";
  var SPRITE = root.getAttribute("data-sprite");
  var board = root.querySelector(".board");
  var status = document.getElementById("save-status");
  var presenceBar = document.getElementById("presence");

  var BUILT_IN = [
    { key: "actions", label: S["lane.actions"] },
    { key: "touchpoints", label: S["lane.touchpoints"], kind: "chips" },
    { key: "thoughts", label: S["lane.thoughts"] },
    { key: "feelings", label: S["editor.lane.feelings"], kind: "scores" },
    { key: "needs", label: S["lane.needs"] },
    { key: "pain_points", label: S["lane.pain_points"] },
    { key: "opportunities", label: S["lane.opportunities"] },
    { key: "backstage.teams", label: S["editor.lane.teams"] },
    { key: "backstage.systems", label: S["editor.lane.systems"] }
  ];
  var LANES = BUILT_IN;
  var PALETTE = JSON.parse(root.getAttribute("data-palette") || "[]");
  // a custom lane's "after" names a lane of the rendered map; the board's own names for them
  var PLACE = { emotion: "feelings", feeling_words: "feelings", teams: "backstage.teams",
    systems: "backstage.systems", processes: "backstage.systems" };

  /** The built-in lanes with the map's own lanes placed after the lane each names. */
  function boardLanes() {
    var order = BUILT_IN.slice();
    (map.lanes || []).forEach(function (lane) {
      var after = PLACE[lane.after] || lane.after;
      var at = order.findIndex(function (l) { return l.key === after || l.key === "lane:" + after; });
      var entry = { key: "lane:" + lane.id, label: lane.name, kind: lane.kind || "list", lane: lane };
      order.splice(at < 0 ? order.length : at + 1, 0, entry);
    });
    return order;
  }

  var map = null;          // the map as the server last sent it
  var version = 0;         // its version number
  var undoStack = [];      // operations that undo the last edits, newest last
  var redoStack = [];
  var editing = null;      // the cell being typed into: {cell, base}; redraws wait for it
  var stale = false;       // a newer version arrived while typing
  var others = [];         // presence: [{client, name, cell, colour}]
  var sortables = [];

  // --- small DOM helpers -------------------------------------------------------------------
  function h(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key.slice(0, 2) === "on") { node.addEventListener(key.slice(2), value); }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) { continue; }
      (Array.isArray(child) ? child : [child]).forEach(function (c) {
        if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); }
      });
    }
    return node;
  }

  function icon(id, label) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", label ? "false" : "true");
    if (label) { svg.setAttribute("aria-label", label); svg.setAttribute("role", "img"); }
    var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", SPRITE + "#" + id);
    svg.appendChild(use);
    return svg;
  }

  function say(key, values) {
    var text = S[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  }

  // --- reading the map ---------------------------------------------------------------------
  function stages() {
    return mapState === "future" && map.future ? map.future.stages : map.stages;
  }

  function findStep(id) {
    var found = null;
    stages().forEach(function (stage, si) {
      (stage.steps || []).forEach(function (step, i) {
        if (step.id === id) { found = { step: step, stage: stage, index: i, stageIndex: si }; }
      });
    });
    return found;
  }

  function listOf(step, key) {
    if (key === "opportunities") { return (step.opportunities || []).map(function (o) { return o.title; }); }
    if (key.indexOf("backstage.") === 0) { return ((step.backstage || {})[key.slice(10)]) || []; }
    if (key.indexOf("lane:") === 0) { return ((step.lanes || {})[key.slice(5)]) || []; }
    return step[key] || [];
  }

  function scoreOf(step, persona) {
    var f = (step.feelings || []).filter(function (x) { return (x.persona || "") === persona; })[0];
    return f && f.score !== null && f.score !== undefined ? f.score : "";
  }

  function personas() {
    var list = (map.personas || []).map(function (p) { return { id: p.id, name: p.name }; });
    return list.length ? list : [{ id: "", name: S["edit.everyone"] }];
  }

  // --- talking to the server -----------------------------------------------------------------
  function load() {
    return fetch("/api/maps/" + mapId, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { accept(data); });
  }

  function accept(data) {
    if (data.current_version < version) { return; }
    map = data.map;
    version = data.current_version;
    if (editing) { stale = true; return; }
    stale = false;
    draw();
  }

  /** Send one operation. ``opts``: inverse (for undo), cell (where errors show), base. */
  function send(op, fields, opts) {
    opts = opts || {};
    if (mapState === "future") { fields.state = "future"; }
    setStatus(S["editor.saving"], "busy");
    var body = { base_version: opts.base || version, op: op, fields: fields };
    return fetch("/api/maps/" + mapId + "/edit", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (answer) {
      if (answer.status === 200) {
        var before = map;
        accept(answer.data);
        var inverse = typeof opts.inverse === "function" ? opts.inverse(before, map) : opts.inverse;
        if (inverse && !opts.isUndo) { undoStack.push({ undo: inverse, redo: { op: op, fields: fields } }); if (!opts.isRedo) { redoStack = []; } }
        setStatus(say("editor.saved_version", { n: version }), "ok");
        announce();
        return true;
      }
      if (answer.status === 409 && answer.data.conflicts) {
        setStatus(S["editor.conflict"], "warn");
        offerChoice(op, fields, opts, answer.data);
        load();
        return false;
      }
      var detail = typeof answer.data.detail === "string" ? answer.data.detail : S["editor.error"];
      setStatus(detail, "error");
      if (opts.cell) { showError(opts.cell, detail); }
      load();
      return false;
    }).catch(function () {
      setStatus(S["editor.offline"], "error");
      return false;
    });
  }

  // --- conflicts: both texts side by side, the person chooses --------------------------------
  function offerChoice(op, fields, opts, data) {
    var box = document.getElementById("choices");
    data.conflicts.forEach(function (c) {
      var pick = function (choice) {
        var again = Object.assign({}, fields);
        again["choice:" + c.key] = choice;
        card.remove();
        send(op, again, Object.assign({}, opts, { base: data.base_version }));
      };
      var show = function (v) { return Array.isArray(v) ? v.join("\n") : (v === null || v === undefined || v === "" ? S["merge.empty"] : String(v)); };
      var card = h("div", { class: "choice-card", role: "group", "aria-label": S["editor.conflict"] },
        h("p", { class: "choice-title", text: S["editor.choose"] }),
        h("div", { class: "sides" },
          h("button", { type: "button", class: "side", "data-choice": "theirs", onclick: function () { pick("theirs"); } },
            h("strong", { text: S["merge.theirs"] }), h("span", { class: "text", text: show(c.theirs) })),
          h("button", { type: "button", class: "side", "data-choice": "mine", onclick: function () { pick("mine"); } },
            h("strong", { text: S["merge.mine"] }), h("span", { class: "text", text: show(c.mine) })),
          c.joinable ? h("button", { type: "button", class: "side", "data-choice": "both", onclick: function () { pick("both"); } },
            h("strong", { text: S["merge.both"] }), h("span", { class: "text", text: show(c.theirs) + " / " + show(c.mine) })) : null));
      box.appendChild(card);
    });
    box.hidden = false;
  }

  function showError(cell, text) {
    var node = board.querySelector('[data-cell="' + cssEscape(cell) + '"]');
    if (!node) { return; }
    var old = node.querySelector(".field-error");
    if (old) { old.remove(); }
    node.appendChild(h("p", { class: "field-error", role: "alert", text: text }));
  }

  function cssEscape(text) { return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/"/g, '\\"'); }

  // --- drawing --------------------------------------------------------------------------------
  function draw() {
    var scroller = root.querySelector(".board-scroll");
    var left = scroller ? scroller.scrollLeft : 0;
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    board.textContent = "";
    LANES = boardLanes();
    board.style.setProperty("--rows", String(LANES.length + 2));
    board.appendChild(labels());
    stages().forEach(function (stage) { board.appendChild(stageColumn(stage)); });
    if (canEdit) { board.appendChild(addStageColumn()); }
    if (scroller) { scroller.scrollLeft = left; }
    enableDragging();
    drawCurves();
    markPresence();
    document.getElementById("undo").disabled = !undoStack.length;
    document.getElementById("redo").disabled = !redoStack.length;
  }

  function labels() {
    return h("div", { class: "lane-labels" },
      h("div", { class: "lane-label corner" }),
      h("div", { class: "lane-label", text: S["editor.lane.step"] }),
      LANES.map(function (lane) { return h("div", { class: "lane-label" + (lane.lane ? " custom" : ""), text: lane.label }); }));
  }

  function stageColumn(stage) {
    var fill = stage.color || "";
    var head = h("div", { class: "stage-head" + (fill ? " coloured" : ""), style: fill ? "--stage:" + fill + ";--stage-ink:" + ink(fill) : null },
      canEdit ? h("span", { class: "stage-grip grip", title: S["editor.drag_stage"] }, icon("ui-grip")) : null,
      textCell("stage:" + stage.id + ":name", stage.name, function (value) {
        return ["set", { kind: "stage", id: stage.id, field: "name", value: value },
          { kind: "stage", id: stage.id, field: "name", value: stage.name }];
      }, "stage-name", true),
      marker(stage.id, stage.name),
      canEdit ? colourButton(stage) : null,
      canEdit ? h("button", { type: "button", class: "icon-button add-step", title: S["edit.add_step"], "aria-label": S["edit.add_step"],
        onclick: function () { addStep(stage, steps); } }, icon("ui-plus")) : null);
    var steps = h("div", { class: "steps", "data-stage": stage.id },
      (stage.steps || []).map(stepColumn));
    return h("section", { class: "stage-col", "data-stage": stage.id }, head, steps);
  }

  function stepColumn(step) {
    var cells = [h("div", { class: "step-head" },
      canEdit ? h("span", { class: "grip", title: S["editor.drag_step"] }, icon("ui-grip")) : null,
      textCell("step:" + step.id + ":name", step.name, function (value) {
        return ["set", { kind: "step", id: step.id, field: "name", value: value },
          { kind: "step", id: step.id, field: "name", value: step.name }];
      }, "step-name", true),
      marker(step.id, step.name),
      canEdit ? h("button", { type: "button", class: "icon-button delete-step", title: S["common.delete"], "aria-label": S["common.delete"],
        onclick: function () { if (window.confirm(S["common.sure"])) { send("delete_step", { step: step.id }); } } }, icon("ui-trash")) : null)];
    LANES.forEach(function (lane) {
      if (lane.kind === "chips") { cells.push(chipsCell(step)); }
      else if (lane.kind === "image") { cells.push(imagesCell(step, lane)); }
      else if (lane.kind === "metric") { cells.push(metricCell(step, lane)); }
      else if (lane.kind === "scores") { cells.push(scoresCell(step)); }
      else { cells.push(listCell(step, lane)); }
    });
    return h("article", { class: "step", "data-step": step.id }, cells);
  }

  /** A text shown as it is; a click turns it into an input, Enter or leaving saves it. */
  function textCell(cell, value, makeOp, cls, required) {
    var node = h("div", { class: "cell text-cell " + (cls || ""), "data-cell": cell, tabindex: canEdit ? "0" : null },
      h("span", { class: "value", text: value || "" }));
    if (!canEdit) { return node; }
    var open = function () {
      if (node.querySelector("input")) { return; }
      var input = h("input", { type: "text", value: value || "", "aria-label": S["editor.edit"] });
      var base = version;
      node.textContent = "";
      node.appendChild(input);
      input.focus(); input.select();
      startEditing(cell, base);
      var done = false;
      var finish = function (save) {
        if (done) { return; }
        done = true;
        var typed = input.value.trim();
        if (save && required && !typed) {
          done = false;
          showError(cell, S["editor.err.name_empty"]);
          input.focus();
          return;
        }
        stopEditing();
        if (save && typed !== (value || "")) {
          var parts = makeOp(typed);
          send(parts[0], parts[1], { base: base, cell: cell, inverse: { op: parts[0], fields: parts[2] } });
        } else { draw(); }
      };
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); finish(true); }
        if (e.key === "Escape") { finish(false); }
      });
      input.addEventListener("blur", function () { finish(true); });
    };
    node.addEventListener("click", open);
    node.addEventListener("keydown", function (e) { if (e.key === "Enter" && e.target === node) { open(); } });
    return node;
  }

  /** A list lane: items shown as lines; a click edits them, one item per line. */
  function listCell(step, lane) {
    var items = listOf(step, lane.key);
    var cell = "step:" + step.id + ":" + lane.key;
    var node = h("div", { class: "cell list-cell lane-" + lane.key.replace(/[.:]/g, "-"), "data-cell": cell, tabindex: canEdit ? "0" : null },
      items.length ? h("ul", null, items.map(function (t) { return h("li", { text: t }); })) :
        (canEdit ? h("span", { class: "placeholder", text: S["editor.add_here"] }) : null));
    if (!canEdit) { return node; }
    var open = function () {
      if (node.querySelector("textarea")) { return; }
      var area = h("textarea", { rows: String(Math.max(2, items.length + 1)), "aria-label": lane.label });
      area.value = items.join("\n");
      var base = version;
      node.textContent = "";
      node.appendChild(area);
      node.appendChild(h("p", { class: "hint", text: S["editor.lines_hint"] }));
      area.focus();
      startEditing(cell, base);
      var done = false;
      var finish = function (save) {
        if (done) { return; }
        done = true;
        stopEditing();
        var text = area.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).join("\n");
        if (save && text !== items.join("\n")) {
          if (lane.kind === "text") { text = area.value.trim(); }
          send("set", { kind: "step", id: step.id, field: lane.key, value: text },
            { base: base, cell: cell, inverse: { op: "set", fields: { kind: "step", id: step.id, field: lane.key, value: items.join("\n") } } });
        } else { draw(); }
      };
      area.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); finish(true); }
        if (e.key === "Escape") { finish(false); }
      });
      area.addEventListener("blur", function () { finish(true); });
    };
    node.addEventListener("click", open);
    node.addEventListener("keydown", function (e) { if (e.key === "Enter" && e.target === node) { open(); } });
    return node;
  }

  // --- stage colours, pictures and KPI lanes ---------------------------------------------------
  function ink(hex) {  // black or white, whichever reads better on the colour (WCAG contrast)
    var lum = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? "#ffffff" : "#000000";
  }

  function colourButton(stage) {
    var cell = "stage:" + stage.id + ":color";
    var wrap = h("span", { class: "colour-pick", "data-cell": cell });
    var button = h("button", { type: "button", class: "icon-button swatch-button", title: S["looks.colour"], "aria-label": S["looks.colour"],
      "aria-expanded": "false", style: "--swatch:" + (stage.color || "#e8eefc") }, h("span", { class: "swatch" }));
    button.addEventListener("click", function () {
      if (wrap.querySelector(".palette")) { wrap.querySelector(".palette").remove(); button.setAttribute("aria-expanded", "false"); return; }
      button.setAttribute("aria-expanded", "true");
      var choose = function (value) {
        send("set", { kind: "stage", id: stage.id, field: "color", value: value },
          { cell: cell, inverse: { op: "set", fields: { kind: "stage", id: stage.id, field: "color", value: stage.color || "" } } });
      };
      wrap.appendChild(h("div", { class: "palette", role: "group", "aria-label": S["looks.colour"] },
        PALETTE.map(function (colour) {
          return h("button", { type: "button", class: "swatch" + (colour === stage.color ? " chosen" : ""), "data-colour": colour,
            style: "background:" + colour, title: colour, "aria-label": colour, onclick: function () { choose(colour); } });
        }),
        h("button", { type: "button", class: "small", text: S["looks.default_colour"], onclick: function () { choose(""); } })));
    });
    wrap.appendChild(button);
    return wrap;
  }

  function imageSrc(ref) { return ref.indexOf("data:") === 0 ? ref : "/maps/" + mapId + "/" + ref; }

  function upload(file) {
    var body = new FormData();
    body.append("file", file);
    return fetch("/api/maps/" + mapId + "/images", { method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf }, body: body })
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw new Error(typeof d.detail === "string" ? d.detail : S["editor.error"]); } return d; }); });
  }

  /** An image lane: the pictures of the step, and a button to add one. */
  function imagesCell(step, lane) {
    var id = lane.lane.id;
    var cell = "step:" + step.id + ":" + lane.key;
    var pictures = (step.images || []).filter(function (i) { return i.lane === id; });
    var input = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp", class: "visually-hidden", "aria-label": S["looks.add_image"] });
    input.addEventListener("change", function () {
      if (!input.files.length) { return; }
      setStatus(S["looks.uploading"], "busy");
      upload(input.files[0]).then(function (d) {
        send("add_image", { step: step.id, image: d.path, lane: id, caption: "" }, { cell: cell,
          inverse: { op: "delete_image", fields: { step: step.id, image: d.path } } });
      }).catch(function (e) { setStatus(e.message, "error"); showError(cell, e.message); });
    });
    return h("div", { class: "cell images-cell", "data-cell": cell },
      pictures.map(function (p) { return picture(step, p, cell); }),
      canEdit ? h("label", { class: "chip add-chip add-picture", title: S["looks.add_image"] }, icon("ui-plus"), h("span", { text: S["looks.add_image"] }), input) : null);
  }

  /** One picture of a step: its caption typed under it, and a button that takes it away. */
  function picture(step, p, cell) {
    var img = h("img", { src: imageSrc(p.image), alt: p.caption || "" });
    if (!canEdit) {
      return h("figure", { class: "picture" }, img, p.caption ? h("figcaption", { text: p.caption }) : null);
    }
    var caption = h("input", { type: "text", class: "caption-input", maxlength: "300", value: p.caption || "",
      placeholder: S["looks.caption"], "aria-label": S["looks.caption"] });
    caption.addEventListener("change", function () {
      send("caption_image", { step: step.id, image: p.image, caption: caption.value }, { cell: cell,
        inverse: { op: "caption_image", fields: { step: step.id, image: p.image, caption: p.caption || "" } } });
    });
    var index = String((step.images || []).indexOf(p));
    var remove = h("button", { type: "button", class: "icon-button remove-picture", title: S["looks.remove_image"],
      "aria-label": S["looks.remove_image"], text: "×", onclick: function () {
        send("delete_image", { step: step.id, image: p.image }, { cell: cell,
          inverse: { op: "add_image", fields: { step: step.id, image: p.image, lane: p.lane || "", caption: p.caption || "", index: index } } });
      } });
    return h("figure", { class: "picture" }, img, h("figcaption", {}, caption), remove);
  }

  function metricCell(step, lane) {
    var kpi = (map.kpis || []).filter(function (k) { return k.id === lane.lane.kpi; })[0];
    var measured = kpi && (kpi.touchpoints || []).some(function (ref) {
      return ref === step.id || (step.touchpoints || []).some(function (tp) { return tp.id === ref; });
    });
    return h("div", { class: "cell metric-cell", "data-cell": "step:" + step.id + ":" + lane.key },
      measured ? h("span", { class: "muted", text: say("looks.metric_hint", { name: kpi.name }) }) : null);
  }

  function watchPhotos() {
    document.querySelectorAll(".photo-upload").forEach(function (input) {
      input.addEventListener("change", function () {
        var box = input.closest(".photo-box");
        var error = box.querySelector(".field-error");
        error.textContent = "";
        if (!input.files.length) { return; }
        setStatus(S["looks.uploading"], "busy");
        upload(input.files[0]).then(function (d) {
          return send("set", { kind: "persona", id: input.getAttribute("data-persona"), field: "photo", value: d.path }).then(function (ok) {
            if (!ok) { return; }
            var img = h("img", { class: "persona-photo", src: d.url, alt: input.getAttribute("data-name"), width: "72", height: "72" });
            box.querySelector(".persona-photo").replaceWith(img);
            setStatus(S["looks.uploaded"], "ok");
          });
        }).catch(function (e) { error.textContent = e.message; setStatus(e.message, "error"); });
      });
    });
  }
  watchPhotos();

  /** Feelings: one score per persona, in the map's emotion scale. */
  function scoresCell(step) {
    var scale = map.emotion_scale || { min: -3, max: 3 };
    var cell = "step:" + step.id + ":feelings";
    return h("div", { class: "cell scores-cell", "data-cell": cell, "data-step": step.id },
      h("div", { class: "curve", "aria-hidden": "true" }),
      personas().map(function (p, k) {
        var old = scoreOf(step, p.id);
        var input = h("input", { type: "number", step: "0.5", min: String(scale.min), max: String(scale.max),
          value: String(old), class: "score", dir: "ltr", "data-persona": p.id, "aria-label": p.name, disabled: !canEdit });
        input.addEventListener("focus", function () { select(cell); });
        input.addEventListener("input", function () { drawCurves(step.id, p.id, input.value.trim()); });
        input.addEventListener("change", function () {
          var text = input.value.trim();
          var number = Number(text);
          if (text && (isNaN(number) || number < scale.min || number > scale.max)) {
            showError(cell, say("editor.err.score", { min: scale.min, max: scale.max }));
            return;
          }
          send("set", { kind: "step", id: step.id, field: "score", persona: p.id, value: text },
            { cell: cell, inverse: { op: "set", fields: { kind: "step", id: step.id, field: "score", persona: p.id, value: String(old) } } });
        });
        var bar = old === "" ? null : h("span", { class: "score-bar " + (old < 0 ? "neg" : "pos"),
          style: "--size:" + Math.round(Math.abs(old) / Math.max(Math.abs(scale.min), Math.abs(scale.max)) * 100) + "%" });
        var colour = CURVE_COLOURS[k % CURVE_COLOURS.length];
        return h("label", { class: "score-row" }, h("span", { class: "who", style: "--colour:" + colour, text: p.name }), input, bar);
      }));
  }

  /** The emotion curve in the Feeling row: one line per persona through the steps' scores,
   *  drawn cell by cell (each cell from the middle of the gap before to the middle of the gap
   *  after), redrawn as a score is typed. A step without a score leaves a gap, not a 0; equal
   *  scores of two personas are drawn a little apart so neither hides the other. */
  var CURVE_COLOURS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"];

  function drawCurves(typedStep, typedPersona, typedValue) {
    var scale = map.emotion_scale || { min: -3, max: 3 };
    var order = [];
    stages().forEach(function (stage) { (stage.steps || []).forEach(function (st) { order.push(st); }); });
    var people = personas();
    var value = function (st, pid) {
      var raw = st.id === typedStep && pid === typedPersona ? typedValue : scoreOf(st, pid);
      var n = raw === "" || raw === null || raw === undefined ? NaN : Number(raw);
      return isNaN(n) ? null : Math.min(scale.max, Math.max(scale.min, n));
    };
    var y = function (score, k) {
      return 4 + (scale.max - score) / ((scale.max - scale.min) || 1) * 32 + (k - (people.length - 1) / 2) * 2;
    };
    board.querySelectorAll(".scores-cell").forEach(function (node) {
      var index = order.findIndex(function (st) { return st.id === node.getAttribute("data-step"); });
      var box = node.querySelector(".curve");
      if (index < 0 || !box) { return; }
      var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 100 40");
      svg.setAttribute("preserveAspectRatio", "none");
      people.forEach(function (p, k) {
        var own = value(order[index], p.id);
        if (own === null) { return; }
        var before = index > 0 ? value(order[index - 1], p.id) : null;
        var after = index < order.length - 1 ? value(order[index + 1], p.id) : null;
        var points = [];
        if (before !== null) { points.push("0," + y((before + own) / 2, k)); }
        points.push("42," + y(own, k), "58," + y(own, k));  // a step on its own shows too
        if (after !== null) { points.push("100," + y((own + after) / 2, k)); }
        var line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
        line.setAttribute("points", points.join(" "));
        line.setAttribute("stroke", CURVE_COLOURS[k % CURVE_COLOURS.length]);
        line.setAttribute("class", "curve-line");
        line.setAttribute("data-persona", p.id);
        svg.appendChild(line);
      });
      box.textContent = "";
      box.appendChild(svg);
    });
  }

  /** Touchpoints as chips with their channel's icon; a click edits name and channel. */
  function chipsCell(step) {
    var cell = "step:" + step.id + ":touchpoints";
    var node = h("div", { class: "cell chips-cell", "data-cell": cell },
      (step.touchpoints || []).map(function (tp) {
        return h("button", { type: "button", class: "chip", "data-touchpoint": tp.id, disabled: !canEdit,
          title: channelName(tp.channel), onclick: function () { chipForm(node, step, tp); } },
          icon("ch-" + (CHANNELS[tp.channel] ? tp.channel : "other")), h("span", { text: tp.name }));
      }),
      canEdit ? h("button", { type: "button", class: "chip add-chip", title: S["editor.add_touchpoint"], "aria-label": S["editor.add_touchpoint"],
        onclick: function () { chipForm(node, step, null); } }, icon("ui-plus")) : null);
    return node;
  }

  function channelName(channel) { return CHANNELS[channel] || channel; }

  function chipForm(node, step, tp) {
    var cell = "step:" + step.id + ":touchpoints";
    var base = version;
    var name = h("input", { type: "text", value: tp ? tp.name : "", "aria-label": S["field.name"], placeholder: S["editor.touchpoint_name"] });
    var preview = h("span", { class: "channel-preview" });
    var channel = h("select", { "aria-label": S["editor.channel"] },
      Object.keys(CHANNELS).map(function (key) {
        return h("option", { value: key, selected: tp ? tp.channel === key : key === "web", text: CHANNELS[key] });
      }));
    var showIcon = function () { preview.textContent = ""; preview.appendChild(icon("ch-" + channel.value)); };
    channel.addEventListener("change", showIcon);
    showIcon();
    var form = h("form", { class: "chip-form" },
      name, h("span", { class: "channel-pick" }, preview, channel),
      h("div", { class: "row" },
        h("button", { type: "submit", class: "primary small", text: S["common.save"] }),
        tp ? h("button", { type: "button", class: "small danger", text: S["common.delete"], onclick: function () {
          stopEditing();
          send("delete_touchpoint", { step: step.id, touchpoint: tp.id }, { cell: cell,
            inverse: { op: "touchpoint", fields: { step: step.id, name: tp.name, channel: tp.channel } } });
        } }) : null,
        h("button", { type: "button", class: "small", text: S["editor.cancel"], onclick: function () { stopEditing(); draw(); } })));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var typed = name.value.trim();
      if (!typed) { showError(cell, S["editor.err.name_empty"]); return; }
      stopEditing();
      var fields = { step: step.id, name: typed, channel: channel.value };
      if (tp) {
        fields.touchpoint = tp.id;
        send("touchpoint", fields, { base: base, cell: cell,
          inverse: { op: "touchpoint", fields: { step: step.id, touchpoint: tp.id, name: tp.name, channel: tp.channel } } });
      } else {
        send("touchpoint", fields, { base: base, cell: cell, inverse: function (before, after) {
          var added = newIds(before, after);
          return added.length ? { op: "delete_touchpoint", fields: { step: step.id, touchpoint: added[0] } } : null;
        } });
      }
    });
    node.textContent = "";
    node.appendChild(form);
    startEditing(cell, base);
    name.focus();
  }

  function allIds(data) {
    var ids = {};
    (function walk(x) {
      if (Array.isArray(x)) { x.forEach(walk); }
      else if (x && typeof x === "object") {
        if (typeof x.id === "string") { ids[x.id] = true; }
        Object.keys(x).forEach(function (k) { walk(x[k]); });
      }
    })(data);
    return ids;
  }

  function newIds(before, after) {
    var old = allIds(before);
    return Object.keys(allIds(after)).filter(function (id) { return !old[id]; });
  }

  function addStep(stage, stepsNode) {
    var input = h("input", { type: "text", placeholder: S["editor.new_step"], "aria-label": S["editor.new_step"] });
    var box = h("div", { class: "step new-step" }, h("div", { class: "step-head" }, input));
    stepsNode.appendChild(box);
    input.focus();
    startEditing("stage:" + stage.id + ":new", version);
    var done = false;
    var finish = function (save) {
      if (done) { return; }
      done = true;
      stopEditing();
      if (save && input.value.trim()) {
        send("add_step", { stage: stage.id, name: input.value.trim() }, { inverse: function (before, after) {
          var added = newIds(before, after);
          return added.length ? { op: "delete_step", fields: { step: added[0] } } : null;
        } });
      } else { draw(); }
    };
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      if (e.key === "Escape") { finish(false); }
    });
    input.addEventListener("blur", function () { finish(true); });
  }

  function addStageColumn() {
    var node = h("section", { class: "stage-col add-stage-col" });
    var button = h("button", { type: "button", class: "add-stage", onclick: function () {
      var input = h("input", { type: "text", placeholder: S["editor.new_stage"], "aria-label": S["editor.new_stage"] });
      node.textContent = "";
      node.appendChild(h("div", { class: "stage-head" }, input));
      input.focus();
      startEditing("new-stage", version);
      var done = false;
      var finish = function (save) {
        if (done) { return; }
        done = true;
        stopEditing();
        if (save && input.value.trim()) {
          send("add_stage", { name: input.value.trim() }, { inverse: function (before, after) {
            var added = newIds(before, after);
            return added.length ? { op: "delete_stage", fields: { stage: added[0] } } : null;
          } });
        } else { draw(); }
      };
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); finish(true); }
        if (e.key === "Escape") { finish(false); }
      });
      input.addEventListener("blur", function () { finish(true); });
    } }, icon("ui-plus"), h("span", { text: S["edit.add_stage"] }));
    node.appendChild(h("div", { class: "stage-head" }, button));
    return node;
  }

  // --- comments: a marker with the count of open threads on each stage and step ----------------
  var comments = [];
  var MEMBERS = JSON.parse(root.getAttribute("data-members") || "[]");
  var panelFor = null;  // {id, name} of the element whose comments are open

  function openThreads(id) {
    return comments.filter(function (c) { return c.element_id === id && !c.parent_id && !c.resolved_at; });
  }

  function marker(id, name) {
    var open = openThreads(id).length;
    var all = comments.filter(function (c) { return c.element_id === id; }).length;
    return h("button", { type: "button", class: "icon-button comment-marker" + (open ? " has-open" : ""), "data-element": id, "data-name": name,
      title: say("threads.open_count", { n: open }), "aria-label": say("threads.on", { name: name }),
      onclick: function () { showComments(id, name); } },
      icon("ui-comment"), open || all ? h("span", { class: "count", text: String(open) }) : null);
  }

  function loadComments() {
    return fetch("/api/maps/" + mapId + "/comments", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (list) {
        comments = list;
        board.querySelectorAll(".comment-marker").forEach(function (node) {
          node.replaceWith(marker(node.getAttribute("data-element"), node.getAttribute("data-name")));
        });
        if (panelFor) { showComments(panelFor.id, panelFor.name); }
      });
  }

  function postJSON(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body) }).then(function (r) {
      if (!r.ok) { return r.json().then(function (d) { throw new Error(d.detail || r.status); }); }
      return r.json();
    });
  }

  function showComments(id, name) {
    panelFor = { id: id, name: name };
    var panel = document.getElementById("comments-panel");
    panel.textContent = "";
    panel.hidden = false;
    panel.appendChild(h("div", { class: "panel-head" }, h("h2", { text: say("threads.on", { name: name }) }),
      h("button", { type: "button", class: "icon-button", "aria-label": S["threads.close"], onclick: function () { panel.hidden = true; panelFor = null; } }, icon("ui-x"))));
    var threads = comments.filter(function (c) { return c.element_id === id && !c.parent_id; });
    if (!threads.length) { panel.appendChild(h("p", { class: "muted", text: S["threads.none"] })); }
    threads.forEach(function (thread) {
      var replies = comments.filter(function (c) { return c.parent_id === thread.id; });
      var replyBox = h("textarea", { rows: "1", placeholder: S["threads.reply_here"], "aria-label": S["threads.reply"] });
      panel.appendChild(h("article", { class: "thread" + (thread.resolved_at ? " resolved" : ""), id: "comment-" + thread.id },
        [thread].concat(replies).map(commentView),
        h("div", { class: "row" }, replyBox,
          h("button", { type: "button", class: "small", text: S["threads.reply"], onclick: function () {
            if (!replyBox.value.trim()) { return; }
            postJSON("/api/maps/" + mapId + "/comments", { element_id: id, body: replyBox.value, parent_id: thread.id }).then(loadComments);
          } }),
          h("button", { type: "button", class: "small", text: thread.resolved_at ? S["threads.reopen"] : S["threads.resolve"], onclick: function () {
            postJSON("/api/maps/" + mapId + "/comments/" + thread.id + "/resolve", { resolved: !thread.resolved_at }).then(loadComments);
          } }))));
    });
    var box = h("textarea", { rows: "3", placeholder: S["threads.new"], "aria-label": S["threads.new"], class: "new-comment" });
    var error = h("p", { class: "field-error", role: "alert" });
    panel.appendChild(h("div", { class: "new-thread" }, box,
      MEMBERS.length ? h("p", { class: "mentions" }, h("span", { class: "muted", text: S["threads.members"] }),
        MEMBERS.map(function (member) {
          return h("button", { type: "button", class: "chip", text: "@" + member, onclick: function () {
            box.value = (box.value ? box.value.replace(/\s*$/, " ") : "") + "@" + member + " ";
            box.focus();
          } });
        })) : null,
      h("button", { type: "button", class: "primary small post-comment", text: S["threads.post"], onclick: function () {
        if (!box.value.trim()) { return; }
        postJSON("/api/maps/" + mapId + "/comments", { element_id: id, body: box.value })
          .then(loadComments).catch(function (e) { error.textContent = e.message; });
      } }), error));
  }

  function commentView(c) {
    var when = new Date(c.created_at);
    return h("div", { class: "comment" + (c.parent_id ? " reply" : "") },
      h("p", { class: "meta" }, h("strong", { text: c.author || "?" }), " · ",
        h("time", { datetime: c.created_at, text: when.toLocaleString() }),
        c.resolved_at ? h("span", { class: "badge", text: S["threads.resolved"] }) : null),
      h("p", { class: "body", text: c.body }),
      c.mentions && c.mentions.length ? h("p", { class: "muted small", text: say("threads.mentioned", { names: c.mentions.join(", ") }) }) : null);
  }

  // --- dragging (SortableJS) ------------------------------------------------------------------
  function enableDragging() {
    if (!canEdit || !window.Sortable) { return; }
    board.querySelectorAll(".steps").forEach(function (list) {
      sortables.push(window.Sortable.create(list, {
        group: "steps", handle: ".grip", draggable: ".step", animation: 120,
        onEnd: function (e) {
          var id = e.item.getAttribute("data-step");
          var from = e.from.getAttribute("data-stage"), to = e.to.getAttribute("data-stage");
          if (from === to && e.oldDraggableIndex === e.newDraggableIndex) { return; }
          send("place_step", { step: id, stage: to, index: String(e.newDraggableIndex) },
            { inverse: { op: "place_step", fields: { step: id, stage: from, index: String(e.oldDraggableIndex) } } });
        }
      }));
    });
    sortables.push(window.Sortable.create(board, {
      handle: ".stage-grip", draggable: ".stage-col:not(.add-stage-col)", animation: 120,
      onEnd: function (e) {
        if (e.oldDraggableIndex === e.newDraggableIndex) { return; }
        var id = e.item.getAttribute("data-stage");
        send("place_stage", { stage: id, index: String(e.newDraggableIndex) },
          { inverse: { op: "place_stage", fields: { stage: id, index: String(e.oldDraggableIndex) } } });
      }
    }));
  }

  // --- undo / redo ---------------------------------------------------------------------------
  function undo() {
    var last = undoStack.pop();
    if (!last) { return; }
    send(last.undo.op, Object.assign({}, last.undo.fields), { isUndo: true }).then(function (ok) {
      if (ok) { redoStack.push(last); }
      draw();
    });
  }

  function redo() {
    var next = redoStack.pop();
    if (!next) { return; }
    send(next.redo.op, Object.assign({}, next.redo.fields), { isRedo: true, inverse: next.undo });
  }

  document.getElementById("undo").addEventListener("click", undo);
  document.getElementById("redo").addEventListener("click", redo);
  document.addEventListener("keydown", function (e) {
    if (editing || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z") { return; }
    e.preventDefault();
    if (e.shiftKey) { redo(); } else { undo(); }
  });

  // --- presence and live versions over the WebSocket ------------------------------------------
  var socket = null;
  var selected = null;
  var retry = 500;

  function startEditing(cell, base) { editing = { cell: cell, base: base }; select(cell); }
  function stopEditing() { editing = null; if (stale) { stale = false; } }

  function select(cell) {
    selected = cell;
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify({ type: "select", cell: cell })); }
  }

  function announce() {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify({ type: "saved", version: version })); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/maps/" + mapId + "/live");
    socket.addEventListener("open", function () {
      retry = 500;
      root.setAttribute("data-live", "1");
      if (selected) { select(selected); }
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "presence") { others = message.people; drawPresence(); markPresence(); }
      if (message.type === "version" && message.version > version) { load(); }
      if (message.type === "comments") { loadComments(); }
    });
    socket.addEventListener("close", function () {
      root.setAttribute("data-live", "0");
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  function drawPresence() {
    presenceBar.textContent = "";
    presenceBar.appendChild(h("span", { class: "muted", text: S["editor.here"] }));
    others.forEach(function (p) {
      presenceBar.appendChild(h("span", { class: "person" + (p.me ? " me" : ""), style: "--colour:" + p.colour,
        title: p.name, "data-name": p.name }, h("span", { class: "initials", text: initials(p.name) }),
        h("span", { class: "name", text: p.me ? say("editor.you", { name: p.name }) : p.name })));
    });
  }

  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w[0].toUpperCase(); }).join("");
  }

  function markPresence() {
    board.querySelectorAll(".cell.others").forEach(function (node) {
      node.classList.remove("others");
      node.removeAttribute("data-others");
      node.style.removeProperty("--colour");
    });
    others.forEach(function (p) {
      if (p.me || !p.cell) { return; }
      var node = board.querySelector('[data-cell="' + cssEscape(p.cell) + '"]');
      if (!node) { return; }
      node.classList.add("others");
      node.style.setProperty("--colour", p.colour);
      var names = (node.getAttribute("data-others") || "").split(", ").filter(Boolean);
      names.push(p.name);
      node.setAttribute("data-others", names.join(", "));
    });
  }

  load().then(loadComments).then(function () { if (window.WebSocket) { connect(); } })
    .catch(function () { setStatus(S["editor.offline"], "error"); });
})();
