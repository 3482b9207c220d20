"""`kg serve`: serve the graph over SPARQL 1.1 under gunicorn (same as `python server.py`)."""
from __future__ import annotations

from ..web.serving import add_arguments, run

HELP = "Serve the graph over a SPARQL 1.1 endpoint (gunicorn; time-limited; read-only unless --allow-update)."

__all__ = ["HELP", "add_arguments", "run"]
