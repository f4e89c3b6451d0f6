"""``opcms bench reminders``: the daily overdue reminders job against its floor (issue 7).

On a throw-away database (OPCMS_DATABASE_URL must name one containing "bench"; MariaDB/MySQL or
SQLite): N customers, each with a contact e-mail and phone and an owner on WeCom (owners are
shared, as sales people are: one per 50 customers), each with one open invoice due 7 days
before the bench day, so stage +7 is due for every one of them; the three reminder templates
migration 0010 seeds are bound to an e-mail, an SMS (logging provider) and a WeCom application
channel. Everything is seeded with bulk inserts.

- the figure: ``reminders.service.send_overdue(stages=[-3, 1, 7, 15, 30], day=…)`` — the
  stages written a batch at a time, one transaction per batch: their ``invoice_reminder`` rows,
  three rendered ``pending`` notifications each and an audit row per notification, the
  messages queued on the configured broker after each commit (``filesystem://`` in a
  temporary folder unless OPCMS_BROKER_URL says otherwise). Delivery is not measured: no
  worker runs, the rows stay pending. Afterwards exactly N reminders, 3N notifications and 3N
  audit rows must exist.
- ``rerun_s``: the job again the same day, which must create nothing.
- the honest floor: the same physical work by the cheapest known means — the job's own rows
  (read back, every column as stored: text rendered, ids known; then deleted) written again
  with multi-row INSERTs in as many transactions as the job used, each transaction's messages
  then handed to the broker (one ``apply_async`` each, as the job must); timed twice, the
  better counts. Its two parts are reported under ``lines``.

Target: ≤ 5× the floor. The last line printed is one JSON object ``{"bench": "reminders", "value", "floor", "ratio",
"unit": "s", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.bench.common import figure, fresh_database
from opcms.core.context import acting_as, system_actor
from opcms.core.db import param_mark
from opcms.core.money import CENT
from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer, CustomerStatus, code_key, name_key
from opcms.notifications.delivery import CELERY_PRIORITY
from opcms.notifications.models import (
    ChannelKind,
    InvoiceReminder,
    Notification,
    NotificationChannel,
    NotificationTemplate,
    Priority,
)
from opcms.reminders.service import BATCH as REMINDER_BATCH
from opcms.reminders.service import send_overdue
from opcms.settlement.models import Invoice, InvoiceStatus

TARGET_RATIO = 5.0
BATCH_PER_TRANSACTION = REMINDER_BATCH  # the stages the job writes in one transaction
STAGES = [-3, 1, 7, 15, 30]
STAGE = 7  # due date = bench day − 7: the stage every seeded invoice is due for
CUSTOMERS_PER_OWNER = 50
BATCH = 2000
CHANNELS = (
    # template code, channel name, kind, settings (no outside server is called: nothing is delivered)
    (
        "reminder.customer_email",
        "bench-email",
        "email",
        {"host": "127.0.0.1", "port": 2525, "from_address": "billing@opcms.test"},
    ),
    ("reminder.customer_sms", "bench-sms-log", "sms", {"provider": "logging"}),
    ("reminder.owner_wecom", "bench-wecom-app", "wecom_app", {"corp_id": "ww-bench", "agent_id": 1000002}),
)


async def seed(count: int, day: dt.date) -> None:
    """N customers with contacts and owners, one open invoice each due ``day`` − 7, and the
    reminder templates bound to three channels. Expects the templates of migration 0010."""

    with acting_as(system_actor("bench")):
        for code, name, kind, settings in CHANNELS:
            channel = await NotificationChannel.create(name=name, kind=ChannelKind(kind), settings=settings)
            updated = await NotificationTemplate.filter(code=code).update(channel_id=channel.id)
            if not updated:
                raise SystemExit(f"opcms bench reminders: template {code!r} (migration 0010) is missing")
    owners = max(1, -(-count // CUSTOMERS_PER_OWNER))
    await User.bulk_create(
        [
            User(
                username=f"bench-owner-{n}",
                display_name=f"客户经理{n}",
                role="operator",
                password_hash="!",
                wecom_userid=f"bench.owner{n}",
                created_by="bench",
                updated_by="bench",
            )
            for n in range(owners)
        ],
        batch_size=BATCH,
    )
    owner_ids = list(
        await User.filter(username__startswith="bench-owner-").order_by("id").values_list("id", flat=True)
    )
    customers = []
    for n in range(count):
        code, company = f"BR{n:07d}", f"提醒基准客户{n}有限公司"
        customers.append(
            Customer(
                customer_code=code,
                company_name=company,
                code_key=code_key(code),
                name_key=name_key(company),
                status=CustomerStatus.ACTIVE,
                owner_id=owner_ids[n % owners],
                contact_name=f"联系人{n}",
                contact_email=f"ap{n}@customer{n}.example.com",
                contact_phone=f"139{n:08d}",
                created_by="bench",
                updated_by="bench",
            )
        )
    await Customer.bulk_create(customers, batch_size=BATCH)
    due = day - dt.timedelta(days=STAGE)
    period = f"{due.year:04d}-{due.month:02d}"
    invoices = []
    for n, (customer_id, customer_code, company_name) in enumerate(
        await Customer.filter(customer_code__startswith="BR")
        .order_by("id")
        .values_list("id", "customer_code", "company_name")
    ):
        total = Decimal(1000 + n % 9000) + Decimal(n % 100) / 100
        # every fourth one partly paid: the reminder states what is still outstanding
        outstanding = total if n % 4 else (total / 2).quantize(CENT)
        invoices.append(
            Invoice(
                number=f"INV-{period.replace('-', '')}-{n + 1:06d}",
                customer_id=customer_id,
                period=period,
                live_period=period,
                issue_date=due - dt.timedelta(days=30),
                due_date=due,
                customer_code=customer_code,
                company_name=company_name,
                subtotal=total,
                total=total,
                paid_amount=total - outstanding,
                outstanding=outstanding,
                status=InvoiceStatus.UNSETTLED if n % 4 else InvoiceStatus.PARTIALLY_SETTLED,
                created_by="bench",
                updated_by="bench",
            )
        )
    await Invoice.bulk_create(invoices, batch_size=BATCH)


async def _counts() -> tuple[int, int]:
    return await InvoiceReminder.all().count(), await Notification.all().count()


@dataclass
class JobRows:
    """What the job wrote, as the database holds it (every column): the floor writes it again."""

    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # table: (columns, rows)

    def count(self, table: str) -> int:
        return len(self.tables[table][1])


TABLES = ("invoice_reminder", "notification", "audit_log")
_WHERE = {"audit_log": "WHERE entity_type = 'notification'"}


async def _job_rows() -> JobRows:
    conn = connections.get("default")
    tables = {}
    for table in TABLES:
        rows = await conn.execute_query_dict(f"SELECT * FROM `{table}` {_WHERE.get(table, '')} ORDER BY id")
        columns = list(rows[0]) if rows else []
        tables[table] = (columns, [tuple(row[c] for c in columns) for row in rows])
    return JobRows(tables)


async def _delete_job_rows() -> None:
    conn = connections.get("default")
    for table in TABLES:
        await conn.execute_query(f"DELETE FROM `{table}` {_WHERE.get(table, '')}")


def _batches(rows: JobRows, per_transaction: int) -> list[dict[str, list[tuple[Any, ...]]]]:
    """The rows split as the job writes them: ``per_transaction`` reminders a transaction,
    with their notifications and the notifications' audit rows."""
    r_columns, reminders = rows.tables["invoice_reminder"]
    n_columns, notifications = rows.tables["notification"]
    a_columns, audits = rows.tables["audit_log"]
    invoice_of = r_columns.index("invoice_id")
    subject_of = n_columns.index("subject_id")
    notification_id = n_columns.index("id")
    entity_of = a_columns.index("entity_id")
    messages: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in notifications:
        messages[row[subject_of]].append(row)
    audited: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in audits:
        audited[str(row[entity_of])].append(row)
    batches = []
    for first in range(0, len(reminders), per_transaction):
        part = reminders[first : first + per_transaction]
        sent = [m for r in part for m in messages[r[invoice_of]]]
        batches.append(
            {
                "invoice_reminder": part,
                "notification": sent,
                "audit_log": [a for m in sent for a in audited[str(m[notification_id])]],
            }
        )
    return batches


def _publish(notification_ids: list[int]) -> None:
    from opcms.notifications.tasks import deliver_task

    for notification_id in notification_ids:
        deliver_task.apply_async((notification_id,), priority=CELERY_PRIORITY[Priority.NORMAL])


async def _floor(rows: JobRows, per_transaction: int) -> tuple[float, float, int]:
    """The job's rows written again by the cheapest known means — multi-row INSERTs of every
    column as stored (text rendered, ids known), in as many transactions as the job used — and
    each message handed to the broker once its transaction committed, as the job does; answers
    (seconds in all, seconds of them in the broker, transactions)."""
    mark = param_mark()
    statements = {
        table: (
            f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in rows.tables[table][0])}) "
            f"VALUES ({', '.join([mark] * len(rows.tables[table][0]))})"
        )
        for table in TABLES
    }
    batches = _batches(rows, per_transaction)
    n_columns = rows.tables["notification"][0]
    notification_id = n_columns.index("id")
    queued = 0.0
    started = time.perf_counter()
    for batch in batches:
        async with in_transaction() as conn:
            for table in TABLES:
                if batch[table]:
                    await conn.execute_many(statements[table], [list(row) for row in batch[table]])
        publishing = time.perf_counter()
        await asyncio.to_thread(_publish, [m[notification_id] for m in batch["notification"]])
        queued += time.perf_counter() - publishing
    return time.perf_counter() - started, queued, len(batches)


def _check(what: str, count: int, reminders: int, notifications: int) -> None:
    if (reminders, notifications) != (count, 3 * count):
        raise SystemExit(
            f"opcms bench reminders: after {what} {reminders:,} reminders and {notifications:,} "
            f"notifications exist, expected {count:,} and {3 * count:,}"
        )


async def measure(count: int, day: dt.date) -> dict[str, Any]:
    """Time the job, its re-run and the floor on a database seeded by :func:`seed` (and holding
    no other reminders or notifications); fails loudly when the rows are not exactly N and 3N."""

    if await _counts() != (0, 0):
        raise SystemExit("opcms bench reminders: the database already holds reminders or notifications")
    started = time.perf_counter()
    counters = await send_overdue(stages=STAGES, day=day)
    job_s = time.perf_counter() - started
    reminders, notifications = await _counts()
    _check("the job", count, reminders, notifications)
    started = time.perf_counter()
    rerun_counters = await send_overdue(stages=STAGES, day=day)
    rerun_s = time.perf_counter() - started
    if (
        await _counts() != (reminders, notifications)
        or rerun_counters["succeeded"]
        or rerun_counters["notifications"]
    ):
        raise SystemExit(
            f"opcms bench reminders: the second run the same day created something: {rerun_counters}"
        )
    pending = await Notification.filter(status="pending").count()
    written = await _job_rows()
    audits = written.count("audit_log")
    if audits != notifications:
        raise SystemExit(f"opcms bench reminders: {audits:,} audit rows for {notifications:,} notifications")
    # the floor writes the same rows again: make room under the unique (invoice, stage) key;
    # timed twice, the better counts (the broker's part is as noisy as the job's)
    floor_s, floor_queue_s, transactions = float("inf"), 0.0, 0
    for _ in range(2):
        await _delete_job_rows()
        took, queue_s, transactions = await _floor(written, BATCH_PER_TRANSACTION)
        if took < floor_s:
            floor_s, floor_queue_s = took, queue_s
    _check("the floor", count, *(await _counts()))
    rows = reminders + notifications + audits
    ratio = job_s / floor_s if floor_s else float("inf")
    floor_db_s = floor_s - floor_queue_s
    return figure(
        "reminders",
        job_s,
        floor_s,
        unit="s",
        target=f"≤ {TARGET_RATIO:g}×",
        meets=ratio <= TARGET_RATIO,
        invoices=count,
        reminders=reminders,
        notifications=notifications,
        audit_rows=audits,
        transactions=transactions,
        pending=pending,
        rows_per_s=round(rows / job_s),
        floor_rows_per_s=round(rows / floor_s) if floor_s else None,
        # beside the ratio: the job against the database part of the floor alone
        ratio_to_rows=round(job_s / floor_db_s, 3) if floor_db_s else None,
        rerun_s=round(rerun_s, 3),
        counters=counters,
        rerun_counters=rerun_counters,
        lines=[
            {"label": "floor part: the rows in the database", "value": round(floor_db_s, 3), "unit": "s"},
            {
                "label": "floor part: the messages to the broker",
                "value": round(floor_queue_s, 3),
                "unit": "s",
            },
        ],
    )


async def run_bench(count: int) -> dict[str, Any]:
    settings = get_settings()
    await fresh_database(settings, "reminders")
    day = business_today()
    try:
        seeded = time.perf_counter()
        await seed(count, day)
        print(
            f"reminders bench: {count:,} customers × one open invoice due {day - dt.timedelta(days=STAGE)} "
            f"(stage +{STAGE} on {day}), e-mail + SMS + WeCom each (seeded in {time.perf_counter() - seeded:.1f} s; "
            f"{settings.database_url.split('://')[0]}, broker {settings.broker_url.split('://')[0]})",
            flush=True,
        )
        result = await measure(count, day)
    finally:
        await Tortoise.close_connections()
    rows = result["reminders"] + result["notifications"] + result["audit_rows"]
    db_s, queue_s = (line["value"] for line in result["lines"])
    print(
        f"floor (multi-row INSERTs of the job's {result['reminders']:,} reminders, {result['notifications']:,} "
        f"notifications and {result['audit_rows']:,} audit rows, text rendered beforehand, in "
        f"{result['transactions']} transactions as the job; each message then handed to the broker): "
        f"{result['floor']:.2f} s ({db_s:.2f} s in the database, {queue_s:.2f} s to the broker), "
        f"{result['floor_rows_per_s']:,} rows/s; the job is {result['ratio_to_rows']}× the database part alone",
        flush=True,
    )
    print(
        f"send_overdue: {rows:,} rows ({result['pending']:,} notifications pending) in {result['value']:.2f} s, "
        f"{result['rows_per_s']:,} rows/s — {result['ratio']}× the floor (target {result['target']}: "
        f"{'meets' if result['meets'] else 'MISSES'}); counters {result['counters']}",
        flush=True,
    )
    print(
        f"second run the same day: {result['rerun_s']:.2f} s, nothing created ({result['rerun_counters']})",
        flush=True,
    )
    return result


def main(count: int) -> int:
    result = asyncio.run(run_bench(count))
    print(json.dumps(result), flush=True)
    return 0
