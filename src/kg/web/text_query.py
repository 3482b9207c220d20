"""Full-text search inside SPARQL: the ``text:search`` magic property, answered from the index.

A query names the search as a triple pattern (as jena-text's ``text:query`` and QLever's
``ql:contains-word`` do), with ``PREFIX text: <https://w3id.org/deepseek-kg/text#>``::

    ?s text:search "patient capital" .                      # subjects whose label, statement or quote has the words
    (?s ?score ?field) text:search ("patient capital" 20) . # with the BM25F score, the best field; 20 hits at most

Before the engine sees the query, each such pattern is replaced by a ``VALUES`` block holding the
index's hits (subject, score, field), best first: the subjects whose labels, statements and quotes
together hold every word of the query (as ``ql:contains-word`` does), ranked by BM25F. The engine
joins them with the rest of the query like any other solutions. Nothing is evaluated per row, the engine needs no extension, and
the same rewrite works on every store (a remote engine gets standard SPARQL). The index is
:mod:`kg.search` (word-aware, case- and accent-folded, BM25F over labels, statements and quotes),
the one the ``/search`` page uses, built once per data version.

The pattern must be a whole triple pattern: its subject a variable, an IRI (does this resource
match?) or a list of one to three terms (the subject, then variables for the score and the field);
its object a string or a list of a string and a number of hits. At most ``max_hits`` hits are kept
per pattern (the best ones); :func:`rewrite` says when more were found.

``text:matches(?literal, "words")`` is the per-row form for ``FILTER`` (kg.search.matches, run by the
embedded stores' engine): true when the literal holds every word of the query.

>>> from kg.search import SearchIndex
>>> index = SearchIndex.from_documents([("http://ex/a", {"label": ["Patient capital"]}),
...                                     ("http://ex/b", {"quote": ["capital flight"]})])
>>> q = 'PREFIX text: <https://w3id.org/deepseek-kg/text#> SELECT ?s { ?s text:search ("capital" 5) . }'
>>> print(rewrite(q, index).query)
PREFIX text: <https://w3id.org/deepseek-kg/text#> SELECT ?s { VALUES (?s) { (<http://ex/a>) (<http://ex/b>) } . }
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..namespaces import TEXT
from ..search import MAX_QUERY_WORDS, keys
from .query_scan import lex

__all__ = ["SEARCH", "MATCHES", "TextQueryError", "Rewritten", "rewrite", "uses"]

SEARCH = str(TEXT) + "search"
MATCHES = str(TEXT) + "matches"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ECHAR = re.compile(r"\\(?:([tbnrf\"'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
HOW = ('write it as a whole triple pattern: ?s text:search "words" . or (?s ?score ?field) '
       'text:search ("words" 20) .')


class TextQueryError(ValueError):
    """The text:search pattern cannot be read (400): the message says how to write it."""


@dataclass
class Rewritten:
    query: str
    patterns: int = 0                 # text:search patterns replaced
    truncated: list[str] = None       # the searches that found more than they kept

    def note(self) -> str | None:
        """The answer's KG-Text-Truncated header, when a search kept fewer hits than it found."""
        if not self.truncated:
            return None
        return "; ".join(self.truncated) + " (TEXT_MAX_HITS; ask for fewer: text:search (\"words\" N))"


def uses(iris) -> tuple[bool, bool]:
    """(text:search, text:matches) among the IRIs a query names (query_scan's ``Scan.iris``)."""
    return SEARCH in iris, MATCHES in iris


def _string(token: str) -> str:
    """A SPARQL string literal's value."""
    quote = 3 if token[:3] in ('"""', "'''") else 1
    body = token[quote:-quote]
    return _ECHAR.sub(lambda m: _ESCAPES[m.group(1)] if m.group(1) else chr(int(m.group(2) or m.group(3), 16)), body)


def _prefixes(toks) -> dict[str, str]:
    out = {}
    for i, (kind, val, _) in enumerate(toks):
        if kind == "word" and val.upper() == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            out[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
    return out


def _iri(tok, prefixes) -> str | None:
    kind, val, _ = tok
    if kind == "iri":
        return val[1:-1]
    if kind == "pname":
        pre, _, local = val.partition(":")
        return prefixes[pre] + local if pre in prefixes else None
    return None


def _close(toks, i: int) -> int:
    """The index of the ")" closing the "(" at ``i``, or -1."""
    for j in range(i + 1, len(toks)):
        if toks[j][:2] == ("other", ")"):
            return j
        if toks[j][:2] == ("other", "("):
            return -1
    return -1


def _number(toks, text: str, i: int) -> tuple[int | None, int]:
    """A run of digit tokens with nothing between them from ``i``: (value, next index)."""
    j, end = i, None
    while j < len(toks) and toks[j][0] == "other" and toks[j][1].isdigit() and (end is None or toks[j][2] == end):
        end = toks[j][2] + 1
        j += 1
    return (int(text[toks[i][2]:end]), j) if j > i else (None, i)


def rewrite(query: str, index, *, max_hits: int = 1000) -> Rewritten:
    """The query with each text:search pattern replaced by the VALUES block of its hits.

    Raises :class:`TextQueryError` for a pattern it cannot read.
    """
    toks = list(lex(query))
    prefixes = _prefixes(toks)
    out, last, done = [], 0, Rewritten(query, 0, [])
    i = 0
    while i < len(toks):
        if toks[i][0] not in ("iri", "pname") or _iri(toks[i], prefixes) != SEARCH or not _is_object(toks, i):
            i += 1  # not a text:search pattern (the IRI named elsewhere is left alone)
            continue
        start, subject = _subject(toks, i, prefixes)
        words, limit, end = _object(toks, i, query)
        after = toks[end][1] if end < len(toks) else ""
        if after in (";", ","):
            raise TextQueryError(f"text:search is followed by '{after}': {HOW}")
        capped = limit is None or limit > max_hits  # a cut the query did not ask for is said in the answer
        limit = min(max_hits, limit if limit is not None else max_hits)
        wanted = min(len(dict.fromkeys(keys(words))), MAX_QUERY_WORDS)
        hits = index.search(words, limit + 1, with_text=False) if limit else []
        hits = [h for h in hits if len(h.matched) == wanted]  # every word (complete matches rank first)
        if len(hits) > limit:
            if capped:
                done.truncated.append(f"text:search {words!r} kept the best {limit} hits and found more")
            hits = hits[:limit]
        out.append(query[last:toks[start][2]])
        out.append(_values(subject, hits))
        last = toks[end - 1][2] + len(toks[end - 1][1])
        done.patterns += 1
        i = end
    out.append(query[last:])
    done.query = "".join(out)
    return done


def _is_object(toks, i: int) -> bool:
    """Whether text:search at ``i`` is followed by what a search pattern's object starts with."""
    nxt = toks[i + 1] if i + 1 < len(toks) else ("", "", 0)
    return nxt[0] == "string" or nxt[:2] == ("other", "(")


def _subject(toks, i: int, prefixes) -> tuple[int, list]:
    """(index of the subject's first token, its terms: a variable name or an IRI, then variables)."""
    if i == 0:
        raise TextQueryError(f"text:search has no subject: {HOW}")
    kind, val, _ = toks[i - 1]
    if (kind, val) == ("other", ")"):
        j = i - 2
        while j >= 0 and toks[j][:2] != ("other", "("):
            j -= 1
        items = toks[j + 1:i - 1]
        if j < 0 or not 1 <= len(items) <= 3:
            raise TextQueryError(f"text:search takes a list of one to three terms before it (subject, score, field): {HOW}")
        terms = [_term(t, prefixes, first=n == 0) for n, t in enumerate(items)]
        return j, terms
    if kind in ("other", "word") and val in (";", ",", "[", "a"):
        raise TextQueryError(f"text:search needs its own subject (it follows '{val}'): {HOW}")
    return i - 1, [_term(toks[i - 1], prefixes, first=True)]


def _term(tok, prefixes, *, first: bool):
    kind, val, _ = tok
    if kind == "var":
        return val
    iri = _iri(tok, prefixes) if first else None
    if iri is None:
        raise TextQueryError(f"text:search: {val!r} cannot stand there (the subject is a variable or an IRI, "
                             f"the score and field are variables): {HOW}")
    return f"<{iri}>"


def _object(toks, i: int, text: str) -> tuple[str, int | None, int]:
    """(the words, the number of hits asked for or None, index after the object)."""
    j = i + 1
    if j < len(toks) and toks[j][0] == "string":
        return _string(toks[j][1]), None, j + 1
    if j < len(toks) and toks[j][:2] == ("other", "(") and j + 1 < len(toks) and toks[j + 1][0] == "string":
        words = _string(toks[j + 1][1])
        limit, k = _number(toks, text, j + 2)
        if k < len(toks) and toks[k][:2] == ("other", ")"):
            return words, limit, k + 1
    raise TextQueryError(f"text:search takes a string, or a list of a string and a number of hits: {HOW}")


def _values(subject: list[str], hits) -> str:
    """The VALUES block of ``hits`` for the pattern's terms (a constant subject filters the hits)."""
    first, rest = subject[0], subject[1:]
    variables = ([first] if first.startswith(("?", "$")) else []) + rest
    rows = []
    for h in hits:
        if not first.startswith(("?", "$")) and f"<{h.iri}>" != first:
            continue
        cells = ([f"<{h.iri}>"] if first.startswith(("?", "$")) else []) + [
            f'"{h.score!r}"^^<{XSD_DOUBLE}>', f'"{h.field}"'][:len(rest)]
        rows.append("(" + " ".join(cells) + ")")
    return f"VALUES ({' '.join(variables)}) {{ {' '.join(rows)} }}"
