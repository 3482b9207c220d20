"""Large source files are served from an on-disk snapshot made on the first start and opened by later
ones (issue 14, item 6: a restart in seconds instead of parsing again; item 4: one copy in the page
cache for every worker). Small ones are loaded into memory as before."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.backends import open_store
from kg.store import OnDiskStore, OxigraphStore, snapshot_key
from kg.web import create_app

ASK = "ASK { <http://example.org/alice> ?p ?o }"


def test_small_sources_stay_in_memory(fixture_sources, tmp_path):
    store = open_store(None, sources=fixture_sources, snapshot_dir=tmp_path / "snap", snapshot_min_mb=64)
    assert isinstance(store, OxigraphStore) and not isinstance(store, OnDiskStore)
    assert not (tmp_path / "snap").exists()


def test_a_snapshot_is_made_once_and_opened_after(fixture_sources, tmp_path):
    said = []
    first = open_store(None, sources=fixture_sources, snapshot_dir=tmp_path / "snap", snapshot_min_mb=0,
                       say=said.append)
    assert isinstance(first, OnDiskStore) and len(said) == 1 and "first start only" in said[0]
    memory = OxigraphStore.from_sources(fixture_sources)
    assert bool(first.query(ASK)) and first.triple_count() == memory.triple_count()
    assert first.named_graphs() == memory.named_graphs()
    made = (first.path / "CURRENT").stat().st_mtime_ns
    assert first.triple_count() == int((first.path.parent / "quads").read_text())
    again = open_store(None, sources=fixture_sources, snapshot_dir=tmp_path / "snap", snapshot_min_mb=0,
                       say=said.append)
    assert again.path == first.path and len(said) == 1 and (again.path / "CURRENT").stat().st_mtime_ns == made
    assert oct((tmp_path / "snap").stat().st_mode & 0o777) == "0o700"


def test_changed_files_make_a_new_snapshot_and_old_ones_go(fixture_sources, tmp_path):
    import shutil
    from kg.sources import SourceFile
    fixture_sources = [SourceFile(shutil.copy(s.path, tmp_path / Path(s.path).name), s.graph) for s in fixture_sources]
    keys = []
    for n in range(3):
        with open(fixture_sources[0].path, "a") as f:
            f.write(f"\n<http://example.org/x{n}> <http://example.org/p> {n} .\n")
        keys.append(snapshot_key(fixture_sources))
        store = open_store(None, sources=fixture_sources, snapshot_dir=tmp_path / "snap", snapshot_min_mb=0)
        assert bool(store.query(f"ASK {{ <http://example.org/x{n}> ?p ?o }}"))
    assert len(set(keys)) == 3
    assert sorted(os.listdir(tmp_path / "snap")) == sorted(keys[1:])  # the newest two are kept


def test_an_unsafe_snapshot_directory_is_not_used(fixture_sources, tmp_path, capsys):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    app = create_app({"SOURCES": fixture_sources, "SNAPSHOT_DIR": str(tmp_path / "link"), "SNAPSHOT_MIN_MB": 0,
                      "QUERY_TIMEOUT": 0})
    assert not isinstance(app.extensions["kg"].store, OnDiskStore) and not os.listdir(target)
    assert "symbolic link" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["none", ""])
def test_snapshots_can_be_turned_off(fixture_sources, tmp_path, value):
    app = create_app({"SOURCES": fixture_sources, "SNAPSHOT_DIR": value, "SNAPSHOT_MIN_MB": 0, "QUERY_TIMEOUT": 0})
    assert not isinstance(app.extensions["kg"].store, OnDiskStore)
