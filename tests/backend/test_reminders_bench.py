"""``opcms bench reminders`` at a tiny size: its seed, its measurement and its JSON line. The
bench itself drops its database, so it refuses the test database; the test runs the seed and
the measuring function on the test database instead."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opcms.bench import reminders as bench
from opcms.bench.common import check_database_url
from opcms.notifications.models import InvoiceReminder, Notification, NotificationStatus
from tests.backend.factories_reminders import seed_templates

DAY = dt.date(2026, 11, 24)
INVOICES = 20


async def test_the_bench_sends_each_invoice_its_reminder_once_and_reports_one_json_line(db):
    # given the seeded templates and the bench's customers, each with one invoice due 7 days ago
    await seed_templates()
    await bench.seed(INVOICES, DAY)

    # when the job, its re-run and the floor are measured
    result = await bench.measure(INVOICES, DAY)

    # then the JSON line carries the figure, the floor and their ratio in seconds
    line = json.loads(json.dumps(result))
    assert line["bench"] == "reminders" and line["unit"] == "s"
    assert line["value"] > 0 and line["floor"] > 0
    assert line["ratio"] == pytest.approx(line["value"] / line["floor"], rel=0.05)
    assert line["rerun_s"] > 0 and line["rows_per_s"] > 0
    # and the job really sent stage +7 of every invoice: one reminder, three pending messages each
    assert (
        line["reminders"] == INVOICES
        and line["notifications"] == 3 * INVOICES
        and line["pending"] == 3 * INVOICES
    )
    assert line["counters"]["succeeded"] == INVOICES and line["counters"]["notifications"] == 3 * INVOICES
    assert line["counters"]["skipped"] == line["counters"]["failed"] == 0
    # and the second run the same day created nothing
    assert line["rerun_counters"]["processed"] == 0 and line["rerun_counters"]["notifications"] == 0
    # and the rows left (the floor's) are the same rows: N reminders of stage 7, 3N pending messages
    assert await InvoiceReminder.filter(stage=7, sent_on=DAY).count() == INVOICES
    by_template = {}
    for code in await Notification.filter(status=NotificationStatus.PENDING).values_list(
        "template_code", flat=True
    ):
        by_template[code] = by_template.get(code, 0) + 1
    assert by_template == {
        "reminder.customer_email": INVOICES,
        "reminder.customer_sms": INVOICES,
        "reminder.owner_wecom": INVOICES,
    }


async def test_the_bench_fails_loudly_when_the_job_does_not_send_every_reminder(db):
    # given the bench's customers but the SMS template bound to no channel
    await seed_templates()
    await bench.seed(INVOICES, DAY)
    from opcms.notifications.models import NotificationTemplate

    await NotificationTemplate.filter(code="reminder.customer_sms").update(channel_id=None)

    # when measured, then it refuses to report a figure for 2N messages instead of 3N
    with pytest.raises(SystemExit, match="expected 20 and 60"):
        await bench.measure(INVOICES, DAY)


def test_the_bench_refuses_a_database_whose_name_lacks_bench():
    # the bench drops and re-creates its database: only a throw-away one
    with pytest.raises(SystemExit, match="contains 'bench'"):
        check_database_url("mysql://root@127.0.0.1:3306/opcms", "reminders")
    assert check_database_url("sqlite:////tmp/opcms_bench_rem.sqlite3", "reminders")
