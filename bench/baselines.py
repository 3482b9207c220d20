"""The two baselines, on the same files as the endpoint (paths in KG_BENCH_DATA, "path=graph,...").

- ``rdflib_endpoint_app``: rdflib-endpoint 0.6 (FastAPI) over an rdflib Dataset, run by uvicorn.
- ``flask_rdflib_app``: a minimal Flask app answering with rdflib's own engine, run by gunicorn.
Both see the default graph as the union of the named graphs, like the endpoint.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from rdflib import Dataset, URIRef

warnings.simplefilter("ignore", DeprecationWarning)


def _dataset() -> Dataset:
    ds = Dataset(default_union=True)
    for item in os.environ["KG_BENCH_DATA"].split(","):
        path, _, graph = item.partition("=")
        fmt = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig"}[Path(path).suffix]
        ds.graph(URIRef(graph or Path(path).resolve().as_uri())).parse(path, format=fmt)
    return ds


def rdflib_endpoint_app():
    from rdflib_endpoint import SparqlEndpoint
    return SparqlEndpoint(graph=_dataset(), path="/sparql", cors_enabled=True)


def flask_rdflib_app():
    from flask import Flask, Response, request

    ds = _dataset()
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql():
        q = request.values.get("query")
        res = ds.query(q)
        if res.type in ("SELECT", "ASK"):
            return Response(res.serialize(format="json"), content_type="application/sparql-results+json")
        return Response(res.serialize(format="turtle"), content_type="text/turtle")

    return app
