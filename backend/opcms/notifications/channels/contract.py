"""The one interface every notification channel implements (DESIGN §9).

Domain code (the service, delivery, other modules) imports this contract and the registry,
never a channel's client: a channel is built from its stored ``settings`` and decrypted
``secrets`` and answers :class:`SendResult` / :class:`Health`. Channels never raise for the
outside world failing (a refused message, a dead server): they say so in the result, and say
whether trying again later could help (``retryable``); delivery decides about retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from opcms.core.i18n import Message, pydantic_message
from opcms.core.secrets import url_credentials


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    title: str
    content: str
    # an e-mail address, a phone number, WeCom user ids ("a|b"); empty for a group bot
    target: str
    priority: str = "normal"


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    reference: str | None = None  # what the provider calls the message (a msgid, a Message-ID)
    error: str | None = None
    retryable: bool = False

    @classmethod
    def sent(cls, reference: str | None = None) -> SendResult:
        return cls(True, reference=reference)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> SendResult:
        return cls(False, error=error[:2000], retryable=retryable)


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str


class ChannelConfigError(ValueError):
    """Settings or secrets a channel cannot work with; ``details`` name the fields."""

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, *, text: Message | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        #: the message by code, for an answer in the reader's language (else ``message`` as written)
        self.text = text


class ChannelSettings(BaseModel):
    """A channel's non-secret settings: unknown keys are refused (a typo is not silently ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChannelSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _config_error(prefix: str, error: ValidationError) -> ChannelConfigError:
    details: list[dict[str, Any]] = []
    for item in error.errors(include_url=False):
        field = ".".join([prefix, *(str(part) for part in item["loc"])])
        details.append({"field": field, "message": pydantic_message(item)})
    first_field, first_problem = details[0]["field"], details[0]["message"]
    text = Message("field_problem", {"field": first_field, "problem": first_problem})
    return ChannelConfigError(f"{first_field}: {first_problem.fallback}", details, text=text)


class Channel:
    """Base of the channel kinds. Subclasses set ``kind``, ``Settings`` and ``Secrets`` (pydantic
    models of what they need) and implement :meth:`send` and :meth:`health_check`."""

    kind: ClassVar[str] = ""
    Settings: ClassVar[type[ChannelSettings]] = ChannelSettings
    Secrets: ClassVar[type[ChannelSecrets]] = ChannelSecrets

    def __init__(self, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
        self.settings, self.secrets = self.parse_config(settings, secrets)

    @classmethod
    def parse_config(cls, settings: dict[str, Any], secrets: dict[str, Any]) -> tuple[Any, Any]:
        """The typed settings and secrets, or :class:`ChannelConfigError` naming the field
        (``settings.port``, ``secrets.corp_secret``)."""
        in_urls = url_credentials(settings or {}, cls.Secrets.model_fields)
        if in_urls:
            raise ChannelConfigError(f"{in_urls[0]['field']}: {in_urls[0]['message']}", in_urls)
        try:
            parsed_settings = cls.Settings.model_validate(settings or {})
        except ValidationError as error:
            raise _config_error("settings", error) from None
        try:
            parsed_secrets = cls.Secrets.model_validate(secrets or {})
        except ValidationError as error:
            raise _config_error("secrets", error) from None
        cls.check_combination(parsed_settings, parsed_secrets)
        return parsed_settings, parsed_secrets

    @classmethod
    def check_combination(cls, settings: Any, secrets: Any) -> None:
        """Rules that need both settings and secrets (override when there are some)."""

    @classmethod
    def check_target(cls, target: str) -> str | Message | None:
        """Why ``target`` cannot receive messages on this kind of channel, or None if it can."""
        return None

    async def send(self, message: OutgoingMessage) -> SendResult:  # pragma: no cover - abstract
        raise NotImplementedError

    async def health_check(self) -> Health:  # pragma: no cover - abstract
        raise NotImplementedError
