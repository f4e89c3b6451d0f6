"""Template previews and test messages typed by hand: each value is read as its variable's kind.

A form sends text. The seeded reminder templates compare ``days_overdue > 0``; "35" against 0 is
a TypeError in Jinja2, so before the values were typed no seeded reminder template could be
previewed from the form. Each declared variable has a kind and a sample value (the template's
``samples``); a preview and a test message read each value as its kind.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from opcms.billing.summary_notice import summary_variables
from opcms.notifications.models import Notification
from opcms.notifications.variables import KNOWN, VariableKind, typed_values
from tests.backend.factories import token_for
from tests.backend.factories_reminders import make_channel, seed_templates

TEMPLATES, MESSAGES = "/api/v1/notification-templates", "/api/v1/notifications"
SEEDED = importlib.import_module("opcms.migrations.0010_seed_notification_templates")
REMINDERS = ("reminder.customer_email", "reminder.customer_sms", "reminder.owner_wecom")


@pytest.fixture
async def admin(db):
    return await token_for("admin")


def as_typed(sample):
    """A sample value as a form field holds it: text, a list as JSON."""
    return json.dumps(sample, ensure_ascii=False) if isinstance(sample, list) else str(sample)


async def seeded(client, admin) -> dict[str, dict]:
    await seed_templates()
    listed = await client.get(TEMPLATES, token=admin, params={"page_size": 100})
    assert listed.status_code == 200, listed.text
    return {t["code"]: t for t in listed.json()["items"]}


async def test_every_seeded_template_previews_from_its_samples_typed_as_text(client, admin):
    # given the templates migration 0010 seeds, each with a typed sample of every variable
    templates = await seeded(client, admin)
    assert set(REMINDERS) | {"billing.run_summary"} <= set(templates)
    for code in (*REMINDERS, "billing.run_summary"):
        template = templates[code]
        samples = {s["name"]: s for s in template["samples"]}
        assert list(samples) == template["variables"]
        assert samples["period"] == {"name": "period", "kind": "text", "sample": "2026-10"}
        # when it is previewed with the samples as a form sends them (every value text)
        variables = {name: as_typed(s["sample"]) for name, s in samples.items()}
        answer = await client.post(
            f"{TEMPLATES}/{template['id']}/preview", token=admin, json={"variables": variables}
        )
        # then it renders
        assert answer.status_code == 200, (code, answer.text)
        assert answer.json()["content"]
    sample_kinds = {s["name"]: s["kind"] for s in templates["reminder.customer_email"]["samples"]}
    assert sample_kinds["days_overdue"] == "integer" and sample_kinds["outstanding"] == "money"
    assert sample_kinds["due_date"] == "date"


async def test_a_reminder_compares_days_overdue_typed_as_text(client, admin):
    # given the seeded customer e-mail reminder and its samples
    template = (await seeded(client, admin))["reminder.customer_email"]
    variables = {s["name"]: as_typed(s["sample"]) for s in template["samples"]}
    url = f"{TEMPLATES}/{template['id']}/preview"
    # when 35 days overdue is typed, with an amount written with separators
    overdue = await client.post(
        url, token=admin, json={"variables": {**variables, "days_overdue": "35", "outstanding": "12,345.60"}}
    )
    # then the comparison takes it as the number it is
    assert overdue.status_code == 200, overdue.text
    assert "已于 2026-11-15 到期，目前已逾期 35 天" in overdue.json()["content"]
    assert overdue.json()["title"] == "【账单提醒】INV-202610-000001 未付 12345.60 CNY"
    # and JSON numbers are taken as they are
    due = await client.post(
        url, token=admin, json={"variables": {**variables, "days_overdue": 0, "days_until_due": 3}}
    )
    assert due.status_code == 200 and "还有 3 天" in due.json()["content"]


async def test_a_value_not_of_its_kind_is_refused_naming_the_variable(client, admin):
    template = (await seeded(client, admin))["reminder.owner_wecom"]
    variables = {s["name"]: as_typed(s["sample"]) for s in template["samples"]}
    for name, value in (("days_overdue", "abc"), ("due_date", "15/11/2026"), ("total", "1.2.3")):
        answer = await client.post(
            f"{TEMPLATES}/{template['id']}/preview",
            token=admin,
            json={"variables": {**variables, name: value}},
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "template_render_error"
        assert [d["field"] for d in answer.json()["error"]["details"]] == [f"variables.{name}"]


async def test_a_test_message_from_a_seeded_template_takes_text_values_as_their_kinds(client, admin):
    # given the seeded SMS reminder and an SMS channel
    template = (await seeded(client, admin))["reminder.customer_sms"]
    channel = await make_channel("sms")
    variables = {s["name"]: as_typed(s["sample"]) for s in template["samples"]}
    # when a test message is sent with the values typed in the form
    sent = await client.post(
        MESSAGES,
        token=admin,
        json={
            "template_code": template["code"],
            "target": "13800000000",
            "channel": channel.name,
            "variables": {**variables, "days_overdue": "40"},
        },
    )
    # then it is queued with the text the job would have sent
    assert sent.status_code == 202, sent.text
    message = await Notification.get(id=sent.json()["id"])
    assert "目前已逾期 40 天" in message.content and "未付 1100.00 CNY" in message.content


def test_the_kinds_are_what_the_reminders_and_the_run_summary_pass():
    # given the values the run summary passes (ints, money as text, a list of levels)
    execution = SimpleNamespace(
        id=9,
        status="success",
        parameters={"period": "2026-10"},
        counters={},
        result={
            "period": "2026-10",
            "invoices": 2,
            "receivable_total": "2200.00",
            "by_level": [{"level": "A", "invoices": 2, "total": "2200.00"}],
        },
    )
    passed = summary_variables(execution)
    # then every name the senders pass (and the seeded templates declare) has a kind
    assert set(passed) | set(SEEDED.REMINDER_VARIABLES) | set(SEEDED.SUMMARY_VARIABLES) <= set(KNOWN)
    # and reading the passed values as their kinds keeps what they are
    typed = typed_values(list(passed), passed)
    assert typed["invoices"] == 2 and typed["receivable_total"] == Decimal("2200.00")
    assert typed["by_level"] == passed["by_level"] and typed["period"] == "2026-10"
    # the reminder job's money and due date are text: read back as an amount and a date
    reminder = typed_values(
        ["total", "due_date", "days_overdue"], {"total": "0.50", "due_date": "2026-11-15", "days_overdue": 3}
    )
    assert str(reminder["total"]) == "0.50" and reminder["due_date"] == dt.date(2026, 11, 15)
    # each sample is of its kind
    python_types = {
        VariableKind.INTEGER: int,
        VariableKind.MONEY: Decimal,
        VariableKind.DATE: dt.date,
        VariableKind.LIST: list,
        VariableKind.TEXT: str,
    }
    for name, (kind, sample) in KNOWN.items():
        assert isinstance(sample, python_types[kind]), name
