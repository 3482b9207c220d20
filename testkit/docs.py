"""The code blocks of the docs that the tests run, so the import steps users read cannot drift.

A block is marked by an HTML comment on the line before its fence::

    <!-- tested: kuzu -->
    ```python
    ...
    ```

``snippet("kuzu")`` returns its text; the tests run it in a directory holding the dumps.
"""
from __future__ import annotations

import re
from pathlib import Path

__all__ = ["snippet", "EXPORTS_DOC"]

EXPORTS_DOC = Path(__file__).resolve().parents[1] / "docs" / "exports.md"
_BLOCK = re.compile(r"<!-- tested: (?P<name>[\w-]+) -->\n```\w*\n(?P<code>.*?)\n```", re.S)


def snippet(name: str, doc: Path = EXPORTS_DOC) -> str:
    """The code of the block marked ``<!-- tested: name -->`` in ``doc``."""
    for m in _BLOCK.finditer(doc.read_text(encoding="utf-8")):
        if m["name"] == name:
            return m["code"]
    raise LookupError(f"{doc.name} has no block marked <!-- tested: {name} -->")
