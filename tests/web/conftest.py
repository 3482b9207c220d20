"""Fixtures for the pages: a small graph of our own (a few claims, events, causal assertions and
arguments anchored into the real data/essay.txt), plus hostile labels for the escaping tests."""
from __future__ import annotations

import pytest

from kg.sources import ESSAY_GRAPH, ONTOLOGY_FILE, ONTOLOGY_GRAPH, SOURCE_TEXT_FILE, SourceFile
from kg.text import essay_text, locate
from kg.web import create_app

XSS = "<script>alert(1)</script>"


def _anchor(text: str, exact: str) -> str:
    start, end = locate(text, exact)
    ex = exact.replace("\\", "\\\\").replace('"', '\\"')
    return (f'dsk:anchor [ a oa:SpecificResource ; oa:hasSource ds:essay ; oa:hasSelector '
            f'[ a oa:TextQuoteSelector ; oa:exact "{ex}" ] , '
            f'[ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ]')


QUOTES = {
    "altman": "OpenAI’s Sam Altman called DeepSeek “state-controlled,”",
    "fall": "driving the chip manufacturer Nvidia’s stock down by 17 percent",
    "feat": "DeepSeek’s feat recalibrated investor’s assumptions about AI hardware dependencies",
    "commentators": "Many panicked commentators in the West hastily framed it as a product of the Chinese state",
    "december": "Last December, the world knew little of DeepSeek.",
}


def fixture_ttl(text: str) -> str:
    a = {k: _anchor(text, v) for k, v in QUOTES.items()}
    return f"""@prefix ds: <https://w3id.org/deepseek-kg/id/> .
@prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .

ds:dataset a void:Dataset ; dcterms:title "fixture dataset"@en ;
    dcterms:description "A fixture graph for the page tests."@en ;
    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
    schema:citation "Cite me like this." .
ds:essay rdfs:label "DeepSeeking the Truth"@en .
ds:author a dsk:Person ; rdfs:label "the essay's author"@en ; dsk:anonymous true .
ds:sam-altman a dsk:Person ; rdfs:label "Sam Altman"@en ; dsk:memberOf ds:openai .
ds:openai a dsk:Company ; rdfs:label "OpenAI"@en .
ds:nvidia a dsk:Company ; rdfs:label "Nvidia"@en ; dsk:description "the chip manufacturer"@en .
ds:deepseek a dsk:Company ; rdfs:label "DeepSeek"@en ; rdfs:label "深度求索"@zh .
ds:western-commentators a dsk:Group ; rdfs:label "panicked commentators in the West"@en .
ds:hostile a dsk:Group ; rdfs:label "{XSS}"@en ; dsk:description "a <b>bold</b> & \\"quoted\\" description"@en .
ds:cafe a dsk:Company ; rdfs:label "Zhōngguó Café"@en .
ds:concepts a skos:ConceptScheme ; rdfs:label "practices and ideas"@en .
ds:concept-996 a skos:Concept ; skos:inScheme ds:concepts ; rdfs:label "996"@en ;
    skos:definition "Working from 9 a.m. to 9 p.m., six days a week."@en .
ds:viewpoint-state-product a dsk:Viewpoint ; rdfs:label "state-product narrative"@en ;
    dsk:heldBy ds:western-commentators ; dsk:authorStance dsk:rejects ; {a["commentators"]} .

ds:claim-altman-state-controlled a dsk:Claim ;
    rdfs:label "Altman: DeepSeek is state-controlled"@en ;
    dsk:statement "DeepSeek is controlled by the Chinese state." ;
    dsk:claimant ds:sam-altman ; dsk:about ds:deepseek ; dsk:isDirectQuote true ;
    dsk:authorStance dsk:rejects ; dsk:viewpoint ds:viewpoint-state-product ; {a["altman"]} .
ds:claim-commentators-state-product a dsk:Claim ;
    rdfs:label "Commentators: DeepSeek is a product of the Chinese state"@en ;
    dsk:claimant ds:western-commentators ; dsk:isDirectQuote false ; dsk:authorStance dsk:rejects ;
    {a["commentators"]} .
ds:claim-feat a dsk:Claim ;
    rdfs:label "DeepSeek's feat recalibrated assumptions"@en ;
    dsk:claimant ds:author ; dsk:isDirectQuote false ; dsk:authorStance dsk:endorses ; {a["feat"]} .
ds:claim-hostile a dsk:Claim ; rdfs:label "claim by {XSS}"@en ; dsk:claimant ds:hostile ;
    dsk:authorStance dsk:reports ; dsk:statement "{XSS}" ; {a["december"]} .

ds:event-nvidia-stock-fall a dsk:Event ;
    rdfs:label "Nvidia's stock falls 17 percent"@en ;
    dsk:when [ a time:Instant ; time:inXSDgYear "2025"^^xsd:gYear ; time:unitType time:unitYear ;
               dsk:dateText "earlier this year" ] ;
    dsk:participation [ a dsk:Participation ; dsk:participant ds:nvidia ] ;
    dsk:quantity ds:quantity-nvidia-stock-fall ; {a["fall"]} .
ds:quantity-nvidia-stock-fall a dsk:Quantity ; rdfs:label "17 percent fall in Nvidia's stock"@en ;
    dsk:value 17.0 ; dsk:unit dsk:percent ; dsk:comparator dsk:exactly .
ds:event-little-known a dsk:Event ; rdfs:label "DeepSeek is little known"@en ;
    dsk:when [ a time:Instant, dsk:DerivedValue ; time:inXSDgYearMonth "2024-12"^^xsd:gYearMonth ;
               dsk:dateText "Last December" ; prov:wasDerivedFrom ds:essay-publication-date ;
               dsk:derivation "'Last December' read as the December before the publication year." ] ;
    {a["december"]} .
ds:essay-publication-date a time:Instant, dsk:OutsideKnowledge ; rdfs:label "publication date of the essay"@en ;
    time:inXSDgYear "2025"^^xsd:gYear ; dcterms:source <https://thebaffler.com/latest/deepseeking-the-truth-tan> .
ds:quantity-experience a dsk:Quantity ; rdfs:label "three to five years at the most"@en ;
    dsk:valueText "three to five years of work experience at the most" ;
    dsk:minValue 3 ; dsk:maxValue 5 ; dsk:unit dsk:year ; dsk:comparator dsk:atMost .
ds:quantity-billions a dsk:Quantity, dsk:VagueQuantity ; rdfs:label "billions invested"@en ; dsk:valueText "billions" .
ds:quantity-market-cap a dsk:Quantity ; rdfs:label "nearly $600 billion vaporized"@en ;
    dsk:value 600000000000 ; dsk:unit dsk:usDollar ; dsk:comparator dsk:approximately ; dsk:direction dsk:decrease .
ds:event-boom a dsk:Event ; rdfs:label "the boom"@en ;
    dsk:when [ a time:ProperInterval ; time:hasBeginning [ a time:Instant ; time:inXSDgYear "2010"^^xsd:gYear ;
               time:unitType dsk:unitDecade ] ] .

ds:causal-feat-drives-fall a dsk:CausalAssertion ;
    rdfs:label "DeepSeek's feat drove Nvidia's stock down"@en ;
    dsk:cause ds:deepseek ; dsk:effect ds:event-nvidia-stock-fall ; dsk:polarity dsk:promotes ;
    dsk:assertedBy ds:author ; dsk:modality dsk:asserted ; dsk:authorStance dsk:endorses ;
    dsk:partOfClaim ds:claim-feat ; {a["feat"]} .
ds:causal-state-backing a dsk:CausalAssertion ;
    rdfs:label "State backing made DeepSeek"@en ;
    dsk:cause ds:concept-996 ; dsk:effect ds:deepseek ; dsk:polarity dsk:inhibits ;
    dsk:assertedBy ds:western-commentators ; dsk:viewpoint ds:viewpoint-state-product ;
    dsk:modality dsk:attributed ; {a["commentators"]} .
ds:thesis-point-feat a dsk:ThesisPoint ; rdfs:label "DeepSeek's feat shook the market"@en ;
    dsk:statement "DeepSeek's feat recalibrated investors' assumptions about AI hardware." ;
    dsk:thesisOf ds:essay ; dsk:rank 1 ; dsk:carriedBy ds:claim-feat ; {a["feat"]} .
ds:viewpoint-feat a dsk:Viewpoint ; rdfs:label "feat view"@en ; dsk:heldBy ds:author ; dsk:authorStance dsk:endorses ;
    dsk:opposes ds:viewpoint-state-product ; {a["feat"]} .
ds:arg-feat-attacks-state a dsk:Attack ; rdfs:label "The feat attacks the state narrative"@en ;
    dsk:premise ds:claim-feat ; dsk:conclusion ds:claim-altman-state-controlled ; dsk:arguedBy ds:author ;
    {a["feat"]} .
"""


@pytest.fixture(scope="session")
def page_sources(tmp_path_factory) -> list[SourceFile]:
    d = tmp_path_factory.mktemp("pages-data")
    data = d / "pages.ttl"
    data.write_text(fixture_ttl(essay_text()), encoding="utf-8")
    return [SourceFile(ONTOLOGY_FILE, ONTOLOGY_GRAPH), SourceFile(SOURCE_TEXT_FILE, ESSAY_GRAPH),
            SourceFile(data, ESSAY_GRAPH)]


@pytest.fixture(scope="session")
def pages_app(page_sources):
    app = create_app({"SOURCES": page_sources, "QUERY_TIMEOUT": 0, "TESTING": True})
    yield app
    app.extensions["kg"].close()


@pytest.fixture
def pc(pages_app):
    """A test client on the fixture graph."""
    return pages_app.test_client()


@pytest.fixture(scope="session")
def bundled_app():
    """The app on the bundled data (whatever it holds today: never count on its contents)."""
    app = create_app({"QUERY_TIMEOUT": 0, "TESTING": True})
    yield app
    app.extensions["kg"].close()
