"""The demo notification channel (``opcms seed-demo``): an SMS channel on the logging provider,
bound to the customer SMS reminder, so a reminder is delivered end to end without any outside
service."""

from __future__ import annotations

import datetime as dt

from opcms.core.context import acting_as, system_actor
from opcms.demo.notifications import BOUND_TEMPLATE, DEMO_CHANNEL, seed_demo_channel
from opcms.notifications.delivery import deliver
from opcms.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
)
from opcms.reminders.service import send_overdue
from tests.backend.factories import make_customer, make_invoice
from tests.backend.factories_reminders import seed_templates


async def test_the_demo_sms_channel_is_seeded_once_and_delivers_a_reminder(db):
    # given the seeded templates and an overdue invoice of a customer with a phone only
    await seed_templates()
    customer = await make_customer(status="active", contact_phone="13912345678")
    invoice = await make_invoice(customer, due_date=dt.date(2026, 10, 10))
    # when the demo is seeded twice
    with acting_as(system_actor("seed-demo")):
        assert await seed_demo_channel() is True
        assert await seed_demo_channel() is False
    # then there is one channel, bound to the SMS reminder
    channel = await NotificationChannel.get(name=DEMO_CHANNEL)
    assert await NotificationChannel.all().count() == 1
    assert (await NotificationTemplate.get(code=BOUND_TEMPLATE)).channel_id == channel.id
    # when the reminders run a week after the due date and the message is delivered
    counters = await send_overdue(stages=[-3, 1, 7, 15, 30], day=dt.date(2026, 10, 17))
    message = await Notification.get(channel_id=channel.id, subject_id=invoice.id)
    await deliver(message.id)
    # then the +7 reminder went out by SMS to the contact, through the logging provider
    assert counters["notifications"] == 1
    message = await Notification.get(id=message.id)
    assert message.status == NotificationStatus.SENT and message.target == "13912345678"
    assert invoice.number in message.content
