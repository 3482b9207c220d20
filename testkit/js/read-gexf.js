// Read a GEXF file as Gephi Lite and Sigma.js do (graphology-gexf) and print what it holds as JSON:
// node read-gexf.js FILE  ->  {"type", "multi", "order", "size", "graph", "nodes": {id: attrs}, "edges": {id: attrs}}
const fs = require('fs');
const Graph = require('graphology');
const gexf = require('graphology-gexf');

const text = fs.readFileSync(process.argv[2], 'utf8');
const g = gexf.parse(Graph, text);
const out = {type: g.type, multi: g.multi, order: g.order, size: g.size, graph: g.getAttributes(), nodes: {}, edges: {}};
g.forEachNode((n, a) => { out.nodes[n] = a; });
g.forEachEdge((e, a, s, t) => { out.edges[e] = {...a, source: s, target: t}; });
process.stdout.write(JSON.stringify(out));
