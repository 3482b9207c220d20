"""Full-text search over the graph: labels, statements and quotes, word-aware and ranked.

Words are Unicode word runs (``\\w+``, apostrophes inside a word kept: "don't"), compared in a
folded form: NFKD, combining marks dropped, case-folded, a possessive "'s" and a plural "s"
dropped, so ``Café`` = ``cafe``, ``DeepSeek’s`` = ``deepseek`` and ``chips`` = ``chip``, while
``labor`` never matches inside ``collaboration``. Ranking is BM25F: each field's term frequency is
weighted (a label counts more than a statement, a statement more than a quote) and normalised by
the field's length before the usual saturation; rarer words weigh more (idf).

>>> index = SearchIndex.from_documents([
...     ("ex:a", {"label": ["Zhōngguó Café"]}),
...     ("ex:b", {"label": ["Labor relations"], "quote": ["academic-style collaboration"]})])
>>> [h.iri for h in index.search("cafe")]
['ex:a']
>>> [h.iri for h in index.search("labor")], index.search("collaboration")[0].field
(['ex:b'], 'quote')

The index is built once from the store (:func:`build`), costs memory linear in the words indexed,
and a query touches only the postings of its own words (no scan of the documents).
"""
from __future__ import annotations

import heapq
import math
import re
import unicodedata
from dataclasses import dataclass, field

#: field name -> weight; the order is the order of preference when a hit is shown
FIELDS = {"label": 3.0, "statement": 1.5, "quote": 1.0}
K1, B = 1.2, 0.75
MAX_QUERY_WORDS = 16

_WORD = re.compile(r"\w+(?:['’]\w+)*")

#: what each field is read from (SPARQL property paths); a subject's anchors give its quotes
SOURCES = {
    "label": "rdfs:label|skos:prefLabel|dcterms:title",
    "statement": "dsk:statement|skos:definition|dsk:description|dcterms:description",
    "quote": "dsk:anchor/oa:hasSelector/oa:exact",
}
_PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def fold(word: str) -> str:
    """A word's comparison key: accents and case gone, possessive and plural "s" dropped."""
    s = unicodedata.normalize("NFKD", word)
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("’", "'")
    if s.endswith("'s"):
        s = s[:-2]
    if len(s) > 3 and s.endswith("s") and not s.endswith(("ss", "us", "is")):
        s = s[:-1]
    return s


@dataclass(frozen=True)
class Token:
    start: int      # code-point offsets of the word in the text it came from
    end: int
    key: str        # its folded form


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their offsets and keys."""
    out = []
    for m in _WORD.finditer(text):
        key = fold(m.group())
        if key:
            out.append(Token(m.start(), m.end(), key))
    return out


def keys(text: str) -> list[str]:
    return [t.key for t in tokens(text)]


def highlight(text: str, words) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) so that the words whose key is in ``words`` can be marked."""
    want = set(words)
    out, pos = [], 0
    for t in tokens(text):
        if t.key in want:
            if t.start > pos:
                out.append((text[pos:t.start], False))
            out.append((text[t.start:t.end], True))
            pos = t.end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def snippet(text: str, words, width: int = 180) -> str:
    """Up to ``width`` characters of ``text`` around its first matched word."""
    if len(text) <= width:
        return text
    want = set(words)
    first = next((t.start for t in tokens(text) if t.key in want), 0)
    lo = max(0, min(first - width // 3, len(text) - width))
    cut = text[lo:lo + width]
    return ("…" if lo else "") + cut.strip() + ("…" if lo + width < len(text) else "")


@dataclass(frozen=True)
class Hit:
    iri: str
    score: float
    field: str                    # the field that contributed most to the score
    matched: tuple[str, ...]      # the query's word keys this document contains
    text: str                     # that field's text (for a snippet with the matches marked)


@dataclass
class _Doc:
    iri: str
    texts: dict[str, list[str]]
    lengths: dict[str, int]


@dataclass
class SearchIndex:
    docs: list[_Doc] = field(default_factory=list)
    #: word key -> [(doc number, {field: term frequency})]
    postings: dict[str, list[tuple[int, dict[str, int]]]] = field(default_factory=dict)
    avg_length: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, documents) -> "SearchIndex":
        """``documents``: (iri, {field: [text, ...]}) pairs; an iri given twice is merged."""
        index = cls()
        where: dict[str, int] = {}
        for iri, texts in documents:
            n = where.get(iri)
            if n is None:
                n = where[iri] = len(index.docs)
                index.docs.append(_Doc(iri, {}, {}))
            doc = index.docs[n]
            for name, values in texts.items():
                if name not in FIELDS:
                    raise ValueError(f"unknown field {name!r}; fields are {', '.join(FIELDS)}")
                kept = doc.texts.setdefault(name, [])
                kept.extend(v for v in values if v not in kept)
        totals = dict.fromkeys(FIELDS, 0)
        counts = dict.fromkeys(FIELDS, 0)
        for n, doc in enumerate(index.docs):
            freq: dict[str, dict[str, int]] = {}
            for name, values in doc.texts.items():
                words = [k for v in values for k in keys(v)]
                doc.lengths[name] = len(words)
                totals[name] += len(words)
                counts[name] += 1
                for k in words:
                    tf = freq.setdefault(k, {})
                    tf[name] = tf.get(name, 0) + 1
            for k, tf in freq.items():
                index.postings.setdefault(k, []).append((n, tf))
        index.avg_length = {f: (totals[f] / counts[f] if counts[f] else 1.0) for f in FIELDS}
        return index

    def __len__(self) -> int:
        return len(self.docs)

    def idf(self, key: str) -> float:
        n, df = len(self.docs), len(self.postings.get(key, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _weight(self, doc: _Doc, tf: dict[str, int]) -> tuple[float, str]:
        """BM25F's pseudo-frequency of one word in one document, and the field that gave most."""
        total, best, best_part = 0.0, "", -1.0
        for name, f in tf.items():
            norm = 1 - B + B * doc.lengths.get(name, 0) / (self.avg_length.get(name) or 1.0)
            part = FIELDS[name] * f / norm
            total += part
            if part > best_part:
                best, best_part = name, part
        return total, best

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """Documents holding the query's words, best first.

        Documents with every word of the query come first; among those (and then among documents
        with fewer of the words) the BM25F score decides, then the IRI, so the order is stable.
        """
        query = list(dict.fromkeys(keys(text)))[:MAX_QUERY_WORDS]
        if not query or limit <= 0:
            return []
        score: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        fields: dict[int, dict[str, float]] = {}
        for key in query:
            idf = self.idf(key)
            for n, tf in self.postings.get(key, ()):
                w, best = self._weight(self.docs[n], tf)
                s = idf * w * (K1 + 1) / (w + K1)
                score[n] = score.get(n, 0.0) + s
                matched.setdefault(n, []).append(key)
                by_field = fields.setdefault(n, {})
                by_field[best] = by_field.get(best, 0.0) + s
        top = heapq.nsmallest(limit, score, key=lambda n: (-len(matched[n]), -score[n], self.docs[n].iri))
        hits = []
        for n in top:
            doc = self.docs[n]
            best = max(fields[n], key=lambda f: (fields[n][f], -list(FIELDS).index(f)))
            want = set(matched[n])
            text_ = next((v for v in doc.texts.get(best, []) if want & set(keys(v))), "")
            hits.append(Hit(doc.iri, round(score[n], 6), best, tuple(matched[n]), text_))
        return hits


def documents(store) -> list[tuple[str, dict[str, list[str]]]]:
    """Each IRI subject's labels, statements and quotes, read from ``store`` by SPARQL."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, path in SOURCES.items():
        result = store.query(_PREFIXES + f"SELECT ?s ?v WHERE {{ ?s {path} ?v FILTER(isIRI(?s) && isLiteral(?v)) }}")
        for sol in result:
            texts = out.setdefault(sol["s"].value, {})
            texts.setdefault(name, []).append(sol["v"].value)
    return sorted(out.items())


def build(store) -> SearchIndex:
    """The index of everything ``store`` holds (labels, statements, quotes)."""
    return SearchIndex.from_documents(documents(store))


__all__ = ["build", "documents", "SearchIndex", "Hit", "Token", "tokens", "keys", "fold", "highlight",
           "snippet", "FIELDS"]
