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

The index is built once from the store (:func:`build`), costs memory linear in the words indexed
(each word's postings are numpy arrays), and a query touches only the postings of its own words
(no scan of the documents). SPARQL reaches it through ``text:search`` (kg.web.text_query), and
:func:`matches` is the per-row test of ``text:matches``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from functools import lru_cache

from .namespaces import TEXT

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


_FIELD_NAMES = list(FIELDS)


@lru_cache(maxsize=1 << 17)
def _fold_cached(word: str) -> str:
    return fold(word)


def _index_keys(text: str) -> list[str]:
    """:func:`keys` without the offsets (the index's hot loop: C regex, one fold per distinct word)."""
    return [k for k in map(_fold_cached, _WORD.findall(text)) if k]


@dataclass
class _Postings:
    """One word's postings, in document order: who has it, its BM25F pseudo-frequency there
    (before saturation), and the field that gave most of it."""
    docs: "np.ndarray"     # int32
    weight: "np.ndarray"   # float64
    best: "np.ndarray"     # int8: index into FIELDS


@dataclass
class SearchIndex:
    """Documents (IRIs and their texts) and, per word key, numpy postings; a query scores the
    postings of its own words only (vectorised), so a common word costs microseconds, not a loop."""
    iris: list[str] = field(default_factory=list)
    texts: list[dict[str, list[str]]] = field(default_factory=list)
    postings: dict[str, _Postings] = field(default_factory=dict)
    avg_length: dict[str, float] = field(default_factory=dict)
    rank: "np.ndarray" = None  # each doc's IRI's sort position (numpy: imported when an index is built)

    @classmethod
    def from_documents(cls, documents) -> "SearchIndex":
        """``documents``: (iri, {field: [text, ...]}) pairs; an iri given twice is merged."""
        import numpy as np  # here, not at import: the server starts without it until a text query needs it
        index = cls()
        where: dict[str, int] = {}
        for iri, texts in documents:
            n = where.get(iri)
            if n is None:
                n = where[iri] = len(index.iris)
                index.iris.append(iri)
                index.texts.append({})
            doc = index.texts[n]
            for name, values in texts.items():
                if name not in FIELDS:
                    raise ValueError(f"unknown field {name!r}; fields are {', '.join(FIELDS)}")
                kept = doc.setdefault(name, [])
                kept.extend(v for v in values if v not in kept)
        # two passes over the texts, so only one document's word counts are held at a time (at 1M
        # triples, holding them all made the build's peak memory ten times the index's size)
        totals = dict.fromkeys(FIELDS, 0)
        counts = dict.fromkeys(FIELDS, 0)
        lengths = []
        for doc in index.texts:
            sizes = {name: sum(len(_index_keys(v)) for v in values) for name, values in doc.items()}
            for name, size in sizes.items():
                totals[name] += size
                counts[name] += 1
            lengths.append(sizes)
        index.avg_length = {f: (totals[f] / counts[f] if counts[f] else 1.0) for f in FIELDS}
        lists: dict[str, tuple[array, array, array]] = {}
        for n, doc in enumerate(index.texts):
            freq: dict[str, dict[str, int]] = {}
            for name, values in doc.items():
                for v in values:
                    for k in _index_keys(v):
                        tf = freq.setdefault(k, {})
                        tf[name] = tf.get(name, 0) + 1
            for k, tf in freq.items():
                w, best = index._weight(lengths[n], tf)
                d, ws, bs = lists.get(k) or lists.setdefault(k, (array("i"), array("d"), array("b")))
                d.append(n)
                ws.append(w)
                bs.append(_FIELD_NAMES.index(best))
        index.postings = {k: _Postings(np.array(d, np.int32), np.array(ws, np.float64), np.array(bs, np.int8))
                          for k, (d, ws, bs) in lists.items()}
        index.rank = np.empty(len(index.iris), np.int32)
        index.rank[sorted(range(len(index.iris)), key=index.iris.__getitem__)] = np.arange(len(index.iris), dtype=np.int32)
        return index

    def __len__(self) -> int:
        return len(self.iris)

    def idf(self, key: str) -> float:
        p = self.postings.get(key)
        n, df = len(self.iris), (0 if p is None else len(p.docs))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _weight(self, lengths: dict[str, int], tf: dict[str, int]) -> tuple[float, str]:
        """BM25F's pseudo-frequency of one word in one document, and the field that gave most."""
        total, best, best_part = 0.0, "", -1.0
        for name, f in tf.items():
            norm = 1 - B + B * lengths.get(name, 0) / (self.avg_length.get(name) or 1.0)
            part = FIELDS[name] * f / norm
            total += part
            if part > best_part:
                best, best_part = name, part
        return total, best

    def search(self, text: str, limit: int = 20, *, with_text: bool = True) -> list[Hit]:
        """Documents holding the query's words, best first.

        Documents with every word of the query come first; among those (and then among documents
        with fewer of the words) the BM25F score decides, then the IRI, so the order is stable.
        ``with_text=False`` leaves ``Hit.text`` empty (the SPARQL rewrite needs no snippet).
        """
        import numpy as np
        query = [k for k in dict.fromkeys(keys(text))][:MAX_QUERY_WORDS]
        found = [(k, self.postings[k]) for k in query if k in self.postings]
        if not found or limit <= 0:
            return []
        score = np.zeros(len(self.iris), np.float64)
        count = np.zeros(len(self.iris), np.int16)
        parts = []
        for key, p in found:
            s = self.idf(key) * p.weight * (K1 + 1) / (p.weight + K1)
            score[p.docs] += s          # a word's postings name each document once
            count[p.docs] += 1
            parts.append((key, p, s))
        hit = np.flatnonzero(count)
        order = np.lexsort((self.rank[hit], -score[hit], -count[hit]))
        hit = hit[order[:limit]]          # the best `limit` by (words matched, score, IRI)
        by_field = np.zeros((len(hit), len(FIELDS)), np.float64)
        has = []
        for key, p, s in parts:           # which of the hits hold each word, and in which field most
            at = np.minimum(np.searchsorted(p.docs, hit), len(p.docs) - 1)
            here = p.docs[at] == hit
            rows = np.flatnonzero(here)
            np.add.at(by_field, (rows, p.best[at[rows]]), s[at[rows]])
            has.append(here)
        # ties between fields go to the earlier field of FIELDS (argmax keeps the first maximum)
        best = by_field.argmax(axis=1)
        hits = []
        for j, n in enumerate(hit.tolist()):
            matched = tuple(key for (key, _, _), here in zip(parts, has) if here[j])
            name = _FIELD_NAMES[best[j]]
            text_ = ""
            if with_text:
                want = set(matched)
                text_ = next((v for v in self.texts[n].get(name, []) if want & set(_index_keys(v))), "")
            hits.append(Hit(self.iris[n], round(float(score[n]), 6), name, matched, text_))
        return hits


@lru_cache(maxsize=256)
def _query_keys(query: str) -> frozenset:
    return frozenset(list(dict.fromkeys(keys(query)))[:MAX_QUERY_WORDS])


def matches(text: str, query: str) -> bool:
    """Whether ``text`` holds every word of ``query``, compared as the index compares them.

    >>> matches("DeepSeek’s chips", "deepseek CHIP"), matches("collaboration", "labor")
    (True, False)
    """
    want = _query_keys(query)
    return bool(want) and want <= _text_keys(text)


@lru_cache(maxsize=1 << 14)
def _text_keys(text: str) -> frozenset:
    """A literal's word keys, remembered: a FILTER meets the same literals query after query."""
    return frozenset(_index_keys(text))


def _matches_function(text, query):
    """``text:matches(?literal, "words")`` for the engine: a boolean, or unbound (None) when either
    argument is not a literal (a FILTER then drops the row, as for any type error)."""
    if type(text).__name__ != "Literal" or type(query).__name__ != "Literal":
        return None
    from pyoxigraph import Literal
    return Literal(matches(text.value, query.value))


#: the extension functions the embedded stores run (``Store.query(functions=...)``), by IRI
SPARQL_FUNCTIONS = {str(TEXT) + "matches": _matches_function}


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


__all__ = ["build", "documents", "matches", "SPARQL_FUNCTIONS", "SearchIndex", "Hit", "Token", "tokens", "keys", "fold", "highlight",
           "snippet", "FIELDS"]
