"""``sms``: text messages through a provider interface.

Settings: ``provider`` (``logging`` by default: writes the message to the log and succeeds,
for development) and ``sign_name`` (optional). A real provider implements
:class:`SmsProvider` and registers with :func:`register_sms_provider`; it receives the
channel's settings and secrets.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, ClassVar

from pydantic import Field, field_validator

from opcms.core.i18n import Invalid

from .contract import Channel, ChannelSecrets, ChannelSettings, Health, OutgoingMessage, SendResult

log = logging.getLogger("opcms.notifications.sms")

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")


class SmsProvider:
    name: ClassVar[str] = ""

    def __init__(self, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
        self.settings, self.secrets = settings, secrets

    async def send(self, phone: str, text: str) -> SendResult:  # pragma: no cover - abstract
        raise NotImplementedError

    async def health_check(self) -> Health:
        return Health(True, f"provider {self.name}")


_PROVIDERS: dict[str, type[SmsProvider]] = {}


def register_sms_provider(provider: type[SmsProvider]) -> type[SmsProvider]:
    _PROVIDERS[provider.name] = provider
    return provider


@register_sms_provider
class LoggingSmsProvider(SmsProvider):
    """Sends nothing: logs the message and answers success (development, demos)."""

    name = "logging"

    async def send(self, phone: str, text: str) -> SendResult:
        reference = f"log-{uuid.uuid4().hex[:16]}"
        log.info("SMS to %s (%s): %s", phone, reference, text)
        return SendResult.sent(reference)

    async def health_check(self) -> Health:
        return Health(True, "logging provider: messages are written to the log, not sent")


class SmsSettings(ChannelSettings):
    model_config = ChannelSettings.model_config | {"extra": "allow"}  # a provider's own settings

    provider: str = Field(default="logging", min_length=1, max_length=32)
    sign_name: str | None = Field(default=None, max_length=32)

    @field_validator("provider")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in _PROVIDERS:
            raise Invalid(
                "sms_provider_unknown",
                "unknown SMS provider {value}; known: {known}",
                value=repr(value),
                known=sorted(_PROVIDERS),
            )
        return value


class SmsSecrets(ChannelSecrets):
    model_config = ChannelSecrets.model_config | {"extra": "allow"}  # the provider's credentials


class SmsChannel(Channel):
    kind = "sms"
    Settings = SmsSettings
    Secrets = SmsSecrets

    def __init__(self, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
        super().__init__(settings, secrets)
        self.provider = _PROVIDERS[self.settings.provider](
            self.settings.model_dump(), self.secrets.model_dump()
        )

    @classmethod
    def check_target(cls, target: str) -> str | None:
        return None if PHONE.match(target or "") else f"not a phone number: {target!r}"

    async def send(self, message: OutgoingMessage) -> SendResult:
        problem = self.check_target(message.target)
        if problem:
            return SendResult.failed(problem, retryable=False)
        text = f"{message.title}: {message.content}" if message.title else message.content
        if self.settings.sign_name:
            text = f"【{self.settings.sign_name}】{text}"
        return await self.provider.send(message.target.replace(" ", "").replace("-", ""), text)

    async def health_check(self) -> Health:
        return await self.provider.health_check()
