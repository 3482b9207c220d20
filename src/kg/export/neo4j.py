r"""Neo4j: `neo4j-admin database import` CSVs from the property-graph view, and a Cypher script
that imports the Turtle dump with neosemantics (n10s).

Both give the same shape: nodes labelled ``Resource`` plus their classes' local names, with the
IRI in ``uri`` (n10s' convention); relationship types are predicate local names.

No value in the CSVs spans lines: each line feed is written as U+2029 PARAGRAPH SEPARATOR and each
carriage return as U+2028 LINE SEPARATOR (one code point for one, so the essay's ``fullText``
keeps its offsets: ``substring(fullText, quote_start, quote_end - quote_start)`` is the quote).
Why: CSV readers disagree on quoted line breaks (Kuzu's parallel reader, its default, refuses
them; neo4j-admin needs ``--multiline-fields``), so every reader takes these with its defaults.

>>> _cell("one\ntwo") == "one\u2029two"
True
"""
from __future__ import annotations

import csv
import io

import networkx as nx

from ..namespaces import BASE

__all__ = ["nodes_csv", "relationships_csv", "n10s_cypher", "TURTLE_DUMP_URL", "LINE_BREAKS"]

#: where the n10s script fetches the Turtle dump from unless told otherwise
TURTLE_DUMP_URL = BASE + "dumps/deepseek-kg.ttl"

_NEO_TYPE = {int: ":long", float: ":double", bool: ":boolean", str: ""}
#: line breaks -> the Unicode separators of the same length (see the module docstring)
LINE_BREAKS = str.maketrans({"\n": "\u2029", "\r": "\u2028"})


def _column_types(items: list[dict], skip: set[str]) -> list[tuple[str, str]]:
    kinds: dict[str, type] = {}
    for d in items:
        for k, v in d.items():
            if k not in skip:
                kinds.setdefault(k, type(v))
    return [(k, _NEO_TYPE.get(kinds[k], "")) for k in sorted(kinds)]


def _cell(v):
    if v is None:
        return None  # empty unquoted field: no property
    if isinstance(v, bool):
        return "true" if v else "false"
    return v.translate(LINE_BREAKS) if isinstance(v, str) else v


def _csv(header: list[str], rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def nodes_csv(G: nx.MultiDiGraph) -> bytes:
    """``uri:ID,label,type,<properties...>,:LABEL`` (labels ``;``-separated, ``Resource`` first)."""
    items = [d for _, d in G.nodes(data=True)]
    cols = _column_types(items, {"iri", "label", "type", "labels"})
    header = ["uri:ID", "label", "type"] + [k + t for k, t in cols] + [":LABEL"]
    rows = []
    for n, d in G.nodes(data=True):
        labels = ["Resource"] + [x for x in d.get("labels", "").split(";") if x and x != "Resource"]
        rows.append([n, d.get("label"), d.get("type")] + [_cell(d.get(k)) for k, _ in cols] + [";".join(labels)])
    return _csv(header, rows)


def relationships_csv(G: nx.MultiDiGraph) -> bytes:
    """``:START_ID,:END_ID,:TYPE,<properties...>`` (``predicate`` holds the IRI, ``role`` the
    participant's role on ``participant`` relationships)."""
    items = [d for _, _, d in G.edges(data=True)]
    cols = _column_types(items, {"type", "label"})
    header = [":START_ID", ":END_ID", ":TYPE"] + [k + t for k, t in cols]
    rows = [[u, v, d["type"]] + [_cell(d.get(k)) for k, _ in cols] for u, v, d in G.edges(data=True)]
    return _csv(header, rows)


def n10s_cypher(dump_url: str = TURTLE_DUMP_URL) -> bytes:
    return f"""// deepseek-kg -> Neo4j with neosemantics (n10s): run on an empty database, e.g.
//   cypher-shell -u neo4j -p <password> -f deepseek-kg.n10s.cypher
// To import a local copy instead, put deepseek-kg.ttl in Neo4j's import directory and change
// the address below to 'file:///deepseek-kg.ttl' (needs n10s and, in neo4j.conf,
// dbms.security.allow_csv_import_from_file_urls=true).
:param dump => '{dump_url}';

CREATE CONSTRAINT n10s_unique_uri IF NOT EXISTS FOR (r:Resource) REQUIRE r.uri IS UNIQUE;

// Local names for labels, relationship types and properties (Claim, claimant, authorStance),
// as the CSV import gives; language tags dropped; rdf:type as labels.
CALL n10s.graphconfig.init({{handleVocabUris: 'IGNORE', keepLangTag: false, handleRDFTypes: 'LABELS'}});

CALL n10s.rdf.import.fetch($dump, 'Turtle');

// A first look: who claims what, and the author's stance.
// MATCH (c:Claim)-[:claimant]->(who) OPTIONAL MATCH (c)-[:authorStance]->(s)
// RETURN who.label, c.label, s.label LIMIT 25;
""".encode("utf-8")
