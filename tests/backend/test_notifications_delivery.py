"""Sending and delivering notifications on a real database, against fake WeCom and SMTP
servers on loopback: rendering, retries with backoff, dead letters, manual resend, rate
limits (Redis and the database fallback), the sweeper, and a real Celery worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest
import redis

from opcms.core.audit import AuditLog
from opcms.core.models import utcnow
from opcms.notifications import delivery, ratelimit, service
from opcms.notifications.errors import (
    ChannelUnavailable,
    NotResendable,
    TemplateRenderError,
)
from opcms.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    Priority,
)
from tests.backend.conftest import TEST_REDIS_URL
from tests.backend.factories_notifications import (
    VARIABLES,
    make_app_channel,
    make_bot_channel,
    make_channel,
    make_email_channel,
    make_template,
)
from tests.backend.fake_wecom import FakeSmtp
from tests.backend.processes import celery_sends_to, free_port, opcms, stop
from tests.backend.waiting import wait_until

S = NotificationStatus


@pytest.fixture
def redis_rate_limit(settings, monkeypatch):
    """Rate limits kept in Redis (db of this test run) instead of counted in the database.

    The session's settings object is changed in place (not re-read from the environment), so
    later tests that patch it still patch the object the code reads."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    monkeypatch.setattr(settings, "redis_url", TEST_REDIS_URL)
    yield client
    client.flushdb()


async def reload(notification: Notification) -> Notification:
    return await Notification.get(id=notification.id)


# --- send ----------------------------------------------------------------------------------------
async def test_send_renders_stores_pending_and_delivery_sends_it(db, wecom):
    # given a bot channel and a template
    channel = await make_bot_channel(wecom)
    await make_template(channel, code="invoice_overdue")
    # when a module sends with the variables
    sent = await service.send("invoice_overdue", "", VARIABLES, Priority.HIGH, subject=("invoice", 42))
    # then a pending row holds the rendered text, and the send is audited
    row = await service.status(sent.id)
    assert row.status == S.PENDING and row.attempts == 0 and row.channel_id == channel.id
    assert (
        row.title == "发票 INV-202611-0001 已逾期"
        and row.content == "测试客户：应付 1,234.50 元，请尽快付款。"
    )
    assert (row.subject_type, row.subject_id, row.priority) == ("invoice", 42, Priority.HIGH)
    assert await AuditLog.filter(entity_type="notification", entity_id=str(row.id), action="create").exists()
    # and when it is delivered, it goes out once and is recorded as sent
    assert await delivery.deliver(row.id) == S.SENT
    row = await reload(row)
    assert row.status == S.SENT and row.attempts == 1 and row.sent_at is not None and row.last_error is None
    assert [m["markdown"]["content"] for m in wecom.messages] == [f"**{row.title}**\n{row.content}"]
    # a second delivery of the same row does nothing
    assert await delivery.deliver(row.id) is None and len(wecom.messages) == 1


async def test_a_missing_variable_is_refused_and_nothing_is_stored(db, wecom):
    channel = await make_bot_channel(wecom)
    await make_template(channel, code="t")
    with pytest.raises(TemplateRenderError) as refused:
        await service.send("t", "", {"invoice_no": "X", "customer": "Y"})
    assert refused.value.status == 422 and "amount" in refused.value.message
    assert await Notification.all().count() == 0


async def test_no_channel_or_a_disabled_one_is_refused(db, wecom):
    await make_template(None, code="no_default")
    with pytest.raises(ChannelUnavailable):
        await service.send("no_default", "", VARIABLES)
    disabled = await make_bot_channel(wecom, is_enabled=False)
    with pytest.raises(ChannelUnavailable):
        await service.send("no_default", "", VARIABLES, channel=disabled.name)
    with pytest.raises(ChannelUnavailable):
        await service.send("no_default", "", VARIABLES, channel="nope")
    assert await Notification.all().count() == 0


async def test_a_named_channel_overrides_the_default_and_checks_the_target(db, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    sms = await make_channel("sms")
    row = await service.send("t", "13800000000", VARIABLES, channel=sms.name)
    assert row.channel_id == sms.id
    assert await delivery.deliver(row.id) == S.SENT
    assert (await reload(row)).provider_reference.startswith("log-")
    from opcms.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        await service.send("t", "not a phone", VARIABLES, channel=sms.name)


async def test_the_broker_down_leaves_the_row_pending_for_the_sweeper(db, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    # given a broker nobody answers at, when a module sends, then it is not refused
    with celery_sends_to(f"redis://127.0.0.1:{free_port()}/0"):
        row = await service.send("t", "", VARIABLES)
        assert (await reload(row)).status == S.PENDING
        # and the sweeper, with the broker still down, leaves it for the next sweep
        swept = await delivery.sweep_due(utcnow() + dt.timedelta(minutes=2))
    assert swept["requeued"] == 0 and swept["not_queued"] == 1
    assert await delivery.sweep_due(utcnow() + dt.timedelta(minutes=2)) == {
        "requeued": 1,
        "not_queued": 0,
        "released": 0,
    }


# --- retries ---------------------------------------------------------------------------------------
async def test_a_server_error_is_retried_after_a_backoff_then_sent(db, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    row = await service.send("t", "", VARIABLES)
    wecom.fail_next("500")
    now = utcnow()
    # when the first attempt meets a 500
    assert await delivery.deliver(row.id, now=now) == S.FAILED
    row = await reload(row)
    # then it waits 30 s (± jitter) before the next attempt
    assert row.attempts == 1 and "500" in row.last_error
    wait = (row.next_attempt_at - now).total_seconds()
    assert 22.5 <= wait <= 37.5
    # not before its time
    assert await delivery.deliver(row.id, now=now + dt.timedelta(seconds=10)) is None
    # and at its time it goes out
    assert await delivery.deliver(row.id, now=row.next_attempt_at) == S.SENT
    row = await reload(row)
    assert row.status == S.SENT and row.attempts == 2 and len(wecom.messages) == 1


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour_with_jitter():
    assert [delivery.backoff_seconds(n, jitter=False) for n in (1, 2, 3, 8, 30)] == [30, 60, 120, 3600, 3600]
    spread = {round(delivery.backoff_seconds(2), 3) for _ in range(50)}
    assert len(spread) > 1 and all(45 <= s <= 75 for s in spread)
    assert all(delivery.backoff_seconds(9) <= 3600 for _ in range(50))


async def test_max_attempts_make_it_dead_and_a_manual_resend_sends_it(db, wecom):
    # given a channel allowing three attempts and WeCom failing three times
    await make_template(await make_bot_channel(wecom, max_attempts=3), code="t")
    row = await service.send("t", "", VARIABLES)
    wecom.fail_next("503", times=3)
    now = utcnow()
    outcomes = []
    for _ in range(3):
        outcomes.append(await delivery.deliver(row.id, now=now))
        now = (await reload(row)).next_attempt_at or now
    # then the third failure is the last: dead, not tried again
    assert outcomes == [S.FAILED, S.FAILED, S.DEAD]
    row = await reload(row)
    assert (
        row.status == S.DEAD
        and row.attempts == 3
        and row.next_attempt_at is None
        and "3 attempts" in row.last_error
    )
    assert await delivery.deliver(row.id, now=now + dt.timedelta(hours=2)) is None
    # when it is re-sent by hand
    again = await service.resend(row.id)
    assert again.status == S.PENDING and again.attempts == 0
    assert await AuditLog.filter(
        entity_type="notification", entity_id=str(row.id), action="status_change"
    ).exists()
    # then it goes out
    assert await delivery.deliver(row.id) == S.SENT
    assert (await reload(row)).status == S.SENT and len(wecom.messages) == 1


async def test_a_refusal_for_good_is_dead_at_once(db, wecom):
    channel = await make_channel(
        "wecom_bot", secrets={"webhook_url": f"{wecom.url}/cgi-bin/webhook/send?key=wrong"}
    )
    await make_template(channel, code="t")
    row = await service.send("t", "", VARIABLES)
    assert await delivery.deliver(row.id) == S.DEAD
    row = await reload(row)
    assert row.attempts == 1 and "93000" in row.last_error


async def test_only_dead_or_failed_messages_are_resent(db, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    row = await service.send("t", "", VARIABLES)
    with pytest.raises(NotResendable):
        await service.resend(row.id)
    await delivery.deliver(row.id)
    with pytest.raises(NotResendable) as refused:
        await service.resend(row.id)
    assert refused.value.status == 409


async def test_a_channel_disabled_after_sending_makes_the_message_dead(db, wecom):
    channel = await make_bot_channel(wecom)
    await make_template(channel, code="t")
    row = await service.send("t", "", VARIABLES)
    await NotificationChannel.filter(id=channel.id).update(is_enabled=False)
    assert await delivery.deliver(row.id) == S.DEAD
    assert "disabled" in (await reload(row)).last_error and wecom.messages == []


async def test_only_one_of_two_workers_sends_a_message(db, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    row = await service.send("t", "", VARIABLES)
    outcomes = await asyncio.gather(delivery.deliver(row.id), delivery.deliver(row.id))
    assert sorted(outcomes, key=str) == [None, S.SENT]
    assert len(wecom.messages) == 1


# --- WeCom app and e-mail through delivery -------------------------------------------------------
async def test_an_expired_wecom_token_is_refreshed_during_delivery(db, wecom):
    await make_template(await make_app_channel(wecom), code="t")
    first = await service.send("t", "zhangsan", VARIABLES)
    assert await delivery.deliver(first.id) == S.SENT
    # given WeCom expiring the cached token (it answers 42001 once)
    wecom.expire_tokens()
    second = await service.send("t", "zhangsan|lisi", VARIABLES)
    # then the delivery fetches a new token, sends again, and counts one attempt
    assert await delivery.deliver(second.id) == S.SENT
    second = await reload(second)
    assert second.attempts == 1 and second.provider_reference == "msg-2"
    assert len(wecom.calls_to("/cgi-bin/gettoken")) == 2


async def test_email_is_delivered_over_smtp(db):
    with FakeSmtp() as smtp:
        await make_template(await make_email_channel(smtp), code="t")
        row = await service.send("t", "finance@customer.cn", VARIABLES)
        smtp.fail_next(451)
        assert await delivery.deliver(row.id) == S.FAILED
        assert await delivery.deliver(row.id, now=(await reload(row)).next_attempt_at) == S.SENT
    row = await reload(row)
    assert row.attempts == 2 and row.provider_reference.startswith("<")
    assert [m["to"] for m in smtp.messages] == [["finance@customer.cn"]]


# --- rate limits ---------------------------------------------------------------------------------
async def _burst(wecom, n: int, now: dt.datetime) -> list[Notification]:
    await make_template(await make_bot_channel(wecom, rate_per_minute=20), code="t")
    rows = [await service.send("t", "", VARIABLES) for _ in range(n)]
    for row in rows:
        await delivery.deliver(row.id, now=now)
    return [await reload(row) for row in rows]


async def _the_21st_waits_for_the_window(wecom, now: dt.datetime) -> None:
    # given 21 messages to a bot that takes 20 a minute, all due at once
    rows = await _burst(wecom, 21, now)
    # then 20 go out at once, and the 21st is left pending until a minute after the first
    assert [r.status for r in rows[:20]] == [S.SENT] * 20 and len(wecom.messages) == 20
    last = rows[20]
    assert last.status == S.PENDING and last.attempts == 0 and last.sent_at is None
    assert last.next_attempt_at >= now + dt.timedelta(seconds=59)
    # nothing goes out within that minute, even if a worker asks
    assert await delivery.deliver(last.id, now=now + dt.timedelta(seconds=30)) is None
    # and when the minute is over, it is sent
    assert await delivery.deliver(last.id, now=last.next_attempt_at) == S.SENT
    last = await reload(last)
    assert (
        last.status == S.SENT and last.sent_at >= now + dt.timedelta(seconds=59) and len(wecom.messages) == 21
    )


async def test_the_21st_bot_message_in_a_minute_waits_counted_in_the_database(db, wecom):
    await _the_21st_waits_for_the_window(wecom, utcnow())


async def test_the_21st_bot_message_in_a_minute_waits_with_the_redis_bucket(db, wecom, redis_rate_limit):
    await _the_21st_waits_for_the_window(wecom, utcnow())
    # the tokens were taken from the bucket in Redis (21 of them, the first 20 now out of the window)
    [key] = redis_rate_limit.keys(f"{ratelimit.KEY_PREFIX}*")
    assert redis_rate_limit.zcard(key) >= 1


async def test_the_redis_bucket_gives_each_token_back_a_minute_after_it_was_taken(db, redis_rate_limit):
    # given a bucket of 3 a minute, with time moved by hand
    t0 = 1_800_000_000.0
    waits = [await ratelimit.take_redis_token(TEST_REDIS_URL, 99, 3, t0 + i) for i in range(4)]
    # then three tokens at once, the fourth waits until the first is a minute old
    assert waits[:3] == [0, 0, 0] and waits[3] == pytest.approx(57, abs=0.01)
    assert await ratelimit.take_redis_token(TEST_REDIS_URL, 99, 3, t0 + 59.5) == pytest.approx(0.5, abs=0.01)
    assert await ratelimit.take_redis_token(TEST_REDIS_URL, 99, 3, t0 + 60) == 0
    # other channels have their own bucket
    assert await ratelimit.take_redis_token(TEST_REDIS_URL, 100, 3, t0 + 3) == 0


async def test_redis_down_falls_back_to_counting_in_the_database(db, wecom, settings, monkeypatch):
    monkeypatch.setattr(settings, "redis_url", f"redis://127.0.0.1:{free_port()}/0")
    rows = await _burst(wecom, 21, utcnow())
    assert [r.status for r in rows].count(S.SENT) == 20 and rows[20].status == S.PENDING


# --- the sweeper ---------------------------------------------------------------------------------
async def test_the_sweeper_queues_due_rows_high_priority_first_and_releases_stuck_ones(db, wecom):
    await make_template(await make_bot_channel(wecom, max_attempts=2), code="t")
    low = await service.send("t", "", VARIABLES, Priority.LOW)
    normal = await service.send("t", "", VARIABLES)
    high = await service.send("t", "", VARIABLES, Priority.HIGH)
    fresh_now = utcnow()
    # rows whose queue message may still be on its way are left alone
    assert await delivery.due_ids(fresh_now) == []
    later = fresh_now + dt.timedelta(minutes=2)
    assert await delivery.due_ids(later) == [high.id, normal.id, low.id]
    # given a row a dead worker left in `sending` 11 minutes ago
    stuck = await service.send("t", "", VARIABLES)
    assert await delivery.claim(stuck.id, fresh_now)
    swept = await delivery.sweep_due(fresh_now + dt.timedelta(minutes=11))
    # then it counts as a failed attempt and is due again; the others are queued
    stuck = await reload(stuck)
    assert stuck.status == S.FAILED and stuck.attempts == 1 and "worker stopped" in stuck.last_error
    assert swept == {"requeued": 3, "not_queued": 0, "released": 1}
    # stuck again with no attempts left: dead
    assert await delivery.claim(stuck.id, fresh_now + dt.timedelta(minutes=11))
    await delivery.sweep_due(fresh_now + dt.timedelta(minutes=22))
    assert (await reload(stuck)).status == S.DEAD


# --- a real worker -------------------------------------------------------------------------------
@pytest.mark.slow
async def test_a_celery_worker_delivers_what_is_sent(db, wecom, settings):
    # given a worker on Redis sharing the database, and a bot channel on the fake WeCom
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    await make_template(await make_bot_channel(wecom), code="t")
    env = {**os.environ, "OPCMS_BROKER_URL": TEST_REDIS_URL, "OPCMS_VAR_DIR": str(settings.var_dir.resolve())}
    worker = opcms("worker", "--concurrency", "1", env=env)
    try:
        # when a module sends
        with celery_sends_to(TEST_REDIS_URL):
            rows = [await service.send("t", "", VARIABLES, priority) for priority in Priority]

        async def statuses():
            nonlocal rows
            rows = [await reload(row) for row in rows]
            return [(row.status, row.last_error) for row in rows]

        await wait_until(
            statuses,
            timeout=60,
            what="the three messages to be sent",
            done=lambda seen: all(status == S.SENT for status, _ in seen),
        )
    finally:
        stop(worker)
    # then the worker sent each through the channel, whatever its queue priority
    assert [(row.status, row.attempts) for row in rows] == [(S.SENT, 1)] * 3, [
        (r.status, r.last_error) for r in rows
    ]
    assert len(wecom.messages) == 3


async def test_the_database_window_waits_for_the_send_that_frees_a_place(db, wecom):
    # given a channel of 3 a minute that sent at t, t+10 s and t+20 s
    await make_template(await make_bot_channel(wecom, rate_per_minute=3), code="t")
    t = utcnow()
    rows = [await service.send("t", "", VARIABLES) for _ in range(4)]
    for i, row in enumerate(rows[:3]):
        assert await delivery.deliver(row.id, now=t + dt.timedelta(seconds=10 * i)) == S.SENT
    # when a fourth is due at t+30 s, then it waits for the first send to leave the window (t+60 s)
    assert await delivery.deliver(rows[3].id, now=t + dt.timedelta(seconds=30)) == S.PENDING
    waiting = await reload(rows[3])
    assert t + dt.timedelta(seconds=59) <= waiting.next_attempt_at <= t + dt.timedelta(seconds=61)


async def test_a_template_rendering_too_much_is_refused(db, wecom):
    await make_template(
        await make_bot_channel(wecom),
        code="big",
        body="{% for i in range(n) %}0123456789{% endfor %}",
        title="",
        variables=["n"],
    )
    with pytest.raises(TemplateRenderError):
        await service.send("big", "", {"n": 10_000})
    assert await Notification.all().count() == 0
