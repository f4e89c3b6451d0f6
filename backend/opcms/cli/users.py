"""Users: ``opcms createuser``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from opcms.cli.common import settings_or_exit, with_db
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import AppError

ROLES = ("admin", "finance", "operator", "auditor")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("passwords do not match")
    return first


def cmd_createuser(args: argparse.Namespace) -> int:
    settings_or_exit()
    from opcms.auth.schemas import UserCreate
    from opcms.auth.service import create_user
    from opcms.core.http import validate_model

    password = _read_password(args)

    async def run() -> int:
        with acting_as(system_actor("createuser")):
            data = validate_model(
                UserCreate,
                {
                    "username": args.username,
                    "role": args.role,
                    "password": password,
                    "display_name": args.display_name or "",
                },
            )
            user = await create_user(data)
        print(f"created user {user.username} ({user.role}), id {user.id}")
        return 0

    try:
        return with_db(run)
    except AppError as error:
        details = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in error.details)
        print(f"error: {error.message}{' (' + details + ')' if details else ''}", file=sys.stderr)
        return 1


def add_commands(sub: Any) -> None:
    cu = sub.add_parser("createuser", help="make a user")
    cu.add_argument("username")
    cu.add_argument("--role", required=True, choices=ROLES)
    cu.add_argument("--display-name")
    cu.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cu.set_defaults(fn=cmd_createuser)
