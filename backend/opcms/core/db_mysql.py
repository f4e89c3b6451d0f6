"""The MySQL engine of the ``default`` connection: Tortoise's own client, but a request waits a
bounded time for a pooled connection.

Tortoise takes a connection with ``pool.acquire()``, which waits as long as every connection of
the pool stays busy (long statements, rows locked by another session): a request would queue for
minutes, holding the client's socket. Here a connection that does not come free within
``OPCMS_DB_BUSY_TIMEOUT_SECONDS`` is :class:`~opcms.core.outages.DatabaseBusy`, which the API
answers 503 ``database_unavailable`` with Retry-After.

Named as an engine module (``client_class``) so Tortoise builds this client from the config, in
every process and on every event loop it opens one for. The module's name holds "mysql": that
is how Tortoise's migrations pick the MySQL schema editor for a client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asyncmy.connection import Connection
from asyncmy.pool import Pool
from tortoise.backends.mysql.client import MySQLClient

from opcms.core.outages import DatabaseBusy

DEFAULT_WAIT_SECONDS = 5.0


class WaitingPool:
    """The driver's pool, except that a connection is waited for at most ``seconds``."""

    def __init__(self, pool: Pool, seconds: float) -> None:
        self._pool = pool
        self._seconds = seconds

    async def acquire(self) -> Connection:
        pool = self._pool
        if pool.freesize and not pool.cond.locked():
            # a free connection is handed over at once: no timer on the common path (it would
            # cost more than the checkout itself)
            return await pool.acquire()
        deadline = asyncio.timeout(self._seconds)
        try:
            async with deadline:
                return await pool.acquire()
        except TimeoutError:
            if not deadline.expired():  # the driver's own (a connect timeout): not ours to name
                raise
            raise DatabaseBusy(
                f"no database connection came free within {self._seconds:g}s "
                f"(pool of {pool.maxsize}, all busy)"
            ) from None

    def __getattr__(self, name: str) -> Any:
        # the rest (release, close, wait_closed, the free list Tortoise expires) is the pool's own
        return getattr(self._pool, name)


class WaitingMySQLClient(MySQLClient):
    """Tortoise's MySQL client whose pool waits at most ``pool_wait_seconds`` for a connection."""

    def __init__(self, *, pool_wait_seconds: float = DEFAULT_WAIT_SECONDS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_wait_seconds = float(pool_wait_seconds)

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._pool is not None and not isinstance(self._pool, WaitingPool):
            # stands in for the driver's pool: the same methods, acquire bounded
            self._pool = WaitingPool(self._pool, self.pool_wait_seconds)  # type: ignore[assignment]


client_class = WaitingMySQLClient
