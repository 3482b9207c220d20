"""The OWL API 5.1 from Debian (``libowlapi-java``) for the interoperability tests: its OWL 2 DL
profile check, the one Protégé and ROBOT (``robot validate-profile --profile DL``) run, over any
number of ontology documents in one JVM (``OwlProfile.java``, compiled at test time).

Usage::

    from testkit import owlapi
    reason = owlapi.missing()                    # None, or why the OWL API cannot run here
    reports = owlapi.OwlApi(cache_dir).check(["deepseek-kg-ontology.owl", "deepseek-kg.rdf"])
    reports["deepseek-kg.rdf"].violations        # [(kind, message)], e.g. ("UseOfUndeclaredClass", "...")
    reports["deepseek-kg.rdf"].declared_individuals
    reports["deepseek-kg.rdf"].unparsed          # triples it could not read as OWL and dropped
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import jvm

__all__ = ["OwlApi", "Report", "missing"]

JARS = ["owlapi-distribution.jar", "guava.jar", "caffeine.jar", "commons-io.jar", "commons-codec.jar",
        "slf4j-api.jar", "slf4j-nop.jar", "commons-rdf-api.jar", "hppcrt.jar", "atinject-jsr330-api.jar",
        "jsr305.jar", "xz.jar", "jackson-core.jar", "jackson-databind.jar", "jackson-annotations.jar",
        "httpclient.jar", "httpcore.jar", "commons-logging.jar"]
RDF4J = "rdf4j-"  # every rdf4j jar Debian installs with the OWL API (its RDF parsers), by unversioned name


def missing() -> str | None:
    return jvm.missing(JARS, "libowlapi-java")


@dataclass
class Report:
    path: str
    individuals: int = 0
    declared_individuals: int = 0
    axioms: int = 0
    violations: list[tuple[str, str]] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)   # triples the OWL API dropped

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _ in self.violations:
            out[kind] = out.get(kind, 0) + 1
        return out


class OwlApi:
    def __init__(self, cache_dir: str | Path):
        rdf4j = sorted(p for p in jvm.JARS_DIR.glob(RDF4J + "*.jar") if not re.search(r"-\d", p.name))  # unversioned
        self.classpath = jvm.jars(JARS) + rdf4j
        self.classes = jvm.compile_driver("OwlProfile.java", self.classpath, cache_dir)

    def check(self, paths: list[str | Path], *, timeout: float = 600) -> dict[str, Report]:
        """OWL 2 DL profile reports, one per file (keyed by the path as given)."""
        done = jvm.run("OwlProfile", [*self.classpath, self.classes], [str(p) for p in paths], timeout=timeout)
        out: dict[str, Report] = {}
        current = None
        for line in done.stdout.splitlines():
            parts = line.split("\t")
            if parts[0] == "FILE":
                current = out[parts[1]] = Report(parts[1], int(parts[3]), int(parts[4]), int(parts[5]))
            elif parts[0] == "V" and current is not None:
                current.violations.append((parts[1], parts[2]))
            elif parts[0] == "U" and current is not None:
                current.unparsed.append(parts[1])
        return out
