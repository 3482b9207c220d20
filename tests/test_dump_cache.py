"""The dump cache (issue 18, and the dump-cache part of the security issue): keyed by the content,
so a restart on the same data writes nothing and serves the same ETags; a curated write or a
changed exporter changes the key; a private directory, no symlink followed, old versions removed."""
from __future__ import annotations

import os

import pytest

import kg.dumpcache as dumpcache
import kg.web.dumps as web_dumps
from kg.auth import add_token
from kg.dumpcache import DumpCache, UnsafeCacheDir, private_dir

from conftest import EX, GRAPHS

NQ = b'<http://ex/a> <http://ex/p> _:b1 .\n_:b1 <http://ex/q> "x" <http://ex/g> .\n'


@pytest.fixture
def exports(monkeypatch):
    """Count the exports actually written (the expensive part the cache must save)."""
    made = []
    real = web_dumps.export

    def counting(name, source):
        made.append(name)
        return real(name, source)
    monkeypatch.setattr(web_dumps, "export", counting)
    return made


def test_two_starts_on_the_same_data_write_once_and_serve_the_same_etags(make_app, tmp_path, exports):
    root = tmp_path / "dumps"
    first = make_app(DUMPS_DIR=str(root)).test_client()  # each app loads the files: new blank-node labels
    a = first.get("/dumps/deepseek-kg.ttl")
    second = make_app(DUMPS_DIR=str(root)).test_client()
    b = second.get("/dumps/deepseek-kg.ttl")
    assert a.status_code == b.status_code == 200 and a.data == b.data
    assert a.headers["ETag"] == b.headers["ETag"]
    assert exports == ["turtle"]  # the second start found it on disk
    assert second.get("/dumps/deepseek-kg.ttl", headers={"If-None-Match": a.headers["ETag"]}).status_code == 304
    assert [p.name for p in root.iterdir()] == [first.application.extensions["kg"].memo("dumps", None).key]


def test_a_curated_write_changes_the_key(make_app, tmp_path):
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "alice", "write")
    (tmp_path / "shapes.ttl").write_text("")
    app = make_app(ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "state"), TOKENS=str(tokens),
                   SHAPES=str(tmp_path / "shapes.ttl"), WRITABLE_GRAPHS=EX + "graph/")
    client = app.test_client()
    before = client.get("/dumps/deepseek-kg.nt")
    r = client.post("/update", data=f"INSERT DATA {{ GRAPH <{GRAPHS['people.ttl']}> {{ <{EX}dave> <{EX}age> 7 }} }}",
                    headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.data
    after = client.get("/dumps/deepseek-kg.nt")
    assert before.headers["ETag"] != after.headers["ETag"]
    assert b"<http://example.org/dave>" in after.data and b"<http://example.org/dave>" not in before.data
    assert (tmp_path / "state" / "dumps").is_dir()  # beside the state it dumps, not under /tmp


def test_a_changed_exporter_changes_the_key(monkeypatch, tmp_path):
    before = DumpCache(NQ, tmp_path / "d", make=None).key
    monkeypatch.setattr(dumpcache, "code_version", lambda: "a different exporter")
    assert DumpCache(NQ, tmp_path / "d", make=None).key != before


def test_the_key_ignores_blank_node_labels_and_order():
    relabelled = NQ.replace(b"_:b1", b"_:other")
    reordered = b"".join(reversed(relabelled.splitlines(keepends=True)))
    assert dumpcache.content_key(NQ) == dumpcache.content_key(reordered)
    assert dumpcache.content_key(NQ) != dumpcache.content_key(NQ.replace(b'"x"', b'"y"'))


def test_root_is_private(tmp_path):
    c = DumpCache(NQ, tmp_path / "deep" / "dumps", make=lambda name, nq: b"data")
    c.get("turtle")
    for d in (tmp_path / "deep" / "dumps", c.directory):
        assert (d.stat().st_mode & 0o777) == 0o700
    assert ((c.directory / "turtle").stat().st_mode & 0o777) == 0o600


def _plant(kind: str, tmp_path):
    """A cache root prepared by someone else; returns (root, a secret file outside it)."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not yours")
    root = tmp_path / "dumps"
    key = dumpcache.content_key(NQ)
    if kind == "file link":
        (root / key).mkdir(parents=True, mode=0o700)
        root.chmod(0o700)
        (root / key / "turtle").symlink_to(secret)
    elif kind == "version dir link":
        root.mkdir(mode=0o700)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "turtle").symlink_to(secret)
        (root / key).symlink_to(elsewhere)
    elif kind == "root link":
        elsewhere = tmp_path / "elsewhere"
        (elsewhere / key).mkdir(parents=True)
        (elsewhere / key / "turtle").write_bytes(b"planted")
        root.symlink_to(elsewhere)
    elif kind == "open root":
        (root / key).mkdir(parents=True)
        root.chmod(0o777)
        (root / key / "turtle").write_bytes(b"planted")
    elif kind == "open version dir":
        (root / key).mkdir(parents=True)
        root.chmod(0o700)
        (root / key).chmod(0o775)
        (root / key / "turtle").write_bytes(b"planted")
    return root, secret


@pytest.mark.parametrize("kind", ["file link", "version dir link", "root link", "open root", "open version dir"])
def test_planted_links_and_open_directories_are_never_served(kind, tmp_path):
    root, secret = _plant(kind, tmp_path)
    c = DumpCache(NQ, root, make=lambda name, nq: b"the real dump")
    assert c.get("turtle") == b"the real dump"
    assert c.get("turtle") == b"the real dump"  # and again, from wherever it is kept now
    assert secret.read_bytes() == b"not yours"  # nothing written through a link


def test_unsafe_directories_are_refused(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UnsafeCacheDir, match="symbolic link"):
        private_dir(tmp_path / "link")
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o755)
    with pytest.raises(UnsafeCacheDir, match="open to other users"):
        private_dir(tmp_path / "open")
    (tmp_path / "file").write_text("")
    with pytest.raises(UnsafeCacheDir, match="not a directory"):
        private_dir(tmp_path / "file")


def test_old_versions_are_removed(tmp_path):
    root = tmp_path / "dumps"
    keys = []
    for i in range(6):
        c = DumpCache(NQ.replace(b'"x"', f'"{i}"'.encode()), root, make=lambda name, nq: b"d")
        c.get("turtle")
        os.utime(c.directory, (1_000_000 + i, 1_000_000 + i))  # made in this order
        keys.append(c.key)
    assert sorted(p.name for p in root.iterdir()) == sorted(keys[-dumpcache.KEEP:])
