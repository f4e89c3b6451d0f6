"""``email``: plain-text e-mail over SMTP (the standard library's smtplib, in a thread).

Settings: ``host``, ``port`` (25), ``security`` (none | starttls | tls), ``from_address``,
``timeout_seconds`` (20). Secrets: ``username`` and ``password`` (both or neither).
Target: one address. SMTP 4xx answers and lost connections are worth retrying; 5xx refusals
(unknown mailbox, bad credentials) are not.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pydantic import Field, field_validator

from opcms.core.i18n import Invalid, Message
from opcms.notifications.channels.contract import (
    Channel,
    ChannelConfigError,
    ChannelSecrets,
    ChannelSettings,
    Health,
    OutgoingMessage,
    SendResult,
)

ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def address_problem(value: str) -> Message | None:
    if ADDRESS.match(value or "") and len(value) <= 254:
        return None
    return Message("not_an_email_address", {"value": repr(value)}, f"not an e-mail address: {value!r}")


class EmailSettings(ChannelSettings):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=25, ge=1, le=65535)
    security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    from_address: str = Field(min_length=3, max_length=254)
    timeout_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        problem = address_problem(value)
        if problem:
            raise Invalid(problem.code, problem.fallback, **problem.params)
        return value


class EmailSecrets(ChannelSecrets):
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1000)


class EmailChannel(Channel):
    kind = "email"
    Settings = EmailSettings
    Secrets = EmailSecrets

    @classmethod
    def check_combination(cls, settings: EmailSettings, secrets: EmailSecrets) -> None:
        if bool(secrets.username) != bool(secrets.password):
            raise ChannelConfigError(
                "secrets: give both username and password, or neither",
                [
                    {
                        "field": "secrets.password" if secrets.username else "secrets.username",
                        "message": "required with the other",
                    }
                ],
            )

    @classmethod
    def check_target(cls, target: str) -> str | Message | None:
        return address_problem(target)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.secrets.username:
            smtp.login(self.secrets.username, self.secrets.password or "")
        return smtp

    def _send_now(self, message: OutgoingMessage) -> str:
        mail = EmailMessage()
        mail["From"] = self.settings.from_address
        mail["To"] = message.target
        mail["Subject"] = message.title
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = reference = make_msgid(domain=self.settings.from_address.rsplit("@", 1)[-1])
        if message.priority == "high":
            mail["X-Priority"] = "1"
        mail.set_content(message.content)
        with self._connect() as smtp:
            smtp.send_message(mail)
        return reference

    async def send(self, message: OutgoingMessage) -> SendResult:
        problem = self.check_target(message.target)
        if problem:
            return SendResult.failed(str(problem), retryable=False)
        try:
            reference = await asyncio.to_thread(self._send_now, message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            return SendResult.failed(
                f"the SMTP server refused the recipient: {error.recipients}",
                retryable=all(400 <= c < 500 for c in codes),
            )
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode(errors="replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            return SendResult.failed(
                f"SMTP {error.smtp_code}: {text}", retryable=400 <= error.smtp_code < 500
            )
        except (smtplib.SMTPException, OSError) as error:  # connection refused, timeout, TLS failure
            return SendResult.failed(f"SMTP: {type(error).__name__}: {error}", retryable=True)
        return SendResult.sent(reference)

    def _noop(self) -> str:
        with self._connect() as smtp:
            code, _ = smtp.noop()
        return f"the SMTP server answers ({code})"

    async def health_check(self) -> Health:
        try:
            return Health(True, await asyncio.to_thread(self._noop))
        except (smtplib.SMTPException, OSError) as error:
            return Health(False, f"SMTP: {type(error).__name__}: {error}")
