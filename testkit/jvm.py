"""Java tools from Debian's packages for the interoperability tests: their classpaths, small driver
programs in ``testkit/java`` compiled with javac at test time, and running them.

Why: Apache Jena (``libapache-jena-java``) and the OWL API (``libowlapi-java``) are the reference
tools people check RDF, SHACL and OWL with, and Debian ships them; Maven Central is not reachable
from our machines, so nothing is downloaded. A driver runs many checks in one JVM (a JVM start
costs 1-2 s). Compiled classes go to a cache directory under the temp dir, keyed by the source.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

__all__ = ["JARS_DIR", "SOURCES", "missing", "jars", "compile_driver", "run"]

JARS_DIR = Path("/usr/share/java")
SOURCES = Path(__file__).resolve().parent / "java"


def missing(names: list[str], package: str) -> str | None:
    """Why the Java tool cannot run here (no JDK, a jar missing), or None."""
    for tool in ("java", "javac"):
        if not shutil.which(tool):
            return f"{tool} is not installed (apt-get install default-jdk-headless)"
    absent = [n for n in names if not (JARS_DIR / n).exists()]
    return f"{JARS_DIR}/{absent[0]} is missing (apt-get install {package})" if absent else None


def jars(names: list[str]) -> list[Path]:
    return [JARS_DIR / n for n in names]


def compile_driver(source: str, classpath: list[Path], cache_dir: str | Path) -> Path:
    """Compile ``testkit/java/<source>`` against ``classpath`` once; returns the classes directory."""
    text = (SOURCES / source).read_bytes()
    key = hashlib.sha256(text + "\0".join(map(str, classpath)).encode()).hexdigest()[:12]
    out = Path(cache_dir) / f"kg-testkit-java-{Path(source).stem}-{key}"
    if not (out / (Path(source).stem + ".class")).exists():
        out.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["javac", "-nowarn", "-encoding", "UTF-8", "-cp", ":".join(map(str, classpath)),
                               "-d", str(out), str(SOURCES / source)], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"javac {source}: {done.stderr[-1500:]}")
    return out


def run(main: str, classpath: list[Path], args: list[str], *, timeout: float = 600) -> subprocess.CompletedProcess:
    """One JVM: ``java -cp CLASSPATH MAIN ARGS``; raises with the tail of stderr if it fails."""
    done = subprocess.run(["java", "-Xshare:auto", "-cp", ":".join(map(str, classpath)), main, *args],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"java {main}: exit {done.returncode}: {done.stderr[-2000:]}")
    return done
