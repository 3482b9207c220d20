"""Turn one query job into finished bytes (runs inside an executor process, see executor.py)."""
from __future__ import annotations

from itertools import islice

import pyoxigraph as ox

from ..formats import by_kind
from ..namespaces import PREFIXES
from ..search import SPARQL_FUNCTIONS as FUNCTIONS
from ..store import Dataset, Store, StoreError, StoreTimeout
from .executor import QueryTimeout
from .results import WRITERS, boolean_result

#: format name -> pyoxigraph writer of CONSTRUCT/DESCRIBE answers (kg.formats)
GRAPH_FORMATS = {s.name: s.ox for s in by_kind("graph")}
_PREFIXES = {k: str(v) for k, v in PREFIXES.items()}
TRUNCATED = "urn:x-kg:truncated:max-rows="


def execute(store: Store, job: dict):
    """job: query, dataset (pair of lists or None), union, base (IRI), results (format name for SELECT/ASK),
    graph (format name for CONSTRUCT/DESCRIBE), max_rows, inferred (False: without the inferred graph).
    Returns an executor Answer."""
    ds = job.get("dataset")
    dataset = Dataset(*ds) if ds else None
    try:
        res = store.query(job["query"], dataset, union_default=job.get("union", True),
                          base_iri=job.get("base"), inferred=job.get("inferred", True),
                          functions=FUNCTIONS if job.get("functions") and store.capabilities.functions else None)
        cap = job.get("max_rows") or 0
        if isinstance(res, ox.QueryBoolean):
            return "ok", boolean_result(bool(res), job["results"]), {"form": "ASK"}
        if isinstance(res, ox.QuerySolutions):
            variables = [v.value for v in res.variables]
            rows = [list(s) for s in (islice(res, cap + 1) if cap else res)]
            headers = {"form": "SELECT"}
            link = None
            if cap and len(rows) > cap:
                del rows[cap:]
                headers["truncated"] = cap
                link = f"{TRUNCATED}{cap}"
            return "ok", WRITERS[job["results"]](variables, rows, link), headers
        triples = list(islice(res, cap + 1) if cap else res)
        headers = {"form": "CONSTRUCT"}
        if cap and len(triples) > cap:
            del triples[cap:]
            headers["truncated"] = cap
        fmt = GRAPH_FORMATS[job["graph"]]
        return "ok", ox.serialize(triples, format=fmt, prefixes=_PREFIXES if fmt in
                                  (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None), headers
    except StoreTimeout as exc:  # a remote store's socket timeout: the same 503 as the embedded store
        raise QueryTimeout(str(exc)) from None
    except StoreError as exc:
        return "error", exc.status, str(exc)
    except SyntaxError as exc:
        return "error", 400, f"SPARQL syntax error: {exc}"
    except (ValueError, TypeError) as exc:
        return "error", 400, f"query rejected: {exc}"
    except OSError as exc:
        msg = str(exc)
        if "SERVICE" in msg or "service" in msg:  # never echo a remote reply
            return "error", 400, "SERVICE is not allowed by this endpoint"
        return "error", 500, "the store failed to read data"
    except RuntimeError as exc:
        return "error", 400, f"query evaluation failed: {' '.join(str(exc).split())[:500]}"


__all__ = ["execute", "GRAPH_FORMATS", "TRUNCATED"]
