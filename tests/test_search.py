"""kg.search: word-aware, folded, BM25F-ranked full-text search, checked against a brute-force scan."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import search
from kg.search import B, FIELDS, K1, SearchIndex, fold, highlight, keys, snippet


def brute_force(documents, query: str, limit: int):
    """The same ranking computed the slow way: every document's every field re-read for each query."""
    docs = {}
    for iri, texts in documents:
        d = docs.setdefault(iri, {})
        for f, values in texts.items():
            kept = d.setdefault(f, [])
            kept.extend(v for v in values if v not in kept)
    words = {iri: {f: [k for v in vals for k in keys(v)] for f, vals in d.items()} for iri, d in docs.items()}
    avg = {}
    for f in FIELDS:
        lengths = [len(w[f]) for w in words.values() if f in w]
        avg[f] = sum(lengths) / len(lengths) if lengths else 1.0
    n = len(docs)
    out = []
    for iri, fields in words.items():
        score, matched = 0.0, []
        for q in list(dict.fromkeys(keys(query)))[:search.MAX_QUERY_WORDS]:
            tf = sum(FIELDS[f] * ws.count(q) / (1 - B + B * len(ws) / (avg[f] or 1.0)) for f, ws in fields.items())
            if not tf:
                continue
            df = sum(1 for other in words.values() if any(q in ws for ws in other.values()))
            score += math.log(1 + (n - df + 0.5) / (df + 0.5)) * tf * (K1 + 1) / (tf + K1)
            matched.append(q)
        if matched:
            out.append((-len(matched), -score, iri, score, tuple(matched)))
    out.sort()
    return [(iri, score, matched) for _, _, iri, score, matched in out[:limit]]


VOCAB = ["DeepSeek", "deepseek’s", "labor", "collaboration", "Café", "cafe", "CAFÉ", "state", "state-controlled",
         "chips", "chip", "Altman", "the", "innovation", "996", "Zhōngguó", "深度求索", "don't"]
text_ = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=8).map(" ".join)
doc = st.tuples(st.sampled_from([f"ex:{i}" for i in range(12)]),
                st.dictionaries(st.sampled_from(list(FIELDS)), st.lists(text_, min_size=1, max_size=2), max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.lists(doc, min_size=1, max_size=15), st.lists(st.sampled_from(VOCAB + ["zzz", "calibrat"]), min_size=1, max_size=3).map(" ".join),
       st.integers(min_value=1, max_value=20))
def test_search_equals_brute_force(documents, query, limit):
    index = SearchIndex.from_documents(documents)
    got = [(h.iri, h.score, h.matched) for h in index.search(query, limit)]
    want = brute_force(documents, query, limit)
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, gs, gm), (_, ws, wm) in zip(got, want):
        assert gs == pytest.approx(ws, rel=1e-6, abs=1e-6) and gm == wm


@pytest.mark.parametrize("query, text, hit", [
    ("labor", "academic-style collaboration", False),        # whole words, never substrings
    ("labor", "Labor relations", True),
    ("cafe", "Zhōngguó Café", True), ("ZHONGGUO", "Zhōngguó Café", True),   # case and accents ignored
    ("deepseek", "DeepSeek’s feat", True),                     # a possessive is the word itself
    ("chip", "ten thousand NVIDIA chips", True), ("chips", "one chip", True),   # and a plural
    ("controlled", "“state-controlled,”", True),               # hyphens and quotes are word boundaries
    ("996", "the 996 regime", True), ("99", "the 996 regime", False),
    ("深度求索", "深度求索", True),
    ("ﬁrm", "firm", True),                                     # compatibility forms (NFKD)
])
def test_word_matching(query, text, hit):
    index = SearchIndex.from_documents([("ex:x", {"statement": [text]})])
    assert bool(index.search(query)) is hit


def test_label_outranks_statement_outranks_quote():
    index = SearchIndex.from_documents([("ex:quote", {"quote": ["patient capital"]}),
                                        ("ex:statement", {"statement": ["patient capital"]}),
                                        ("ex:label", {"label": ["patient capital"]})])
    assert [h.iri for h in index.search("patient capital")] == ["ex:label", "ex:statement", "ex:quote"]
    assert [h.field for h in index.search("capital")] == ["label", "statement", "quote"]


def test_every_word_beats_a_rare_word():
    index = SearchIndex.from_documents([("ex:rare", {"label": ["kneecapping"]}),
                                        ("ex:both", {"statement": ["state support and the kneecapping state"]}),
                                        ("ex:common", {"label": ["state"]})])
    assert index.search("state kneecapping")[0].iri == "ex:both"


def test_highlight_and_snippet_mark_whole_words():
    pieces = highlight("Collaboration and labor: Labor’s share", ["labor"])
    assert [t for t, hit in pieces if hit] == ["labor", "Labor’s"]
    assert "".join(t for t, _ in pieces) == "Collaboration and labor: Labor’s share"
    long = "word " * 100 + "needle " + "word " * 100
    cut = snippet(long, ["needle"], 60)
    assert "needle" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) <= 62


def test_fold():
    assert fold("Café") == fold("CAFE") == "cafe"
    assert fold("DeepSeek’s") == fold("deepseek") == fold("DeepSeeks")
    assert fold("class") == "class" and fold("its") == "its"


def test_empty_and_oversized_queries():
    index = SearchIndex.from_documents([("ex:a", {"label": ["a b c"]})])
    assert index.search("") == [] and index.search("   ") == [] and index.search("!!!") == []
    assert index.search("x " * 10_000) == []                      # bounded: at most MAX_QUERY_WORDS words
    with pytest.raises(ValueError, match="unknown field"):
        SearchIndex.from_documents([("ex:a", {"title": ["x"]})])


def test_build_from_the_bundled_store():
    """Labels, statements and quotes of the served graph, read by SPARQL."""
    from kg.backends import open_store
    store = open_store(None)
    index = search.build(store)
    assert len(index) > 300
    hits = index.search("false dichotomy", 5)
    assert hits and all({"false", "dichotomy"} <= set(h.matched) for h in hits)
    assert any(h.iri.endswith("/claim-false-dichotomy") for h in hits)
    assert not [h for h in index.search("labor", 50) if "collaborat" in h.text.casefold()
                and "labor" not in " ".join(keys(h.text))]
