"""The `kg` command as a curator uses it: exit codes, readable output, one-line errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from kg.cli import main

from .conftest import TINY


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_shipped_graph_conforms(capsys):
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert "conforms" in out


def test_validate_reports_a_broken_file_and_exits_1(capsys, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(TINY.replace("dsk:claimant ds:sam-altman ;", ""), encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--data", str(bad))
    assert code == 1
    assert "needs a claimant" in out and "ds:claim-altman" in out
    code, out, _ = run(capsys, "validate", "--data", str(bad), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["conforms"] is False and report["violations"]


def test_malformed_file_gives_one_line_naming_file_and_line(capsys, tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ds: <https://w3id.org/deepseek-kg/id/> .\nds:a ds:b ds:c .\nds:x ds:y "open .\n')
    code, out, err = run(capsys, "validate", "--data", str(bad))
    assert code == 2
    assert err.count("\n") == 1 and f"{bad}:3:" in err and "Traceback" not in err


def test_missing_file_is_named(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--data", str(tmp_path / "nope.ttl"))
    assert code == 2 and "nope.ttl: file not found" in err


def test_stats_counts_classes_and_properties(capsys):
    code, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    assert stats["classes"]["dsk:Claim"] > 0 and stats["properties"]["dsk:anchor"] > 0


def test_coverage_reaches_95_percent(capsys):
    code, out, _ = run(capsys, "coverage", "--min", "95")
    assert code == 0, out
    assert "sentences anchored" in out


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_reason_reports_consistency(capsys):
    code, out, _ = run(capsys, "reason")
    assert code == 0
    assert "Consistent" in out and "No unsatisfiable classes" in out


def test_generated_rdfxml_is_current(capsys):
    code, out, _ = run(capsys, "owl", "--check")
    assert code == 0, out


def test_console_script_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "kg.cli", "--help"], capture_output=True, text=True, check=True).stdout
    for name in ("validate", "reason", "stats", "coverage"):
        assert name in out
