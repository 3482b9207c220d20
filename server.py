"""Start the SPARQL endpoint under gunicorn: ``python server.py [--bind HOST:PORT] [--workers N] ...``

See ``python server.py --help`` and docs/endpoint.md. Same as ``kg serve``.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from kg.web.serving import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
