"""``wecom_app``: a WeCom application message (应用消息) to users by their WeCom user id.

Settings: ``corp_id``, ``agent_id``, ``api_base`` (https://qyapi.weixin.qq.com),
``timeout_seconds`` (10), ``msgtype`` (markdown | text). Secrets: ``corp_secret``.
Target: one or more WeCom user ids, separated by ``|`` or ``,``.

The access token from ``gettoken`` is kept in this process until shortly before its
``expires_in``, per (api_base, corp_id, agent_id, secret); when WeCom says it is invalid or expired
(errcode 40001/40014/42001) it is dropped, fetched again once, and the message sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from typing import Any

import httpx
from pydantic import Field, field_validator

from opcms.core.i18n import Invalid

from .contract import Channel, ChannelSecrets, ChannelSettings, Health, OutgoingMessage, SendResult
from .wecom import TOKEN_ERRCODES, WeComCallFailed, call, markdown_text

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
# a token is used until this many seconds before WeCom says it expires
TOKEN_MARGIN_SECONDS = 300
USER_ID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")


class AppSettings(ChannelSettings):
    corp_id: str = Field(min_length=1, max_length=64)
    agent_id: int = Field(ge=0)
    api_base: str = Field(default=DEFAULT_API_BASE, max_length=255)
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    msgtype: str = Field(default="markdown", pattern="^(markdown|text)$")

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise Invalid("http_url_required", "must be an http(s) URL")
        return value.rstrip("/")


class AppSecrets(ChannelSecrets):
    corp_secret: str = Field(min_length=1, max_length=255)


# (api_base, corp_id, agent_id, digest of the secret) -> (token, monotonic time it stops being used);
# the secret is part of the key so that a changed secret is tried at once, not after the old token expires
_tokens: dict[tuple[str, str, int, str], tuple[str, float]] = {}


def forget_tokens() -> None:
    """Drop every cached access token (tests; a changed secret)."""
    _tokens.clear()


def split_users(target: str) -> list[str]:
    return [part.strip() for part in re.split(r"[|,]", target or "") if part.strip()]


class WeComAppChannel(Channel):
    kind = "wecom_app"
    Settings = AppSettings
    Secrets = AppSecrets

    @classmethod
    def check_target(cls, target: str) -> str | None:
        users = split_users(target)
        if not users:
            return "give the WeCom user id(s) to send to"
        bad = [user for user in users if not USER_ID.match(user)]
        return f"not a WeCom user id: {bad[0]!r}" if bad else None

    @property
    def _cache_key(self) -> tuple[str, str, int, str]:
        digest = hashlib.sha256(self.secrets.corp_secret.encode()).hexdigest()[:16]
        return (self.settings.api_base, self.settings.corp_id, self.settings.agent_id, digest)

    async def _token(self, client: httpx.AsyncClient, *, fresh: bool = False) -> str:
        cached = _tokens.get(self._cache_key)
        if cached and not fresh and cached[1] > time.monotonic():
            return cached[0]
        document = await call(
            client,
            "GET",
            f"{self.settings.api_base}/cgi-bin/gettoken",
            params={"corpid": self.settings.corp_id, "corpsecret": self.secrets.corp_secret},
        )
        token = document.get("access_token")
        if not token:
            raise WeComCallFailed("WeCom gettoken answered no access_token", retryable=True)
        lifetime = float(document.get("expires_in") or 7200)
        _tokens[self._cache_key] = (str(token), time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))
        return str(token)

    def _body(self, message: OutgoingMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "touser": "|".join(split_users(message.target)),
            "agentid": self.settings.agent_id,
        }
        if self.settings.msgtype == "text":
            text = f"{message.title}\n{message.content}" if message.title else message.content
            body.update(msgtype="text", text={"content": text})
        else:
            body.update(
                msgtype="markdown", markdown={"content": markdown_text(message.title, message.content)}
            )
        return body

    async def _post(self, client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return await call(
            client,
            "POST",
            f"{self.settings.api_base}/cgi-bin/message/send",
            params={"access_token": token},
            json=body,
        )

    async def send(self, message: OutgoingMessage) -> SendResult:
        problem = self.check_target(message.target)
        if problem:
            return SendResult.failed(problem, retryable=False)
        body = self._body(message)
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            try:
                token = await self._token(client)
                try:
                    document = await self._post(client, token, body)
                except WeComCallFailed as error:
                    if error.errcode not in TOKEN_ERRCODES:
                        raise
                    # the token expired early or was revoked: one fresh token, one more try
                    _tokens.pop(self._cache_key, None)
                    document = await self._post(client, await self._token(client, fresh=True), body)
            except WeComCallFailed as error:
                if error.errcode in TOKEN_ERRCODES:
                    _tokens.pop(self._cache_key, None)
                return SendResult.failed(
                    error.message, retryable=error.retryable or error.errcode in TOKEN_ERRCODES
                )
        invalid = [
            str(document.get(key))
            for key in ("invaliduser", "invalidparty", "invalidtag")
            if document.get(key)
        ]
        if invalid and not document.get("msgid"):
            return SendResult.failed(f"WeCom refused the recipients: {', '.join(invalid)}", retryable=False)
        return SendResult.sent(str(document["msgid"]) if document.get("msgid") else None)

    async def health_check(self) -> Health:
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            try:
                await asyncio.wait_for(self._token(client, fresh=True), self.settings.timeout_seconds + 1)
            except WeComCallFailed as error:
                return Health(False, error.message)
            except TimeoutError:
                return Health(False, "WeCom did not answer in time")
        return Health(True, "an access token was issued")
