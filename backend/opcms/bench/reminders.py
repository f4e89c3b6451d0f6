"""``opcms bench reminders``: the daily overdue reminders job against its floor (issue 7).

On a throw-away database (OPCMS_DATABASE_URL must name one containing "bench"; MariaDB/MySQL or
SQLite): N customers, each with a contact e-mail and phone and an owner on WeCom (owners are
shared, as sales people are: one per 50 customers), each with one open invoice due 7 days
before the bench day, so stage +7 is due for every one of them; the three reminder templates
migration 0010 seeds are bound to an e-mail, an SMS (logging provider) and a WeCom application
channel. Everything is seeded with bulk inserts.

- the figure: ``reminders.service.send_overdue(stages=[-3, 1, 7, 15, 30], day=…)`` — per invoice
  one transaction with its ``invoice_reminder`` row and three rendered, audited ``pending``
  notifications, queued on the configured broker (``filesystem://`` in a temporary folder unless
  OPCMS_BROKER_URL says otherwise). Delivery is not measured: no worker runs, the rows stay
  pending. Afterwards exactly N reminders and 3N notifications must exist.
- ``rerun_s``: the job again the same day, which must create nothing.
- the floor: the same rows — N reminders and 3N notifications with text rendered beforehand —
  written with plain ``bulk_create`` in one transaction (after the job's rows are deleted).

The last line printed is one JSON object ``{"bench": "reminders", "value", "floor", "ratio",
"unit": "s", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.bench.common import figure, fresh_database
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.money import CENT
from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer, CustomerStatus, code_key, name_key
from opcms.notifications.models import (
    ChannelKind,
    InvoiceReminder,
    Notification,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
    Priority,
)
from opcms.notifications.templates import render
from opcms.reminders.service import recipients, reminder_variables, send_overdue
from opcms.settlement.models import Invoice, InvoiceStatus

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


async def _prerendered(day: dt.date) -> tuple[list[Any], list[Any]]:
    """The rows the job writes, built (and rendered) beforehand: what the floor inserts."""

    templates = {t.code: t for t in await NotificationTemplate.all()}
    channels = {c.id: c for c in await NotificationChannel.all()}
    reminders, notifications = [], []
    now = utcnow()
    invoices = await Invoice.all().select_related("customer", "customer__owner").order_by("id")
    for invoice in invoices:
        variables = reminder_variables(invoice, STAGE, day)
        reminders.append(InvoiceReminder(invoice_id=invoice.id, stage=STAGE, sent_on=day))
        for recipient in recipients(invoice):
            template = templates[recipient.template]
            title, content = render(template.title, template.body, variables, template.variables or [])
            notifications.append(
                Notification(
                    template_code=template.code,
                    channel_id=template.channel_id,
                    target=recipient.target,
                    title=title,
                    content=content,
                    priority=Priority.NORMAL,
                    status=NotificationStatus.PENDING,
                    max_attempts=channels[template.channel_id].max_attempts,
                    next_attempt_at=now,
                    subject_type="invoice",
                    subject_id=invoice.id,
                    created_by="bench",
                )
            )
    return reminders, notifications


async def _floor(day: dt.date) -> float:
    """Seconds to write the job's rows with plain bulk inserts (rendered beforehand), in one transaction."""

    reminders, notifications = await _prerendered(day)
    started = time.perf_counter()
    async with in_transaction():
        await InvoiceReminder.bulk_create(reminders, batch_size=BATCH)
        await Notification.bulk_create(notifications, batch_size=BATCH)
    return time.perf_counter() - started


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
    # the floor writes the same rows again: make room under the unique (invoice, stage) key
    await Notification.all().delete()
    await InvoiceReminder.all().delete()
    floor_s = await _floor(day)
    _check("the floor", count, *(await _counts()))
    rows = reminders + notifications
    return figure(
        "reminders",
        job_s,
        floor_s,
        unit="s",
        invoices=count,
        reminders=reminders,
        notifications=notifications,
        pending=pending,
        rows_per_s=round(rows / job_s),
        floor_rows_per_s=round(rows / floor_s) if floor_s else None,
        rerun_s=round(rerun_s, 3),
        counters=counters,
        rerun_counters=rerun_counters,
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
    rows = result["reminders"] + result["notifications"]
    print(
        f"floor (bulk_create of {result['reminders']:,} reminders + {result['notifications']:,} notifications "
        f"rendered beforehand, one transaction): {result['floor']:.2f} s, {result['floor_rows_per_s']:,} rows/s",
        flush=True,
    )
    print(
        f"send_overdue: {rows:,} rows ({result['pending']:,} notifications pending) in {result['value']:.2f} s, "
        f"{result['rows_per_s']:,} rows/s — {result['ratio']}× the floor; counters {result['counters']}",
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
