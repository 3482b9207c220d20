"""The shapes bite: each kind of error planted in a small correct graph is reported, with a curator's message."""
from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.namespaces import DS, DSK, OA, TIME
from kg.validate import validate


def _selector(g, node, kind):
    span = g.value(node, DSK.anchor)
    return next(s for s in g.objects(span, OA.hasSelector) if (s, RDF.type, kind) in g)


def shift_offset(g):
    sel = _selector(g, DS["claim-altman"], OA.TextPositionSelector)
    g.set((sel, OA.start, Literal(1095)))
    g.set((sel, OA.end, Literal(1150)))


def quote_not_in_text(g):
    sel = _selector(g, DS["claim-altman"], OA.TextQuoteSelector)
    g.set((sel, OA.exact, Literal("OpenAI’s Sam Altman called DeepSeek “a marvel,”")))


def claim_without_claimant(g):
    g.remove((DS["claim-altman"], DSK.claimant, None))


def cause_equals_effect(g):
    g.set((DS["causal-feat-nvidia"], DSK.cause, DS["event-nvidia-fall"]))


def unknown_stance(g):
    g.set((DS["claim-altman"], DSK.authorStance, DSK.applauds))


def date_as_string(g):
    when = g.value(DS["event-nvidia-fall"], DSK.when)
    g.set((when, TIME.inXSDgYear, Literal("2025")))


def number_as_string(g):
    g.set((DS["quantity-fall"], DSK.value, Literal("17 percent")))


def unconnected_actor(g):
    g.add((DS["lonely"], RDF.type, DSK.Person))
    g.add((DS["lonely"], RDFS.label, Literal("Lonely Person", lang="en")))


def duplicate_label(g):
    g.add((DS["other-deepseek"], RDF.type, DSK.Company))
    g.add((DS["other-deepseek"], RDFS.label, Literal("DeepSeek", lang="en")))
    g.add((DS["claim-altman"], DSK.about, DS["other-deepseek"]))


def missing_anchor(g):
    g.remove((DS["event-nvidia-fall"], DSK.anchor, None))


def undefined_ontology_term(g):
    g.add((DSK.Rumour, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    g.add((DSK.Rumour, RDFS.label, Literal("rumour", lang="en")))


def undeclared_property(g):
    g.add((DS["claim-altman"], DSK.claimaint, DS["sam-altman"]))


def wrong_polarity(g):
    g.set((DS["causal-feat-nvidia"], DSK.polarity, DSK.causes))


def direct_quote_without_quotes(g):
    sel = _selector(g, DS["claim-altman"], OA.TextQuoteSelector)
    pos = _selector(g, DS["claim-altman"], OA.TextPositionSelector)
    g.set((sel, OA.exact, Literal("OpenAI’s Sam Altman called DeepSeek")))
    g.set((pos, OA.end, Literal(1094 + len("OpenAI’s Sam Altman called DeepSeek"))))


def thesis_carried_by_rejected_claim(g):
    g.add((DS["thesis-point-fall"], DSK.carriedBy, DS["claim-altman"]))


def thesis_anchored_away_from_its_claims(g):
    sel = _selector(g, DS["thesis-point-fall"], OA.TextPositionSelector)
    quote = _selector(g, DS["thesis-point-fall"], OA.TextQuoteSelector)
    g.set((quote, OA.exact, Literal("OpenAI’s Sam Altman called DeepSeek “state-controlled,”")))
    g.set((sel, OA.start, Literal(1094)))
    g.set((sel, OA.end, Literal(1149)))


def thesis_rank_as_string(g):
    g.set((DS["thesis-point-fall"], DSK.rank, Literal("first")))


def thesis_rank_zero(g):
    g.set((DS["thesis-point-fall"], DSK.rank, Literal(0)))


def thesis_ranks_clash(g):
    g.add((DS["thesis-point-two"], RDF.type, DSK.ThesisPoint))
    for p, o in g.predicate_objects(DS["thesis-point-fall"]):
        if p not in (RDF.type, RDFS.label):
            g.add((DS["thesis-point-two"], p, o))
    g.add((DS["thesis-point-two"], RDFS.label, Literal("a second point", lang="en")))


PLANTED = [
    (shift_offset, "not what the stored essay text says"),
    (quote_not_in_text, "not what the stored essay text says"),
    (claim_without_claimant, "needs a claimant"),
    (cause_equals_effect, "must differ from the effect"),
    (unknown_stance, "author's stance must be exactly one of"),
    (date_as_string, "time must be"),
    (number_as_string, "not a string"),
    (unconnected_actor, "unconnected"),
    (duplicate_label, "same label"),
    (missing_anchor, "anchored to the exact words"),
    (undefined_ontology_term, "needs exactly one definition"),
    (undeclared_property, "does not declare"),
    (wrong_polarity, "dsk:promotes or dsk:inhibits"),
    (direct_quote_without_quotes, "has no quotation marks"),
    (thesis_carried_by_rejected_claim, "which the author does not endorse"),
    (thesis_anchored_away_from_its_claims, "does not overlap the words"),
    (thesis_rank_as_string, "exactly one rank"),
    (thesis_rank_zero, "exactly one rank"),
    (thesis_ranks_clash, "share rank"),
]


def test_tiny_graph_conforms(tiny_graph):
    report = validate(tiny_graph)
    assert report.conforms, report.text()


@pytest.mark.parametrize("plant,message", PLANTED, ids=[p.__name__ for p, _ in PLANTED])
def test_planted_error_is_reported(planted, plant, message):
    _, report = planted(plant)
    assert not report.conforms
    assert any(message in v.message for v in report.violations), report.text()


def test_shipped_graph_conforms(shipped_graph):
    report = validate(shipped_graph)
    assert report.conforms, report.text()


def test_report_is_readable_and_machine_readable(tiny_graph):
    claim_without_claimant(tiny_graph)
    report = validate(tiny_graph)
    assert "ds:claim-altman" in report.text()
    assert '"conforms": false' in report.json()
