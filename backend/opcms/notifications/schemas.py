"""Notification request and response shapes: channels, templates, messages.

Channel secrets travel in one direction only: a request may set them, no response carries
them (``secret_names`` lists the keys that are set, never a value).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from opcms.core.schemas import (
    Id,
    MultiLine,
    Page,
    PageQuery,
    PatchSchema,
    PublicSchema,
    Remark,
    Schema,
    UtcDateTime,
    sort_by,
)
from opcms.core.secrets import (
    SecretNames,
    SecretsIn,
    SecretsPatch,
    SecretsReadable,
    without_url_credentials,
)
from opcms.notifications.models import (
    AttemptOutcome,
    ChannelHealth,
    ChannelKind,
    MoveOnReason,
    NotificationStatus,
    Priority,
)
from opcms.notifications.variables import VariableKind

ChannelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
RatePerMinute = Annotated[
    int, Field(ge=1, le=100_000, description="messages a minute the channel accepts (a WeCom bot: 20)")
]
MaxAttempts = Annotated[int, Field(ge=1, le=20, description="attempts before a message is dead")]
TemplateCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
VariableName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"
    ),
]
Target = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]

MAX_VARIABLES = 100
#: channels a fallback chain may name
MAX_FALLBACK = 5
BODY_MAX = 20_000
#: a template's text: lines and tabs allowed, no other control character
Body = Annotated[str, StringConstraints(min_length=1, max_length=BODY_MAX), MultiLine]


# --- channels ----------------------------------------------------------------------------------
class ChannelCreate(Schema):
    name: ChannelName
    kind: ChannelKind
    settings: dict[str, Any] = Field(
        default_factory=dict, description="the kind's settings (checked by the channel)"
    )
    secrets: SecretsIn
    is_enabled: bool = True
    rate_per_minute: RatePerMinute | None = None
    max_attempts: MaxAttempts = 5
    remark: Remark = None


class ChannelUpdate(PatchSchema):
    """Partial update: only the fields sent change. ``settings`` replaces the settings as a
    whole; ``secrets`` is merged key by key (a value sets, null removes, absent keeps)."""

    not_null = ("name", "settings", "is_enabled", "max_attempts")

    name: ChannelName | None = None
    settings: dict[str, Any] | None = Field(default=None, description="the complete new settings")
    secrets: SecretsPatch = None
    is_enabled: bool | None = None
    rate_per_minute: RatePerMinute | None = Field(default=None, description="null: no limit")
    max_attempts: MaxAttempts | None = None
    remark: Remark = None


CHANNEL_SORTABLE = ("name", "kind", "created_at", "updated_at")


class ChannelQuery(PageQuery):
    q: str | None = Field(default=None, max_length=64, description="part of the name")
    kind: ChannelKind | None = None
    is_enabled: bool | None = None
    sort: str | None = sort_by(*CHANNEL_SORTABLE)


class ChannelPublic(PublicSchema):
    id: int
    name: str
    kind: ChannelKind
    settings: dict[str, Any]
    secret_names: SecretNames
    secrets_readable: SecretsReadable
    is_enabled: bool
    rate_per_minute: int | None
    max_attempts: int
    remark: str | None
    health_status: ChannelHealth = Field(description="what the latest health check said")
    health_checked_at: dt.datetime | None
    health_error: str | None = Field(description="why the latest health check failed")
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None

    @field_validator("settings")
    @classmethod
    def _no_url_credentials(cls, value: dict[str, Any]) -> dict[str, Any]:
        # settings stored before such URLs were refused are answered without their password
        result: dict[str, Any] = without_url_credentials(value)
        return result


class ChannelPage(Page[ChannelPublic]):
    pass


class HealthPublic(PublicSchema):
    ok: bool
    detail: str


# --- templates ---------------------------------------------------------------------------------
class TemplateCreate(Schema):
    code: TemplateCode = Field(description="how senders name the template, e.g. invoice_overdue")
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = ""
    channel_id: Id | None = Field(default=None, description="the default channel (a sender may name another)")
    title: Annotated[str, StringConstraints(max_length=255)] = ""
    body: Body
    variables: list[VariableName] = Field(
        default_factory=list, max_length=MAX_VARIABLES, description="every variable title and body use"
    )
    fallback_channel_ids: list[Id] = Field(
        default_factory=list,
        max_length=MAX_FALLBACK,
        description="channels to continue on, in order, when the default one is disabled, unhealthy or out "
        "of attempts (existing, no repeats, not the default channel)",
    )


class TemplateUpdate(PatchSchema):
    not_null = ("code", "name", "title", "body", "variables", "fallback_channel_ids")

    code: TemplateCode | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    channel_id: Id | None = Field(default=None, description="null: no default channel")
    title: Annotated[str, StringConstraints(max_length=255)] | None = None
    body: Body | None = None
    variables: list[VariableName] | None = Field(default=None, max_length=MAX_VARIABLES)
    fallback_channel_ids: list[Id] | None = Field(
        default=None, max_length=MAX_FALLBACK, description="the whole new fallback chain ([]: none)"
    )


TEMPLATE_SORTABLE = ("code", "name", "created_at", "updated_at")


class TemplateQuery(PageQuery):
    q: str | None = Field(default=None, max_length=64, description="part of the code or name")
    channel_id: Id | None = None
    sort: str | None = sort_by(*TEMPLATE_SORTABLE)


class VariableSample(PublicSchema):
    name: str
    kind: VariableKind = Field(
        description="how a value typed as text is read: text, integer, money, date, list"
    )
    sample: Any = Field(description="an example value of that kind (an amount and a date as text)")


class TemplatePublic(PublicSchema):
    id: int
    code: str
    name: str
    channel_id: int | None
    channel_name: str | None
    title: str
    body: str
    variables: list[str]
    fallback_channel_ids: list[int] = Field(default_factory=list)
    fallback_channel_names: list[str | None] = Field(
        default_factory=list, description="the names of the fallback channels, in order"
    )
    samples: list[VariableSample] = Field(
        default_factory=list, description="each declared variable with its kind and a sample value"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None


class TemplatePage(Page[TemplatePublic]):
    pass


class PreviewRequest(Schema):
    variables: dict[str, Any] = Field(default_factory=dict)


class PreviewPublic(PublicSchema):
    title: str
    content: str


# --- messages ----------------------------------------------------------------------------------
class NotificationSend(Schema):
    template_code: TemplateCode
    target: Target = Field(
        default="", description="an e-mail address, phone number or WeCom user id(s); empty for a group bot"
    )
    variables: dict[str, Any] = Field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    channel: ChannelName | None = Field(
        default=None, description="a channel name; default: the template's channel"
    )
    fallback_channels: list[ChannelName] | None = Field(
        default=None,
        max_length=MAX_FALLBACK,
        description="channel names to continue on, in order; default: the template's fallback chain ([]: none)",
    )
    targets: dict[ChannelKind, Target] = Field(
        default_factory=dict,
        description='a target per channel kind for the fallback chain, e.g. {"email": "a@b.cn", "sms": "13800000000"}',
    )


NOTIFICATION_SORTABLE = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "priority",
    "next_attempt_at",
    "sent_at",
    "attempts",
)


class NotificationQuery(PageQuery):
    status: NotificationStatus | None = None
    channel_id: Id | None = None
    template_code: str | None = Field(default=None, max_length=64)
    target: str | None = Field(default=None, max_length=255)
    subject_type: str | None = Field(default=None, max_length=32)
    subject_id: Id | None = None
    priority: Priority | None = None
    created_from: UtcDateTime | None = Field(default=None, description="created at or after (ISO 8601)")
    created_to: UtcDateTime | None = Field(default=None, description="created before (ISO 8601)")
    sort: str | None = sort_by(*NOTIFICATION_SORTABLE)


class NotificationPublic(PublicSchema):
    id: int
    template_code: str | None
    channel_id: int
    channel_name: str | None
    target: str
    title: str
    content: str
    priority: Priority
    status: NotificationStatus
    attempts: int
    max_attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    sent_at: dt.datetime | None
    provider_reference: str | None
    hop: int = Field(default=0, description="the place of its current channel in its route")
    subject_type: str | None
    subject_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None


class NotificationPage(Page[NotificationPublic]):
    pass


class RouteHop(PublicSchema):
    channel_id: int
    channel_name: str | None
    target: str | None = Field(description="null: no target was given for this channel's kind (passed over)")


class AttemptPublic(PublicSchema):
    id: int
    channel_id: int
    channel_name: str | None
    target: str
    attempt: int = Field(description="the attempt's number on this channel; 0: the channel was passed over")
    hop: int = Field(description="the place of the channel in the message's route (0: its first channel)")
    started_at: dt.datetime
    finished_at: dt.datetime
    outcome: AttemptOutcome
    error: str | None
    provider_reference: str | None
    moved_on: MoveOnReason | None = Field(
        description="why the message went on to the next channel after this"
    )


class NotificationDetail(NotificationPublic):
    """One message with its route and the history of every attempt, oldest first."""

    route: list[RouteHop]
    history: list[AttemptPublic]
