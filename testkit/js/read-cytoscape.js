// Load a Cytoscape.js elements JSON (.cyjs) into cytoscape.js twice, headless, and print what it holds:
// node read-cytoscape.js CYTOSCAPE_JS FILE  ->  {"nodes": {id: data}, "edges": {id: data}, "same_edge_ids": bool}
const fs = require('fs');
const cytoscape = require(process.argv[2]);
const data = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const load = () => cytoscape({headless: true, styleEnabled: false, elements: data.elements});
const first = load(), second = load();
const ids = cy => JSON.stringify(cy.edges().map(e => e.id()).sort());
const out = {nodes: {}, edges: {}, same_edge_ids: ids(first) === ids(second)};
first.nodes().forEach(n => { out.nodes[n.id()] = n.data(); });
first.edges().forEach(e => { out.edges[e.id()] = e.data(); });
process.stdout.write(JSON.stringify(out));
