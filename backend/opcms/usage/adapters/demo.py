"""``demo``: made-up but plausible usage, the same every time, for the embedded default.

Settings ``{"metrics": ["api_calls", "sms"], "base": 1000, "seed": "", "profiles": {}}``. The
quantity of (account, metric, day) is a pure function of those values and the settings — a
blake2b hash, integer arithmetic only, no clock, no randomness — so a re-pull answers exactly
what the first pull did, on any machine:

    quantity = base × account size × metric weight × weekday × daily wobble × level

* account size: about a quarter of the accounts are small (2–12 % of base), half are medium
  (30–150 %), the rest large (3–10 ×);
* metric weight: 20–200 %, fixed per metric;
* weekday: Monday–Friday 95–106 %, Saturday 45 %, Sunday 38 %;
* daily wobble: 85–115 %;
* level: 100 %, unless the account has a profile.

``profiles`` (optional) gives some accounts a story instead (the demo's history, ``opcms
seed-demo``), keyed by account (compared case-free, as accounts are matched)::

    {"demo-C000012": {"size": 4500, "since": "2025-03-02", "until": null,
                      "pauses": [["2026-05-01", "2026-06-30"]],
                      "curve": [["2025-11-01", 900], ["2026-09-01", 1000], ["2026-12-01", 300]]}}

* size: the account size in per mille of base, instead of the hash's;
* since / until: the first and last day the account has usage; outside them, and within a
  pause (first and last day), it gets no rows;
* curve: the level in per mille on given days, ascending; between two points it moves in a
  straight line, before the first and after the last it stays put.

Quantities are whole numbers, as text. Every account asked for gets every metric, except on
the days its profile says it had no usage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opcms.usage.adapters.contract import HealthResult, UsageAdapter, VendorUsage

__all__ = ["DemoAdapter", "DemoProfile", "DemoSettings", "demo_quantity"]

# per mille, Monday first
WEEKDAY_PER_MILLE = (1000, 1040, 1060, 1030, 950, 450, 380)
FULL_LEVEL = 1000  # per mille


class DemoProfile(BaseModel):
    """One account's story: its size, the days it has usage, and how its level moves."""

    model_config = ConfigDict(extra="forbid")

    size: int | None = Field(default=None, ge=0, le=10**7, description="per mille of base")
    since: dt.date | None = None
    until: dt.date | None = None
    pauses: list[tuple[dt.date, dt.date]] = Field(default_factory=list, max_length=50)
    curve: list[tuple[dt.date, int]] = Field(default_factory=list, max_length=50)

    @field_validator("curve")
    @classmethod
    def _ascending(cls, value: list[tuple[dt.date, int]]) -> list[tuple[dt.date, int]]:
        days = [day for day, _ in value]
        if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
            raise ValueError("curve days must be ascending")
        if any(not 0 <= level <= 100 * FULL_LEVEL for _, level in value):
            raise ValueError("curve levels are per mille, 0 to 100000")
        return value

    def has_usage(self, day: dt.date) -> bool:
        return (
            (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
            and not any(first <= day <= last for first, last in self.pauses)
        )

    def level(self, day: dt.date) -> int:
        """The curve's level on ``day``, per mille (whole numbers: the same on every machine)."""
        curve = self.curve
        if not curve:
            return FULL_LEVEL
        if day <= curve[0][0]:
            return curve[0][1]
        for (start, low), (end, high) in zip(curve, curve[1:], strict=False):
            if day <= end:
                return low + (high - low) * (day - start).days // (end - start).days
        return curve[-1][1]


class DemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(default_factory=lambda: ["api_calls", "sms"], min_length=1, max_length=100)
    base: int = Field(default=1000, ge=0, le=10**12)
    seed: str = Field(default="", max_length=64)
    profiles: dict[str, DemoProfile] = Field(default_factory=dict, max_length=100_000)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        if any(not isinstance(m, str) or not m.strip() for m in value):
            raise ValueError("metric codes must be non-empty strings")
        return list(dict.fromkeys(value))

    @field_validator("profiles")
    @classmethod
    def _case_free(cls, value: dict[str, DemoProfile]) -> dict[str, DemoProfile]:
        return {account.casefold(): profile for account, profile in value.items()}

    def profile_of(self, account: str) -> DemoProfile | None:
        return self.profiles.get(account.casefold())


def _hash(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8, person=b"opcms-demo").digest()
    return int.from_bytes(digest, "big")


def _spread(value: int, low: int, high: int) -> int:
    """A number in [low, high] picked by ``value``."""
    return low + value % (high - low + 1)


def _account_scale(account: str, seed: str, profile: DemoProfile | None) -> int:
    """The account's size in per mille of base: its profile's, else picked by its hash."""
    if profile is not None and profile.size is not None:
        return profile.size
    tier = _hash("tier", seed, account)
    size = tier >> 8
    if tier % 100 < 25:
        return _spread(size, 20, 120)
    if tier % 100 < 75:
        return _spread(size, 300, 1500)
    return _spread(size, 3000, 10000)


def _metric_weight(metric: str, seed: str) -> int:
    return _spread(_hash("metric", seed, metric), 200, 2000)


_SCALE = 1000**5


def _quantity(
    base: int, account_scale: int, metric_weight: int, weekday: int, wobble: int, level: int
) -> int:
    return (base * account_scale * metric_weight * weekday * wobble * level + _SCALE // 2) // _SCALE


def _wobble(seed: str, account: str, metric: str, iso_day: str) -> int:
    return _spread(_hash("day", seed, account, metric, iso_day), 850, 1150)


def demo_quantity(
    account: str,
    metric: str,
    day: dt.date,
    *,
    base: int = 1000,
    seed: str = "",
    profile: DemoProfile | None = None,
) -> int:
    """The account's quantity of the day (0 on a day its profile has no usage)."""
    if profile is not None and not profile.has_usage(day):
        return 0
    return _quantity(
        base,
        _account_scale(account, seed, profile),
        _metric_weight(metric, seed),
        WEEKDAY_PER_MILLE[day.weekday()],
        _wobble(seed, account, metric, day.isoformat()),
        profile.level(day) if profile is not None else FULL_LEVEL,
    )


class DemoAdapter(UsageAdapter):
    name = "demo"
    description = "Deterministic made-up usage (embedded default, demos)"
    settings_model = DemoSettings

    settings: DemoSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what does not depend on the day, worked out once per account and metric (a pull asks
        # for the same accounts day after day): the same numbers as demo_quantity's
        self._scales: dict[str, int] = {}
        self._weights = [
            (metric, _metric_weight(metric, self.settings.seed)) for metric in self.settings.metrics
        ]

    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        s = self.settings
        iso_day = day.isoformat()
        weekday = WEEKDAY_PER_MILLE[day.weekday()]
        rows = []
        for account in dict.fromkeys(accounts):
            profile = s.profile_of(account) if s.profiles else None
            if profile is not None and not profile.has_usage(day):
                continue
            scale = self._scales.get(account)
            if scale is None:
                scale = self._scales[account] = _account_scale(account, s.seed, profile)
            level = profile.level(day) if profile is not None else FULL_LEVEL
            for metric, weight in self._weights:
                quantity = _quantity(
                    s.base, scale, weight, weekday, _wobble(s.seed, account, metric, iso_day), level
                )
                rows.append(VendorUsage(account, metric, iso_day, str(quantity)))
        return rows

    async def health_check(self) -> HealthResult:
        return HealthResult(True, "demo data (always available)", 0.0)
