"""tests/test_sparql_protocol.py, re-run with the store on each engine (fixtures: conftest.py here)."""
from test_sparql_protocol import *  # noqa: F401,F403
