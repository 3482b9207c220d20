"""tests/test_sparql_safety.py, re-run with the store on each engine (fixtures: conftest.py here)."""
import pytest

import test_sparql_safety as _safety
from test_sparql_safety import *  # noqa: F401,F403

from .conftest import known_bug, remote_server


@pytest.fixture(scope="module")
def sync_server(start_server, engine):
    """gunicorn with 2 sync workers on the remote store."""
    return remote_server(start_server, engine, "--workers", "2", "--threads", "1", "--query-timeout", "2")


def test_allow_listed_service_is_called(make_app, listener, engine, request):
    known_bug(request, engine, "virtuoso", "an allow-listed SERVICE is called by the engine, not by us: Virtuoso 7 "
              "calls the listener, then fails for want of a privilege (SQ070 on DB.DBA.SPARQL_SINV_2): 502")
    _safety.test_allow_listed_service_is_called(make_app, listener)


@pytest.mark.parametrize("server_fixture", ["live_server", "sync_server"])
def test_other_clients_are_served_during_a_runaway_query(request, server_fixture, engine, ends_runaways):
    """The servers are picked by name (getfixturevalue): ask for ``engine`` here, so the test is
    parametrized over the engines too."""
    _safety.test_other_clients_are_served_during_a_runaway_query(request, server_fixture)


def test_runaway_query_is_stopped_within_the_limit(make_app, ends_runaways):
    _safety.test_runaway_query_is_stopped_within_the_limit(make_app)
