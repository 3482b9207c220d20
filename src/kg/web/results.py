"""SPARQL 1.1 results writers (JSON, XML, CSV, TSV) for a list of pyoxigraph solutions.

pyoxigraph's own writers consume the whole iterator; these write the rows the endpoint kept
after applying its row cap, and say in the document itself when rows were cut
(``head.link`` in JSON, ``<link>`` in XML; CSV/TSV carry it in the HTTP headers only).
"""
from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _json_term(t):
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            d["datatype"] = t.datatype.value
        return d
    if isinstance(t, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(t.subject),
                "predicate": _json_term(t.predicate), "object": _json_term(t.object)}}
    raise TypeError(t)


def json_results(variables, rows, truncated_link=None) -> bytes:
    head = {"vars": variables}
    if truncated_link:
        head["link"] = [truncated_link]
    bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    return json.dumps({"head": head, "results": {"bindings": bindings}}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def _xml_term(t) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    if isinstance(t, ox.Triple):
        return (f"<triple><subject>{_xml_term(t.subject)}</subject><predicate>{_xml_term(t.predicate)}"
                f"</predicate><object>{_xml_term(t.object)}</object></triple>")
    raise TypeError(t)


def xml_results(variables, rows, truncated_link=None) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    if truncated_link:
        out.append(f"<link href={quoteattr(truncated_link)}/>")
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row) if t is not None]
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode()


def _csv_field(t) -> str:
    if t is None:
        s = ""
    elif isinstance(t, ox.BlankNode):
        s = "_:" + t.value
    elif isinstance(t, (ox.NamedNode, ox.Literal)):
        s = t.value
    else:
        s = str(t)
    if any(c in s for c in '",\r\n'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def csv_results(variables, rows, truncated_link=None) -> bytes:
    lines = [",".join(variables)] + [",".join(_csv_field(t) for t in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def tsv_results(variables, rows, truncated_link=None) -> bytes:
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def boolean_result(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return b'{"head":{},"boolean":%s}' % (b"true" if value else b"false")
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
    return (b"true" if value else b"false") + b"\n"  # CSV/TSV: no standard; a bare word


WRITERS = {"json": json_results, "xml": xml_results, "csv": csv_results, "tsv": tsv_results}

__all__ = ["WRITERS", "boolean_result", "json_results", "xml_results", "csv_results", "tsv_results"]
