"""Overdue reminders (issue 7 item 8): stages relative to the due date, each (invoice, stage)
sent at most once — twice the same day, or two runs at once, send nothing twice — to the
customer's contact (e-mail, SMS) and the owner (WeCom), rendered when created."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from pydantic import ValidationError

from opcms.auth.models import User
from opcms.core.context import acting_as, system_actor
from opcms.jobs.models import ExecutionStatus, TaskExecution
from opcms.jobs.recorder import run_execution
from opcms.notifications.models import InvoiceReminder, Notification, NotificationStatus, NotificationTemplate
from opcms.reminders.schemas import ReminderParameters
from opcms.reminders.service import JOB_NAME, send_overdue, stage_due
from opcms.settlement.models import InvoiceStatus
from tests.backend.factories import make_customer, make_invoice, make_user
from tests.backend.factories_reminders import (
    bind,
    bind_reminder_channels,
    make_channel,
    seed_templates,
)

DUE = dt.date(2026, 10, 10)
STAGES = [-3, 1, 7, 15, 30]


def on(days: int) -> dt.date:
    """The day ``days`` after the due date (negative: before it)."""
    return DUE + dt.timedelta(days=days)


async def remind(days: int, stages=STAGES) -> dict[str, int]:
    return await send_overdue(stages=stages, day=on(days))


async def sent_stages(invoice) -> list[int]:
    return sorted(await InvoiceReminder.filter(invoice_id=invoice.id).values_list("stage", flat=True))


async def customer_with_contacts(**extra):
    owner = await make_user("operator", display_name="王经理")
    await User.filter(id=owner.id).update(wecom_userid="wang.jl")
    return await make_customer(
        status="active",
        contact_name="李四",
        contact_email="ap@example.com",
        contact_phone="13912345678",
        owner_id=owner.id,
        **extra,
    )


# --- which stage, on which day (no database) ----------------------------------------------------
@pytest.mark.parametrize(
    ("days", "sent", "expected"),
    [
        (-4, [], None),  # no stage reached yet
        (-3, [], -3),
        (-1, [], -3),  # a run that missed day -3 still sends it before the due date
        (0, [], -3),  # due today: not overdue yet
        (0, [-3], None),
        (1, [-3], 1),  # overdue: the pre-due stage is over
        (1, [], 1),  # never a "due in 3 days" after the due date
        (6, [1], None),
        (7, [1], 7),
        (20, [], 15),  # catch-up: the latest stage reached, not 1, 7 and 15
        (20, [1], 15),
        (29, [15], None),
        (400, [], 30),
        (10, [15], None),  # a later stage was sent already (stages edited): nothing older
    ],
)
def test_the_stage_due_is_the_latest_reached_and_not_yet_sent(days, sent, expected):
    assert stage_due(DUE, on(days), STAGES, sent) == expected


def test_pre_due_stages_are_not_sent_once_the_invoice_is_overdue():
    # given only a pre-due stage and a late one, then between them nothing is due
    assert stage_due(DUE, on(2), [-3, 7], []) is None
    assert stage_due(DUE, on(0), [0, 7], []) == 0


def test_stages_are_days_within_a_year_each_once():
    assert ReminderParameters().stages == STAGES
    assert ReminderParameters(stages=[30, -3, 1]).stages == [-3, 1, 30]
    for bad in ([1, 1], [366], [-400], []):
        with pytest.raises(ValidationError):
            ReminderParameters(stages=bad)


# --- the job on a real database -----------------------------------------------------------------
async def test_each_stage_is_sent_on_its_day_once_to_contact_and_owner(db):
    # given an open invoice of a customer with e-mail, phone and an owner on WeCom, channels bound
    await bind_reminder_channels()
    customer = await customer_with_contacts()
    invoice = await make_invoice(customer, total="1234.50", paid="234.00", due_date=DUE)

    # when the job runs day after day around the due date
    assert (await remind(-4))["succeeded"] == 0
    first = await remind(-3)
    again = await remind(-3)

    # then stage -3 went out once, as three messages (e-mail, SMS, WeCom), and not again
    assert (first["succeeded"], first["notifications"]) == (1, 3)
    assert (again["processed"], again["succeeded"], again["notifications"]) == (0, 0, 0)
    rows = list(await Notification.filter(subject_type="invoice", subject_id=invoice.id).order_by("id"))
    assert [(n.template_code, n.target, n.status) for n in rows] == [
        ("reminder.customer_email", "ap@example.com", NotificationStatus.PENDING),
        ("reminder.customer_sms", "13912345678", NotificationStatus.PENDING),
        ("reminder.owner_wecom", "wang.jl", NotificationStatus.PENDING),
    ]
    # rendered now, with money as strings of 2 places and the days until due
    email = rows[0]
    assert invoice.number in email.title and "1000.50" in email.title
    assert "李四" in email.content and "1234.50" in email.content and "还有 3 天" in email.content
    assert "王经理" in email.content
    assert rows[0].created_by == f"system:{JOB_NAME}"

    # and then the later stages, each on its day, each once
    for days in (0, 1, 1, 2, 7, 7, 14, 15, 29, 30, 30, 31):
        await remind(days)
    assert await sent_stages(invoice) == STAGES
    assert await Notification.filter(subject_id=invoice.id).count() == 3 * len(STAGES)
    wecom = (
        await Notification.filter(subject_id=invoice.id, template_code="reminder.owner_wecom")
        .order_by("-id")
        .first()
    )
    assert "逾期 30 天" in wecom.content and "第 30 天档" in wecom.content
    assert [r.sent_on for r in await InvoiceReminder.filter(invoice_id=invoice.id).order_by("stage")] == [
        on(s) for s in STAGES
    ]


async def test_a_reminder_template_with_a_fallback_chain_carries_the_persons_other_addresses(db):
    # given the owner's WeCom template falling back to e-mail, the contact's e-mail to SMS
    channels = await bind_reminder_channels()
    owner_mail = await make_channel("email")
    owner_template = await NotificationTemplate.get(code="reminder.owner_wecom")
    owner_template.fallback_channel_ids = [owner_mail.id]
    contact_template = await NotificationTemplate.get(code="reminder.customer_email")
    contact_template.fallback_channel_ids = [channels["reminder.customer_sms"].id]
    with acting_as(system_actor("test")):
        await owner_template.save(update_fields=["fallback_channel_ids"])
        await contact_template.save(update_fields=["fallback_channel_ids"])
    customer = await customer_with_contacts()
    await User.filter(id=customer.owner_id).update(email="wang@opcms.test")
    invoice = await make_invoice(customer, total="100.00", due_date=DUE)
    # when the stage is sent
    assert (await remind(-3))["notifications"] == 3
    # then each message's route has the same person's address on the fallback channel
    rows = {n.template_code: n for n in await Notification.filter(subject_id=invoice.id)}
    assert rows["reminder.owner_wecom"].hops() == [
        (channels["reminder.owner_wecom"].id, "wang.jl"),
        (owner_mail.id, "wang@opcms.test"),
    ]
    assert rows["reminder.customer_email"].hops() == [
        (channels["reminder.customer_email"].id, "ap@example.com"),
        (channels["reminder.customer_sms"].id, "13912345678"),
    ]
    assert rows["reminder.customer_sms"].route is None  # its template names no chain


async def test_a_missed_week_sends_the_current_stage_only(db):
    # given an invoice nobody was reminded of (the job did not run for three weeks)
    await bind_reminder_channels()
    invoice = await make_invoice(await customer_with_contacts(), due_date=DUE)

    # when the job runs 20 days after the due date, and again the next days
    counters = await remind(20)
    await remind(21)
    await remind(22)

    # then only stage 15 was sent: one reminder, not a burst of 1, 7 and 15
    assert counters["succeeded"] == 1
    assert await sent_stages(invoice) == [15]
    assert await Notification.filter(subject_id=invoice.id).count() == 3


async def test_settled_void_and_not_yet_due_invoices_get_nothing(db):
    # given a settled, a void and a far-from-due invoice, and one partly paid
    await bind_reminder_channels()
    customer = await customer_with_contacts()
    settled = await make_invoice(customer, due_date=DUE, paid="1000.00")
    void = await make_invoice(customer, due_date=DUE, status=InvoiceStatus.VOID, live_period=None)
    later = await make_invoice(customer, due_date=on(40))
    part = await make_invoice(customer, due_date=DUE, paid="600.00")

    # when the job runs a week after the due date
    counters = await remind(7)

    # then only the partly paid one is reminded, of what is still outstanding
    assert counters["succeeded"] == 1
    assert [await sent_stages(i) for i in (settled, void, later, part)] == [[], [], [], [7]]
    email = await Notification.get(subject_id=part.id, template_code="reminder.customer_email")
    assert "400.00" in email.title


async def test_running_twice_at_once_sends_each_stage_once(db):
    # given ten open invoices due a week ago, channels bound
    await bind_reminder_channels()
    customer = await customer_with_contacts()
    invoices = [await make_invoice(customer, due_date=DUE) for _ in range(10)]

    # when two runs for the same day go at the same moment
    first, second = await asyncio.gather(remind(7), remind(7))

    # then every invoice got stage 7 once: three messages each, no more
    assert first["succeeded"] + second["succeeded"] == 10
    assert first["failed"] == second["failed"] == 0
    assert await InvoiceReminder.filter(invoice_id__in=[i.id for i in invoices]).count() == 10
    assert await Notification.filter(subject_type="invoice").count() == 30


async def test_a_message_without_a_channel_is_skipped_and_counted_not_an_error(db):
    # given the seeded templates without channels (as after installation)
    await seed_templates()
    invoice = await make_invoice(await customer_with_contacts(), due_date=DUE)

    # when the job runs as an execution
    async with run_execution(JOB_NAME, {"stages": STAGES, "day": on(1).isoformat()}) as run:
        await send_overdue(run, stages=STAGES, day=on(1))

    # then nothing was sent, each message counted skipped with a log line, and the stage not
    # marked sent (there was nobody it reached)
    execution = await TaskExecution.get(id=run.execution.id)
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.counters["skipped"] == 3 and execution.counters["notifications"] == 0
    assert "reminder.customer_sms: skipped" in execution.log_excerpt
    assert await sent_stages(invoice) == []
    assert await Notification.all().count() == 0

    # when the SMS channel is bound but disabled, and e-mail and WeCom are bound
    await bind("reminder.customer_email", await make_channel("email"))
    await bind("reminder.owner_wecom", await make_channel("wecom_app"))
    await bind("reminder.customer_sms", await make_channel("sms", enabled=False))
    counters = await remind(1)

    # then the stage is sent on the two that work and the SMS leg is skipped
    assert (counters["succeeded"], counters["notifications"], counters["skipped"]) == (1, 2, 1)
    assert await sent_stages(invoice) == [1]
    assert sorted(await Notification.all().values_list("template_code", flat=True)) == [
        "reminder.customer_email",
        "reminder.owner_wecom",
    ]


async def test_only_known_recipients_are_sent_to(db):
    # given a customer with an e-mail address only (no phone, no owner)
    await bind_reminder_channels()
    customer = await make_customer(status="active", contact_email="only@example.com")
    invoice = await make_invoice(customer, due_date=DUE)
    silent = await make_invoice(await make_customer(status="active"), due_date=DUE)

    # when the job runs on day 1
    counters = await remind(1)

    # then one e-mail; the customer without any contact gets nothing and is counted
    assert [n.target for n in await Notification.filter(subject_id=invoice.id)] == ["only@example.com"]
    assert counters["no_recipient"] == 1 and await sent_stages(silent) == []


async def test_a_broken_template_fails_the_stage_and_it_is_tried_again(db):
    # given a reminder template edited to use a variable the job does not give
    from opcms.notifications.models import NotificationTemplate

    await bind_reminder_channels()
    invoice = await make_invoice(await customer_with_contacts(), due_date=DUE)
    template = await NotificationTemplate.get(code="reminder.customer_sms")
    await NotificationTemplate.filter(id=template.id).update(body="{{ penalty }}", variables=["penalty"])

    # when the job runs, then the stage failed and nothing of it is kept
    counters = await remind(1)
    assert (counters["failed"], counters["succeeded"]) == (1, 0)
    assert await sent_stages(invoice) == [] and await Notification.all().count() == 0

    # when the template is repaired, the next run sends it
    await NotificationTemplate.filter(id=template.id).update(body=template.body, variables=template.variables)
    assert (await remind(1))["succeeded"] == 1


async def test_the_job_task_body_runs_with_resolved_parameters(db):
    # given the registered job and an invoice due in 3 days from today
    from opcms.core.settings import business_today
    from opcms.reminders.tasks import SPEC, send_overdue_reminders

    await bind_reminder_channels()
    today = business_today()
    invoice = await make_invoice(await customer_with_contacts(), due_date=today + dt.timedelta(days=3))
    resolved = SPEC.resolve(SPEC.parameters.model_validate({}))
    assert resolved == {"stages": STAGES, "day": today.isoformat()}

    # when the body runs as the worker runs it (parameters validated from the execution)
    params = SPEC.parameters.model_validate(resolved).model_dump()
    async with run_execution(JOB_NAME, resolved) as run:
        await send_overdue_reminders.body(run, **params)

    # then today's stage went out
    assert await sent_stages(invoice) == [-3]
    assert (await TaskExecution.get(id=run.execution.id)).counters["succeeded"] == 1


async def test_run_now_twice_the_same_day_sends_nothing_twice(db):
    # given an invoice at stage 7 today and the channels bound
    from opcms.core.settings import business_today
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    await bind_reminder_channels()
    today = business_today()
    invoice = await make_invoice(await customer_with_contacts(), due_date=today - dt.timedelta(days=7))

    # when the job is run twice in this process, as the CLI does, under the job's lock
    first = await jobs.run_now(JOB_NAME, {}, Trigger.CLI)
    second = await jobs.run_now(JOB_NAME, {}, Trigger.CLI)

    # then both succeeded, the first sent stage 7 (three messages), the second nothing
    assert first.status == second.status == ExecutionStatus.SUCCESS
    assert first.parameters == {"stages": STAGES, "day": today.isoformat()}
    assert (first.counters["succeeded"], first.counters["notifications"]) == (1, 3)
    assert (second.counters["succeeded"], second.counters["notifications"]) == (0, 0)
    assert await sent_stages(invoice) == [7] and await Notification.all().count() == 3
