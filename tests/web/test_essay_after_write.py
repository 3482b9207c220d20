"""Regression: /essay stayed stale after a curated write (its model was cached by key name and never
cleared). Every page's data is now kept per data version (kg.web.state), so a write renews it."""
from __future__ import annotations

import pytest

from kg.auth import add_token

DS = "https://w3id.org/deepseek-kg/id/"
DSK = "https://w3id.org/deepseek-kg/ontology#"


@pytest.fixture
def curated(tmp_path, page_sources):
    from kg.web import create_app
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "alice", "write")
    (tmp_path / "shapes.ttl").write_text("")  # the page fixture is not the full graph: no shapes to meet
    app = create_app({"SOURCES": page_sources, "QUERY_TIMEOUT": 0, "TESTING": True, "ALLOW_UPDATE": True,
                      "STATE_DIR": str(tmp_path / "state"), "TOKENS": str(tokens),
                      "SHAPES": str(tmp_path / "shapes.ttl")})
    yield app.test_client(), token
    app.extensions["kg"].close()


@pytest.mark.parametrize("page", ["/essay", "/claims", "/page/claim-feat"])
def test_pages_show_a_curated_write_at_once(curated, page):
    client, token = curated
    assert "recalibrated assumptions" in client.get(page).get_data(as_text=True)
    r = client.post("/update", data=f"""DELETE {{ GRAPH ?g {{ <{DS}claim-feat> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}
        INSERT {{ GRAPH ?g {{ <{DS}claim-feat> <http://www.w3.org/2000/01/rdf-schema#label> "A relabelled claim"@en }} }}
        WHERE {{ GRAPH ?g {{ <{DS}claim-feat> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}""",
                    headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.data
    html = client.get(page).get_data(as_text=True)
    assert "A relabelled claim" in html and "recalibrated assumptions" not in html


def test_essay_drops_an_anchor_removed_by_a_write(curated):
    from bs4 import BeautifulSoup

    def anchored(html: str) -> bool:   # claim-feat heads a passage's card (it may still be named as a reason)
        return BeautifulSoup(html, "html.parser").select_one("section.span .node-head a[href='/page/claim-feat']") is not None

    client, token = curated
    assert anchored(client.get("/essay").get_data(as_text=True))
    r = client.post("/update", data=f"DELETE WHERE {{ GRAPH ?g {{ <{DS}claim-feat> <{DSK}anchor> ?a }} }}",
                    headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json["removed"] == 1, r.data
    assert not anchored(client.get("/essay").get_data(as_text=True))
