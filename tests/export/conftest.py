"""Fixtures for the export tests: the shipped dataset and a tiny one with every blank-node shape
(anchor, pull-quote repeat, time instant and interval, participation), each written once."""
from __future__ import annotations

import pytest
from rdflib import Graph

from kg.export import Source, as_source, export_all
from kg.load import load_dataset, parse_file
from kg.sources import ESSAY_GRAPH, ONTOLOGY_FILE

TINY = """
@prefix ds: <https://w3id.org/deepseek-kg/id/> .
@prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix schema: <https://schema.org/> .

ds:essay a dsk:Document, schema:Article ; rdfs:label "DeepSeeking the Truth"@en ;
    dsk:fullText "0123456789 the whole text of the essay, kept on this node only" .
ds:sam-altman a dsk:Person ; rdfs:label "Sam Altman"@en, "Samuel Altman"@de .
ds:deepseek a dsk:Company ; rdfs:label "DeepSeek"@en .
ds:nvidia a dsk:Company ; rdfs:label "Nvidia"@en .
ds:role-affected a skos:Concept ; rdfs:label "affected party"@en .

ds:claim-altman a dsk:Claim ;
    rdfs:label "Altman: DeepSeek is state-controlled"@en ;
    dsk:statement "DeepSeek is controlled by the Chinese state." ;
    dsk:claimant ds:sam-altman ; dsk:about ds:deepseek, ds:nvidia ;
    dsk:isDirectQuote true ; dsk:authorStance dsk:rejects ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "OpenAI’s Sam Altman called DeepSeek “state-controlled,”" ] ,
                       [ a oa:TextPositionSelector ; oa:start 1094 ; oa:end 1149 ] ] .

ds:event-nvidia-fall a dsk:Event ;
    rdfs:label "Nvidia's stock falls"@en ;
    dsk:when [ a time:Instant ; time:inXSDgYear "2025"^^xsd:gYear ; time:unitType time:unitYear ;
               dsk:dateText "earlier this year" ] ;
    dsk:participation [ a dsk:Participation ; dsk:participant ds:nvidia ; dsk:role ds:role-affected ] ;
    dsk:quantity ds:quantity-fall ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "driving the chip manufacturer Nvidia’s stock down by 17 percent" ] ,
                       [ a oa:TextPositionSelector ; oa:start 643 ; oa:end 706 ] ] ,
               [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "789" ] , [ a oa:TextPositionSelector ; oa:start 7 ; oa:end 10 ] ] .

ds:event-decade a dsk:Event ;
    rdfs:label "a decade of growth"@en ;
    dsk:when [ a time:Interval ;
        time:hasBeginning [ a time:Instant ; time:inXSDgYear "2010"^^xsd:gYear ] ;
        time:hasEnd [ a time:Instant ; time:inXSDgYear "2019"^^xsd:gYear ] ] .

ds:quantity-fall a dsk:Quantity ; rdfs:label "17 percent"@en ;
    dsk:value 17.0 ; dsk:unit dsk:percent ; dsk:comparator dsk:exactly .

ds:causal-feat-nvidia a dsk:CausalAssertion ;
    rdfs:label "DeepSeek's feat drove Nvidia's stock down"@en ;
    dsk:cause ds:deepseek ; dsk:effect ds:event-nvidia-fall ; dsk:polarity dsk:promotes ;
    dsk:assertedBy ds:sam-altman ; dsk:modality dsk:asserted ; dsk:authorStance dsk:endorses .

ds:pull-quote-1 a dsk:PullQuote ; rdfs:label "pull quote"@en ;
    dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "0123" ], [ a oa:TextPositionSelector ; oa:start 0 ; oa:end 4 ] ] ;
    dsk:repeats [ a oa:SpecificResource ; oa:hasSource ds:essay ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "456" ], [ a oa:TextPositionSelector ; oa:start 4 ; oa:end 7 ] ] .
"""


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return parse_file(ONTOLOGY_FILE)


@pytest.fixture(scope="session")
def shipped() -> Source:
    return as_source(load_dataset())


@pytest.fixture(scope="session")
def tiny(ontology) -> Source:
    """The tiny data alone in the essay graph; labels of controlled values come from ``ontology``."""
    return Source({ESSAY_GRAPH: Graph().parse(data=TINY, format="turtle")}, ontology=ontology)


@pytest.fixture(scope="session", params=["shipped", "tiny"])
def source(request) -> Source:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def dumps(source) -> dict[str, bytes]:
    """Every export of ``source`` except ``inferred`` (HermiT has its own tests)."""
    return export_all(source, include_inferred=False)


@pytest.fixture(scope="session")
def dump_files(shipped, tmp_path_factory):
    """Every dump of the shipped dataset written as files, as /dumps/ serves them (``inferred``
    included where HermiT can run): what the outside tools open."""
    from kg.export import FORMATS
    d = tmp_path_factory.mktemp("dump-files")
    for name, data in export_all(shipped).items():
        (d / FORMATS[name].filename).write_bytes(data)
    return d
