"""The Neo4j files follow neo4j-admin's CSV header format and every relationship's ends exist."""
from __future__ import annotations

import csv
import io
import re

HEADER_FIELD = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*)?(?::(?:ID|LABEL|START_ID|END_ID|TYPE|long|double|boolean|string|int|float|date))?$")


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_nodes_csv(source, dumps):
    header, *body = rows(dumps["neo4j-nodes"])
    assert header[0] == "uri:ID" and header[-1] == ":LABEL"
    assert all(HEADER_FIELD.match(h) for h in header), header
    assert len({h.split(":")[0] for h in header}) == len(header)  # no property twice
    ids = [r[0] for r in body]
    assert len(ids) == len(set(ids)) == source.property_graph.number_of_nodes()
    for r in body:
        assert len(r) == len(header)
        labels = r[-1].split(";")
        assert labels[0] == "Resource" and all(re.fullmatch(r"[A-Za-z][\w-]*", x) for x in labels)
        for h, v in zip(header, r):
            if h.endswith(":long") and v:
                int(v)
            if h.endswith(":double") and v:
                float(v)
            if h.endswith(":boolean") and v:
                assert v in ("true", "false")


def test_relationships_csv_ends_exist(source, dumps):
    nodes = {r[0] for r in rows(dumps["neo4j-nodes"])[1:]}
    header, *body = rows(dumps["neo4j-relationships"])
    assert header[:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert all(HEADER_FIELD.match(h) for h in header), header
    assert len(body) == source.property_graph.number_of_edges()
    for r in body:
        assert r[0] in nodes and r[1] in nodes
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", r[2])


def test_n10s_script_imports_the_turtle_dump(dumps):
    script = dumps["n10s"].decode("utf-8")
    assert "n10s.graphconfig.init" in script and "REQUIRE r.uri IS UNIQUE" in script
    assert re.search(r"n10s\.rdf\.import\.fetch\(\$dump, 'Turtle'\)", script)
    assert "dumps/deepseek-kg.ttl" in script
