"""``demo``: made-up but plausible usage, the same every time, for the embedded default.

Settings ``{"metrics": ["api_calls", "sms"], "base": 1000, "seed": ""}``. The quantity of
(account, metric, day) is a pure function of those values and the settings — a blake2b hash,
integer arithmetic only, no clock, no randomness — so a re-pull answers exactly what the first
pull did, on any machine:

    quantity = base × account size × metric weight × weekday × daily wobble

* account size: about a quarter of the accounts are small (2–12 % of base), half are medium
  (30–150 %), the rest large (3–10 ×);
* metric weight: 20–200 %, fixed per metric;
* weekday: Monday–Friday 95–106 %, Saturday 45 %, Sunday 38 %;
* daily wobble: 85–115 %.

Quantities are whole numbers, as text. Every account asked for gets every metric.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opcms.usage.adapters.contract import HealthResult, UsageAdapter, VendorUsage

__all__ = ["DemoAdapter", "demo_quantity"]

# per mille, Monday first
WEEKDAY_PER_MILLE = (1000, 1040, 1060, 1030, 950, 450, 380)


class DemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(default_factory=lambda: ["api_calls", "sms"], min_length=1, max_length=100)
    base: int = Field(default=1000, ge=0, le=10**12)
    seed: str = Field(default="", max_length=64)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        if any(not isinstance(m, str) or not m.strip() for m in value):
            raise ValueError("metric codes must be non-empty strings")
        return list(dict.fromkeys(value))


def _hash(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8, person=b"opcms-demo").digest()
    return int.from_bytes(digest, "big")


def _spread(value: int, low: int, high: int) -> int:
    """A number in [low, high] picked by ``value``."""
    return low + value % (high - low + 1)


def demo_quantity(account: str, metric: str, day: dt.date, *, base: int = 1000, seed: str = "") -> int:
    tier = _hash("tier", seed, account)
    size = tier >> 8
    if tier % 100 < 25:
        account_scale = _spread(size, 20, 120)
    elif tier % 100 < 75:
        account_scale = _spread(size, 300, 1500)
    else:
        account_scale = _spread(size, 3000, 10000)
    metric_weight = _spread(_hash("metric", seed, metric), 200, 2000)
    weekday = WEEKDAY_PER_MILLE[day.weekday()]
    wobble = _spread(_hash("day", seed, account, metric, day.isoformat()), 850, 1150)
    scale = 1000**4
    return (base * account_scale * metric_weight * weekday * wobble + scale // 2) // scale


class DemoAdapter(UsageAdapter):
    name = "demo"
    description = "Deterministic made-up usage (embedded default, demos)"
    settings_model = DemoSettings

    settings: DemoSettings

    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        s = self.settings
        return [
            VendorUsage(
                account,
                metric,
                day.isoformat(),
                str(demo_quantity(account, metric, day, base=s.base, seed=s.seed)),
            )
            for account in dict.fromkeys(accounts)
            for metric in s.metrics
        ]

    async def health_check(self) -> HealthResult:
        return HealthResult(True, "demo data (always available)", 0.0)
