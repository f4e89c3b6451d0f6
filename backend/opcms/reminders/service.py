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

The open invoices are read :data:`BATCH` at a time. Each stage due is prepared first — its
messages rendered and checked, to the customer's contact by e-mail and by SMS, to the owner
on WeCom (``notifications.service.prepare``, as ``send`` does) — and then the batch's stages
are written in one transaction, in multi-row statements: first their ``invoice_reminder``
rows, then the ``pending`` notifications and an audit row for each (what ``send`` writes).
The unique (invoice, stage) key decides who sends a stage: when a concurrent run recorded one
of the batch first, the statement fails, nothing of the batch is kept, and each stage is then
written in its own transaction, where the one already recorded counts ``already_sent`` and
the others are sent — so a second run the same day, or a concurrent one, sends nothing twice.
The messages are queued after the commit. A message whose template has no channel (or a
disabled one) is skipped and counted; when *no* message could be created, the stage is not
recorded, so it is tried again on the next run instead of being marked sent with nobody told.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.audit import AuditAction, AuditLog
from opcms.core.context import acting_as, current_actor, current_client_ip, current_request_id, system_actor
from opcms.core.db import insert_rows
from opcms.core.errors import NotFound, ValidationFailed
from opcms.core.models import read_only_rows, utcnow
from opcms.core.money import CENT
from opcms.core.secrets import without_url_credentials
from opcms.core.settings import business_today
from opcms.notifications.delivery import queue_deliveries
from opcms.notifications.errors import ChannelUnavailable, TemplateRenderError
from opcms.notifications.models import InvoiceReminder, Notification, NotificationStatus, Priority
from opcms.notifications.service import AUDIT_ENTITY, Prepared, lookups_once, prepare, usable_targets
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
    # the same person's targets on other kinds of channel, for a template with a fallback chain
    targets: dict[str, str] = field(default_factory=dict)


def recipients(invoice: Invoice) -> list[Recipient]:
    """The customer's contact (e-mail, SMS) and the owner (WeCom), those that are known; each
    with the person's other addresses, should the template fail over to another kind of channel."""
    customer = customer_of(invoice)
    found = []
    contact = usable_targets({"email": customer.contact_email, "sms": customer.contact_phone})
    if customer.contact_email:
        found.append(Recipient(CUSTOMER_EMAIL, customer.contact_email, contact))
    if customer.contact_phone:
        found.append(Recipient(CUSTOMER_SMS, customer.contact_phone, contact))
    owner = customer.owner
    if owner is not None and owner.is_active and owner.wecom_userid:
        found.append(Recipient(OWNER_WECOM, owner.wecom_userid, usable_targets({"email": owner.email})))
    return found


class _Sink:
    """Counters and log lines nowhere (when called without an execution)."""

    def count(self, name: str, n: int = 1) -> None:
        pass

    def log(self, line: str) -> None:
        pass


@dataclass
class _Stage:
    """One (invoice, stage) ready to be written: its messages rendered and checked, and the
    messages skipped on the way (counted once its fate is known)."""

    invoice: Invoice
    stage: int
    messages: list[Prepared]
    skips: list[tuple[str, Exception]]


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

    def _failed(self, invoice: Invoice, stage: int, error: Exception) -> None:
        log.error("reminder of invoice %s stage %s failed", invoice.number, stage, exc_info=error)
        self.count("failed")
        self.run.log(f"invoice {invoice.number} stage {stage}: {type(error).__name__}: {error}")

    async def send_all(self) -> dict[str, int]:
        after = 0
        # an invoice can have a stage today only if its earliest stage is reached
        latest_due = self.day - dt.timedelta(days=min(self.stages))
        while True:
            with read_only_rows():  # read to be rendered: no audit before-image
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
            ready: list[_Stage] = []
            for invoice in batch:
                stage = stage_due(invoice.due_date, self.day, self.stages, sent.get(invoice.id, ()))
                if stage is not None:
                    prepared = await self.prepare(invoice, stage)
                    if prepared is not None:
                        ready.append(prepared)
            await self.write(ready)
        for name, value in self.counters.items():
            self.run.count(name, value)
        return dict(self.counters)

    async def prepare(self, invoice: Invoice, stage: int) -> _Stage | None:
        """Render and check the stage's messages (nothing is stored): None when there is
        nothing to write — no recipient, a broken template (the stage fails, tried again
        once it is fixed), or no message a channel takes (not recorded: tried again on the
        next run, when a channel may be bound)."""
        self.count("processed")
        targets = recipients(invoice)
        if not targets:
            self.count("no_recipient")
            return None
        variables = reminder_variables(invoice, stage, self.day)
        item = _Stage(invoice, stage, [], [])
        for recipient in targets:
            try:
                item.messages.append(
                    await prepare(recipient.template, recipient.target, variables, targets=recipient.targets)
                )
            except TemplateRenderError as error:
                self._settle_skips(item)
                self._failed(invoice, stage, error)
                return None
            except (ChannelUnavailable, NotFound, ValidationFailed) as error:
                # no (enabled) channel, no template, or a target the channel refuses: this
                # message is not sent, the others are
                item.skips.append((recipient.template, error))
        if not item.messages:
            self._settle_skips(item)
            return None
        return item

    def _settle_skips(self, item: _Stage) -> None:
        for template, error in item.skips:
            self.skip(template, error, item.invoice)

    async def write(self, items: list[_Stage]) -> None:
        """Record the stages and create their messages: all of them in one transaction, in
        bulk; if that fails — a concurrent run recorded one of them first, or a row is refused —
        nothing of it was written and each stage is written in its own transaction instead, so
        the unique (invoice, stage) key settles which run sends it and one invoice's problem
        never stops the others. Messages are queued after the commit (a worker could not see
        the rows before it)."""
        if not items:
            return
        try:
            async with in_transaction():
                ids = await self._insert(items)
        except Exception as error:
            log.info("reminders: %s stages written one by one: %s", len(items), error)
        else:
            for item in items:
                self._sent(item)
            await queue_deliveries(ids, priority=Priority.NORMAL)
            return
        for item in items:
            try:
                async with in_transaction():
                    ids = await self._insert([item])
            except IntegrityError as error:
                if await InvoiceReminder.exists(invoice_id=item.invoice.id, stage=item.stage):
                    self.count("already_sent")  # another run got there first
                else:  # a row refused for another reason: this stage's failure
                    self._settle_skips(item)
                    self._failed(item.invoice, item.stage, error)
            except Exception as error:  # one invoice's problem must not stop the others
                self._settle_skips(item)
                self._failed(item.invoice, item.stage, error)
            else:
                self._sent(item)
                await queue_deliveries(ids, priority=Priority.NORMAL)

    def _sent(self, item: _Stage) -> None:
        self._settle_skips(item)
        self.count("succeeded")
        self.count("notifications", len(item.messages))

    async def _insert(self, items: list[_Stage]) -> list[int]:
        """The stages' ``invoice_reminder`` rows (the unique key first: a stage another run
        recorded fails the statement before anything else is written), their ``pending``
        messages and an audit row for each, as ``send`` writes them, in multi-row statements;
        answers the messages' ids."""
        now = utcnow()
        actor = current_actor.get()
        await insert_rows(
            InvoiceReminder,
            [
                {"invoice_id": item.invoice.id, "stage": item.stage, "sent_on": self.day, "created_at": now}
                for item in items
            ],
        )
        rows = []
        for item in items:
            subject = ("invoice", item.invoice.id)
            for message in item.messages:
                values = message.values(subject, actor.name, now)
                rows.append(
                    {
                        **values,
                        "priority": message.priority.value,
                        "status": NotificationStatus.PENDING.value,
                        "attempts": 0,
                        "last_error": None,
                        "sent_at": None,
                        "provider_reference": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        await insert_rows(Notification, rows, json_columns=("route",))
        # the rows just written: this run's stamp on these invoices (a concurrent run cannot
        # write messages of the same stages: their reminder rows are this transaction's)
        written = {
            (subject_id, code): notification_id
            for notification_id, subject_id, code in await Notification.filter(
                subject_type="invoice",
                subject_id__in=[item.invoice.id for item in items],
                created_at=now,
            ).values_list("id", "subject_id", "template_code")
        }
        ids: list[int] = []
        audits = []
        for item in items:
            subject = ("invoice", item.invoice.id)
            for message in item.messages:
                notification_id = written[(item.invoice.id, message.template.code)]
                ids.append(notification_id)
                audits.append(
                    {
                        "actor": actor.name[:64],
                        "actor_user_id": actor.user_id,
                        "action": AuditAction.CREATE.value,
                        "entity_type": AUDIT_ENTITY,
                        "entity_id": str(notification_id),
                        "before": None,
                        "after": without_url_credentials(message.audit_after(subject)),
                        "message": "",
                        "request_id": current_request_id.get(),
                        "client_ip": current_client_ip.get(),
                        "occurred_at": now,
                    }
                )
        await insert_rows(AuditLog, audits, json_columns=("before", "after"))
        return ids


async def send_overdue(
    run: Any = None, *, stages: Sequence[int], day: dt.date | None = None
) -> dict[str, int]:
    """Send the reminders due on ``day`` (business today); returns the counters."""
    # thousands of messages, three templates: each template and channel is read once per run
    with acting_as(system_actor(JOB_NAME)), lookups_once():
        return await ReminderRun(run, day or business_today(), stages).send_all()
