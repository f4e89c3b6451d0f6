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
        # Turns at the pool, first come first served. The driver hands a connection that comes
        # free to whoever asks next, ahead of the tasks already waiting for one: under load a
        # waiting request could be passed over again and again (seconds, at the tail) while
        # newcomers were served at once.
        self._turns = asyncio.Semaphore(pool.maxsize)

    async def acquire(self) -> Connection:
        pool, turns = self._pool, self._turns
        if not turns.locked():
            # a connection is free for the asking, nobody waits before this task: no timer on
            # the common path (it would cost more than the checkout itself)
            await turns.acquire()
            return await self._checkout()
        deadline = asyncio.timeout(self._seconds)
        try:
            async with deadline:
                await turns.acquire()
                return await self._checkout()
        except TimeoutError:
            if not deadline.expired():  # the driver's own (a connect timeout): not ours to name
                raise
            raise DatabaseBusy(
                f"no database connection came free within {self._seconds:g}s "
                f"(pool of {pool.maxsize}, all busy)"
            ) from None

    async def _checkout(self) -> Connection:
        """The connection of a turn taken: the turn is given back if none comes."""
        try:
            return await self._pool.acquire()
        except BaseException:
            self._turns.release()
            raise

    async def release(self, conn: Connection) -> None:
        try:
            await self._pool.release(conn)
        finally:
            self._turns.release()

    def __getattr__(self, name: str) -> Any:
        # the rest (close, wait_closed, the free list Tortoise expires) is the pool's own
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
