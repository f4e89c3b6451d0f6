"""``wecom_bot``: a WeCom group robot (群机器人), posting markdown to its webhook.

Secrets: ``webhook_url`` — the whole webhook address; the key in its query string is the
credential, so the URL is a secret and never answered. Settings: ``timeout_seconds`` (10).
The target is ignored (the bot posts to its group). WeCom accepts 20 messages a minute per
bot: give the channel ``rate_per_minute`` 20.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from opcms.core.i18n import Invalid

from .contract import Channel, ChannelSecrets, ChannelSettings, Health, OutgoingMessage, SendResult
from .wecom import WeComCallFailed, call, markdown_text

# WeCom refuses markdown content over 4096 bytes
MAX_CONTENT_BYTES = 4096


class BotSettings(ChannelSettings):
    timeout_seconds: float = Field(default=10, gt=0, le=120)


class BotSecrets(ChannelSecrets):
    webhook_url: str = Field(min_length=1, max_length=1000)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid("webhook_url_required", "must be an http(s) URL (the bot's webhook address)")
        return value.strip()


def _clip(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_CONTENT_BYTES:
        return text
    return data[: MAX_CONTENT_BYTES - 3].decode(errors="ignore") + "…"


class WeComBotChannel(Channel):
    kind = "wecom_bot"
    Settings = BotSettings
    Secrets = BotSecrets

    async def send(self, message: OutgoingMessage) -> SendResult:
        body = {
            "msgtype": "markdown",
            "markdown": {"content": _clip(markdown_text(message.title, message.content))},
        }
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            try:
                await call(client, "POST", self.secrets.webhook_url, json=body)
            except WeComCallFailed as error:
                return SendResult.failed(error.message, retryable=error.retryable)
        return SendResult.sent(None)

    async def health_check(self) -> Health:
        # A bot has no read-only call: post an empty message, which WeCom refuses for what it
        # is (invalid message type) only when the key is good; a bad key is errcode 93000.
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            try:
                await call(client, "POST", self.secrets.webhook_url, json={})
            except WeComCallFailed as error:
                if error.errcode is not None and error.errcode not in (93000, 93004):
                    return Health(True, f"the webhook answers (empty test message refused: {error.message})")
                return Health(False, error.message)
        return Health(True, "the webhook answers")
