"""`kg load --to TARGET`: put the graph where `kg serve --store TARGET` serves it from.

TARGET is a directory (an on-disk pyoxigraph store; --replace to load it afresh) or the http(s)
query endpoint of a SPARQL engine (written with SPARQL Update or the Graph Store Protocol,
see kg.upload). Loading twice gives the same graphs.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HELP = "Load the graph into an on-disk store (directory) or a remote SPARQL engine (http(s) URL)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", required=True, metavar="TARGET",
                   help="a directory (on-disk store) or the query endpoint URL of a SPARQL engine")
    p.add_argument("--data", action="append", metavar="PATH[=GRAPH]",
                   help="load these files instead of the bundled sources (repeatable)")
    p.add_argument("--replace", action="store_true",
                   help="directory: load afresh over an existing store (the default: loading twice gives the same "
                        "store; a directory that is not a store is never deleted)")
    g = p.add_argument_group("remote engine (TARGET is a URL)")
    g.add_argument("--update-url", metavar="URL",
                   help="SPARQL 1.1 Update endpoint (default: TARGET); e.g. Virtuoso .../sparql-auth, Fuseki .../ds/update")
    g.add_argument("--gsp-url", metavar="URL",
                   help="use the Graph Store HTTP Protocol at this URL instead of SPARQL Update "
                        "(Virtuoso .../sparql-graph-crud-auth, Fuseki .../ds/data)")
    g.add_argument("--user", default=os.environ.get("KG_LOAD_USER"), help="HTTP Digest/Basic user (KG_LOAD_USER)")
    g.add_argument("--password", default=os.environ.get("KG_LOAD_PASSWORD"),
                   help="its password (KG_LOAD_PASSWORD; prefer the variable: arguments show in `ps`)")
    g.add_argument("--record", metavar="GRAPH_IRI",
                   help="the load record's graph (default: the project's); several datasets can share an engine")
    g.add_argument("--chunk-triples", type=int, default=1_000, metavar="N",
                   help="triples per request (default 1000: Virtuoso's SPARQL compiler refuses ~5000)")


def run(args: argparse.Namespace) -> int:
    from ..sources import parse_sources
    sources = parse_sources(args.data)
    if not args.to.startswith(("http://", "https://")):
        from ..store import OnDiskStore
        t0 = time.monotonic()
        store = OnDiskStore.create(args.to, sources, replace=True)  # idempotent (README); refuses a non-store
        for g in store.named_graphs():
            print(f"  {g}  {store.triple_count(g):,} triples")
        print(f"loaded {store.triple_count():,} quads into {args.to} in {time.monotonic() - t0:.2f} s")
        return 0
    from ..remote import LOAD_RECORD
    from ..upload import Target, upload
    target = Target(args.to, update_url=args.update_url, gsp_url=args.gsp_url, user=args.user,
                    password=args.password, record=args.record or LOAD_RECORD,
                    chunk_triples=max(1, args.chunk_triples))
    print(f"loading into {args.to} with {'the Graph Store Protocol' if target.method == 'gsp' else 'SPARQL Update'}",
          file=sys.stderr)
    upload(target, sources, progress=lambda line: print(line, flush=True))
    return 0


__all__ = ["HELP", "add_arguments", "run"]
