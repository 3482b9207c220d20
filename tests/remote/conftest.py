"""Fixtures that put the endpoint and page tests on a remote engine: each of the root conftest's
ENGINES in turn, a throwaway Virtuoso 7 and a throwaway Oxigraph server.

Two instances per engine (the page fixture and the bundled data use the same graph names):
``engine`` holds the protocol fixture graph and the page fixture graph, each under its own load
record; ``bundled_engine`` holds the bundled data under the default record. Both are loaded with
the real ``kg load --to URL`` (one with the Graph Store Protocol, one with SPARQL Update). The
fixtures ``make_app``, ``pages_app``, ``bundled_app`` and ``live_server`` are overridden here, so
the re-collected tests in this directory run unchanged against every engine. ``known_bug(request,
engine, "virtuoso", reason)`` marks a test as a strict expected failure on that engine only.
"""
from __future__ import annotations

import json

import pytest

from conftest import ENGINES, EX, PROTOCOL_RECORD, load  # noqa: F401  (PROTOCOL_RECORD: re-exported)
from testkit import oxigraph, virtuoso
from kg.web import create_app
from web.conftest import page_sources, pc  # noqa: F401 - the page fixture files; its test client

PAGES_RECORD = EX + "load-record/pages"


def _start(tmp_path_factory, name: str):
    if name == "virtuoso":
        if not virtuoso.available():
            pytest.skip("virtuoso-t is not installed (apt-get install virtuoso-opensource-7): remote-store tests skipped")
        return virtuoso.Virtuoso(tmp_path_factory.mktemp("virtuoso-bundled"), max_query_seconds=5).start()
    if not oxigraph.available():
        pytest.skip("the Oxigraph server is not installed (pip install oxigraph): remote-store tests skipped")
    # the union of all graphs as the default graph, as Virtuoso has it (union='engine' relies on it)
    return oxigraph.Oxigraph(tmp_path_factory.mktemp("oxigraph-bundled"), timeout=5, union_default_graph=True).start()


def known_bug(request, engine, name: str, reason: str) -> None:
    """On engine ``name`` only, expect this test to fail (strict: it must fail there)."""
    if engine.name == name:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.fixture(scope="session", params=ENGINES)
def engine(request, page_sources):  # noqa: F811
    """The root conftest's engine (the protocol fixture graph), with the page fixture graph added."""
    e = request.getfixturevalue(request.param)
    load(e, page_sources, PAGES_RECORD, gsp=False)
    return e


@pytest.fixture(scope="session", params=ENGINES)
def bundled_engine(request, tmp_path_factory):
    v = _start(tmp_path_factory, request.param)
    try:
        load(v, None, gsp=False)  # the bundled sources, default record, SPARQL Update
        yield v
    finally:
        v.stop()


@pytest.fixture
def ends_runaways(engine):
    """For a test that leaves a runaway query on the engine: the Oxigraph server computes it on past
    its own time limit (a core lost for the rest of the session), so it is restarted afterwards
    (same port, same data); Virtuoso stops it at its own limit (max_query_seconds)."""
    yield engine
    if hasattr(engine, "restart"):
        engine.restart()


@pytest.fixture
def make_app(engine):
    """As tests/conftest.py's make_app, with the store on the engine instead of the fixture files."""
    apps = []

    def make(**config):
        app = create_app({"STORE": engine.sparql_url, "STORE_OPTIONS": {"record": PROTOCOL_RECORD},
                          "QUERY_TIMEOUT": 3, "QUERY_PROCESSES": 1, "TESTING": True, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["kg"].close()


@pytest.fixture(scope="session")
def pages_app(engine):
    app = create_app({"STORE": engine.sparql_url, "STORE_OPTIONS": {"record": PAGES_RECORD},
                      "QUERY_TIMEOUT": 0, "TESTING": True})
    yield app
    app.extensions["kg"].close()


@pytest.fixture(scope="session")
def bundled_app(bundled_engine):
    app = create_app({"STORE": bundled_engine.sparql_url, "QUERY_TIMEOUT": 0, "TESTING": True})
    yield app
    app.extensions["kg"].close()


def remote_server(start_server, engine, *args):
    """``server.py --store URL`` (gunicorn) on the protocol fixture graph in the engine."""
    return start_server(["--store", engine.sparql_url, *args],
                        env={"KG_STORE_OPTIONS": json.dumps({"record": PROTOCOL_RECORD})})


@pytest.fixture(scope="session")
def live_server(start_server, engine):
    return remote_server(start_server, engine, "--workers", "2", "--threads", "2", "--query-timeout", "2")
