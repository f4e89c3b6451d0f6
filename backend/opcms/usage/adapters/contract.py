"""The one contract between usage collection and the vendors it reads (DESIGN §6).

Domain code (the pull, the upload API, the ingest) imports this module and the registry,
never a vendor client. An adapter is built from a :class:`SourceConfig` (the ``data_source``
row: adapter name, non-secret settings, secrets already decrypted by the caller) and answers
:meth:`UsageAdapter.fetch_usage` with :class:`VendorUsage` records.

Why raw strings
    A :class:`VendorUsage` carries what the vendor said, as text: the account, the metric,
    the day (ISO ``YYYY-MM-DD`` expected, not checked) and the quantity (not checked either:
    ``"-3"``, ``"abc"``, ``""`` and ``"1E+3"`` all pass through). Deciding what is wrong —
    unknown account, negative or non-numeric quantity, day outside the request, a spike — is
    the caller's job: it turns such rows into ``usage_anomaly`` rows for review instead of
    losing them. Numbers are turned into text without going through ``float``: JSON is parsed
    with ``parse_float=decimal.Decimal`` (ints are exact in Python anyway), spreadsheet cells
    are rounded to Excel's 15 significant digits, so ``0.1`` stays ``"0.1"`` and
    ``12345678901234567890`` stays itself.

Who retries
    Not the adapter. One call of ``fetch_usage`` is one attempt (which may be several HTTP
    requests for a paged vendor). A failure raises an :class:`AdapterError` whose
    ``retryable`` says whether trying again may help: :class:`VendorUnavailable` (timeouts,
    connection errors, HTTP 5xx/429) and :class:`VendorResponseInvalid` (malformed JSON, a
    broken page envelope, a truncated page) are retryable; :class:`VendorRejected` (401/403 and
    other 4xx) and :class:`AdapterConfigError` (bad settings or secrets) are not. The caller
    (``opcms.usage.pull``) retries with backoff and owns the overall deadline.

Settings validation
    An adapter class may declare ``settings_model``, a pydantic model of its settings.
    :meth:`UsageAdapter.validate_settings` checks settings and secrets and raises
    :class:`AdapterConfigError` — never a pydantic ``ValidationError`` — whose message names
    the setting and whose ``details`` is a list of ``{"field", "message"}`` ready for a 422
    answer. The constructor runs the same check, so a bad config fails when the adapter is
    built, not on the first call.

Lifetime
    ``http`` lets the caller share one ``httpx.AsyncClient`` (tests, connection reuse); an
    adapter that creates its own client closes it in :meth:`UsageAdapter.aclose`, a shared one
    is left open. Adapters are async context managers.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import httpx
from pydantic import BaseModel, ValidationError

from opcms.core.i18n import Clauses, Message, pydantic_message
from opcms.core.secrets import url_credentials

__all__ = [
    "AdapterConfigError",
    "AdapterError",
    "HealthResult",
    "SourceConfig",
    "UsageAdapter",
    "VendorRejected",
    "VendorResponseInvalid",
    "VendorUnavailable",
    "VendorUsage",
]


class VendorUsage(NamedTuple):
    """One usage figure as the vendor gave it: every field is raw text (see the module doc).
    A named tuple: adapters make one per row."""

    account: str
    metric: str
    usage_day: str
    quantity: str


@dataclass(frozen=True)
class SourceConfig:
    """What an adapter is built from: a ``data_source`` row with its secrets decrypted."""

    name: str
    adapter: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    timeout_seconds: float = 30


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    detail: str
    latency_ms: float | None


# --- errors ------------------------------------------------------------------------------------


class AdapterError(Exception):
    """A fetch that failed. ``retryable`` tells the caller whether another attempt may help.

    Subclasses set the usual value; an instance may override it (``retryable=False`` for a
    response that will not get better by asking again). ``status`` is the vendor's HTTP status
    when there was one.
    """

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if retryable is not None:
            self.retryable = retryable


class VendorUnavailable(AdapterError):
    """No usable answer: timeout, connection error, HTTP 5xx or 429 (retryable)."""

    retryable = True


class VendorResponseInvalid(AdapterError):
    """An answer that cannot be read: malformed JSON, a broken page envelope, a truncated page
    (retryable: vendors do recover from these)."""

    retryable = True


class VendorRejected(AdapterError):
    """The vendor refused the request: 401/403 or another 4xx (not retryable)."""

    retryable = False


class AdapterConfigError(AdapterError):
    """Settings or secrets that cannot work (not retryable), raised when the adapter is built.

    ``details`` lists ``{"field": ..., "message": ...}``, one entry per bad setting
    (``"settings.base_url"``, ``"secrets.token"``): an API answers it as a 422.
    """

    retryable = False

    def __init__(
        self, message: str, *, details: list[dict[str, Any]] | None = None, text: Message | None = None
    ) -> None:
        super().__init__(message)
        self.details = details or []
        #: the message by code, for an answer in the reader's language (else the text as written)
        self.text = text

    @classmethod
    def from_validation(cls, error: ValidationError, *, prefix: str = "settings") -> AdapterConfigError:
        details: list[dict[str, Any]] = []
        for item in error.errors(include_url=False):
            where = ".".join(str(part) for part in item["loc"])
            details.append(
                {"field": f"{prefix}.{where}" if where else prefix, "message": pydantic_message(item)}
            )
        text = "; ".join(f"{d['field']}: {d['message'].fallback}" for d in details) or str(error)
        problems = Clauses(
            Message("field_problem", {"field": d["field"], "problem": d["message"]}) for d in details
        )
        return cls(
            f"invalid {prefix}: {text}",
            details=details,
            text=Message(f"invalid_{prefix}", {"problems": problems}, f"invalid {prefix}: {text}"),
        )


# --- the adapter -------------------------------------------------------------------------------


class UsageAdapter(abc.ABC):
    """Base of every vendor adapter. Subclasses set ``name`` and implement the two fetches.

    ``settings_model`` (optional) validates ``config.settings``; the parsed model is
    ``self.settings`` (the plain mapping when there is no model). Override
    :meth:`check_secrets` to require secrets that depend on the settings.
    """

    name: ClassVar[str]
    #: a pydantic model of the settings; ``None``: the settings are not checked
    settings_model: ClassVar[type[BaseModel] | None] = None
    #: a one-line description (for the API's list of adapters)
    description: ClassVar[str] = ""
    #: the secrets the adapter reads (named when a credential is found in the settings)
    secret_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: SourceConfig, *, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.settings: Any = self.parse_settings(config.settings, config.secrets)
        self._http = http
        self._owns_http = False

    # -- settings -----------------------------------------------------------------------------

    @classmethod
    def parse_settings(cls, settings: Mapping[str, Any] | None, secrets: Mapping[str, str] | None) -> Any:
        """The validated settings (the model instance); :class:`AdapterConfigError` if invalid."""
        settings = dict(settings or {})
        secrets = dict(secrets or {})
        # before the model: a URL with a password is refused whatever else is wrong
        in_urls = url_credentials(settings, cls.secret_names)
        if in_urls:
            text = "; ".join(f"{d['field']}: {d['message']}" for d in in_urls)
            raise AdapterConfigError(f"invalid settings: {text}", details=in_urls)
        if cls.settings_model is None:
            parsed: Any = settings
        else:
            try:
                parsed = cls.settings_model.model_validate(settings)
            except ValidationError as error:
                raise AdapterConfigError.from_validation(error) from None
        problems = cls.check_secrets(parsed, secrets)
        if problems:
            details = [{"field": f"secrets.{key}", "message": message} for key, message in problems.items()]
            text = "; ".join(f"{d['field']}: {d['message']}" for d in details)
            raise AdapterConfigError(f"invalid secrets: {text}", details=details)
        return parsed

    @classmethod
    def validate_settings(
        cls, settings: Mapping[str, Any] | None, secrets: Mapping[str, str] | None = None
    ) -> None:
        """Check a config without building the adapter; raises :class:`AdapterConfigError`."""
        cls.parse_settings(settings, secrets)

    @classmethod
    def check_secrets(cls, settings: Any, secrets: Mapping[str, str]) -> dict[str, str]:
        """Missing or bad secrets for these (validated) settings: ``{secret name: why}``."""
        return {}

    # -- HTTP client ----------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared client, or one of the adapter's own (created on first use)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.config.timeout_seconds, follow_redirects=False)
            self._owns_http = True
        return self._http

    async def aclose(self) -> None:
        """Release what the adapter opened (its own HTTP client; a shared one stays open)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
        self._http = None
        self._owns_http = False

    async def __aenter__(self) -> UsageAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the contract ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        """Usage of ``accounts`` on ``day``: one attempt, raw records, no duplicate
        (account, metric, usage_day) keys. Raises :class:`AdapterError`; never retries."""

    @abc.abstractmethod
    async def health_check(self) -> HealthResult:
        """Whether the vendor answers; never raises for a vendor problem (``ok=False``)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.config.name!r}>"
