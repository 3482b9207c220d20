"""The named competency queries in queries/: their titles, questions and expected answers.

They serve twice: as ready-made examples in the query UI and as test cases (each .rq has an
.expected.json beside it).
"""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef

from .namespaces import curie
from .sources import QUERIES_DIR

__all__ = ["NamedQuery", "named_queries", "compact"]


@dataclass(frozen=True)
class NamedQuery:
    slug: str
    title: str
    question: str
    text: str
    path: Path

    @property
    def expected(self) -> dict | None:
        p = self.path.with_suffix(".expected.json")
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def _header(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return ""


def named_queries(directory: Path = QUERIES_DIR) -> list[NamedQuery]:
    out = []
    for p in sorted(Path(directory).glob("*.rq")):
        text = p.read_text(encoding="utf-8")
        out.append(NamedQuery(p.stem, _header(text, "title") or p.stem, _header(text, "question"), text, p))
    return out


def compact(term) -> str | None:
    """The form expected answers use: a prefixed name for IRIs under a known prefix, else <IRI>;
    a literal's lexical form."""
    if term is None:
        return None
    if isinstance(term, URIRef) or type(term).__name__ == "NamedNode":
        iri = str(term) if isinstance(term, URIRef) else term.value
        short = curie(iri)
        return short if short != iri else f"<{iri}>"
    if isinstance(term, Literal):
        lexical, datatype = str(term), str(term.datatype or "")
    elif type(term).__name__ == "Literal":  # pyoxigraph
        lexical, datatype = term.value, term.datatype.value
    else:
        return str(term)
    if datatype in _NUMERIC:  # engines write 17.0 / 17 differently: compare numbers as numbers
        try:
            return format(Decimal(lexical).normalize(), "f")
        except InvalidOperation:
            return lexical
    return lexical


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + t for t in ("decimal", "integer", "double", "float", "int", "long",
                               "nonNegativeInteger", "positiveInteger")}
