"""What every command shares: the settings (a bad one stops the command with exit 2) and a
database opened for one coroutine."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from opcms.core.logging import configure_logging
from opcms.core.settings import Settings, SettingsError, get_settings


def settings_or_exit() -> Settings:
    try:
        settings = get_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def with_db(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    from opcms.core.db import close_db, init_db
    from opcms.wiring import wire

    # the domain code run here finds its callbacks, lookups and jobs (usage written from here
    # is flagged late when its period is invoiced: billing says which)
    wire()

    async def runner() -> Any:
        await init_db()
        try:
            return await fn(*args)
        finally:
            await close_db()

    return asyncio.run(runner())
