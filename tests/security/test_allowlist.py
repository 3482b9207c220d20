"""Issue 12, the SERVICE allow-list: entries and targets are parsed IRIs compared by scheme, host,
port and path (on segment boundaries), never string prefixes; user info, dot segments, escapes
and other schemes never pass."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings, strategies as st

from kg.web.limits import parse_allowlist, service_allowed
from testkit.listener import Listener

JSON = {"Accept": "application/sparql-results+json"}
ALLOW = parse_allowlist(["http://ok.example/sparql", "https://data.example:8443/q/", "http://[2001:db8::1]/s"])


@pytest.mark.parametrize("target", ["http://ok.example/sparql", "HTTP://OK.EXAMPLE/sparql", "http://ok.example:80/sparql",
                                    "http://ok.example/sparql/sub", "http://ok.example/sparql?query=x",
                                    "https://data.example:8443/q/x", "http://[2001:db8::1]/s"])
def test_allowed(target):
    assert service_allowed(target, ALLOW)


@pytest.mark.parametrize("target", [
    "http://ok.example@evil.example/sparql",            # user info: the host is evil.example
    "http://ok.example:80@evil.example/sparql",
    "http://evil.example#@ok.example/sparql",
    "http://ok.example.evil.example/sparql",            # a prefix of the host
    "http://ok.example/sparqlx",                        # a prefix of the path
    "http://ok.example/sparql/../admin", "http://ok.example/sparql/%2e%2e/admin", "http://ok.example/sparql/%2E%2E/x",
    "http://ok.example/sparql%2f..%2fadmin", "http://ok.example/sparql\\..\\admin",
    "https://ok.example/sparql", "http://ok.example:8080/sparql", "ftp://ok.example/sparql", "file:///etc/passwd",
    "http://data.example:8443/q/", "https://data.example/q/", "https://data.example:8443/q",
    "http://ok.example./sparql", "http://0x7f000001/sparql", "//ok.example/sparql", "ok.example/sparql",
    "sparql", "", "?svc", "http://ok.example/sparql\n", "http://ok.example:99999/sparql",
])
def test_refused(target):
    assert not service_allowed(target, ALLOW)


def test_bad_entries_fail_at_start(make_app):
    for bad in (["ok.example/sparql"], ["http://user@ok.example/"], ["ftp://x/"]):
        with pytest.raises(ValueError, match="SERVICE_ALLOWLIST"):
            make_app(SERVICE_ALLOWLIST=bad)


@settings(max_examples=200, deadline=None)
@given(user=st.sampled_from(["", "ok.example@", "a:b@", "ok.example:80@"]),
       host=st.sampled_from(["ok.example", "OK.example", "ok.example.", "ok.examplе", "evil.example", "ok.example.evil"]),
       port=st.sampled_from(["", ":80", ":8080", ":0"]),
       path=st.sampled_from(["/sparql", "/sparql/", "/sparqlx", "/sparql/../x", "/Sparql", "/", ""]))
def test_a_target_passes_only_when_every_part_matches(user, host, port, path):
    target = f"http://{user}{host}{port}{path}"
    expected = (not user and host.lower() == "ok.example" and port in ("", ":80")
                and (path == "/sparql" or path == "/sparql/"))
    assert service_allowed(target, ALLOW) == expected, target


def test_an_allow_listed_endpoint_is_called_and_a_lookalike_is_not(make_app):
    with Listener() as li:
        host = li.url.rsplit("/", 1)[0]
        client = make_app(SERVICE_ALLOWLIST=[li.url]).test_client()
        r = client.get("/sparql", query_string={"query": f"SELECT * {{ SERVICE <{li.url}> {{ ?s ?p ?o }} }}"}, headers=JSON)
        assert r.status_code == 200 and li.hits
        li.hits.clear()
        for q in (f"SELECT * {{ SERVICE <{host.replace('http://', 'http://x@')}/sparql> {{ ?s ?p ?o }} }}",
                  f"SELECT * {{ SERVICE <{li.url}x> {{ ?s ?p ?o }} }}",
                  f"SELECT * {{ SERVICE <{li.url}/../admin> {{ ?s ?p ?o }} }}",
                  f"SELECT * {{ SERVICE <{host}\\u002Fadmin> {{ ?s ?p ?o }} }}"):
            assert client.get("/sparql", query_string={"query": q}, headers=JSON).status_code == 400, q
        time.sleep(0.2)
        assert li.hits == []
