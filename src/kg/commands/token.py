"""`kg token add|remove|list`: the curators' bearer tokens (only their hashes are stored)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..auth import ROLES, TokenFileError, add_token, remove_token

HELP = "Make, remove or list curators' bearer tokens (the file keeps only their SHA-256)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("add", "remove", "list"))
    p.add_argument("name", nargs="?", help="the curator's name (shown in the change log)")
    p.add_argument("--role", choices=ROLES, default="write", help="write (default), read, or admin (write plus mass deletions)")
    p.add_argument("--file", type=Path, default=Path("tokens.json"), help="tokens file (default: tokens.json)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            data = json.loads(args.file.read_text("utf-8")) if args.file.exists() else {"tokens": []}
            for t in data["tokens"]:
                print(f"{t['name']}\t{t['role']}")
            return 0
        if not args.name:
            print(f"kg token {args.action}: give the curator's name", file=sys.stderr)
            return 2
        if args.action == "remove":
            if not remove_token(args.file, args.name):
                print(f"kg token remove: no token for {args.name!r} in {args.file}", file=sys.stderr)
                return 1
            print(f"removed the token of {args.name}", file=sys.stderr)
            return 0
        token = add_token(args.file, args.name, args.role)
    except TokenFileError as exc:
        print(f"kg token: {exc}", file=sys.stderr)
        return 2
    print(f"{args.name} ({args.role}): keep this token, it is shown only once and stored only as a hash in {args.file}:",
          file=sys.stderr)
    print(token)
    return 0
