"""Readers and writers at once against the real server (a small, untimed run of
bench/curation_load.py): every answer has an expected status, and the graph served afterwards
is the base graph with the acknowledged writes applied in the order of their ``seq``.

The writes include order-dependent ones (Graph Store PUT replaces a graph, a DELETE/INSERT keeps
the last value), so a replay in any other order would not match. No latency is asserted here:
timing targets live in bench/ (``python bench/curation_load.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.curation_load import run, write_plan  # noqa: E402


def test_plan_covers_every_kind_of_write():
    kinds = {w.kind for plan in write_plan(2, 5, "token", seed=1) for w in plan}
    assert {"update", "form", "gsp-post", "gsp-put", "last", "bad-update"} <= kinds


def test_concurrent_readers_and_writers_end_in_the_replayed_graph(tmp_path):
    out = run(data="fixture", duration=1.5, readers=3, writers=2, writes=5, max_requests=5000, workers=2,
              seed=1, workdir=tmp_path, verbose=False)
    checks, b = out["checks"], out["B"]
    assert checks["unexpected_statuses"] == 0, out["errors_sample"]
    assert out["A"]["reads"] > 0 and b["reads"] > 0
    assert b["writes_acknowledged"] >= 2 and b["writes_sent"] == b["writes_acknowledged"] + b["writes_refused_422"]
    assert checks["served_equals_replay"], (checks["missing_from_served"], checks["extra_in_served"])
    assert checks["state_dir_equals_replay"]
    assert checks["acked_seqs_contiguous"]
    assert checks["rest_of_store_unchanged"]
    assert checks["one_activity_per_acked_write"]
