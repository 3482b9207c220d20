"""Writing a command's bytes to a file or to stdout, with one-line errors."""
from __future__ import annotations

import sys
from pathlib import Path


def write_output(data: bytes, out: Path | None, *, prog: str, what: str = "") -> int:
    """``data`` to ``out`` (stdout when None); the exit code: 0, or 2 with one line when unwritable."""
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"{prog}: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({len(data)} bytes{', ' + what if what else ''})", file=sys.stderr)
    return 0
