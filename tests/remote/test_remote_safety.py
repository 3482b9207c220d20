"""tests/test_sparql_safety.py, re-run with the store on Virtuoso (fixtures: conftest.py here)."""
import pytest

import test_sparql_safety as _safety
from test_sparql_safety import *  # noqa: F401,F403

from .conftest import remote_server


@pytest.fixture(scope="module")
def sync_server(start_server, engine):
    """gunicorn with 2 sync workers on the remote store."""
    return remote_server(start_server, engine, "--workers", "2", "--threads", "1", "--query-timeout", "2")


@pytest.mark.xfail(strict=True, reason="an allow-listed SERVICE is called by the engine, not by us: Virtuoso 7 "
                   "calls the listener, then fails for want of a privilege (SQ070 on DB.DBA.SPARQL_SINV_2): 502")
def test_allow_listed_service_is_called(make_app, listener):
    _safety.test_allow_listed_service_is_called(make_app, listener)
