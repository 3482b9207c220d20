"""Issue 12, the write path: protocol parameters that name graphs are parsed as IRIs and never
pasted raw into the update, the LOAD/SERVICE refusal reads the update the engine will run, and one
write token cannot empty the service (mass deletion is the admin role's; the ontology and the
essay's stored text are kept whatever the token)."""
from __future__ import annotations

import urllib.parse

import pytest

from kg.auth import add_token
from kg.curated import read_state
from kg.sources import ESSAY_GRAPH, ONTOLOGY_GRAPH
from testkit.listener import Listener

from conftest import EX, GRAPHS

PEOPLE = GRAPHS["people.ttl"]
NOTES = EX + "graph/notes"


@pytest.fixture
def listener():
    with Listener() as li:
        yield li


@pytest.fixture
def fixture_writes(tmp_path, make_app):
    """Writes on over the small fixture graph (19 quads in ex: graphs)."""
    tokens = tmp_path / "tokens.json"
    ctx = {"write": add_token(tokens, "alice", "write"), "admin": add_token(tokens, "root", "admin"),
           "state": tmp_path / "state"}
    ctx["client"] = make_app(ALLOW_UPDATE=True, STATE_DIR=str(ctx["state"]), TOKENS=str(tokens),
                             WRITABLE_GRAPHS=EX + "graph/").test_client()
    return ctx


@pytest.fixture(scope="module")
def bundled_writes(tmp_path_factory):
    """Writes on over the bundled graph (the ontology, the essay and its text, the shapes)."""
    from kg.web import create_app
    d = tmp_path_factory.mktemp("bundled-writes")
    tokens = d / "tokens.json"
    ctx = {"write": add_token(tokens, "alice", "write"), "admin": add_token(tokens, "root", "admin"), "state": d / "state"}
    (d / "no-shapes.ttl").write_text("")  # the shapes check is not what these tests are about
    app = create_app({"ALLOW_UPDATE": True, "STATE_DIR": str(ctx["state"]), "TOKENS": str(tokens),
                      "QUERY_TIMEOUT": 20, "QUERY_PROCESSES": 1, "TESTING": True,
                      "SHAPES": str(d / "no-shapes.ttl")})
    ctx["client"] = app.test_client()
    yield ctx
    app.extensions["kg"].close()


def snapshot(state) -> list[str]:
    return sorted(str(q) for q in read_state(state))


def post_update(ctx, text, role="write", **params):
    return ctx["client"].post("/sparql", data={"update": text, **params},
                              headers={"Authorization": f"Bearer {ctx[role]}"})


# -- protocol parameters --------------------------------------------------------------------------------------
INJECTIONS = [
    "{url}> . } ; LOAD <{url}> ; INSERT { <a:b> <a:c> <a:d",   # break out of USING <...>
    "{url}>LOAD<{url}",
    "http://g> LOAD <{url}",
    "http://g>\nLOAD <{url}",
    "http://g\\u003E LOAD <{url}",
    "<{url}>",
    "graph",                                  # relative
    "",                                       # empty
    "javascript:alert(1)> } #",
    "http://g>} WHERE { SERVICE <{url}> { ?s ?p ?o } }#",
]


@pytest.mark.parametrize("param", ["using-graph-uri", "using-named-graph-uri"])
@pytest.mark.parametrize("value", INJECTIONS)
def test_graph_parameters_are_iris_never_text(fixture_writes, listener, param, value):
    before = snapshot(fixture_writes["state"])
    r = post_update(fixture_writes, f"INSERT {{ GRAPH <{NOTES}> {{ ?s <{EX}seen> 1 }} }} WHERE {{ ?s ?p ?o }}",
                    **{param: value.replace("{url}", listener.url)})
    assert r.status_code == 400 and b"absolute IRI" in r.data and b"Traceback" not in r.data, r.data
    assert listener.hits == [] and snapshot(fixture_writes["state"]) == before


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_query_dataset_parameters_are_iris(client, param):
    for value in ("graph", "http://g> } SELECT", ""):
        r = client.get("/sparql", query_string={"query": "ASK {}", param: value})
        assert r.status_code == 400 and b"absolute IRI" in r.data


def test_the_refusal_reads_the_final_update(fixture_writes, listener):
    """using-graph-uri adds USING clauses; the scan that refuses LOAD and SERVICE runs on the update
    with them, so a glued SERVICE in the WHERE is refused with them too."""
    r = post_update(fixture_writes, f"INSERT {{ GRAPH <{NOTES}> {{ ?s <{EX}p> 1 }} }} WHERE {{ SERVICESILENT<{listener.url}> "
                    "{ ?s ?p ?o } }", **{"using-graph-uri": PEOPLE})
    assert r.status_code == 400 and b"SERVICE is not allowed" in r.data and listener.hits == []
    r = post_update(fixture_writes, f"INSERT {{ GRAPH <{NOTES}> {{ ?s <{EX}seen> 1 }} }} WHERE {{ ?s a ?c }}",
                    **{"using-graph-uri": PEOPLE})  # a good one still works
    assert r.status_code == 200 and r.json["added"] == 3


# -- emptying the service ----------------------------------------------------------------------------------------
MASS = ["DROP ALL", "CLEAR ALL", "CLEAR NAMED", "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"DROP GRAPH <{ESSAY_GRAPH}>", f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{ONTOLOGY_GRAPH}>) }}",
        f"MOVE <{ESSAY_GRAPH}> TO <https://w3id.org/deepseek-kg/graph/elsewhere>"]


@pytest.mark.parametrize("update", MASS)
def test_a_write_token_cannot_empty_the_service(bundled_writes, update):
    before = snapshot(bundled_writes["state"])
    r = post_update(bundled_writes, update)
    assert r.status_code == 403, r.data
    assert any(why in r.data for why in (b"admin role", b"keeps", b"stored text")), r.data
    assert snapshot(bundled_writes["state"]) == before


def test_graph_store_cannot_empty_it_either(bundled_writes):
    c, h = bundled_writes["client"], {"Authorization": f"Bearer {bundled_writes['write']}"}
    before = snapshot(bundled_writes["state"])
    url = "/rdf-graph-store?graph=" + urllib.parse.quote(ESSAY_GRAPH)
    for r in (c.delete(url, headers=h), c.put(url, data=b"", headers={**h, "Content-Type": "text/turtle"})):
        assert r.status_code == 403, r.data
    assert snapshot(bundled_writes["state"]) == before


@pytest.mark.parametrize("update", [
    f"DELETE DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <https://w3id.org/deepseek-kg/ontology#Claim> "
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class> } }",
    f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <http://x/a> <http://x/b> 1 }} }}",
    f"DELETE WHERE {{ GRAPH <{ESSAY_GRAPH}> {{ <https://w3id.org/deepseek-kg/id/essay> "
    "<https://w3id.org/deepseek-kg/ontology#fullText> ?t } }",
    f"INSERT DATA {{ GRAPH <{ESSAY_GRAPH}> {{ <https://w3id.org/deepseek-kg/id/essay> "
    "<https://w3id.org/deepseek-kg/ontology#fullText> \"another text\" } }",
    "DROP ALL",
])
def test_what_the_service_keeps_is_kept_even_for_admin(bundled_writes, update):
    before = snapshot(bundled_writes["state"])
    r = post_update(bundled_writes, update, role="admin")
    assert r.status_code == 403 and (b"keeps" in r.data or b"stored text" in r.data), r.data
    assert snapshot(bundled_writes["state"]) == before


def test_admin_may_delete_in_bulk_what_is_not_kept(fixture_writes):
    r = post_update(fixture_writes, "CLEAR ALL")
    assert r.status_code == 403 and b"WRITE_MAX_REMOVED" in r.data
    r = post_update(fixture_writes, "CLEAR ALL", role="admin")
    assert r.status_code == 200 and r.json["removed"] == 19


def test_ordinary_edits_stay_open_to_write_tokens(fixture_writes):
    r = post_update(fixture_writes, f"DELETE WHERE {{ GRAPH <{PEOPLE}> {{ <{EX}alice> ?p ?o }} }}")
    assert r.status_code == 200 and 0 < r.json["removed"] <= 9
