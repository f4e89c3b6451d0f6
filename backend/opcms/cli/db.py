"""The schema: ``opcms migrate`` and, for developers, ``opcms makemigrations``."""

from __future__ import annotations

import argparse
import asyncio
import warnings
from typing import Any

from opcms.cli.common import settings_or_exit


def cmd_migrate(args: argparse.Namespace) -> int:
    settings_or_exit()
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from opcms.core.db import config_from_settings

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
            print(f"  applied {app_label}.{name}", flush=True)

    async def run() -> None:
        try:
            await migrate(config=config_from_settings(), progress=progress)
        finally:
            await Tortoise.close_connections()

    with warnings.catch_warnings():
        # MySQL notes such as "table tortoise_migrations already exists" are not news
        warnings.simplefilter("ignore")
        asyncio.run(run())
    print(f"migrations: {len(applied)} applied" if applied else "migrations: already up to date", flush=True)
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Developer tool: write a migration for model changes (Tortoise's autodetector)."""
    settings_or_exit()
    from tortoise.cli.cli import run_cli_async

    if args.check:
        return asyncio.run(_pending_model_changes())
    argv = ["--config", "opcms.core.db.TORTOISE_ORM", "makemigrations"]
    if args.name:
        argv += ["--name", args.name]
    return asyncio.run(run_cli_async(argv))


async def _pending_model_changes() -> int:
    """Exit status 1 when the models differ from what the committed migrations build."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    from opcms.core.db import config_from_settings

    config = config_from_settings()
    async with tortoise_cli_context(config) as ctx:
        assert ctx.apps is not None, "the context has initialised the apps"
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    for writer in writers:
        print(f"pending: {writer.app_label}.{writer.name} — run `opcms makemigrations --name ...`")
    if not writers:
        print("models and migrations agree")
    return 1 if writers else 0


def add_commands(sub: Any) -> None:
    sub.add_parser("migrate", help="apply schema migrations").set_defaults(fn=cmd_migrate)
    mk = sub.add_parser("makemigrations", help="write a migration for model changes (developers)")
    mk.add_argument("--name")
    mk.add_argument("--check", action="store_true", help="exit 1 if models changed without a migration")
    mk.set_defaults(fn=cmd_makemigrations)
