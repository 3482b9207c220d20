"""Issue 12, the journal: only an unterminated last line (a write never acknowledged) may be
dropped; a damaged *complete* record, last or not, stops the server and ``kg diff`` with one line
naming the file, the record and what to do, and is never truncated."""
from __future__ import annotations

import subprocess
import sys

import pytest

from kg.cli import main
from kg.curated import CuratedStore, JournalDamaged
from kg.journal import Journal, JournalError
from kg.load import LoadError
from kg.web import create_app

from conftest import EX, GRAPHS, REPO

PEOPLE = GRAPHS["people.ttl"]


def _state(tmp_path, fixture_sources, writes: int = 3):
    s = CuratedStore(tmp_path / "state", fixture_sources, writable_prefix=EX + "graph/")
    for i in range(writes):
        s.transact(lambda st, i=i: st.update(f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}x{i}> <{EX}p> {i} }} }}"),
                   agent="a", kind="k", text=str(i))
    return tmp_path / "state"


def _damage(path, record: int) -> int:
    """Flip a bit in the JSON of record ``record`` (0-based); its byte offset."""
    lines = path.read_bytes().split(b"\n")
    at = sum(len(x) + 1 for x in lines[:record])
    data = bytearray(path.read_bytes())
    data[at + 20] ^= 0x01
    path.write_bytes(bytes(data))
    return at


@pytest.mark.parametrize("record", [0, 1, 2], ids=["first", "middle", "last complete"])
def test_a_damaged_complete_record_stops_the_start_with_one_line(tmp_path, fixture_sources, record):
    state = _state(tmp_path, fixture_sources)
    journal = state / "journal"
    at = _damage(journal, record)
    size = journal.stat().st_size
    with pytest.raises(LoadError) as exc:
        CuratedStore(state, fixture_sources, writable_prefix=EX + "graph/")
    text = str(exc.value)
    assert "\n" not in text and str(journal) in text and f"seq {record + 1}" in text and f"byte {at}" in text
    assert f"truncate -s {at}" in text and "backup" in text
    assert journal.stat().st_size == size  # nothing was cut: the acknowledged write is still there to recover


def test_only_an_unterminated_last_line_is_dropped(tmp_path, fixture_sources):
    state = _state(tmp_path, fixture_sources, writes=2)
    journal = state / "journal"
    whole = journal.stat().st_size
    with open(journal, "ab") as f:
        f.write(b'0badc0de {"seq":3,"added":"<http://ex')  # killed mid-append: no newline
    s = CuratedStore(state, fixture_sources, writable_prefix=EX + "graph/")
    assert s.seq == 2 and journal.stat().st_size == whole


def test_a_complete_line_that_is_not_a_record_is_damage_too(tmp_path):
    j = Journal(tmp_path / "journal")
    j.append({"seq": 1})
    with open(j.path, "ab") as f:
        f.write(b"garbage without a checksum\n")
    with pytest.raises(JournalError, match="damaged"):
        j.read_from(0)


def test_kg_diff_says_it_in_one_line(tmp_path, fixture_sources, capsys):
    state = _state(tmp_path, fixture_sources)
    _damage(state / "journal", 1)
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    assert main(["diff", "--state", str(state), *data]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kg diff: ") and "\n" not in err and "seq 2" in err and "Traceback" not in err


def test_server_py_says_it_in_one_line(tmp_path, fixture_sources):
    state = _state(tmp_path, fixture_sources)
    _damage(state / "journal", 2)
    tokens = tmp_path / "tokens.json"
    from kg.auth import add_token
    add_token(tokens, "alice")
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    proc = subprocess.run([sys.executable, str(REPO / "server.py"), "--allow-update", "--state-dir", str(state),
                           "--tokens", str(tokens), "--writable-graphs", EX + "graph/", "--bind", "127.0.0.1:1", *data],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "seq 3" in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_damage_while_serving_is_a_503_for_every_request(tmp_path, fixture_sources):
    state = _state(tmp_path, fixture_sources, writes=1)
    tokens = tmp_path / "tokens.json"
    from kg.auth import add_token
    add_token(tokens, "alice")
    app = create_app({"SOURCES": fixture_sources, "ALLOW_UPDATE": True, "STATE_DIR": str(state), "TOKENS": str(tokens),
                      "WRITABLE_GRAPHS": EX + "graph/", "QUERY_TIMEOUT": 3, "QUERY_PROCESSES": 1, "TESTING": True})
    try:
        with open(state / "journal", "ab") as f:  # another process appends a record that does not read back
            f.write(b'00000000 {"seq":2,"added":""}\n')
        r = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
        assert r.status_code == 503 and b"damaged" in r.data and b"seq 2" in r.data
        with pytest.raises(JournalDamaged):
            app.extensions["kg"].store.sync()
    finally:
        app.extensions["kg"].close()
