"""Telling a database outage from a bug.

An unreachable database (refused or reset connections, a server gone away or shutting down, too
many connections) is a condition the client can wait out, so it answers 503
``database_unavailable`` with ``Retry-After``; so is a database too busy to serve in time: every
pooled connection taken for longer than ``OPCMS_DB_BUSY_TIMEOUT_SECONDS`` (:class:`DatabaseBusy`),
or SQLite's write lock held by another connection that long ("database is locked"). A bad
statement, a constraint or a data error stays what it is (a 500 to fix, or a 409). Recovery needs
nothing from us: Tortoise keeps no pool when the first connection fails and asyncmy drops a dead
connection instead of returning it to the pool, so the next request simply connects again.
"""

from __future__ import annotations

import sqlite3

from asyncmy.errors import MySQLError as DriverError  # the MySQL driver Tortoise uses (a dependency)
from tortoise.exceptions import DBConnectionError
from tortoise.exceptions import OperationalError as ORMOperationalError

# MySQL/MariaDB error numbers that mean "no usable connection", client side (CR_*) and server
# side (ER_*); everything else (syntax 1064, unknown column 1054, deadlock 1213, duplicate key
# 1062, data too long 1406, ...) is about the statement, not the server's reachability.
CONNECTION_ERROR_NUMBERS = frozenset(
    {
        1040,  # ER_CON_COUNT_ERROR: too many connections
        1053,  # ER_SERVER_SHUTDOWN: shutdown in progress
        1077,  # ER_NORMAL_SHUTDOWN
        1152,  # ER_ABORTING_CONNECTION
        1158,  # ER_NET_READ_ERROR
        1159,  # ER_NET_READ_INTERRUPTED
        1160,  # ER_NET_ERROR_ON_WRITE
        1161,  # ER_NET_WRITE_INTERRUPTED
        1927,  # ER_CONNECTION_KILLED (MariaDB)
        2002,  # CR_CONNECTION_ERROR (socket)
        2003,  # CR_CONN_HOST_ERROR: refused or unreachable
        2006,  # CR_SERVER_GONE_ERROR
        2013,  # CR_SERVER_LOST
        2055,  # CR_SERVER_LOST_EXTENDED
    }
)

RETRY_AFTER_SECONDS = 5


class DatabaseBusy(DBConnectionError):
    """No pooled connection came free within the wait the settings allow: every connection is
    held by other work (long statements, locks), and this request gives up instead of queueing
    for as long as they last."""


def _sqlite_busy(error: sqlite3.Error) -> bool:
    # SQLITE_BUSY and its extended codes (the low byte): another connection held the write lock
    # past the busy timeout, or took it first while this one read (BUSY_SNAPSHOT); either is over
    # once that writer commits
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


def _error_number(error: BaseException) -> int | None:
    number = error.args[0] if error.args else None
    return number if isinstance(number, int) else None


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached or is too busy to serve in time (not
    that a statement is wrong).

    Tortoise turns a failed first connection into ``DBConnectionError`` and wraps driver errors in
    its ``OperationalError`` (the driver's error as the first argument); a connection taken for a
    transaction is acquired outside that wrapping, so the driver's own error arrives bare. SQLite's
    errors come wrapped the same way. Only database errors are followed, so a broker or HTTP failure
    is never taken for a database outage.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen or len(seen) > 8:
            continue
        seen.add(id(current))
        if isinstance(current, DBConnectionError):
            return True
        if isinstance(current, DriverError):
            if _error_number(current) in CONNECTION_ERROR_NUMBERS:
                return True
        elif isinstance(current, sqlite3.OperationalError):
            if _sqlite_busy(current):
                return True
        elif not isinstance(current, ORMOperationalError):
            continue
        inner = [current.__cause__, current.__context__, *(a for a in current.args[:1])]
        pending += [e for e in inner if isinstance(e, BaseException)]
    return False
