// The map of the argument: cytoscape.js over the JSON embedded in the page, laid out by dagre
// (layered, deterministic: the same data gives the same picture on every load), one viewpoint at
// a time, fitted to the box with labels never smaller than MIN_LABEL_PX on screen.
(function () {
  "use strict";
  var box = document.getElementById("cy");
  if (!box || !window.cytoscape) return;
  if (window.cytoscapeDagre) window.cytoscape.use(window.cytoscapeDagre);
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var AUTHOR = "https://w3id.org/deepseek-kg/id/author";
  var FONT = 13, MIN_LABEL_PX = 11;
  var EDGE = { promotes: "#2e7d32", inhibits: "#c62828", support: "#1565c0", attack: "#ef6c00" };
  // node groups: colour and shape (the legend in map.html draws the same)
  var GROUP = { claim: ["#3949ab", "round-rectangle"], viewpoint: ["#8e24aa", "hexagon"], thesis: ["#5b2a86", "star"],
    actor: ["#ef6c00", "ellipse"], concept: ["#00897b", "diamond"], event: ["#6d4c41", "rectangle"],
    other: ["#78909c", "ellipse"] };
  var elements = data.nodes.map(function (n) {
    var g = GROUP[n.group] || GROUP.other;
    return { group: "nodes", data: Object.assign({}, n, { colour: g[0], shape: g[1] }) };
  }).concat(data.edges.map(function (e) {
    var d = Object.assign({}, e, { colour: EDGE[e.polarity] || "#555", style: e.by === AUTHOR ? "solid" : "dashed" });
    return { group: "edges", data: d };
  }));
  var cy = window.cytoscape({
    container: box,
    elements: elements,
    wheelSensitivity: 0.3,
    minZoom: 0.2, maxZoom: 3,
    style: [
      { selector: "node", style: { "label": "data(label)", "text-wrap": "wrap", "text-max-width": "170px",
        "font-size": FONT + "px", "color": "#1d1d1f", "text-valign": "bottom", "text-margin-y": 5,
        "text-background-color": "#fff", "text-background-opacity": 0.9, "text-background-padding": "2px",
        "width": 22, "height": 22, "shape": "data(shape)", "background-color": "data(colour)" } },
      { selector: "edge", style: { "width": 2.5, "line-color": "data(colour)", "target-arrow-color": "data(colour)",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "line-style": "data(style)", "arrow-scale": 1.2 } },
      { selector: ":selected", style: { "overlay-opacity": 0.25, "overlay-color": "#ffb300" } }
    ],
    layout: { name: "preset" }
  });
  var LAYOUT = window.cytoscapeDagre
    ? { name: "dagre", rankDir: "LR", nodeSep: 28, rankSep: 120, edgeSep: 12, nodeDimensionsIncludeLabels: true,
        fit: false, animate: false }
    : { name: "breadthfirst", directed: true, fit: false, animate: false };   // if the extension failed to load
  window.kgCy = cy;

  var panel = document.getElementById("map-panel");
  function show(d, isEdge) {
    panel.textContent = "";
    var h = document.createElement("h2");
    var a = document.createElement("a");
    if (d.href) a.href = d.href;  // null: an IRI pages never link to (safe_link), shown as text
    a.textContent = d.label; h.appendChild(a); panel.appendChild(h);
    var p = document.createElement("p");
    var rel = { support: "a reason for", attack: "a reason against" }[d.polarity] || d.polarity;
    p.textContent = isEdge ? (rel + (d.byLabel ? ", said by " + d.byLabel : "") +
      (d.modality ? " (" + d.modality + ")" : "") + (d.viewpointLabel ? "; within the " + d.viewpointLabel : "")) : d.kind;
    panel.appendChild(p);
    if (d.quote) {
      var q = document.createElement("blockquote"); q.textContent = d.quote; panel.appendChild(q);
    }
    if (d.reader) {
      var r = document.createElement("a"); r.href = d.reader; r.textContent = "Read it in the essay";
      panel.appendChild(r);
    }
  }
  cy.on("tap", "node", function (ev) { show(ev.target.data(), false); });
  cy.on("tap", "edge", function (ev) { show(ev.target.data(), true); });
  cy.on("dbltap", "node, edge", function (ev) { var to = ev.target.data("href"); if (to) location.href = to; });

  var by = document.getElementById("f-by"), vp = document.getElementById("f-vp");
  var kind = document.getElementById("f-kind");
  function shown(e) {
    var k = kind.value === "all" || (kind.value === "causal") === (e.data("kind") === "causal");
    var v = !vp.value || vp.value === "all" || (e.data("viewpoints") || []).indexOf(vp.value) >= 0;
    return k && v && (!by.value || e.data("by") === by.value);
  }
  function readable(visible) {   // fit; never below MIN_LABEL_PX: then start at the top, centred across
    cy.fit(visible, 24);
    if (cy.zoom() * FONT < MIN_LABEL_PX) {
      var z = MIN_LABEL_PX / FONT, bb = visible.boundingBox();
      var w = bb.w * z, pad = 24;
      cy.viewport({ zoom: z, pan: {
        x: w + 2 * pad <= box.clientWidth ? (box.clientWidth - w) / 2 - bb.x1 * z : pad - bb.x1 * z,
        y: pad - bb.y1 * z } });
    }
  }
  var visible = cy.collection();
  function filter() {
    cy.batch(function () {
      cy.edges().forEach(function (e) { e.style("display", shown(e) ? "element" : "none"); });
      cy.nodes().forEach(function (n) {
        n.style("display", n.connectedEdges().some(shown) ? "element" : "none");
      });
    });
    visible = cy.elements().filter(function (el) { return el.style("display") !== "none"; });
    if (!visible.length) return;
    visible.layout(LAYOUT).run();
    readable(visible);
    if (history.replaceState && vp.value) {
      history.replaceState(null, "", "?viewpoint=" + encodeURIComponent(vp.value) + location.hash);
    }
  }
  by.addEventListener("change", filter);
  vp.addEventListener("change", filter);
  kind.addEventListener("change", filter);

  var zoom = document.querySelector(".map-zoom");
  zoom.hidden = false;
  zoom.addEventListener("click", function (ev) {
    var what = ev.target.getAttribute && ev.target.getAttribute("data-zoom");
    var centre = { x: box.clientWidth / 2, y: box.clientHeight / 2 };
    if (what === "in") cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: centre });
    if (what === "out") cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: centre });
    if (what === "fit") cy.fit(visible.length ? visible : cy.elements(), 24);
  });
  filter();
  window.kgMapReady = true;
})();
