"""tests/test_dumps_web.py, re-run with the store on each engine (fixtures: conftest.py here)."""
from test_dumps_web import *  # noqa: F401,F403
