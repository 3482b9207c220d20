"""The write path as curators use it: SPARQL Update and the Graph Store Protocol, tokens,
shapes-gated transactions, the change log, and every kind of bad input answered with a 4xx
that changes nothing. Through the Flask test client, and over HTTP against gunicorn."""
from __future__ import annotations

import json
import signal
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.auth import add_token
from kg.curated import CHANGES_GRAPH, read_state

from conftest import EX, GRAPHS

PEOPLE = GRAPHS["people.ttl"]
NOTES = EX + "graph/notes"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: small shapes for the fixture graph: a person needs a label; an age is an integer
SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
@prefix rdfs: <{RDFS}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "A person needs a label." ] ;
    sh:property [ sh:path ex:age ; sh:datatype xsd:integer ; sh:message "An age is an integer." ] .
"""


@pytest.fixture
def curation(tmp_path, fixture_sources, make_app):
    """An app with writes on over the fixture graph; its tokens and state directory."""
    tokens = tmp_path / "tokens.json"
    (tmp_path / "shapes.ttl").write_text(SHAPES)
    ctx = {"write": add_token(tokens, "alice", "write"), "read": add_token(tokens, "bob", "read"),
           "admin": add_token(tokens, "root-curator", "admin"),
           "state": tmp_path / "state", "tokens": tokens, "shapes": tmp_path / "shapes.ttl"}
    ctx["app"] = make_app(ALLOW_UPDATE=True, STATE_DIR=str(ctx["state"]), TOKENS=str(tokens),
                          SHAPES=str(ctx["shapes"]), WRITABLE_GRAPHS=EX + "graph/", MAX_CONTENT_LENGTH=4096)
    ctx["client"] = ctx["app"].test_client()
    return ctx


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def update(client, text: str, token: str | None, **kw):
    headers = {"Content-Type": "application/sparql-update", **(auth(token) if token else {}), **kw.pop("headers", {})}
    return client.post(kw.pop("path", "/update"), data=text.encode(), headers=headers, **kw)


def rows(client, query: str) -> list[dict]:
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.data
    return [{k: v["value"] for k, v in b.items()} for b in r.json["results"]["bindings"]]


def snapshot(ctx) -> list[str]:
    return sorted(str(q) for q in read_state(ctx["state"]))


INSERT_DAVE = f'INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}dave> a <{EX}Person> ; <{RDFS}label> "Dave" }} }}'


# -- what works ------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["update-body", "form-on-sparql", "form-on-update"])
def test_update_applies_and_is_visible(curation, how):
    c = curation["client"]
    if how == "update-body":
        r = update(c, INSERT_DAVE, curation["write"])
    else:
        r = c.post("/sparql" if how == "form-on-sparql" else "/update", data={"update": INSERT_DAVE},
                   headers=auth(curation["write"]))
    assert r.status_code == 200, r.data
    assert r.json["added"] == 2 and r.json["removed"] == 0 and r.json["agent"] == "alice"
    assert r.json["graphs"] == [PEOPLE] and r.headers["KG-Change"] == r.json["change"]
    assert rows(c, f'SELECT ?l {{ <{EX}dave> <{RDFS}label> ?l }}') == [{"l": "Dave"}]


def test_delete_insert_where_and_change_log(curation):
    c = curation["client"]
    r = update(c, f'DELETE {{ GRAPH <{PEOPLE}> {{ ?p <{EX}age> ?a }} }} INSERT {{ GRAPH <{PEOPLE}> {{ ?p <{EX}age> 43 }} }} '
                  f'WHERE {{ GRAPH <{PEOPLE}> {{ ?p <{EX}age> ?a }} }}', curation["write"])
    assert r.status_code == 200 and (r.json["added"], r.json["removed"]) == (1, 1)
    log = rows(c, f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?who ?what ?kind ?patch ?start WHERE {{ GRAPH <{CHANGES_GRAPH}> {{
          ?a a prov:Activity ; prov:wasAssociatedWith/<{RDFS}label> ?who ; dct:description ?what ; dct:type ?kind ;
             prov:startedAtTime ?start ; prov:generated/<http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?patch }} }}""")
    assert len(log) == 1 and log[0]["who"] == "alice" and log[0]["kind"] == "SPARQL Update"
    assert log[0]["what"].startswith("DELETE {") and log[0]["start"].startswith("20")
    assert f'D <{EX}alice> <{EX}age> "42"' in log[0]["patch"] and f'A <{EX}alice> <{EX}age> "43"' in log[0]["patch"]


def test_graph_store_put_post_get_delete(curation):
    c, h = curation["client"], auth(curation["write"])
    url = f"/rdf-graph-store?graph={NOTES}"
    body = f'<{EX}alice> <{RDFS}comment> "first" . <{EX}alice> <{EX}note> [ <{EX}text> "x" ] .'
    r = c.put(url, data=body, headers={**h, "Content-Type": "text/turtle"})
    assert r.status_code == 201 and r.json["added"] == 3
    r = c.put(url, data=f'<{EX}alice> <{RDFS}comment> "second" .', headers={**h, "Content-Type": "text/turtle"})
    assert r.status_code == 200 and (r.json["added"], r.json["removed"]) == (1, 3)
    r = c.post(url, data=f'<{EX}bob> <{RDFS}comment> "merged" .', headers={**h, "Content-Type": "application/n-triples"})
    assert r.status_code == 200 and r.json["added"] == 1
    got = c.get(url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and got.mimetype == "application/n-triples"
    assert sorted(got.data.decode().splitlines()) == sorted([
        f'<{EX}alice> <{RDFS}comment> "second" .', f'<{EX}bob> <{RDFS}comment> "merged" .'])
    assert c.get(url).mimetype == "text/turtle" and c.head(url).status_code == 200
    assert c.delete(url, headers=h).status_code == 200
    assert c.get(url).status_code == 404 and c.delete(url, headers=h).status_code == 404


def test_graph_store_blank_nodes_are_fresh_per_request(curation):
    c, h = curation["client"], {**auth(curation["write"]), "Content-Type": "text/turtle"}
    for n in (1, 2):
        assert c.post(f"/rdf-graph-store?graph={NOTES}", data=f'<{EX}s> <{EX}p> _:b0 . _:b0 <{EX}n> {n} .',
                      headers=h).status_code in (200, 201)
    assert rows(c, f"SELECT (COUNT(DISTINCT ?b) AS ?n) {{ <{EX}s> <{EX}p> ?b }}") == [{"n": "2"}]


def test_default_graph_is_writable_and_in_the_union(curation):
    c = curation["client"]
    r = c.put("/rdf-graph-store?default", data=f'<{EX}x> <{EX}y> "in default" .',
              headers={**auth(curation["write"]), "Content-Type": "text/turtle"})
    assert r.status_code == 200, r.data
    assert rows(c, f"SELECT ?o {{ <{EX}x> <{EX}y> ?o }}") == [{"o": "in default"}]
    assert b"in default" in c.get("/rdf-graph-store?default").data


def test_answers_change_after_a_write(curation):
    """ETags, the result cache, the response cache and the pages all follow the change."""
    c = curation["client"]
    q = {"query": f"SELECT ?l {{ <{EX}dave> <{RDFS}label> ?l }}"}
    first = c.get("/sparql", query_string=q, headers={"Accept": "text/csv"})
    assert first.data.strip() == b"l"
    assert update(c, INSERT_DAVE, curation["write"]).status_code == 200
    again = c.get("/sparql", query_string=q, headers={"Accept": "text/csv", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and b"Dave" in again.data
    assert c.get("/healthz").json["quads"] > 19


# -- credentials -------------------------------------------------------------------------------
@pytest.mark.parametrize("token,status,error", [
    (None, 401, None), ("kgt_not-a-real-token", 401, "invalid_token"), ("read", 403, "insufficient_scope")])
def test_credentials(curation, token, status, error):
    before = snapshot(curation)
    tok = curation.get(token, token)
    for r in (update(curation["client"], INSERT_DAVE, tok),
              curation["client"].put(f"/rdf-graph-store?graph={NOTES}", data=f"<{EX}a> <{EX}b> 1 .",
                                     headers={"Content-Type": "text/turtle", **(auth(tok) if tok else {})})):
        assert r.status_code == status, r.data
        assert r.headers["WWW-Authenticate"].startswith('Bearer realm="deepseek-kg"')
        challenge = r.headers["WWW-Authenticate"]
        assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert snapshot(curation) == before


def test_basic_auth_is_not_a_bearer_token(curation):
    r = update(curation["client"], INSERT_DAVE, None, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert r.status_code == 401 and "bearer" in r.data.decode().lower()


def test_cors_preflight_for_writes(curation):
    r = curation["client"].options("/rdf-graph-store", headers={
        "Origin": "https://example.net", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert r.status_code == 204 and "PUT" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]


# -- bad input: a clear 4xx and nothing changed --------------------------------------------------
BAD = [
    ("malformed update", lambda c, t: update(c, "INSERT DATA { <a:b> <a:c> ", t), 400, "error at"),
    ("breaks a shape", lambda c, t: update(c, f'INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}eve> a <{EX}Person> }} }}', t),
     422, "A person needs a label."),
    ("wrong datatype", lambda c, t: update(c, f'INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}bob> <{EX}age> "old" }} }}', t),
     422, "An age is an integer."),
    ("oversized body", lambda c, t: update(c, "INSERT DATA { " + "<a:b> <a:c> <a:d> . " * 400 + "}", t), 413, "Too Large"),
    ("wrong content type", lambda c, t: c.post("/update", data=INSERT_DAVE, headers={**auth(t), "Content-Type": "text/plain"}),
     415, "application/sparql-update"),
    ("graph store body type", lambda c, t: c.put(f"/rdf-graph-store?graph={NOTES}", data="{}",
                                                 headers={**auth(t), "Content-Type": "application/zip"}), 415, "text/turtle"),
    ("graph store body syntax", lambda c, t: c.put(f"/rdf-graph-store?graph={NOTES}", data="<a> <b",
                                                   headers={**auth(t), "Content-Type": "text/turtle"}), 400, "does not parse"),
    ("graph outside namespace", lambda c, t: update(c, 'INSERT DATA { GRAPH <http://elsewhere.example/g> { <a:b> <a:c> 1 } }', t),
     403, "outside the writable namespace"),
    ("graph store outside namespace", lambda c, t: c.put("/rdf-graph-store?graph=http://elsewhere.example/g",
                                                         data="<a:b> <a:c> 1 .", headers={**auth(t), "Content-Type": "text/turtle"}),
     403, "outside the writable namespace"),
    ("the change log", lambda c, t: update(c, f'INSERT DATA {{ GRAPH <{CHANGES_GRAPH}> {{ <a:b> <a:c> 1 }} }}', t), 403, "read-only"),
    ("LOAD of a remote address", lambda c, t: update(c, "LOAD <http://127.0.0.1:9/data.ttl>", t), 400, "LOAD is not allowed"),
    ("SERVICE in an update", lambda c, t: update(c, "INSERT { <a:b> <a:c> ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", t),
     400, "SERVICE is not allowed"),
    ("a query sent as update", lambda c, t: c.post("/update", data={"query": "SELECT * {}"}, headers=auth(t)), 400, "updates only"),
    ("dataset given twice", lambda c, t: c.post("/sparql", data={
        "update": f"INSERT {{ ?s a 1 }} USING <{PEOPLE}> WHERE {{ ?s ?p ?o }}", "using-graph-uri": PEOPLE}, headers=auth(t)),
     400, "one way only"),
    ("dropping the change log", lambda c, t: update(c, f"DROP GRAPH <{CHANGES_GRAPH}>", t), 403, "read-only"),
    ("graph store on the change log", lambda c, t: c.delete(f"/rdf-graph-store?graph={CHANGES_GRAPH}", headers=auth(t)),
     403, "read-only"),
    ("update by GET", lambda c, t: c.get("/sparql", query_string={"update": INSERT_DAVE}, headers=auth(t)), 400, "POST"),
    ("graph name not an IRI", lambda c, t: c.put("/rdf-graph-store?graph=notes", data="<a:b> <a:c> 1 .",
                                                 headers={**auth(t), "Content-Type": "text/turtle"}), 400, "absolute IRI"),
    ("no graph named", lambda c, t: c.put("/rdf-graph-store", data="<a:b> <a:c> 1 .",
                                          headers={**auth(t), "Content-Type": "text/turtle"}), 400, "?graph=IRI"),
]


@pytest.mark.parametrize("name,send,status,says", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(curation, name, send, status, says):
    before = snapshot(curation)
    r = send(curation["client"], curation["write"])
    assert r.status_code == status, r.data
    assert says in r.data.decode()
    assert b"Traceback" not in r.data
    assert snapshot(curation) == before


def test_using_graph_uri_sets_the_dataset_of_the_where(curation):
    c = curation["client"]
    copy = f"INSERT {{ GRAPH <{NOTES}> {{ ?s <{EX}seen> true }} }} WHERE {{ ?s a ?c }}"
    r = c.post("/sparql", data={"update": copy, "using-graph-uri": GRAPHS["events.ttl"]}, headers=auth(curation["write"]))
    assert r.status_code == 200 and r.json["added"] == 2  # the two events, not the three people
    assert {row["s"] for row in rows(c, f"SELECT ?s {{ GRAPH <{NOTES}> {{ ?s ?p ?o }} }}")} == {EX + "launch", EX + "crash"}


def test_clear_all_keeps_the_change_log(curation):
    """Mass deletion is the admin role's (issue 12): a write token cannot empty the service."""
    c = curation["client"]
    assert update(c, INSERT_DAVE, curation["write"]).status_code == 200
    before = snapshot(curation)
    r = update(c, "CLEAR ALL", curation["write"])
    assert r.status_code == 403 and b"admin role" in r.data and snapshot(curation) == before
    r = update(c, "CLEAR ALL", curation["admin"])
    assert r.status_code == 200 and r.json["removed"] == 21 and r.json["added"] == 0
    left = rows(c, f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{CHANGES_GRAPH}>) }}")
    assert left == [{"n": "0"}]
    assert rows(c, f"SELECT (COUNT(DISTINCT ?a) AS ?n) {{ GRAPH <{CHANGES_GRAPH}> {{ ?a a <http://www.w3.org/ns/prov#Activity> }} }}") == [{"n": "2"}]


def test_shape_report_as_json(curation):
    r = update(curation["client"], f'INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}eve> a <{EX}Person> }} }}', curation["write"],
               headers={"Accept": "application/json"})
    assert r.status_code == 422 and r.json["conforms"] is False
    assert r.json["violations"][0]["message"] == "A person needs a label." and "eve" in r.json["violations"][0]["focus"]


def test_service_description_says_updates_are_on(curation, client):
    sd = "http://www.w3.org/ns/sparql-service-description#"
    on = curation["client"].get("/sparql", headers={"Accept": "application/n-triples"}).data.decode()
    off = client.get("/sparql", headers={"Accept": "application/n-triples"}).data.decode()
    assert f"<{sd}SPARQL11Update>" in on and f"<{sd}SPARQL11Update>" not in off


def test_writes_are_off_by_default(client):
    assert client.post("/update", data=INSERT_DAVE, headers={"Content-Type": "application/sparql-update"}).status_code == 404
    r = client.post("/sparql", data={"update": INSERT_DAVE})
    assert r.status_code == 403 and b"read-only" in r.data
    r = client.put(f"/rdf-graph-store?graph={NOTES}", data="<a:b> <a:c> 1 .", headers={"Content-Type": "text/turtle"})
    assert r.status_code == 403 and b"--allow-update" in r.data
    assert client.get(f"/rdf-graph-store?graph={PEOPLE}").status_code == 200  # reading needs no write path


def test_misconfiguration_is_a_clear_error(make_app, tmp_path):
    with pytest.raises(ValueError, match="STATE_DIR and TOKENS"):
        make_app(ALLOW_UPDATE=True)
    with pytest.raises(ValueError, match="tokens file not found"):
        make_app(ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "s"), TOKENS=str(tmp_path / "none.json"))


def test_read_token_required(make_app, tmp_path):
    tokens = tmp_path / "t.json"
    reader = add_token(tokens, "bob", "read")
    c = make_app(READ_TOKEN_REQUIRED=True, TOKENS=str(tokens)).test_client()
    q = {"query": "ASK {}"}
    assert c.get("/sparql", query_string=q).status_code == 401
    assert c.get("/sparql", query_string=q, headers=auth(reader)).status_code == 200
    assert c.get("/healthz").status_code == 200


# -- the real bundled data and shapes ----------------------------------------------------------------
def test_bundled_shapes_gate_a_claim_without_anchor(make_app, tmp_path):
    """A curator adds a claim but forgets its anchor, claimant and label: refused with the
    project's own shapes (what `kg validate` uses), and the graph is left as it was."""
    tokens = tmp_path / "t.json"
    tok = add_token(tokens, "alice")
    app = make_app(SOURCES=None, ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "s"), TOKENS=str(tokens))
    c = app.test_client()
    r = update(c, """PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#> PREFIX ds: <https://w3id.org/deepseek-kg/id/>
        INSERT DATA { GRAPH <https://w3id.org/deepseek-kg/graph/essay> { ds:claim-new a dsk:Claim } }""", tok)
    assert r.status_code == 422
    text = r.data.decode()
    assert "anchored to the exact words" in text and "claimant" in text and "ds:claim-new" in text
    assert "claim-new" not in (tmp_path / "s" / "base.nq").read_text() and not (tmp_path / "s" / "journal").exists()


# -- over HTTP, against gunicorn -------------------------------------------------------------------
def _http(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_live_server_writes_reach_every_worker_and_tokens_stay_out_of_logs(start_server, fixture_sources, tmp_path):
    tokens = tmp_path / "t.json"
    tok = add_token(tokens, "alice")
    (tmp_path / "shapes.ttl").write_text(SHAPES)
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    srv = start_server(data + ["--workers", "2", "--allow-update", "--state-dir", str(tmp_path / "state"),
                               "--tokens", str(tokens), "--writable-graphs", EX + "graph/", "--access-log"],
                       env={"KG_SHAPES": str(tmp_path / "shapes.ttl")})
    status, body = _http(srv.url + "/update", INSERT_DAVE.encode(),
                         {"Content-Type": "application/sparql-update", **auth(tok)})
    assert status == 200 and json.loads(body)["seq"] == 1
    status, _ = _http(srv.url + "/update", INSERT_DAVE.encode(),
                      {"Content-Type": "application/sparql-update", "Authorization": "Bearer wrong-" + tok})
    assert status == 401
    q = urllib.parse.quote(f'SELECT ?l {{ <{EX}dave> <{RDFS}label> ?l }}')
    for _ in range(12):  # both workers, many times: each has caught up with the journal
        status, body = _http(f"{srv.url}/sparql?query={q}", headers={"Accept": "text/csv"})
        assert status == 200 and body.split() == [b"l", b"Dave"]
    srv.proc.send_signal(signal.SIGQUIT)
    log = srv.proc.stdout.read().decode(errors="replace")
    assert "POST /update" in log  # the access log is on ...
    assert tok not in log and "Bearer" not in log  # ... and no token is in it


def test_live_server_cached_answers_change_with_a_write_in_every_worker(start_server, fixture_sources, tmp_path):
    """The workers keep whole answers to repeated GETs (kg.web.dispatch.cache_key); a write in one
    worker is an answer's end in all of them."""
    tokens = tmp_path / "t.json"
    tok = add_token(tokens, "alice")
    (tmp_path / "shapes.ttl").write_text(SHAPES)
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    srv = start_server(data + ["--workers", "2", "--allow-update", "--state-dir", str(tmp_path / "state"),
                               "--tokens", str(tokens), "--writable-graphs", EX + "graph/"],
                       env={"KG_SHAPES": str(tmp_path / "shapes.ttl")})
    url = f"{srv.url}/sparql?query=" + urllib.parse.quote(f'SELECT ?l {{ <{EX}dave> <{RDFS}label> ?l }}')
    for _ in range(8):  # cached in both workers: no Dave yet
        assert _http(url, headers={"Accept": "text/csv"}) == (200, b"l\r\n")
    status, _ = _http(srv.url + "/update", INSERT_DAVE.encode(), {"Content-Type": "application/sparql-update", **auth(tok)})
    assert status == 200
    for _ in range(12):
        status, body = _http(url, headers={"Accept": "text/csv"})
        assert status == 200 and body.split() == [b"l", b"Dave"]


def test_a_token_added_while_serving_works_at_once_and_a_removed_one_stops(curation):
    from kg.auth import remove_token
    client, tokens = curation["client"], curation["tokens"]
    carol = add_token(tokens, "carol", "write")  # the server is running: no restart
    assert update(client, f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}x> <{EX}y> 1 }} }}", carol).status_code == 200
    assert remove_token(tokens, "carol")
    assert update(client, f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}x> <{EX}y> 2 }} }}", carol).status_code == 401
    tokens.write_text("{ half-written")  # a file being edited: the tokens read before stay
    assert update(client, f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}x> <{EX}y> 3 }} }}", curation["write"]).status_code == 200
