"""tests/web/test_pages_views.py and test_pages_resolve.py, re-run with the store on each engine."""
from web import test_pages_views as _views
from web.test_pages_resolve import *  # noqa: F401,F403
from web.test_pages_views import *  # noqa: F401,F403

from .conftest import known_bug


def test_events_timeline_in_date_order(pc, engine, request):
    known_bug(request, engine, "virtuoso", "Virtuoso 7 bug (kg.remote.DIALECT_NOTES): in EVENTS_Q it drops the "
              "OPTIONAL time:unitType binding of the dsk:when/time:hasBeginning branch, so a decade shows as a year")
    _views.test_events_timeline_in_date_order(pc)
