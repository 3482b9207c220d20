"""Outside JavaScript tools for the interoperability tests: Node.js runs the readers in ``testkit/js``
with the npm packages ``package.json`` pins (graphology-gexf, the GEXF reader of Gephi Lite and
Sigma.js) and with the cytoscape.js the site vendors.

Why: an export is proven by the tool people open it with, not by the library that wrote it
(networkx reads back what networkx wrote, and missed that Gephi saw a dynamic graph). The
packages are installed once per lock file with ``npm ci`` into a cache directory under the temp
dir, never into the repository.

Usage::

    from testkit import node
    reason = node.missing()            # None, or why the tools cannot run (no node/npm, no registry)
    tools = node.Tools(cache_dir)      # npm ci on first use (~2 s), then reused
    tools.read("read-gexf.js", "deepseek-kg.gexf")   # -> the reader's JSON output, parsed
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["JS_DIR", "Tools", "missing"]

JS_DIR = Path(__file__).resolve().parent / "js"


def missing() -> str | None:
    """Why the JavaScript tools cannot run here, or None."""
    for tool, package in (("node", "nodejs"), ("npm", "npm")):
        if not shutil.which(tool):
            return f"{tool} is not installed (apt-get install {package})"
    return None


class Tools:
    """The readers of ``testkit/js`` with their npm packages installed under ``cache_dir``."""

    def __init__(self, cache_dir: str | Path):
        lock = (JS_DIR / "package-lock.json").read_bytes()
        self.dir = Path(cache_dir) / f"kg-testkit-js-{hashlib.sha256(lock).hexdigest()[:12]}"
        if not (self.dir / "node_modules" / ".package-lock.json").exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(JS_DIR / name, self.dir / name)
            out = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=self.dir,
                                 capture_output=True, text=True, timeout=300)
            if out.returncode != 0:
                raise RuntimeError(f"npm ci failed: {(out.stderr or out.stdout)[-800:]}")

    def read(self, script: str, *args: str | Path) -> dict:
        """Run ``testkit/js/<script>`` with its packages and return its JSON output."""
        out = subprocess.run(["node", str(JS_DIR / script), *map(str, args)], capture_output=True,
                             timeout=120, env={**os.environ, "NODE_PATH": str(self.dir / "node_modules")})
        if out.returncode != 0:
            raise RuntimeError(f"node {script}: {out.stderr.decode(errors='replace')[-1500:]}")
        return json.loads(out.stdout)

