"""The house rules that keep the package easy to change: the import contracts in pyproject.toml
(layers, no cycles, only the app factory picks a store) and the docs' settings table, which
must be the one generated from kg.settings."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg import settings

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept(capsys):
    lint = pytest.importorskip("importlinter.cli", reason="import-linter is in the test extra")
    code = lint.lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out


def test_docs_settings_table_is_generated_from_the_code():
    text = (REPO / "docs" / "endpoint.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- settings-table:[^>]*-->\n(.*?)<!-- /settings-table -->", text, re.S)
    assert m, "docs/endpoint.md lost its settings table markers"
    assert m.group(1) == settings.markdown_table(), "regenerate it: python -m kg.settings"


@pytest.mark.parametrize("name", list(settings.SETTINGS))
def test_every_setting_reads_from_its_variable(name):
    s = settings.SETTINGS[name]
    sample = {"float": "2.5", "int": "3", "bool": "yes", "str": "x", "list": "a,b", "json": '{"k": 1}'}[s.type]
    assert settings.from_env({s.env: sample}) == {name: s.parse(sample)}


def test_flags_win_over_the_environment_which_wins_over_defaults():
    import argparse
    p = argparse.ArgumentParser()
    settings.add_arguments(p)
    env = {"KG_MAX_ROWS": "7", "KG_QUERY_TIMEOUT": "9"}
    values = settings.resolve(p.parse_args(["--max-rows", "3"]), env)
    assert values["MAX_ROWS"] == 3 and values["QUERY_TIMEOUT"] == 9.0 and values["RESULT_CACHE_MB"] == 32


def test_create_app_reads_no_environment_unless_asked(monkeypatch, fixture_sources):
    from kg.web import create_app
    monkeypatch.setenv("KG_MAX_ROWS", "7")
    plain = create_app({"SOURCES": fixture_sources, "QUERY_TIMEOUT": 0})
    asked = create_app({"SOURCES": fixture_sources, "QUERY_TIMEOUT": 0}, from_env=True)
    assert plain.config["MAX_ROWS"] == 10_000 and asked.config["MAX_ROWS"] == 7


def test_a_bad_variable_is_named():
    with pytest.raises(settings.SettingError, match="KG_MAX_ROWS"):
        settings.from_env({"KG_MAX_ROWS": "many"})
