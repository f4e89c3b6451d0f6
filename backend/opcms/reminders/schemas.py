"""Parameters of the overdue-reminders job (issue 7 item 8)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from opcms.core.i18n import Invalid
from opcms.core.schemas import Schema

DEFAULT_STAGES = [-3, 1, 7, 15, 30]
MAX_STAGE_DAYS = 365


class ReminderParameters(Schema):
    # days relative to the due date: -3 is three days before it, 7 a week after
    stages: list[int] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=1, max_length=50)
    # the business day the reminders are for; empty: today
    day: dt.date | None = None

    @field_validator("stages")
    @classmethod
    def _sensible_stages(cls, stages: list[int]) -> list[int]:
        if len(set(stages)) != len(stages):
            raise Invalid("stage_twice", "each stage at most once")
        if any(abs(stage) > MAX_STAGE_DAYS for stage in stages):
            raise Invalid("stage_range", "stages are days between -{limit} and {limit}", limit=MAX_STAGE_DAYS)
        return sorted(stages)
