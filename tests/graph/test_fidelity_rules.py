"""Say only what the essay says (issue 16): each rule of docs/data-guide.md, "Fidelity rules",
catches its planted error. One row per rule: a one-node mutation of the tiny graph, and the words
of the rule's message that `kg validate` must print."""
from __future__ import annotations

import pytest
from rdflib import BNode, Literal
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.cli import main
from kg.namespaces import DS, DSK
from kg.sources import DATA_FILE


def _when(g):
    return g.value(DS["event-nvidia-fall"], DSK.when)


def relative_date_resolved_bare(g):      # "earlier this year" stored as 2025, derivation not said
    g.remove((_when(g), RDF.type, DSK.DerivedValue))


def derived_date_without_source(g):
    g.remove((_when(g), PROV.wasDerivedFrom, None))


def derived_date_without_how(g):
    g.remove((_when(g), DSK.derivation, None))


def publication_year_asserted_bare(g):
    g.add((DS.essay, DCTERMS.issued, Literal("2025", datatype=XSD.gYear)))


def publication_date_not_marked(g):
    g.remove((DS["essay-publication-date"], RDF.type, DSK.OutsideKnowledge))


def outside_knowledge_without_source(g):
    g.remove((DS["essay-publication-date"], DCTERMS.source, None))


def range_kept_as_upper_bound(g):        # "three to five years" stored as 5
    q = DS["quantity-experience"]
    g.remove((q, DSK.minValue, None))
    g.remove((q, DSK.maxValue, None))
    g.add((q, DSK.value, Literal(5)))


def range_with_one_bound(g):
    g.remove((DS["quantity-experience"], DSK.minValue, None))


def range_bounds_reversed(g):
    g.set((DS["quantity-experience"], DSK.minValue, Literal(7)))


def fall_without_direction(g):           # 17 percent, "fall" only in the label
    g.remove((DS["quantity-fall"], DSK.direction, None))


def fall_as_negative_number(g):
    g.set((DS["quantity-fall"], DSK.value, Literal(-17)))


def change_event_without_direction(g):
    g.remove((DS["event-nvidia-fall"], DSK.direction, None))


def vague_amount_given_bound(g):         # "billions" stored as "more than 1,000,000,000"
    q = DS["quantity-billions"]
    g.add((q, DSK.value, Literal(1000000000)))
    g.add((q, DSK.comparator, DSK.moreThan))


def vague_amount_given_currency(g):      # "billions" stored in US dollars
    g.add((DS["quantity-billions"], DSK.unit, DSK.usDollar))


def vague_amount_stored_as_number(g):
    q = DS["quantity-billions"]
    g.remove((q, RDF.type, DSK.VagueQuantity))
    g.add((q, DSK.value, Literal(1000000000)))
    g.add((q, DSK.unit, DSK["count"]))
    g.add((q, DSK.comparator, DSK.moreThan))


def words_not_in_essay(g):
    g.set((DS["quantity-fall"], DSK.valueText, Literal("17.0 percent")))


def fuller_name_than_the_essay(g):       # "Trump" labelled "Donald Trump"
    g.set((DS.trump, RDFS.label, Literal("Donald Trump", lang="en")))


def fuller_name_not_marked(g):
    name = g.value(DS.trump, DSK.fullName)
    g.remove((name, RDF.type, DSK.OutsideKnowledge))


def passive_given_guessed_holder(g):     # "were seen as a major blow" given a named group
    g.set((DS["claim-blow"], DSK.claimant, DS["american-firms"]))


def passive_given_author_as_holder(g):
    g.set((DS["claim-blow"], DSK.claimant, DS.author))


RULES = [
    (relative_date_resolved_bare, "Date rule: an event gives a year"),
    (derived_date_without_source, "says what it was derived from"),
    (derived_date_without_how, "says how it was derived"),
    (publication_year_asserted_bare, "not as a bare dcterms:issued"),
    (publication_date_not_marked, "Date rule: an event gives a year"),
    (outside_knowledge_without_source, "Outside-knowledge rule"),
    (range_kept_as_upper_bound, "Range rule: the essay's words for a quantity give a range"),
    (range_with_one_bound, "Range rule: a quantity keeps one bound"),
    (range_bounds_reversed, "below its upper bound"),
    (fall_without_direction, "Change rule"),
    (fall_as_negative_number, "Change rule"),
    (change_event_without_direction, "Change rule"),
    (vague_amount_given_bound, "Vague-amount rule: a vague amount keeps its vagueness"),
    (vague_amount_given_currency, "Vague-amount rule: an amount is given a currency"),
    (vague_amount_stored_as_number, "Vague-amount rule: the essay's words for a quantity give no number"),
    (words_not_in_essay, "are not in the essay's text"),
    (fuller_name_than_the_essay, "Name rule"),
    (fuller_name_not_marked, "Name rule: a fuller name"),
    (passive_given_guessed_holder, "Holder rule"),
    (passive_given_author_as_holder, "Holder rule"),
]


@pytest.mark.parametrize("plant,message", RULES, ids=[p.__name__ for p, _ in RULES])
def test_rule_catches_its_planted_error(planted, plant, message):
    _, report = planted(plant)
    assert not report.conforms
    assert any(message in v.message for v in report.violations), report.text()


def test_kg_validate_names_the_rule_on_the_real_data(capsys, tmp_path):
    """The audit's own finding, planted back into a copy of data/deepseek.ttl: the command fails
    and its report names the rule."""
    text = DATA_FILE.read_text(encoding="utf-8")
    assert text.count('rdfs:label "Trump"@en ;') == 1
    bad = tmp_path / "deepseek.ttl"
    bad.write_text(text.replace('rdfs:label "Trump"@en ;', 'rdfs:label "Donald Trump"@en ;'), encoding="utf-8")
    code = main(["validate", "--data", str(bad)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Name rule" in out and "ds:trump" in out


def test_outside_knowledge_is_queryable(shipped_graph):
    """Every value the essay does not state is one query away, with its source or derivation."""
    rows = shipped_graph.query("""
        PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?node ?from WHERE {
            { ?node a dsk:OutsideKnowledge ; dcterms:source ?from }
            UNION { ?node a dsk:DerivedValue ; prov:wasDerivedFrom ?from } }""")
    sources = {str(r["from"]) for r in rows}
    assert "https://thebaffler.com/latest/deepseeking-the-truth-tan" in sources
    assert str(DS["essay-publication-date"]) in sources
    assert not any(isinstance(r["node"], BNode) and r["from"] is None for r in rows)
