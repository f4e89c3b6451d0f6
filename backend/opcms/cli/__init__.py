"""The ``opcms`` command line (also ``python -m opcms``): one module per command group.

A command imports the domain code it runs when it runs (Sanic, Celery, Tortoise and the
domains take seconds to load), so ``opcms run``, ``price`` or ``permissions`` start at once.
"""

from __future__ import annotations

import argparse

from opcms.cli import bench, db, demo, imports, jobs, permissions, pricing, processes, users
from opcms.core.i18n import EN, set_default_language

# in the order ``opcms --help`` lists them
GROUPS = (processes, db, users, demo, imports, pricing, jobs, bench, permissions)
#: the long-running processes (processes.py)
SERVERS = frozenset({"run", "api", "worker", "beat"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opcms", description="OP-CMS command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command not in SERVERS:
        # a command's output is for the operator at the terminal: English. The API answers each
        # request in the language it asks for; the processes keep the product's default (Chinese)
        # for what they write outside requests
        set_default_language(EN)
    raise SystemExit(args.fn(args))
