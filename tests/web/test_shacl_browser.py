"""/shacl in a real headless Chromium against gunicorn: paste data, check it, read the report."""
from __future__ import annotations

from .test_pages_browser import Watched, browser, server  # noqa: F401  (the fixtures)

BAD = """@prefix ds: <https://w3id.org/deepseek-kg/id/> . @prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ds:claim-contributed a dsk:Claim ; rdfs:label "a contributed claim"@en ."""
GOOD = BAD.replace("ds:claim-contributed a dsk:Claim", "ds:someone-new a dsk:Person")


def test_paste_check_and_fix(browser, server):  # noqa: F811
    w = Watched(browser, server.url, viewport={"width": 1280, "height": 900})
    try:
        page = w.goto("/shacl")
        page.fill("#shacl-data", BAD)
        page.select_option("#shacl-syntax", "turtle")
        page.click("form.shacl button[type=submit]")
        page.wait_for_selector(".verdict")
        assert "does not conform" in page.locator(".verdict").inner_text()
        assert page.locator(".shacl-group tbody tr").count() >= 3
        assert page.locator("#shacl-data").input_value().strip() == BAD.strip()  # kept to fix
        w.shot("desktop-shacl-report")
        page.fill("#shacl-data", GOOD)
        page.click("form.shacl button[type=submit]")
        page.wait_for_selector(".verdict.conforms")
        assert w.problems == []
    finally:
        w.close()
