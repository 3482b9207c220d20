"""Shared fixtures: ``app``, ``client``, ``runner`` on a small fixture graph, and live gunicorn
servers (``live_server`` on the same graph, ``start_server`` for any data) for HTTP tests."""
from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kg.sources import SourceFile
from kg.web import create_app
from testkit.data import EX, FIXTURE_TTL, GRAPHS  # noqa: F401  (re-exported: `from conftest import EX`)

REPO = Path(__file__).resolve().parents[1]


#: marker -> (test files, fixtures) that earn it: a test is marked when its file or a fixture it uses is listed
MARKERS = {
    "external": (("tests/remote/",), ("engine", "bundled_engine", "virtuoso", "oxigraph", "jena_tools", "owl_api")),
    "browser": (("tests/web/test_pages_browser.py",), ("browser", "page")),
    "slow": (("tests/curation/test_faults.py", "tests/curation/test_load.py", "tests/graph/test_reason.py",
              "tests/validation/test_incremental.py",
              "tests/test_bench_corpus.py", "tests/w3c/test_protocol.py"),
             ("start_server", "live_server", "live", "dump_files")),   # dump_files: every dump, HermiT's included
}


def pytest_collection_modifyitems(config, items):
    """Mark each test by the MARKERS table, so `-m "not slow and not browser and not external"` is a
    fast loop while a plain `python -m pytest` still runs everything."""
    for item in items:
        path = Path(str(item.fspath)).resolve()
        rel = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.as_posix()
        used = set(getattr(item, "fixturenames", ()))
        for marker, (files, fixtures) in MARKERS.items():
            if rel.startswith(files) or used & set(fixtures):
                item.add_marker(marker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI=true``, as .ci/run is run) a skip is a failure: .ci/run installs every tool the
    tests use, so a test that skips there names a missing install step, not a missing tool."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome, report.longrepr = "failed", f"skipped in CI, where every tool is installed: {reason}"
# Hypothesis profiles: "ci" (the default: every property test bounded, no per-example deadline, as the
# machine is shared) and "long" (the fuzz run reported in docs/security.md):
#   python -m pytest tests/security/test_fuzz.py --hypothesis-profile=long --hypothesis-show-statistics
# (KG_FUZZ_EXAMPLES sets the long run's examples per test, 3000 by default, to fit a time budget)
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=int(os.environ.get("KG_FUZZ_EXAMPLES", "3000")), deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile("ci")


@pytest.fixture(scope="session")
def fixture_sources(tmp_path_factory) -> list[SourceFile]:
    d = tmp_path_factory.mktemp("fixture-data")
    out = []
    for name, text in FIXTURE_TTL.items():
        (d / name).write_text(text, encoding="utf-8")
        out.append(SourceFile(d / name, GRAPHS[name]))
    return out


@pytest.fixture
def make_app(fixture_sources):
    """A factory: ``make_app(MAX_ROWS=3)`` -> app on the fixture graph; pools closed afterwards."""
    apps = []

    def make(**config):
        app = create_app({"SOURCES": fixture_sources, "QUERY_TIMEOUT": 3, "QUERY_PROCESSES": 1,
                          "TESTING": True, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["kg"].close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, args: list[str], env: dict | None = None, log: Path | None = None):
        """``log``: a file that gets the server's output (else a pipe, read if it fails to start)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        out = open(log, "wb") if log else subprocess.PIPE
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "server.py"), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", *args],
            cwd=REPO, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
        if log:
            out.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    out = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None \
                        and self.proc.stdout else ""
                    self.stop()
                    raise RuntimeError(f"server did not start: {out[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: no graceful wait
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture(scope="session")
def start_server():
    """A factory: ``start_server(["--data", "x.ttl=http://g", ...])`` -> LiveServer (gunicorn)."""
    servers = []

    def start(args: list[str], env: dict | None = None, log: Path | None = None) -> LiveServer:
        s = LiveServer(args, env, log)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def live_server(start_server, fixture_sources) -> LiveServer:
    """The real server (gunicorn, 2 workers x 2 threads) on the fixture graph, 2 s query limit."""
    data = [f"{s.path}={s.graph}" for s in fixture_sources]
    return start_server([a for d in data for a in ("--data", d)] +
                        ["--workers", "2", "--threads", "2", "--query-timeout", "2"])


# --- outside tools: Apache Jena and the OWL API from Debian (testkit.jena, testkit.owlapi) -----------

@pytest.fixture(scope="session")
def jena_tools(tmp_path_factory):
    """Apache Jena 4.5 (riot, shacl, rsparql), many commands per JVM; skips saying why if absent."""
    from testkit import jena
    why = jena.missing()
    if why:
        pytest.skip(f"Apache Jena cannot run: {why}")
    return jena.Jena(os.environ.get("TMPDIR") or tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def owl_api(tmp_path_factory):
    """The OWL API 5.1 (its OWL 2 DL profile check), many documents per JVM; skips saying why if absent."""
    from testkit import owlapi
    why = owlapi.missing()
    if why:
        pytest.skip(f"the OWL API cannot run: {why}")
    return owlapi.OwlApi(os.environ.get("TMPDIR") or tmp_path_factory.getbasetemp())


# --- one store fixture, parametrized over every kind of store -----------------------------------

PROTOCOL_RECORD = EX + "load-record/protocol"


def load(v, sources, record: str | None = None, *, gsp: bool = True) -> None:
    """``kg load --to`` an external engine, as a user would."""
    from kg.cli import main as kg
    args = ["load", "--to", v.sparql_url] + (["--user", v.user, f"--password={v.password}"] if v.user else [])
    args += ["--gsp-url", v.gsp_url] if gsp else ["--update-url", v.update_url]
    args += ["--record", record] if record else []
    for s in sources or []:
        args += ["--data", f"{s.path}={s.graph}"]
    assert kg(args) == 0


#: how the tests start each external engine: its launcher (module, class), arguments, how to install it
LAUNCHERS = {
    "virtuoso": ("testkit.virtuoso", "Virtuoso", {"max_query_seconds": 5},
                 "virtuoso-t is not installed (apt-get install virtuoso-opensource-7)"),
    "oxigraph": ("testkit.oxigraph", "Oxigraph", {"timeout": 5},
                 "the Oxigraph server is not installed (pip install oxigraph)"),
}


def _engine(name: str, tmp_path_factory, fixture_sources):
    """A throwaway engine holding the fixture graph under PROTOCOL_RECORD, stopped at the end."""
    module, cls, kwargs, install = LAUNCHERS[name]
    launcher = importlib.import_module(module)
    if not launcher.available():
        pytest.skip(f"{install}: external-engine tests skipped")
    engine = getattr(launcher, cls)(tmp_path_factory.mktemp(name), **kwargs).start()
    try:
        load(engine, fixture_sources, PROTOCOL_RECORD, gsp=True)
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory, fixture_sources):
    """A throwaway Virtuoso (testkit.virtuoso) holding the fixture graph under PROTOCOL_RECORD."""
    yield from _engine("virtuoso", tmp_path_factory, fixture_sources)


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory, fixture_sources):
    """A throwaway Oxigraph server (testkit.oxigraph) holding the fixture graph under PROTOCOL_RECORD."""
    yield from _engine("oxigraph", tmp_path_factory, fixture_sources)


#: the external SPARQL engines the remote store is tested on (each a session fixture above)
ENGINES = ["virtuoso", "oxigraph"]
#: every kind of store the Store contract is tested on; an external engine is one more row
STORE_KINDS = ["memory", "on-disk", *ENGINES]


@pytest.fixture(scope="session", params=[pytest.param(k, marks=pytest.mark.external) if k in ENGINES else k
                                        for k in STORE_KINDS])
def store(request, fixture_sources, tmp_path_factory):
    """The fixture graph in each kind of store (kg.store's contract), read-only."""
    from kg.remote import RemoteStore
    from kg.store import OnDiskStore, OxigraphStore
    if request.param == "memory":
        return OxigraphStore.from_sources(fixture_sources)
    if request.param == "on-disk":
        return OnDiskStore.create(tmp_path_factory.mktemp("on-disk") / "store", fixture_sources)
    return RemoteStore(request.getfixturevalue(request.param).sparql_url, record=PROTOCOL_RECORD)
