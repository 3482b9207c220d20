"""Fixtures for the graph's own tests: the shipped graph, and a tiny graph to plant errors in."""
from __future__ import annotations

import pytest
from rdflib import Graph

from kg.load import load_graph, parse_file
from kg.sources import ONTOLOGY_FILE, SOURCE_TEXT_FILE

# One node of every kind, correct, anchored into the real stored text. Tests copy it and break one thing.
TINY = """
@prefix ds: <https://w3id.org/deepseek-kg/id/> .
@prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix time: <http://www.w3.org/2006/time#> .

ds:sam-altman a dsk:Person ; rdfs:label "Sam Altman"@en .
ds:deepseek a dsk:Company ; rdfs:label "DeepSeek"@en .
ds:nvidia a dsk:Company ; rdfs:label "Nvidia"@en .
ds:author a dsk:Person ; rdfs:label "the essay's author"@en ; dsk:anonymous true .
ds:roles a skos:ConceptScheme ; rdfs:label "roles"@en .
ds:event-types a skos:ConceptScheme ; rdfs:label "event types"@en .
ds:measures a skos:ConceptScheme ; rdfs:label "measures"@en .
ds:role-affected a skos:Concept ; skos:inScheme ds:roles ; rdfs:label "affected party"@en ;
    skos:definition "The participant the event happens to." .
ds:event-type-stock-decline a skos:Concept ; skos:inScheme ds:event-types ; rdfs:label "stock decline"@en ;
    skos:definition "A fall in a company's share price." .
ds:measure-share-price-change a skos:Concept ; skos:inScheme ds:measures ; rdfs:label "share price change"@en ;
    skos:definition "The change in a company's share price." .

ds:claim-altman a dsk:Claim ;
    rdfs:label "Altman: DeepSeek is state-controlled"@en ;
    dsk:statement "DeepSeek is controlled by the Chinese state." ;
    dsk:claimant ds:sam-altman ;
    dsk:about ds:deepseek ;
    dsk:isDirectQuote true ;
    dsk:authorStance dsk:rejects ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "OpenAI’s Sam Altman called DeepSeek “state-controlled,”" ] ,
                       [ a oa:TextPositionSelector ; oa:start 1094 ; oa:end 1149 ] ] .

ds:event-nvidia-fall a dsk:Event ;
    rdfs:label "Nvidia's stock falls"@en ;
    dsk:eventType ds:event-type-stock-decline ;
    dsk:when [ a time:Instant ; time:inXSDgYear "2025"^^xsd:gYear ; time:unitType time:unitYear ] ;
    dsk:participation [ a dsk:Participation ; dsk:participant ds:nvidia ; dsk:role ds:role-affected ] ;
    dsk:quantity ds:quantity-fall ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] .

ds:quantity-fall a dsk:Quantity ; rdfs:label "17 percent"@en ;
    dsk:value 17.0 ; dsk:unit dsk:percent ; dsk:comparator dsk:exactly ; dsk:measures ds:measure-share-price-change .

ds:causal-feat-nvidia a dsk:CausalAssertion ;
    rdfs:label "DeepSeek's feat drove Nvidia's stock down"@en ;
    dsk:statement "DeepSeek's feat drove Nvidia's share price down." ;
    dsk:cause ds:deepseek ;
    dsk:effect ds:event-nvidia-fall ;
    dsk:polarity dsk:promotes ;
    dsk:assertedBy ds:author ;
    dsk:modality dsk:asserted ;
    dsk:authorStance dsk:endorses ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] .

ds:claim-fall a dsk:Claim ;
    rdfs:label "Author: DeepSeek's feat drove Nvidia's stock down"@en ;
    dsk:statement "DeepSeek's feat drove Nvidia's share price down by 17 percent." ;
    dsk:claimant ds:author ;
    dsk:about ds:nvidia ;
    dsk:isDirectQuote false ;
    dsk:authorStance dsk:endorses ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] .

ds:thesis-point-fall a dsk:ThesisPoint ;
    rdfs:label "DeepSeek shook the chip market"@en ;
    dsk:statement "DeepSeek's feat drove Nvidia's share price down." ;
    dsk:thesisOf ds:essay ;
    dsk:rank 1 ;
    dsk:carriedBy ds:claim-fall ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] .
"""


@pytest.fixture(scope="session")
def shipped_graph() -> Graph:
    """Ontology + stored text + data, as served (shapes left out)."""
    return load_graph()


@pytest.fixture(scope="session")
def base_graph() -> Graph:
    """Ontology + stored text: what the tiny graph relies on."""
    g = parse_file(ONTOLOGY_FILE)
    parse_file(SOURCE_TEXT_FILE, g)
    return g


@pytest.fixture
def tiny_graph(base_graph) -> Graph:
    g = Graph()
    for t in base_graph:
        g.add(t)
    for prefix, ns in base_graph.namespaces():
        g.bind(prefix, ns)
    g.parse(data=TINY, format="turtle")
    return g
