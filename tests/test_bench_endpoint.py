"""bench/endpoint.py reads wrk's output and compares servers without dividing by zero when a peer
finished nothing under load (regression: a baseline at 0 req/s crashed the ratio lines)."""
from __future__ import annotations

import sys

from kg.sources import project_root

sys.path.insert(0, str(project_root()))
from bench.endpoint import fmt, parse_wrk, ratio  # noqa: E402

BUSY = """Running 8s test @ http://127.0.0.1:40001
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.21ms    1.02ms  20.11ms   90.00%
  Latency Distribution
     50%    4.01ms
     75%    4.50ms
     90%    5.20ms
     99%   12.80ms
  8312 requests in 8.00s, 9.10MB read
Requests/sec:   1038.93
Transfer/sec:      1.14MB
"""
NOTHING = """Running 8s test @ http://127.0.0.1:40002
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 8.00s, 0.00B read
  Socket errors: connect 0, read 0, write 0, timeout 8
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_parse_wrk_reads_throughput_and_latency():
    r = parse_wrk(BUSY)
    assert (r["rps"], r["requests"], r["p50"], r["p99"], r["non2xx"]) == (1038.93, 8312, 4.01, 12.8, 0)


def test_a_server_that_finished_nothing_has_no_latency_and_no_ratio():
    r = parse_wrk(NOTHING)
    assert (r["rps"], r["requests"], r["p50"], r["p99"]) == (0.0, 0, None, None)
    assert "timeout 8" in r["socket_errors"]
    assert ratio(1038.93, r["rps"]) is None and ratio(None, 2.0) is None and ratio(3.0, 2.0) == 1.5
    assert fmt(ratio(1.0, 0.0)) == "n/a" and fmt(1.5) == "1.50"
