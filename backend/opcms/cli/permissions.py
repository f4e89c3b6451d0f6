"""``opcms permissions``: the role → permission matrix (docs/permissions.md is its output)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcms.core.permissions import matrix_markdown


def cmd_permissions(args: argparse.Namespace) -> int:
    sys.stdout.write(matrix_markdown())
    return 0


def add_commands(sub: Any) -> None:
    perms = sub.add_parser("permissions", help="print the role → permission matrix")
    perms.add_argument("--markdown", action="store_true")
    perms.set_defaults(fn=cmd_permissions)
