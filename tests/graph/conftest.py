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
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

ds:sam-altman a dsk:Person ; rdfs:label "Sam Altman"@en .
ds:deepseek a dsk:Company ; rdfs:label "DeepSeek"@en .
ds:nvidia a dsk:Company ; rdfs:label "Nvidia"@en .
ds:author a dsk:Person ; rdfs:label "the essay's author"@en ; dsk:anonymous true .
ds:roles a skos:ConceptScheme ; rdfs:label "roles"@en .
ds:event-types a skos:ConceptScheme ; rdfs:label "event types"@en .
ds:measures a skos:ConceptScheme ; rdfs:label "measures"@en .
ds:role-affected a skos:Concept ; skos:inScheme ds:roles ; rdfs:label "affected party"@en ;
    skos:definition "The participant the event happens to." .
ds:event-type-stock-decline a skos:Concept, dsk:ChangeConcept ; skos:inScheme ds:event-types ;
    rdfs:label "stock decline"@en ; skos:definition "A fall in a company's share price." .
ds:measure-share-price-change a skos:Concept, dsk:ChangeConcept ; skos:inScheme ds:measures ;
    rdfs:label "share price change"@en ; skos:definition "The change in a company's share price." .
ds:measure-work-experience a skos:Concept ; skos:inScheme ds:measures ; rdfs:label "years of work experience"@en ;
    skos:definition "How many years of prior work experience a candidate has." .
ds:measure-investment-amount a skos:Concept ; skos:inScheme ds:measures ; rdfs:label "investment amount"@en ;
    skos:definition "The money invested." .

# What the essay's text does not state is marked, with its source (the rules of issue 16).
ds:essay dcterms:creator ds:author ; dsk:publicationDate ds:essay-publication-date .
ds:essay-publication-date a time:Instant, dsk:OutsideKnowledge ;
    time:inXSDgYear "2025"^^xsd:gYear ; time:unitType time:unitYear ;
    dcterms:source <https://thebaffler.com/latest/deepseeking-the-truth-tan> .
ds:trump a dsk:Person ; rdfs:label "Trump"@en ;
    dsk:fullName [ a dsk:OutsideKnowledge ; rdfs:label "Donald Trump"@en ;
                   dcterms:source <http://www.wikidata.org/entity/Q22686> ] .
ds:headhunter a dsk:Person ; rdfs:label "headhunter"@en ; dsk:anonymous true .
ds:american-firms a dsk:Group ; rdfs:label "American firms"@en .
ds:unnamed-holders-blow a dsk:Group ; rdfs:label "unnamed: those who saw the restrictions as a major blow"@en ;
    dsk:anonymous true .

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
    dsk:when [ a time:Instant, dsk:DerivedValue ; time:inXSDgYear "2025"^^xsd:gYear ; time:unitType time:unitYear ;
               dsk:dateText "earlier this year" ; prov:wasDerivedFrom ds:essay-publication-date ;
               dsk:derivation "'earlier this year' read as the publication year." ] ;
    dsk:direction dsk:decrease ;
    dsk:participation [ a dsk:Participation ; dsk:participant ds:nvidia ; dsk:role ds:role-affected ] ;
    dsk:quantity ds:quantity-fall ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] .

ds:quantity-fall a dsk:Quantity ; rdfs:label "17 percent"@en ; dsk:valueText "17 percent" ; dsk:direction dsk:decrease ;
    dsk:value 17.0 ; dsk:unit dsk:percent ; dsk:comparator dsk:exactly ; dsk:measures ds:measure-share-price-change .

ds:claim-headhunter a dsk:Claim ;
    rdfs:label "Headhunter: three to five years at the most"@en ;
    dsk:statement "DeepSeek looks for three to five years of work experience at the most." ;
    dsk:claimant ds:headhunter ; dsk:about ds:deepseek ; dsk:isDirectQuote true ; dsk:authorStance dsk:endorses ;
    dsk:quantity ds:quantity-experience ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "“They look for three to five years of work experience at the most." ] ,
                       [ a oa:TextPositionSelector ; oa:start 8078 ; oa:end 8144 ] ] .
ds:quantity-experience a dsk:Quantity ; rdfs:label "three to five years at the most"@en ;
    dsk:valueText "three to five years of work experience at the most" ;
    dsk:minValue 3 ; dsk:maxValue 5 ; dsk:unit dsk:year ; dsk:comparator dsk:atMost ;
    dsk:measures ds:measure-work-experience .

ds:claim-billions a dsk:Claim ;
    rdfs:label "American firms are investing billions"@en ;
    dsk:statement "American firms are investing billions to secure domestic AI advantage." ;
    dsk:claimant ds:author ; dsk:about ds:american-firms ; dsk:isDirectQuote false ; dsk:authorStance dsk:endorses ;
    dsk:quantity ds:quantity-billions ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "at a time when American firms are investing billions to secure domestic AI advantage" ] ,
                       [ a oa:TextPositionSelector ; oa:start 2257 ; oa:end 2341 ] ] .
ds:quantity-billions a dsk:Quantity, dsk:VagueQuantity ; rdfs:label "billions"@en ;
    dsk:valueText "billions" ; dsk:measures ds:measure-investment-amount .

ds:claim-blow a dsk:Claim ;
    rdfs:label "Unattributed: the restrictions were a major blow"@en ;
    dsk:statement "The first Trump administration's restrictions on Chinese firms were a major blow." ;
    dsk:claimant ds:unnamed-holders-blow ; dsk:about ds:trump ; dsk:isDirectQuote false ;
    dsk:modality dsk:perceived ; dsk:authorStance dsk:reports ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "So the initial restrictions placed on Chinese firms by the first Trump administration, unsurprisingly, were seen as a major blow." ] ,
                       [ a oa:TextPositionSelector ; oa:start 12282 ; oa:end 12411 ] ] .

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


@pytest.fixture(scope="session")
def planted(base_graph):
    """``planted(plant) -> (graph, report)``: the tiny graph with one error planted by ``plant``
    and pySHACL's report on it (kg.validate), made once per session: the planted-error tests and
    the Jena comparison (test_shapes_jena.py) share them instead of validating each twice."""
    made: dict = {}

    def get(plant):
        if plant.__name__ not in made:
            from kg.validate import validate
            g = Graph()
            for t in base_graph:
                g.add(t)
            for prefix, ns in base_graph.namespaces():
                g.bind(prefix, ns)
            g.parse(data=TINY, format="turtle")
            plant(g)
            made[plant.__name__] = (g, validate(g))
        return made[plant.__name__]
    return get
