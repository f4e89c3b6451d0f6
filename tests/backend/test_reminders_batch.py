"""Overdue reminders written a batch at a time (one transaction per batch of stages): the same
reminders, messages and audit rows as one stage at a time, each stage once per invoice — when a
stage of the batch was recorded meanwhile, and with several runs at once on MariaDB."""

from __future__ import annotations

import asyncio

import pytest

from opcms.core.audit import AuditLog
from opcms.customers.models import Customer
from opcms.notifications.models import InvoiceReminder, Notification, NotificationChannel, NotificationStatus
from opcms.reminders import service
from opcms.reminders.service import JOB_NAME, ReminderRun, send_overdue
from tests.backend.conftest import TEST_DATABASE_URL, is_mysql_url
from tests.backend.factories import make_customer, make_invoice
from tests.backend.factories_reminders import bind_reminder_channels
from tests.backend.test_reminders import DUE, STAGES, customer_with_contacts, on

TEMPLATES = ["reminder.customer_email", "reminder.customer_sms", "reminder.owner_wecom"]


async def open_invoices(count: int) -> list:
    """``count`` open invoices due on DUE, each of its own customer with e-mail, phone and owner."""
    return [await make_invoice(await customer_with_contacts(), due_date=DUE) for _ in range(count)]


async def messages_of(invoice) -> list[Notification]:
    return list(await Notification.filter(subject_type="invoice", subject_id=invoice.id).order_by("id"))


async def test_a_run_over_several_batches_writes_each_stage_its_messages_and_their_audit_rows(
    db, monkeypatch
):
    # given seven open invoices due a week ago (one without any contact), batches of three
    monkeypatch.setattr(service, "BATCH", 3)
    await bind_reminder_channels()
    invoices = await open_invoices(6)
    silent = await make_invoice(await make_customer(status="active"), due_date=DUE)
    channels = dict(await NotificationChannel.all().values_list("id", "name"))

    # when the job runs on day 7
    counters = await send_overdue(stages=STAGES, day=on(7))

    # then each invoice with contacts got stage 7 once, as three pending messages rendered for it
    assert counters == {
        "processed": 7,
        "succeeded": 6,
        "notifications": 18,
        "skipped": 0,
        "failed": 0,
        "already_sent": 0,
        "no_recipient": 1,
    }
    assert await InvoiceReminder.filter(invoice_id=silent.id).count() == 0
    for invoice in invoices:
        (reminder,) = await InvoiceReminder.filter(invoice_id=invoice.id)
        assert (reminder.stage, reminder.sent_on) == (7, on(7))
        messages = await messages_of(invoice)
        assert [m.template_code for m in messages] == TEMPLATES
        assert all(m.status == NotificationStatus.PENDING and m.attempts == 0 for m in messages)
        assert all(m.created_by == f"system:{JOB_NAME}" and m.next_attempt_at is not None for m in messages)
        assert invoice.number in messages[0].title
        # and each message has the one audit row send() writes, naming it
        for message in messages:
            (audit,) = await AuditLog.filter(entity_type="notification", entity_id=str(message.id))
            assert audit.action == "create" and audit.actor == f"system:{JOB_NAME}"
            assert audit.after == {
                "template_code": message.template_code,
                "channel": channels[message.channel_id],
                "target": message.target,
                "priority": "normal",
                "subject_type": "invoice",
                "subject_id": invoice.id,
            }

    # when it runs again the same day, then nothing more (the invoice without contact is looked
    # at again: a contact may have been added)
    again = await send_overdue(stages=STAGES, day=on(7))
    assert (again["processed"], again["no_recipient"], again["succeeded"], again["notifications"]) == (
        1,
        1,
        0,
        0,
    )
    assert await Notification.all().count() == 18
    assert await AuditLog.filter(entity_type="notification").count() == 18


async def test_a_stage_recorded_meanwhile_sends_the_rest_of_its_batch_and_nothing_twice(db, monkeypatch):
    # given four open invoices in one batch, and another run recording the third one's stage 7
    # after this run read the batch and before it writes it
    await bind_reminder_channels()
    invoices = await open_invoices(4)
    taken = invoices[2]
    prepare = ReminderRun.prepare

    async def prepare_then_the_other_run(self, invoice, stage):
        prepared = await prepare(self, invoice, stage)
        if invoice.id == taken.id:
            await InvoiceReminder.create(invoice_id=invoice.id, stage=stage, sent_on=self.day)
        return prepared

    monkeypatch.setattr(ReminderRun, "prepare", prepare_then_the_other_run)

    # when the job runs on day 7
    counters = await send_overdue(stages=STAGES, day=on(7))

    # then the batch was written stage by stage: the taken one counted already sent, sent by no
    # one here; the three others sent once each with their messages and audit rows
    assert (counters["succeeded"], counters["already_sent"], counters["failed"]) == (3, 1, 0)
    assert counters["notifications"] == 9
    assert await messages_of(taken) == []
    for invoice in invoices:
        assert await InvoiceReminder.filter(invoice_id=invoice.id, stage=7).count() == 1
        if invoice is not taken:
            assert [m.template_code for m in await messages_of(invoice)] == TEMPLATES
    assert await AuditLog.filter(entity_type="notification").count() == 9


@pytest.mark.skipif(not is_mysql_url(TEST_DATABASE_URL), reason="concurrent writers need MariaDB")
async def test_three_runs_at_once_over_overlapping_batches_send_each_stage_once(db, monkeypatch):
    # given twelve open invoices due a week ago, batches of five (three transactions a run)
    monkeypatch.setattr(service, "BATCH", 5)
    await bind_reminder_channels()
    invoices = await open_invoices(12)

    # when three runs for the same day go at the same moment, each on its own connections
    runs = await asyncio.gather(*(send_overdue(stages=STAGES, day=on(7)) for _ in range(3)))

    # then every invoice got stage 7 exactly once: one reminder, three messages, three audit rows
    assert sum(r["succeeded"] for r in runs) == 12
    assert sum(r["failed"] for r in runs) == 0
    assert sum(r["notifications"] for r in runs) == 36
    for invoice in invoices:
        assert await InvoiceReminder.filter(invoice_id=invoice.id).count() == 1
        assert [m.template_code for m in await messages_of(invoice)] == TEMPLATES
    assert await Notification.all().count() == 36
    assert await AuditLog.filter(entity_type="notification").count() == 36


async def test_a_stage_whose_messages_all_skip_is_not_recorded_and_its_batch_goes_on(db, monkeypatch):
    # given three invoices in one batch, the middle one's customer with an e-mail the channel
    # refuses and nothing else
    await bind_reminder_channels()
    first = await make_invoice(await customer_with_contacts(), due_date=DUE)
    customer = await make_customer(status="active", contact_email="ap@example.com")
    await Customer.filter(id=customer.id).update(contact_email="not-an-address")  # as an old import left it
    refused = await make_invoice(customer, due_date=DUE)
    last = await make_invoice(await customer_with_contacts(), due_date=DUE)

    # when the job runs on day 1
    counters = await send_overdue(stages=STAGES, day=on(1))

    # then the two others are sent, the refused one counted skipped and left for the next run
    assert (counters["succeeded"], counters["skipped"], counters["notifications"]) == (2, 1, 6)
    assert await InvoiceReminder.filter(invoice_id=refused.id).count() == 0
    assert [await InvoiceReminder.filter(invoice_id=i.id).count() for i in (first, last)] == [1, 1]
