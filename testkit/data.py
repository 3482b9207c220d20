"""The small fixture graph the endpoint tests, the curation benchmark and the store contract run on:
two files in two named graphs, with a language-tagged label, an escaped quote and a blank node."""
from __future__ import annotations

__all__ = ["EX", "FIXTURE_TTL", "GRAPHS"]

EX = "http://example.org/"

FIXTURE_TTL = {
    "people.ttl": f"""@prefix ex: <{EX}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; rdfs:label "Alice"@en, "Alicia"@es ; ex:knows ex:bob ; ex:age 42 .
ex:bob a ex:Person ; rdfs:label "Bob" ; ex:knows ex:carol .
ex:carol a ex:Person ; rdfs:label "Carol, \\"the\\" third" ; ex:knows ex:alice .
""",
    "events.ttl": f"""@prefix ex: <{EX}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:launch a ex:Event ; ex:date "2025-01-20"^^xsd:date ; ex:actor ex:alice .
ex:crash a ex:Event ; ex:date "2025-01-27"^^xsd:date ; ex:actor ex:bob ; ex:note [ ex:text "bnode" ] .
""",
}
GRAPHS = {"people.ttl": EX + "graph/people", "events.ttl": EX + "graph/events"}
