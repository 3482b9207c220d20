"""Reading the W3C rdf-tests manifests (a read-only checkout in the repo's sibling shared/ folder)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection

REPO = Path(__file__).resolve().parents[2]
W3C = REPO.parent / "shared" / "w3c" / "rdf-tests"
SPARQL11 = W3C / "sparql" / "sparql11"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"W3C test data not found at {path} (expected the repo's sibling shared/w3c/rdf-tests)",
                    allow_module_level=True)
    return path


def load(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle", publicID=path.resolve().as_uri())
    return g


def items(g: Graph, head) -> list:
    return list(Collection(g, head)) if head is not None else []


def entries(path: Path) -> list[tuple[Graph, URIRef]]:
    """(manifest graph, test IRI) for every entry, following mf:include."""
    g = load(path)
    out = []
    for m in g.subjects(MF.entries, None):
        out += [(g, t) for t in items(g, g.value(m, MF.entries))]
    for m in g.subjects(MF.include, None):
        for inc in items(g, g.value(m, MF.include)):
            out += entries(Path(str(inc).removeprefix("file://")))
    return out
