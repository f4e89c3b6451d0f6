"""The business figures on /metrics, read from the database: after a usage pull, an invoice run,
messages delivered, given up on and waiting, and a failed login, the exposition text names each
with its labels and its count; /metrics answers only whom its setting lets in."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opcms.billing.run import TASK_NAME as INVOICE_RUN
from opcms.core.i18n import EN
from opcms.core.models import utcnow
from opcms.core.observability import _BusinessFigures
from opcms.notifications import delivery
from opcms.notifications.models import Notification
from opcms.usage.pull import TASK_NAME as USAGE_PULL
from tests.backend.conftest import Api
from tests.backend.factories import token_for
from tests.backend.factories_notifications import VARIABLES, make_bot_channel, make_channel, make_template
from tests.backend.fake_vendor import FakeVendor
from tests.backend.fake_wecom import FakeWeCom
from tests.backend.test_billing_run import bill
from tests.backend.test_billing_support import golden_book
from tests.backend.test_usage_pull import given_mapped_customer, given_source, pull, usage

MESSAGES = "/api/v1/notifications"


@pytest.fixture
def read_afresh(app, monkeypatch):
    """Every scrape reads the database (no figures reused from an earlier one)."""
    monkeypatch.setattr(app.ctx, "settings", app.ctx.settings.model_copy(update={"metrics_cache_seconds": 0}))
    return app


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(seen: dict, name: str, **labels: str) -> float:
    return seen[name, frozenset(labels.items())]


async def test_a_pull_a_run_messages_and_a_failed_login_show_on_metrics_with_their_labels(
    client, read_afresh
):
    admin_token = await token_for("admin")
    # given an invoice run for March: three invoices, one customer without a charge
    await golden_book()
    await bill()
    # and a usage pull: one row written, one negative row held as an anomaly
    with FakeVendor(auth="bearer", paging="page", default_page_size=2) as vendor:
        source = await given_source(vendor, name="vendor-m")
        await given_mapped_customer(source, "acct-m")
        vendor.records = [usage("acct-m", 10), usage("acct-m", -5, metric="sms")]
        pulled = await pull()
    assert pulled.result == {"breakdown": {"vendor-m": {"records": 2, "written": 1, "anomalies": 1}}}
    # and on one channel: a message delivered, one given up on, one waiting for an hour
    with FakeWeCom(bot_key="metrics-bot") as wecom:
        channel = await make_bot_channel(wecom, name="ops-bot", max_attempts=1)
        await make_template(channel, code="metrics_notice")
        sent = [
            (
                await client.post(
                    MESSAGES,
                    token=admin_token,
                    json={"template_code": "metrics_notice", "variables": VARIABLES},
                )
            ).json()["id"]
            for _ in range(3)
        ]
        await delivery.deliver(sent[0])
        wecom.fail_next("500")
        await delivery.deliver(sent[1])
        # and one that failed over: a failed try on the bot, then sent by SMS
        await make_channel("sms", name="ops-sms")
        failed_over = await client.post(
            MESSAGES,
            token=admin_token,
            json={
                "template_code": "metrics_notice",
                "variables": VARIABLES,
                "fallback_channels": ["ops-sms"],
                "targets": {"sms": "13800000000"},
            },
        )
        wecom.fail_next("500")
        assert await delivery.deliver(failed_over.json()["id"]) == "pending"
        assert await delivery.deliver(failed_over.json()["id"]) == "sent"
    await Notification.filter(id=sent[2]).update(created_at=utcnow() - dt.timedelta(hours=1))
    # and a failed login
    await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "Wrong-guess-1"})

    # when /metrics is read
    response = await client.get("/metrics")

    # then
    assert response.status_code == 200, response.text
    seen = samples(response.text)
    assert value(seen, "opcms_task_executions_total", job=INVOICE_RUN, status="success") == 1
    assert value(seen, "opcms_task_executions_total", job=USAGE_PULL, status="success") == 1
    assert value(seen, "opcms_task_execution_duration_seconds_count", job=INVOICE_RUN) == 1
    assert value(seen, "opcms_task_counted_total", job=INVOICE_RUN, counter="succeeded") == 3
    assert value(seen, "opcms_task_counted_total", job=INVOICE_RUN, counter="failed") == 0
    assert value(seen, "opcms_task_last_run_counted", job=INVOICE_RUN, counter="no_charge") == 1
    assert value(seen, "opcms_task_counted_total", job=USAGE_PULL, counter="records") == 2
    assert value(seen, "opcms_task_counted_total", job=USAGE_PULL, counter="written") == 1
    assert value(seen, "opcms_task_counted_total", job=USAGE_PULL, counter="anomalies") == 1
    assert value(seen, "opcms_usage_records_fetched_total", source="vendor-m") == 2
    assert value(seen, "opcms_usage_records_written_total", source="vendor-m") == 1
    assert value(seen, "opcms_usage_records_held_total", source="vendor-m") == 1
    assert (
        value(seen, "opcms_usage_anomalies", source="vendor-m", kind="negative_quantity", status="open") == 1
    )
    assert value(seen, "opcms_invoices_issued_total") == 3
    assert value(seen, "opcms_invoices", status="unsettled") == 3
    assert value(seen, "opcms_notifications", channel="ops-bot", status="sent") == 1
    assert value(seen, "opcms_notifications", channel="ops-bot", status="dead") == 1
    assert value(seen, "opcms_notifications", channel="ops-bot", status="pending") == 1
    # attempts counted on the channel each was made on (the message that failed over: one on each)
    assert value(seen, "opcms_notification_attempts_total", channel="ops-bot") == 3
    assert value(seen, "opcms_notification_attempts_total", channel="ops-sms") == 1
    assert value(seen, "opcms_notifications", channel="ops-sms", status="sent") == 1
    assert value(seen, "opcms_notification_dead_letters", channel="ops-bot") == 1
    assert value(seen, "opcms_notification_backlog", channel="ops-bot") == 1
    assert value(seen, "opcms_login_failures_total") == 1
    assert value(seen, "opcms_business_metrics_up") == 1
    assert value(seen, "opcms_allocations_recorded_total", reversed="false") == 0


async def test_figures_are_kept_for_their_age_then_read_again(client, app, monkeypatch):
    # given figures kept for an hour, read once with no failed login yet
    settings_of(app, monkeypatch, metrics_cache_seconds=3600)
    monkeypatch.setattr(_BusinessFigures, "read_at", None)
    before = samples((await client.get("/metrics")).text)
    assert value(before, "opcms_login_failures_total") == 0
    # when a login fails, then a scrape within the hour still shows the figures it kept
    await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "Wrong-guess-1"})
    kept = samples((await client.get("/metrics")).text)
    assert value(kept, "opcms_login_failures_total") == 0
    # and once the hour has passed, the next scrape reads the database again and counts it
    monkeypatch.setattr(_BusinessFigures, "read_at", _BusinessFigures.read_at - 3601)
    after = samples((await client.get("/metrics")).text)
    assert value(after, "opcms_login_failures_total") == 1


def settings_of(app, monkeypatch, **changes) -> None:
    monkeypatch.setattr(app.ctx, "settings", app.ctx.settings.model_copy(update=changes))


def from_address(app, address: str) -> Api:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return Api(transport=transport, base_url="http://opcms.test", headers={"Accept-Language": EN})


async def test_with_a_token_only_a_scraper_sending_it_reads_metrics(app, db, monkeypatch):
    # given a metrics token
    settings_of(app, monkeypatch, metrics_token="scrape-Token-0123456789")
    async with from_address(app, "127.0.0.1") as scraper:
        # when read without it, or with another, then 401 in the error shape
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-Token-0123456789"}):
            refused = await scraper.get("/metrics", headers=headers)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized", headers
        # when read with it, then the figures
        allowed = await scraper.get("/metrics", headers={"Authorization": "Bearer scrape-Token-0123456789"})
        assert allowed.status_code == 200 and "opcms_invoices_issued_total" in allowed.text


async def test_in_production_without_a_token_only_this_host_reads_metrics(app, db, monkeypatch):
    # given production settings without a metrics token
    settings_of(app, monkeypatch, env="production", metrics_token="")
    # when another host asks, or this host on a proxy's behalf, then 403
    async with from_address(app, "10.9.8.7") as elsewhere:
        refused = await elsewhere.get("/metrics")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    async with from_address(app, "127.0.0.1") as here:
        proxied = await here.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
        # when this host asks itself, then the figures
        direct = await here.get("/metrics")
        assert direct.status_code == 200 and "opcms_login_failures_total" in direct.text
