"""The invoice run's summary to finance (issue 7 item 9).

Registered with :func:`opcms.billing.run.on_run_finished` (by opcms.wiring): when a run is finalized (once per
run — the finalizing UPDATE is conditional), its ``result`` — period, invoices, receivable
total, skipped, failed, no charge, by level — is sent with the template ``billing.run_summary``
on the template's channel (the finance channel an admin bound to it), priority high, about
``("task_execution", id)``.

It never breaks the run: no channel bound (or a disabled one) is a log line and nothing sent;
any other problem is logged with its trace. A summary already sent for the execution (the
finalizer called again after a crash between its UPDATE and this) is not sent twice.

The target follows the channel's kind: a WeCom group bot needs none; an e-mail channel gets
one message per active finance user with an address; a WeCom application channel one
message to the finance users' WeCom ids.
"""

from __future__ import annotations

import logging
from typing import Any

from opcms.auth.models import User
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import NotFound
from opcms.core.models import column_values
from opcms.jobs.models import TaskExecution
from opcms.notifications.errors import ChannelUnavailable
from opcms.notifications.models import (
    ChannelKind,
    Notification,
    NotificationChannel,
    NotificationTemplate,
    Priority,
)

log = logging.getLogger("opcms.billing.summary")

TEMPLATE = "billing.run_summary"
SUBJECT = "task_execution"
FINANCE_ROLE = "finance"


def summary_variables(execution: TaskExecution) -> dict[str, Any]:
    result = execution.result or {}
    counters = execution.counters or {}
    return {
        "execution_id": execution.id,
        "status": getattr(execution.status, "value", execution.status),
        "period": result.get("period") or (execution.parameters or {}).get("period", ""),
        "invoices": result.get("invoices", 0),
        "receivable_total": result.get("receivable_total", "0.00"),
        "skipped": result.get("skipped", counters.get("skipped", 0)),
        "failed": result.get("failed", counters.get("failed", 0)),
        "no_charge": result.get("no_charge", counters.get("no_charge", 0)),
        "by_level": list(result.get("by_level") or []),
    }


async def finance_targets(template_code: str = TEMPLATE) -> list[str]:
    """Who receives the summary on the template's channel (see the module); [] = nobody."""
    template = await NotificationTemplate.get_or_none(code=template_code)
    channel = (
        await NotificationChannel.get_or_none(id=template.channel_id)
        if template and template.channel_id
        else None
    )
    if channel is None:
        return [""]  # send() says why there is no channel
    kind = ChannelKind(channel.kind)
    if kind == ChannelKind.EMAIL:
        return await column_values(
            User.filter(role=FINANCE_ROLE, is_active=True, email__isnull=False)
            .exclude(email="")
            .order_by("id"),
            "email",
        )
    if kind == ChannelKind.WECOM_APP:
        ids = await column_values(
            User.filter(role=FINANCE_ROLE, is_active=True, wecom_userid__isnull=False)
            .exclude(wecom_userid="")
            .order_by("id"),
            "wecom_userid",
        )
        return ["|".join(ids)] if ids else []
    return [""]


async def send_run_summary(execution: TaskExecution) -> int:
    """Send the summary of a finished run; returns how many messages were created (0 when
    there is no channel or nobody to tell). Never raises."""
    from opcms.notifications.service import send

    try:
        with acting_as(system_actor("billing.run_summary")):
            if await Notification.filter(
                template_code=TEMPLATE, subject_type=SUBJECT, subject_id=execution.id
            ).exists():
                return 0
            targets = await finance_targets()
            if not targets:
                log.warning("run summary of execution %s: no finance user to send it to", execution.id)
                return 0
            variables = summary_variables(execution)
            for target in targets:
                await send(TEMPLATE, target, variables, Priority.HIGH, subject=(SUBJECT, execution.id))
            return len(targets)
    except (ChannelUnavailable, NotFound) as error:  # no channel bound (or no template): not sent
        log.warning("run summary of execution %s not sent: %s", execution.id, error.message)
    except Exception:  # a notification problem must never undo or fail a finished run
        log.exception("run summary of execution %s not sent", execution.id)
    return 0
