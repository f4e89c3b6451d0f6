"""Overdue reminders (issue 7 item 8, DESIGN §9; docs/reminders.md).

Stages are days relative to an invoice's due date (default −3, +1, +7, +15, +30). On a given
business day an open invoice (unsettled or partly settled, so something is outstanding; never
a void one) has at most one stage to send, :func:`stage_due`:

- the *latest* stage reached: the greatest ``s`` with ``due_date + s ≤ day``;
- stages ``≤ 0`` (before or on the due date) only while the invoice is not overdue
  (``day ≤ due_date``): a "due in 3 days" message is never sent after the due date;
- nothing when that stage, or a later one, was sent already.

So a job that did not run for a week (or an invoice first seen 20 days overdue) sends the one
stage that is current — 15, not 1, 7 and 15 at once — and the stages it jumped over stay
unsent for good: a customer gets at most one reminder per invoice per day.

Each (invoice, stage) is sent in one transaction that first inserts its ``invoice_reminder``
row: the unique (invoice, stage) key makes a second run the same day, or a concurrent run,
find it sent (and do nothing). In the same transaction the notifications are created — to
the customer's contact by e-mail and by SMS, to the owner on WeCom — through
``notifications.service.send``. A message whose template has no channel (or a disabled one)
is skipped and counted; when *no* message could be created, the transaction is rolled back,
so the stage is tried again on the next run instead of being marked sent with nobody told.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.context import acting_as, system_actor
from opcms.core.errors import NotFound, ValidationFailed
from opcms.core.money import CENT
from opcms.core.settings import business_today
from opcms.notifications.delivery import queue_delivery
from opcms.notifications.errors import ChannelUnavailable, TemplateRenderError
from opcms.notifications.models import InvoiceReminder, Notification, Priority
from opcms.notifications.service import lookups_once, send
from opcms.settlement.models import Invoice
from opcms.settlement.queries import open_invoices

if TYPE_CHECKING:
    from opcms.customers.models import Customer

log = logging.getLogger("opcms.reminders")

JOB_NAME = "reminders.send_overdue"
CUSTOMER_EMAIL = "reminder.customer_email"
CUSTOMER_SMS = "reminder.customer_sms"
OWNER_WECOM = "reminder.owner_wecom"
BATCH = 500
COUNTERS = ("processed", "succeeded", "notifications", "skipped", "failed", "already_sent", "no_recipient")


def stage_due(due_date: dt.date, day: dt.date, stages: Iterable[int], sent: Iterable[int] = ()) -> int | None:
    """The stage to send for an invoice due on ``due_date`` on ``day``, or None (see the module)."""
    overdue = day > due_date
    reached = [s for s in stages if due_date + dt.timedelta(days=s) <= day and (s > 0) == overdue]
    if not reached:
        return None
    latest = max(reached)
    if any(s >= latest for s in sent):
        return None
    return latest


def money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(CENT))


def customer_of(invoice: Invoice) -> Customer:
    """The invoice's customer, loaded with it (settlement types it as a plain row: it imports no
    other domain)."""
    return cast("Customer", invoice.customer)


def reminder_variables(invoice: Invoice, stage: int, day: dt.date) -> dict[str, Any]:
    """What the reminder templates may use (money as strings with 2 places)."""
    customer = customer_of(invoice)
    owner = customer.owner
    return {
        "customer_name": invoice.company_name,
        "customer_code": invoice.customer_code,
        "contact_name": customer.contact_name or "",
        "invoice_number": invoice.number,
        "period": invoice.period,
        "currency": invoice.currency,
        "total": money(invoice.total),
        "outstanding": money(invoice.outstanding),
        "due_date": invoice.due_date.isoformat(),
        "days_overdue": max(0, (day - invoice.due_date).days),
        "days_until_due": max(0, (invoice.due_date - day).days),
        "stage": stage,
        "owner_name": (owner.display_name or owner.username) if owner is not None else "",
    }


@dataclass(frozen=True)
class Recipient:
    template: str
    target: str


def recipients(invoice: Invoice) -> list[Recipient]:
    """The customer's contact (e-mail, SMS) and the owner (WeCom), those that are known."""
    customer = customer_of(invoice)
    found = []
    if customer.contact_email:
        found.append(Recipient(CUSTOMER_EMAIL, customer.contact_email))
    if customer.contact_phone:
        found.append(Recipient(CUSTOMER_SMS, customer.contact_phone))
    owner = customer.owner
    if owner is not None and owner.is_active and owner.wecom_userid:
        found.append(Recipient(OWNER_WECOM, owner.wecom_userid))
    return found


class _Sink:
    """Counters and log lines nowhere (when called without an execution)."""

    def count(self, name: str, n: int = 1) -> None:
        pass

    def log(self, line: str) -> None:
        pass


class _AlreadySent(Exception):
    pass


class _NothingSent(Exception):
    pass


class ReminderRun:
    """One pass over the open invoices: counts, and says once per template why it skipped."""

    def __init__(self, run: Any, day: dt.date, stages: Sequence[int]) -> None:
        self.run = run or _Sink()
        self.day = day
        self.stages = list(stages)
        self.counters = {name: 0 for name in COUNTERS}
        self._reported: set[str] = set()

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def skip(self, template: str, error: Exception, invoice: Invoice) -> None:
        self.count("skipped")
        message = getattr(error, "message", str(error))
        if isinstance(error, (ChannelUnavailable, NotFound)):
            # a configuration gap: one line per template, not one per invoice
            if template in self._reported:
                return
            self._reported.add(template)
            line = f"{template}: skipped ({message})"
        else:  # a contact the channel refuses: finance fixes it on the customer
            line = f"{template} for invoice {invoice.number}: skipped ({message})"
        log.warning("reminders: %s", line)
        self.run.log(line)

    async def send_all(self) -> dict[str, int]:
        after = 0
        # an invoice can have a stage today only if its earliest stage is reached
        latest_due = self.day - dt.timedelta(days=min(self.stages))
        while True:
            batch = await (
                open_invoices(
                    id__gt=after,
                    due_date__lte=latest_due,
                    customer__is_deleted=False,
                )
                .select_related("customer", "customer__owner")
                .order_by("id")
                .limit(BATCH)
            )
            if not batch:
                break
            after = batch[-1].id
            sent: dict[int, list[int]] = {}
            for invoice_id, stage in await InvoiceReminder.filter(
                invoice_id__in=[i.id for i in batch]
            ).values_list("invoice_id", "stage"):
                sent.setdefault(invoice_id, []).append(stage)
            for invoice in batch:
                stage = stage_due(invoice.due_date, self.day, self.stages, sent.get(invoice.id, ()))
                if stage is not None:
                    await self.remind(invoice, stage)
        for name, value in self.counters.items():
            self.run.count(name, value)
        return dict(self.counters)

    async def remind(self, invoice: Invoice, stage: int) -> None:
        """Send one stage of one invoice: recorded and its notifications created, or neither."""
        self.count("processed")
        targets = recipients(invoice)
        if not targets:
            self.count("no_recipient")
            return
        variables = reminder_variables(invoice, stage, self.day)
        created: list[Notification] = []
        try:
            async with in_transaction():
                try:
                    await InvoiceReminder.create(invoice_id=invoice.id, stage=stage, sent_on=self.day)
                except IntegrityError:
                    raise _AlreadySent() from None
                for recipient in targets:
                    try:
                        # queued after the commit: a worker could not see the row before it
                        notification = await send(
                            recipient.template,
                            recipient.target,
                            variables,
                            Priority.NORMAL,
                            subject=("invoice", invoice.id),
                            queue=False,
                        )
                    except TemplateRenderError:
                        raise  # the template is broken: fail the stage, tried again once fixed
                    except (ChannelUnavailable, NotFound, ValidationFailed) as error:
                        # no (enabled) channel, no template, or a target the channel refuses:
                        # this message is not sent, the others are
                        self.skip(recipient.template, error, invoice)
                        continue
                    created.append(notification)
                if not created:
                    raise _NothingSent()
        except _AlreadySent:
            self.count("already_sent")  # another run got there first
        except _NothingSent:
            pass  # not recorded: tried again on the next run, when a channel may be bound
        except Exception as error:  # one invoice's problem must not stop the others
            log.exception("reminder of invoice %s stage %s failed", invoice.number, stage)
            self.count("failed")
            self.run.log(f"invoice {invoice.number} stage {stage}: {type(error).__name__}: {error}")
        else:
            self.count("succeeded")
            self.count("notifications", len(created))
            for notification in created:
                await queue_delivery(notification.id, priority=notification.priority)


async def send_overdue(
    run: Any = None, *, stages: Sequence[int], day: dt.date | None = None
) -> dict[str, int]:
    """Send the reminders due on ``day`` (business today); returns the counters."""
    # thousands of messages, three templates: each template and channel is read once per run
    with acting_as(system_actor(JOB_NAME)), lookups_once():
        return await ReminderRun(run, day or business_today(), stages).send_all()
