"""The ontology and the exports OWL tools open are OWL 2 DL, as the OWL API (Debian's 5.1, the
library of Protégé and ROBOT) checks it, with every individual declared; pyLODE documents the
ontology under its own title (issue 15, item 3: 244 profile violations on the ontology, two
owl:equivalentProperty axioms dropped, 27 of the data's 537 individuals declared in the RDF/XML,
and pyLODE titled the page after a concept scheme)."""
from __future__ import annotations

import re

import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF

from kg.export import FORMATS

#: what Protégé, a reasoner or the OWL API opens: the ontology alone, and the knowledge graph
OWL_DUMPS = ["ontology-turtle", "ontology-rdfxml", "rdfxml", "inferred"]


def test_owl_api_reads_owl2_dl_with_every_individual_declared(dump_files, owl_api):
    files = {name: dump_files / FORMATS[name].filename for name in OWL_DUMPS}
    files = {name: path for name, path in files.items() if path.exists()}  # inferred: where HermiT ran
    reports = owl_api.check(list(files.values()))
    for name, path in files.items():
        r = reports[str(path)]
        assert r.violations == [], f"{name}: {len(r.violations)} OWL 2 DL violations, e.g. {r.violations[:3]}"
        assert r.unparsed == [], f"{name}: the OWL API dropped {r.unparsed[:3]}"
        assert r.declared_individuals == r.individuals, name
    assert reports[str(files["rdfxml"])].individuals > 500  # the data's individuals, not only the ontology's
    assert reports[str(files["ontology-turtle"])].axioms == reports[str(files["ontology-rdfxml"])].axioms
    if "inferred" not in files:
        pytest.skip("HermiT could not run (no Java): the inferred dump was not checked, the others were")


def test_pylode_titles_the_ontology_page_after_the_ontology(dump_files, tmp_path):
    """pyLODE's command line, as people run it: ``pylode deepseek-kg-ontology.ttl -o ontology.html``
    (it gave the page the title of the last concept scheme it found)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    exe = Path(sys.executable).with_name("pylode")
    if not exe.exists() and not shutil.which("pylode"):
        pytest.skip("pyLODE is not installed (pip install pylode)")
    path = dump_files / FORMATS["ontology-turtle"].filename
    g = Graph().parse(path)
    title = str(g.value(g.value(None, RDF.type, OWL.Ontology), DCTERMS.title))
    done = subprocess.run([str(exe) if exe.exists() else "pylode", str(path), "-o", str(tmp_path / "ontology.html")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    html = (tmp_path / "ontology.html").read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip() == title == "deepseek-kg ontology"
