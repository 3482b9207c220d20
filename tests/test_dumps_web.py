"""/dumps/ and /context.jsonld as a user downloads them: every format, its media type, its name,
its size in the listing, revalidation, and the same data as the endpoint serves."""
from __future__ import annotations

import json
import shutil

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

from kg.export import FORMATS
from kg.web.dumps import DUMP_FORMATS

from conftest import GRAPHS

NEEDS_JAVA = {f.name for f in DUMP_FORMATS if f.needs_java}


@pytest.fixture
def dclient(make_app, tmp_path):
    return make_app(DUMPS_DIR=str(tmp_path)).test_client()


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=[f.name for f in DUMP_FORMATS])
def test_every_dump_downloads_with_its_type_and_name(dclient, fmt):
    if fmt.name in NEEDS_JAVA and shutil.which("java") is None:
        pytest.skip("the inferred dump needs Java for HermiT")
    r = dclient.get(f"/dumps/{fmt.filename}")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == fmt.content_type
    assert r.headers["Content-Disposition"] == f'attachment; filename="{fmt.filename}"'
    assert r.data
    again = dclient.get(f"/dumps/{fmt.filename}", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_quad_dumps_hold_the_served_named_graphs(dclient):
    for name in ("nquads", "trig"):
        f = FORMATS[name]
        quads = list(ox.parse(dclient.get(f"/dumps/{f.filename}").data,
                              format=ox.RdfFormat.N_QUADS if name == "nquads" else ox.RdfFormat.TRIG))
        assert {q.graph_name.value for q in quads} == set(GRAPHS.values())
        served = dclient.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
                             headers={"Accept": "application/sparql-results+json"}).get_json()
        assert len(quads) == int(served["results"]["bindings"][0]["n"]["value"])


def test_listing_gives_sizes_as_html_and_json(dclient):
    dclient.get("/dumps/deepseek-kg.ttl")
    listing = dclient.get("/dumps/", headers={"Accept": "application/json"}).get_json()["dumps"]
    by_file = {d["file"]: d for d in listing}
    assert set(by_file) == {f.filename for f in DUMP_FORMATS}
    assert by_file["deepseek-kg.ttl"]["bytes"] == len(dclient.get("/dumps/deepseek-kg.ttl").data)
    html = BeautifulSoup(dclient.get("/dumps/", headers={"Accept": "text/html"}).data, "html.parser")
    assert html.find("a", href="deepseek-kg.graphml") and html.find("link", rel="alternate")


def test_unknown_dump_is_a_clear_404(dclient):
    r = dclient.get("/dumps/deepseek-kg.exe")
    assert r.status_code == 404 and b"/dumps/" in r.data


def test_context_is_served(dclient):
    r = dclient.get("/context.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    assert "@context" in json.loads(r.data)


def test_service_description_lists_the_rdf_dumps(dclient):
    sd = dclient.get("/sparql", headers={"Accept": "text/turtle"}).data
    triples = list(ox.parse(sd, format=ox.RdfFormat.TURTLE))
    dumps = {t.object.value for t in triples if t.predicate.value == "http://rdfs.org/ns/void#dataDump"}
    assert any(d.endswith("/dumps/deepseek-kg.ttl") for d in dumps)
    assert any(d.endswith("/dumps/deepseek-kg-ontology.owl") for d in dumps)
