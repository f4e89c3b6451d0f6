"""Alert rule and firing request and response shapes.

A rule's ``params`` depend on its kind (:data:`PARAMS_BY_KIND`); the service checks them, and
the threshold's meaning and bounds, against the kind (422 naming ``params.<name>`` or
``threshold``; nothing is written)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from opcms.alerts.models import ConditionKind, FiringStatus
from opcms.core.money import Quantity
from opcms.core.schemas import Id, Page, PageQuery, PatchSchema, PublicSchema, Schema, UtcDateTime, sort_by
from opcms.notifications.schemas import ChannelName, Target, TemplateCode

RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
QuietMinutes = Annotated[
    int, Field(ge=1, le=10_080, description="per subject, no second message within this many minutes")
]
Name64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
DEFAULT_TEMPLATE = "alert.fired"


# --- the parameters of each kind -------------------------------------------------------------------
class JobFailedParams(Schema):
    job: Name64 | None = Field(default=None, description="one job (task name); default: every job")


class UsagePullEmptyParams(Schema):
    source: Name64 | None = Field(default=None, description="one data source; default: every source")


class UsageVsAverageParams(Schema):
    direction: Literal["above", "below"] = Field(
        description="above: quantity > threshold × average; below: quantity < threshold × average"
    )
    source: Name64 | None = None
    metric: Name64 | None = Field(default=None, description="one metric code; default: every metric")


class NotificationBacklogParams(Schema):
    older_than_minutes: int = Field(default=10, ge=1, le=10_080, description="waiting longer than this")
    channel: ChannelName | None = Field(default=None, description="one channel; default: every channel")


class ChannelFailingParams(Schema):
    channel: ChannelName | None = Field(default=None, description="one channel; default: every enabled one")


class InvoiceRunFailedParams(Schema):
    pass


PARAMS_BY_KIND: dict[ConditionKind, type[Schema]] = {
    ConditionKind.JOB_FAILED: JobFailedParams,
    ConditionKind.USAGE_PULL_EMPTY: UsagePullEmptyParams,
    ConditionKind.USAGE_VS_AVERAGE: UsageVsAverageParams,
    ConditionKind.NOTIFICATION_BACKLOG: NotificationBacklogParams,
    ConditionKind.CHANNEL_FAILING: ChannelFailingParams,
    ConditionKind.INVOICE_RUN_FAILED: InvoiceRunFailedParams,
}


# --- rules -------------------------------------------------------------------------------------------
class AlertRuleCreate(Schema):
    name: RuleName
    kind: ConditionKind
    threshold: Quantity = Field(
        description="a count (job_failed, notification_backlog, channel_failing, invoice_run_failed), "
        "rows at most (usage_pull_empty) or a multiplier of the trailing average (usage_vs_average)"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the kind's own parameters")
    channel_id: Id | None = Field(default=None, description="the channel to send on; default: the template's")
    template_code: TemplateCode = DEFAULT_TEMPLATE
    target: Target = Field(
        default="", description="e-mail address, phone or WeCom user id(s); empty for a bot"
    )
    quiet_minutes: QuietMinutes = 60
    is_enabled: bool = False
    description: Description = ""


class AlertRuleUpdate(PatchSchema):
    """Partial update (the kind stays: a rule watching something else is another rule)."""

    not_null = ("name", "threshold", "params", "template_code", "target", "quiet_minutes", "description")

    name: RuleName | None = None
    threshold: Quantity | None = None
    params: dict[str, Any] | None = Field(default=None, description="the kind's parameters, replaced whole")
    channel_id: Id | None = Field(default=None, description="null: the template's default channel")
    template_code: TemplateCode | None = None
    target: Target | None = None
    quiet_minutes: QuietMinutes | None = None
    description: Description | None = None


RULE_SORTABLE = ("name", "kind", "is_enabled", "created_at", "updated_at", "last_evaluated_at")


class AlertRuleQuery(PageQuery):
    q: str | None = Field(default=None, max_length=64, description="part of the name")
    kind: ConditionKind | None = None
    is_enabled: bool | None = None
    sort: str | None = sort_by(*RULE_SORTABLE)


class AlertRulePublic(PublicSchema):
    id: int
    name: str
    kind: ConditionKind
    threshold: Decimal
    params: dict[str, Any]
    channel_id: int | None
    channel_name: str | None
    template_code: str
    target: str
    quiet_minutes: int
    is_enabled: bool
    description: str
    last_evaluated_at: dt.datetime | None
    cannot_send: str | None = Field(
        description="why a firing could not be sent now (no_channel, channel_disabled, channel_deleted, "
        "template_missing); null when it can"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class AlertRulePage(Page[AlertRulePublic]):
    pass


class EvaluationPublic(PublicSchema):
    rules: int = Field(description="rules evaluated")
    fired: int = Field(description="firings recorded (sent or failed to send)")
    sent: int
    failed: int
    suppressed: int = Field(description="occurrences inside a quiet period, counted on their firing")


# --- firings -----------------------------------------------------------------------------------------
FIRING_SORTABLE = ("id", "fired_at", "last_seen_at", "repeats", "status", "kind")


class AlertFiringQuery(PageQuery):
    rule_id: Id | None = None
    kind: ConditionKind | None = None
    status: FiringStatus | None = None
    subject: str | None = Field(default=None, max_length=191, description="the exact subject key")
    fired_from: UtcDateTime | None = Field(default=None, description="fired at or after (ISO 8601)")
    fired_to: UtcDateTime | None = Field(default=None, description="fired before (ISO 8601)")
    sort: str | None = sort_by(*FIRING_SORTABLE)


class AlertFiringPublic(PublicSchema):
    id: int
    rule_id: int
    rule_name: str | None
    kind: ConditionKind
    subject: str
    value: Decimal
    threshold: Decimal
    message: str = Field(description="the text sent (Chinese, as the message said it)")
    summary: str = Field(description="the same, in the reader's language")
    detail: dict[str, Any]
    fired_at: dt.datetime
    quiet_until: dt.datetime
    repeats: int = Field(description="occurrences inside the quiet period, not sent")
    last_seen_at: dt.datetime
    status: FiringStatus
    notification_ids: list[int]
    error: str | None


class AlertFiringPage(Page[AlertFiringPublic]):
    pass
