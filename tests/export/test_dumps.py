"""Same input, same bytes (across processes); the catalog; `kg export` as a user meets it."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

import kg.export
from kg.cli import main
from kg.export import DUMP_NAMES, FORMATS, dump_catalog, export

SCRIPT = """
import hashlib, json
from kg.export import export_all
print(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in export_all(include_inferred=False).items()}))
"""


def _digests_in_fresh_processes(*seeds: str) -> list[dict[str, str]]:
    """Run SCRIPT in one new process per hash seed, side by side."""
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], env={**os.environ, "PYTHONHASHSEED": seed},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in seeds]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


def test_exports_are_byte_identical_across_processes(shipped):
    dumps = kg.export.export_all(shipped, include_inferred=False)
    here = {k: hashlib.sha256(v).hexdigest() for k, v in dumps.items()}
    first, second = _digests_in_fresh_processes("1", "2")
    assert first == second == here
    assert set(here) == {n for n, f in FORMATS.items() if f.kind != "context" and not f.needs_java}


def test_catalog_lists_every_dump_with_its_size(source, dumps):
    catalog = dump_catalog(dumps=dumps)
    assert [d.name for d in catalog] == [n for n in FORMATS if n in dumps]
    for d in catalog:
        assert d.size == len(dumps[d.name]) > 0
        assert d.filename.endswith("." + d.suffix) and DUMP_NAMES[d.filename] == d.name
        assert "/" in d.media_type and d.content_type.startswith(d.media_type)
    assert len({d.filename for d in catalog}) == len(catalog)


def test_cli_writes_the_export(tmp_path, capsys):
    out = tmp_path / "g.graphml"
    assert main(["export", "--format", "graphml", "--out", str(out)]) == 0
    assert out.read_bytes() == export("graphml")
    assert "wrote" in capsys.readouterr().err


def test_cli_writes_to_stdout(capsysbinary):
    assert main(["export", "--format", "n10s"]) == 0
    assert capsysbinary.readouterr().out == export("n10s")


def test_cli_rejects_an_unknown_format(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "excel"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cli_unwritable_out_is_one_line(tmp_path, capsys):
    code = main(["export", "--format", "turtle", "--out", str(tmp_path / "missing-dir" / "x.ttl")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("kg export: cannot write") and err.count("\n") == 1 and "Traceback" not in err
