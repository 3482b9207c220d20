"""The store interface, the query scanner and the negotiation table, without HTTP."""
from __future__ import annotations


import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

import kg.store
import kg.web
import kg.web.query_scan
from kg.load import LoadError
from kg.sources import SourceFile
from kg.store import Dataset, OxigraphStore
from kg.web.conneg import FORMATS, by_name, negotiate
from kg.web.query_scan import scan

from conftest import EX, GRAPHS


def test_each_file_in_its_named_graph(fixture_sources):
    s = OxigraphStore.from_sources(fixture_sources)
    assert s.named_graphs() == sorted(GRAPHS.values())
    assert s.triple_count(GRAPHS["people.ttl"]) == 11 and s.triple_count() == 19


def test_union_default_and_dataset(fixture_sources):
    s = OxigraphStore.from_sources(fixture_sources)
    q = "SELECT (COUNT(*) AS ?n) { ?s a ?c }"
    n = lambda res: int(next(iter(res))["n"].value)  # noqa: E731
    assert n(s.query(q)) == 5
    assert n(s.query(q, union_default=False)) == 0
    assert n(s.query(q, Dataset([GRAPHS["people.ttl"]]))) == 3
    assert n(s.query(q, Dataset(None, [GRAPHS["people.ttl"]]))) == 0
    q_from = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPHS['events.ttl']}> {{ ?s a ?c }}"
    assert n(s.query(q_from, union_default=False)) == 2


def test_quad_files_keep_their_graphs(tmp_path):
    f = tmp_path / "d.nq"
    f.write_text(f"<{EX}a> <{EX}p> <{EX}b> <{EX}g1> .\n<{EX}a> <{EX}p> <{EX}c> <{EX}g2> .\n")
    s = OxigraphStore.from_sources([SourceFile(f, "")])
    assert s.named_graphs() == [EX + "g1", EX + "g2"]


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(LoadError, match="file not found"):
        OxigraphStore.from_sources([SourceFile(tmp_path / "missing.ttl", EX + "g")])
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n")
    with pytest.raises(LoadError) as exc:
        OxigraphStore.from_sources([SourceFile(bad, EX + "g")])
    assert str(bad) in str(exc.value) and "\n" not in str(exc.value)
    assert OxigraphStore.from_sources([SourceFile(tmp_path / "missing.ttl", EX + "g")], skip_missing=True).triple_count() == 0


@pytest.mark.parametrize("text,form,services,has_from", [
    ("SELECT * { ?s ?p ?o }", "SELECT", [], False),
    ("# SELECT\nprefix x: <http://x/> construct { ?s ?p ?o } FROM <http://g> { ?s ?p ?o }", "CONSTRUCT", [], True),
    ("ASK { SERVICE <http://a/> { } SERVICE SILENT <http://b/> { } }", "ASK", ["http://a/", "http://b/"], False),
    ("SELECT * { VALUES ?e { <http://a/> } SERVICE ?e { } }", "SELECT", ["?e"], False),
    ("SELECT ('''SERVICE <x> {}\n''' AS ?x) { }", "SELECT", [], False),
    ("SELECT * { ?s <http://x/#SERVICE> ?o }", "SELECT", [], False),
    ("DESCRIBE <http://x/>", "DESCRIBE", [], False),
    ('SELECT * { ?s ?p "a\\"SERVICE <http://x/> {}" }', "SELECT", [], False),
])
def test_scan(text, form, services, has_from):
    info = scan(text)
    assert (info.form, info.services, info.has_from) == (form, services, has_from)


def test_scan_updates():
    info = scan("LOAD SILENT <http://x/data.ttl> INTO GRAPH <http://g>")
    assert info.loads == ["http://x/data.ttl"] and info.form is None and info.update_ops


def test_one_table_has_every_format_once():
    assert len({f.media_type for f in FORMATS}) == len(FORMATS)
    assert len({f.name for f in FORMATS}) == len(FORMATS)
    assert by_name("ttl", ("graph",)).media_type == "text/turtle"
    assert by_name(".srj", ("results",)).name == "json"
    assert by_name("json", ("graph",)).name == "jsonld"


def test_negotiate_without_accept_gives_the_default():
    assert negotiate(parse_accept_header("", MIMEAccept), ("results",)).name == "json"
    assert negotiate(parse_accept_header("", MIMEAccept), ("graph",)).name == "turtle"
    assert negotiate(parse_accept_header("text/html;q=0.1, text/turtle", MIMEAccept), ("graph", "page")).name == "turtle"


# -- the on-disk store (kg load --to DIR; kg serve --store DIR) -----------------------------------
def test_on_disk_store_matches_memory(fixture_sources, tmp_path):
    from kg.store import OnDiskStore
    from kg.backends import open_store
    disk = OnDiskStore.create(tmp_path / "db", fixture_sources)
    mem = OxigraphStore.from_sources(fixture_sources)
    assert isinstance(open_store(tmp_path / "db"), OnDiskStore)
    assert disk.named_graphs() == mem.named_graphs() and disk.triple_count() == mem.triple_count()
    assert len(disk.dump().splitlines()) == len(mem.dump().splitlines()) == 19
    q = "SELECT ?s ?o { ?s <http://example.org/knows> ?o } ORDER BY ?s"
    assert [tuple(r) for r in disk.query(q)] == [tuple(r) for r in mem.query(q)]


def test_on_disk_store_reopens_after_fork(fixture_sources, tmp_path):
    import os
    from kg.store import OnDiskStore
    disk = OnDiskStore.create(tmp_path / "db", fixture_sources)
    parent = disk.store
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.write(w, str((disk.store is not parent, disk.triple_count())).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 100).decode() == "(True, 19)"


def test_on_disk_store_refuses_to_clobber(fixture_sources, tmp_path):
    from kg.store import OnDiskStore
    from kg.backends import open_store
    OnDiskStore.create(tmp_path / "db", fixture_sources)
    with pytest.raises(LoadError, match="--replace"):
        OnDiskStore.create(tmp_path / "db", fixture_sources)
    assert OnDiskStore.create(tmp_path / "db", fixture_sources[:1], replace=True).triple_count() == 11
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(LoadError, match="not an on-disk store"):
        OnDiskStore.create(tmp_path / "other", fixture_sources, replace=True)
    with pytest.raises(LoadError, match="kg load --to"):
        open_store(tmp_path / "nowhere")
