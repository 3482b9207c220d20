"""Apache Jena 4.5 from Debian (``libapache-jena-java``) for the interoperability tests: riot
(parse and count any RDF file), ``shacl validate`` (Jena's SHACL engine) and rsparql (a SPARQL
client), run as their command lines would be, many commands in one JVM (``JenaBatch.java``).

Debian's Jena starts only once Xerces's message files are on the classpath: it ships Jena's copy
of Xerces with the classes renamed to the package ``xerces`` but the ``.properties`` resources left
under ``org/apache/jena/ext/xerces``, so the first datatype check fails with "internal error".
:func:`xerces_resources` builds a small jar with those files where the classes look for them, from
the same Debian jar (nothing downloaded).

Usage::

    from testkit import jena
    reason = jena.missing()                  # None, or why Jena cannot run here
    j = jena.Jena(cache_dir)                 # builds the resources jar and the driver once
    [r] = j.run([["riot", "--count", "deepseek-kg.ttl"]])
    r.code, r.out, r.err                     # exit code, standard output, standard error
    jena.command_line(["riot", "--count", "x.ttl"])  # 'riot --count x.ttl', as docs/exports.md shows
"""
from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import jvm

__all__ = ["Jena", "Result", "missing", "xerces_resources", "COMMANDS", "command_line"]

#: the command lines we run -> their main classes (Debian installs no wrapper scripts)
COMMANDS = {"riot": "riotcmd.riot", "shacl": "shacl.shacl_validate", "rsparql": "arq.rsparql"}
JENA = ["jena-arq.jar", "jena-base.jar", "jena-cmds.jar", "jena-core.jar", "jena-iri.jar", "jena-shacl.jar",
        "jena-dboe-base.jar", "jena-rdfconnection.jar"]
DEPENDENCIES = ["slf4j-api.jar", "slf4j-simple.jar", "jcl-over-slf4j.jar", "commons-lang3.jar", "commons-io.jar",
                "commons-codec.jar", "commons-compress.jar", "commons-csv.jar", "commons-cli.jar",
                "dexx.collection.jar", "caffeine.jar", "guava.jar", "gson.jar", "thrift.jar", "httpclient.jar",
                "httpclient-cache.jar", "httpcore.jar", "jsonld-java.jar", "jackson-core.jar",
                "jackson-databind.jar", "jackson-annotations.jar"]
_XERCES_IN_JAR = "org/apache/jena/ext/xerces/"


def missing() -> str | None:
    return jvm.missing(JENA + DEPENDENCIES, "libapache-jena-java")


def xerces_resources(dest: Path) -> Path:
    """A jar of jena-core's Xerces message files under ``xerces/``, where Debian's renamed classes look."""
    if not dest.exists():
        with zipfile.ZipFile(jvm.JARS_DIR / "jena-core.jar") as src, \
                tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
            with zipfile.ZipFile(tmp, "w") as out:
                for name in src.namelist():
                    if name.startswith(_XERCES_IN_JAR) and name.endswith(".properties"):
                        out.writestr("xerces/" + name[len(_XERCES_IN_JAR):], src.read(name))
        Path(tmp.name).replace(dest)
    return dest


def command_line(cmd: list[str]) -> str:
    """How a user types the command (``riot --count x.ttl``), quoting nothing that needs none."""
    import shlex
    return " ".join(shlex.quote(a) for a in cmd)


@dataclass
class Result:
    command: list[str]
    code: int
    out: str
    err: str


class Jena:
    def __init__(self, cache_dir: str | Path):
        self.dir = Path(cache_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.classpath = jvm.jars(JENA + DEPENDENCIES) + [xerces_resources(self.dir / "kg-jena-xerces-resources.jar")]
        self.classes = jvm.compile_driver("JenaBatch.java", self.classpath, self.dir)

    def run(self, commands: list[list[str]], *, timeout: float = 600) -> list[Result]:
        """Run each command (``["riot", "--count", "f.ttl"]``) in one JVM, in order."""
        work = Path(tempfile.mkdtemp(prefix="jena-batch-", dir=self.dir))
        lines = []
        for i, cmd in enumerate(commands):
            if any("\t" in a or "\n" in a for a in cmd):
                raise ValueError(f"an argument holds a tab or a newline: {cmd}")
            lines.append("\t".join([str(work / f"c{i}"), COMMANDS[cmd[0]], *cmd[1:]]))
        (work / "commands.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = jvm.run("JenaBatch", [*self.classpath, self.classes], [str(work / "commands.tsv")], timeout=timeout)
        codes = dict(line.rsplit("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
        return [Result(cmd, int(codes[str(work / f"c{i}")]), (work / f"c{i}.out").read_text(encoding="utf-8"),
                       (work / f"c{i}.err").read_text(encoding="utf-8")) for i, cmd in enumerate(commands)]
