// The causal map: cytoscape.js over the JSON embedded in the page.
(function () {
  "use strict";
  var box = document.getElementById("cy");
  if (!box || !window.cytoscape) return;
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var AUTHOR = "https://w3id.org/deepseek-kg/id/author";
  var COLOURS = { promotes: "#2e7d32", inhibits: "#c62828", support: "#1565c0", attack: "#ef6c00" };
  var elements = data.nodes.map(function (n) { return { group: "nodes", data: n }; })
    .concat(data.edges.map(function (e) {
      var d = Object.assign({}, e, { colour: COLOURS[e.polarity] || "#555", style: e.by === AUTHOR ? "solid" : "dashed" });
      return { group: "edges", data: d };
    }));
  var cy = window.cytoscape({
    container: box,
    elements: elements,
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { "label": "data(label)", "text-wrap": "wrap", "text-max-width": "140px",
        "font-size": "10px", "text-valign": "bottom", "text-margin-y": 4,
        "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": "1px", "width": 18, "height": 18,
        "background-color": "#455a64" } },
      { selector: "edge", style: { "width": 2, "line-color": "data(colour)", "target-arrow-color": "data(colour)",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "line-style": "data(style)" } },
      { selector: ":selected", style: { "overlay-opacity": 0.2, "overlay-color": "#ffb300" } }
    ],
    layout: { name: "preset" }
  });
  var LAYOUT = { name: "cose", animate: false, randomize: true, nodeDimensionsIncludeLabels: true,
    idealEdgeLength: function () { return 90; }, nodeRepulsion: function () { return 400000; },
    nodeOverlap: 40, componentSpacing: 60, padding: 20, gravity: 1.2 };
  window.kgCy = cy;

  var panel = document.getElementById("map-panel");
  function show(d, isEdge) {
    panel.textContent = "";
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.href = d.href; a.textContent = d.label; h.appendChild(a); panel.appendChild(h);
    var p = document.createElement("p");
    p.textContent = isEdge ? (d.polarity + (d.byLabel ? ", asserted by " + d.byLabel : "") +
      (d.modality ? " (" + d.modality + ")" : "") + (d.viewpointLabel ? "; viewpoint: " + d.viewpointLabel : "")) : d.kind;
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
  cy.on("dbltap", "node, edge", function (ev) { location.href = ev.target.data("href"); });

  var by = document.getElementById("f-by"), vp = document.getElementById("f-vp");
  var kind = document.getElementById("f-kind");
  function shown(e) {
    var k = kind.value === "all" || (kind.value === "causal") === (e.data("kind") === "causal");
    return k && (!by.value || e.data("by") === by.value) && (!vp.value || e.data("viewpoint") === vp.value);
  }
  function filter() {
    cy.batch(function () {
      cy.edges().forEach(function (e) { e.style("display", shown(e) ? "element" : "none"); });
      cy.nodes().forEach(function (n) {
        n.style("display", n.connectedEdges().some(shown) ? "element" : "none");
      });
    });
    var visible = cy.elements().filter(function (el) { return el.style("display") !== "none"; });
    if (!visible.length) return;
    visible.layout(LAYOUT).run();
    cy.fit(visible, 30);
    if (cy.zoom() < 0.6) {   // many nodes: stay readable, start at the busiest part; pan for the rest
      var hub = visible.nodes().max(function (n) { return n.degree(); }).ele;
      cy.zoom({ level: 0.6, position: hub.position() });
      cy.center(hub);
    }
  }
  by.addEventListener("change", filter);
  vp.addEventListener("change", filter);
  kind.addEventListener("change", filter);
  filter();
  window.kgMapReady = true;
})();
