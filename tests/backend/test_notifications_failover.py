"""Failover of notifications on a real database, against fake WeCom and SMTP servers on loopback:
a message continues on the next channel of its chain when its channel is disabled, unhealthy
or out of attempts, every attempt (and every channel passed over) kept in its history; the
scheduled health check of the channels; the API that configures and shows all of it."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib

import pytest

from opcms.core.audit import AuditLog
from opcms.core.models import utcnow
from opcms.jobs.models import ExecutionStatus
from opcms.jobs.service import run_now
from opcms.notifications import delivery, service
from opcms.notifications.errors import ChannelUnavailable
from opcms.notifications.models import (
    AttemptOutcome,
    ChannelHealth,
    MoveOnReason,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationStatus,
)
from opcms.notifications.tasks import CHECK_CHANNELS_JOB
from tests.backend.factories import token_for
from tests.backend.factories_notifications import (
    VARIABLES,
    make_app_channel,
    make_bot_channel,
    make_channel,
    make_email_channel,
    make_template,
)
from tests.backend.fake_wecom import FakeSmtp

S = NotificationStatus
Out = AttemptOutcome
CHANNELS, TEMPLATES, MESSAGES = (
    "/api/v1/notification-channels",
    "/api/v1/notification-templates",
    "/api/v1/notifications",
)


async def reload(notification: Notification) -> Notification:
    return await Notification.get(id=notification.id)


async def history(notification: Notification) -> list[tuple[int, str, int, Out, MoveOnReason | None]]:
    """(channel, target, attempt number, outcome, why it moved on) of every attempt, oldest first."""
    rows = await NotificationAttempt.filter(notification_id=notification.id).order_by("id")
    return [(r.channel_id, r.target, r.attempt, r.outcome, r.moved_on) for r in rows]


async def deliver_until_settled(notification: Notification, limit: int = 10) -> Notification:
    """Deliver at each due time until the message is sent or dead (what the worker does)."""
    now = utcnow()
    for _ in range(limit):
        row = await reload(notification)
        if row.status in (S.SENT, S.DEAD):
            return row
        now = max(now, row.next_attempt_at or now)
        await delivery.deliver(row.id, now=now)
    raise AssertionError(f"notification {notification.id} not settled after {limit} deliveries")


# --- moving on ----------------------------------------------------------------------------------
async def test_a_message_whose_channel_is_disabled_goes_out_on_its_fallback(db, wecom, smtp):
    # given a template on a WeCom app channel falling back to e-mail, and the app channel disabled
    app = await make_app_channel(wecom)
    email = await make_email_channel(smtp)
    await make_template(app, code="t", fallback_channel_ids=[email.id])
    await NotificationChannel.filter(id=app.id).update(is_enabled=False)
    # when a message is sent to a WeCom user with an e-mail address for the e-mail channel
    row = await service.send("t", "zhangsan", VARIABLES, targets={"email": "finance@customer.cn"})
    assert row.channel_id == app.id and row.status == S.PENDING
    # then one delivery passes the app channel over and sends it by e-mail
    assert await delivery.deliver(row.id) == S.SENT
    row = await reload(row)
    assert (row.channel_id, row.target, row.hop, row.attempts) == (email.id, "finance@customer.cn", 1, 1)
    assert [m["to"] for m in smtp.messages] == [["finance@customer.cn"]] and wecom.messages == []
    assert await history(row) == [
        (app.id, "zhangsan", 0, Out.SKIPPED, MoveOnReason.CHANNEL_DISABLED),
        (email.id, "finance@customer.cn", 1, Out.SENT, None),
    ]


async def test_a_channel_out_of_attempts_hands_over_to_the_next_and_every_attempt_is_kept(db, wecom):
    # given a bot allowing two attempts, falling back to SMS, and WeCom failing twice
    bot = await make_bot_channel(wecom, max_attempts=2)
    sms = await make_channel("sms", max_attempts=3)
    await make_template(bot, code="t", fallback_channel_ids=[sms.id])
    row = await service.send("t", "", VARIABLES, targets={"sms": "13800000000"})
    wecom.fail_next("503", times=2)
    now = utcnow()
    # when it is delivered: a failure, a retry after the backoff that fails too
    assert await delivery.deliver(row.id, now=now) == S.FAILED
    failed = await reload(row)
    assert await delivery.deliver(row.id, now=failed.next_attempt_at) == S.PENDING
    # then it moved on to SMS: the new channel and target, no attempts on it yet, due now
    moved = await reload(row)
    assert (moved.status, moved.channel_id, moved.target, moved.hop) == (S.PENDING, sms.id, "13800000000", 1)
    assert (moved.attempts, moved.max_attempts) == (0, 3)
    assert "gave up after 2 attempts" in moved.last_error
    # and the next delivery sends it there
    assert await delivery.deliver(row.id, now=failed.next_attempt_at) == S.SENT
    sent = await reload(row)
    assert sent.status == S.SENT and sent.attempts == 1 and sent.provider_reference.startswith("log-")
    assert await history(row) == [
        (bot.id, "", 1, Out.FAILED, None),
        (bot.id, "", 2, Out.FAILED, MoveOnReason.ATTEMPTS_EXHAUSTED),
        (sms.id, "13800000000", 1, Out.SENT, None),
    ]
    attempts = await NotificationAttempt.filter(notification_id=row.id).order_by("id")
    assert all(a.started_at <= a.finished_at for a in attempts) and "503" in attempts[0].error
    assert attempts[2].provider_reference == sent.provider_reference
    # a sent message is never delivered again, on any channel
    assert await delivery.deliver(row.id, now=utcnow() + dt.timedelta(hours=1)) is None
    assert await NotificationAttempt.filter(notification_id=row.id).count() == 3


async def test_an_unhealthy_channel_is_passed_over_but_the_last_one_is_still_tried(db, wecom, client):
    # given a bot whose webhook key is wrong, found unhealthy by "check now"
    broken = await make_channel(
        "wecom_bot", secrets={"webhook_url": f"{wecom.url}/cgi-bin/webhook/send?key=nope"}
    )
    checked = await client.post(f"{CHANNELS}/{broken.id}/check", token=await token_for("admin"))
    assert checked.status_code == 200, checked.text
    assert checked.json()["health_status"] == "unhealthy" and "93000" in checked.json()["health_error"]
    sms = await make_channel("sms")
    await make_template(broken, code="t", fallback_channel_ids=[sms.id])
    # when a message with a fallback is delivered, then the unhealthy bot is not even tried
    row = await service.send("t", "", VARIABLES, targets={"sms": "13800000000"})
    assert await delivery.deliver(row.id) == S.SENT
    assert await history(row) == [
        (broken.id, "", 0, Out.SKIPPED, MoveOnReason.CHANNEL_UNHEALTHY),
        (sms.id, "13800000000", 1, Out.SENT, None),
    ]
    assert wecom.calls_to("/cgi-bin/webhook/send")[-1].body == {}  # only the health check's empty post
    # and a message with no fallback is still tried on it (the check may be stale): refused, dead
    alone = await service.send("t", "", VARIABLES, fallback=[])
    assert await delivery.deliver(alone.id) == S.DEAD
    assert await history(alone) == [(broken.id, "", 1, Out.REFUSED, None)]


async def test_a_channel_without_a_target_is_passed_over_with_its_reason(db, wecom, smtp):
    # given a bot that refuses for good, then e-mail, then SMS; the send gives only a phone number
    bot = await make_channel(
        "wecom_bot", secrets={"webhook_url": f"{wecom.url}/cgi-bin/webhook/send?key=nope"}
    )
    email = await make_email_channel(smtp)
    sms = await make_channel("sms")
    await make_template(bot, code="t", fallback_channel_ids=[email.id, sms.id])
    row = await service.send("t", "", VARIABLES, targets={"sms": "13800000000"})
    # when delivered: the bot refuses, the message moves on at once
    assert await delivery.deliver(row.id) == S.PENDING
    # then e-mail, with no address, is passed over and SMS sends it
    assert await delivery.deliver(row.id) == S.SENT
    assert await history(row) == [
        (bot.id, "", 1, Out.REFUSED, MoveOnReason.REFUSED),
        (email.id, "", 0, Out.SKIPPED, MoveOnReason.NO_TARGET),
        (sms.id, "13800000000", 1, Out.SENT, None),
    ]
    skipped = await NotificationAttempt.get(notification_id=row.id, outcome=Out.SKIPPED)
    assert "no target" in skipped.error and "email" in skipped.error
    assert smtp.messages == []


async def test_when_the_chain_is_exhausted_the_message_is_dead_and_a_resend_starts_over(db, wecom, smtp):
    # given a bot failing for good and e-mail refusing the mailbox
    bot = await make_bot_channel(wecom, max_attempts=1)
    email = await make_email_channel(smtp, max_attempts=2)
    await make_template(bot, code="t", fallback_channel_ids=[email.id])
    row = await service.send("t", "", VARIABLES, targets={"email": "nobody@customer.cn"})
    wecom.fail_next("500")
    smtp.fail_next(550)
    # when delivered until settled, then it is dead after the last channel
    dead = await deliver_until_settled(row)
    assert dead.status == S.DEAD and dead.channel_id == email.id and dead.next_attempt_at is None
    assert "every channel of the chain tried" in dead.last_error and "550" in dead.last_error
    assert await history(row) == [
        (bot.id, "", 1, Out.FAILED, MoveOnReason.ATTEMPTS_EXHAUSTED),
        (email.id, "nobody@customer.cn", 1, Out.REFUSED, None),
    ]
    # when it is re-sent by hand, then it starts over from its first channel, and goes out there
    again = await service.resend(row.id)
    assert (again.status, again.channel_id, again.target, again.hop, again.attempts) == (
        S.PENDING,
        bot.id,
        "",
        0,
        0,
    )
    assert await delivery.deliver(row.id) == S.SENT
    assert len(wecom.messages) == 1 and (await history(row))[-1] == (bot.id, "", 1, Out.SENT, None)


async def test_a_send_names_its_own_chain_over_the_templates(db, wecom, smtp):
    bot = await make_bot_channel(wecom)
    email = await make_email_channel(smtp)
    sms = await make_channel("sms")
    await make_template(bot, code="t", fallback_channel_ids=[sms.id])
    targets = {"sms": "13800000000", "email": "a@b.cn"}
    # the template's chain by default
    by_template = await service.send("t", "", VARIABLES, targets=targets)
    assert by_template.hops() == [(bot.id, ""), (sms.id, "13800000000")]
    # a send's chain replaces it
    own = await service.send("t", "", VARIABLES, fallback=[email.name, sms.name], targets=targets)
    assert own.hops() == [(bot.id, ""), (email.id, "a@b.cn"), (sms.id, "13800000000")]
    # an empty chain: no failover
    none = await service.send("t", "", VARIABLES, fallback=[], targets=targets)
    assert none.route is None and none.hops() == [(bot.id, "")]
    # a send naming a channel of the template's chain as its channel leaves it out of the chain
    on_sms = await service.send("t", "13900000000", VARIABLES, channel=sms.name)
    assert on_sms.hops() == [(sms.id, "13900000000")]
    # a disabled first channel is refused only when no channel of the chain is enabled
    await NotificationChannel.filter(id=bot.id).update(is_enabled=False)
    assert (await service.send("t", "", VARIABLES, targets=targets)).channel_id == bot.id
    with pytest.raises(ChannelUnavailable):
        await service.send("t", "", VARIABLES, fallback=[])


async def test_two_concurrent_deliveries_send_a_message_once_and_move_it_on_once(db, wecom):
    # given a disabled bot falling back to a second bot
    first = await make_bot_channel(wecom, is_enabled=False)
    second = await make_bot_channel(wecom)
    await make_template(first, code="t", fallback_channel_ids=[second.id])
    row = await service.send("t", "", VARIABLES)
    # when two workers deliver it at once
    outcomes = await asyncio.gather(delivery.deliver(row.id), delivery.deliver(row.id))
    # then one sends it on the second bot, the other finds nothing to do
    assert sorted(outcomes, key=str) == [None, S.SENT]
    assert len(wecom.messages) == 1
    assert [outcome for _, _, _, outcome, _ in await history(row)] == [Out.SKIPPED, Out.SENT]
    # and a message whose first channel runs out: two workers at the moment it does move it on once
    third = await make_bot_channel(wecom, max_attempts=1)
    await make_template(third, code="t2", fallback_channel_ids=[second.id])
    other = await service.send("t2", "", VARIABLES)
    wecom.fail_next("500")
    outcomes = await asyncio.gather(delivery.deliver(other.id), delivery.deliver(other.id))
    assert sorted(outcomes, key=str) == [None, S.PENDING]
    assert (await reload(other)).hop == 1
    assert await delivery.deliver(other.id) == S.SENT
    assert [o for _, _, _, o, _ in await history(other)] == [Out.FAILED, Out.SENT] and len(
        wecom.messages
    ) == 2


async def test_a_message_a_dead_worker_left_on_its_last_attempt_moves_on(db, wecom):
    bot = await make_bot_channel(wecom, max_attempts=1)
    sms = await make_channel("sms")
    await make_template(bot, code="t", fallback_channel_ids=[sms.id])
    row = await service.send("t", "", VARIABLES, targets={"sms": "13800000000"})
    now = utcnow()
    assert await delivery.claim(row.id, now)
    await delivery.sweep_due(now + dt.timedelta(minutes=11))
    released = await reload(row)
    assert (released.status, released.channel_id, released.attempts) == (S.PENDING, sms.id, 0)
    assert await history(row) == [(bot.id, "", 1, Out.FAILED, MoveOnReason.ATTEMPTS_EXHAUSTED)]


# --- channel health -----------------------------------------------------------------------------
async def test_the_health_check_job_marks_a_refusing_smtp_server_unhealthy_then_healthy_again(db):
    smtp = FakeSmtp()  # not started yet: its port refuses connections
    email = await make_email_channel(smtp)
    disabled = await make_channel("sms", is_enabled=False)
    # when the scheduled check runs while the SMTP server refuses
    execution = await run_now(CHECK_CHANNELS_JOB)
    # then the channel is unhealthy, with when and why; a disabled channel is not checked
    assert execution.status == ExecutionStatus.SUCCESS, execution.error
    assert execution.counters == {"healthy": 0, "unhealthy": 1}
    email = await NotificationChannel.get(id=email.id)
    assert email.health_status == ChannelHealth.UNHEALTHY and email.health_checked_at is not None
    assert "SMTP" in email.health_error
    assert (await NotificationChannel.get(id=disabled.id)).health_status == ChannelHealth.UNKNOWN
    # when the server answers again and the check runs again, then it is healthy again
    with smtp:
        again = await run_now(CHECK_CHANNELS_JOB)
    assert again.status == ExecutionStatus.SUCCESS and again.counters == {"healthy": 1, "unhealthy": 0}
    email = await NotificationChannel.get(id=email.id)
    assert email.health_status == ChannelHealth.HEALTHY and email.health_error is None
    assert smtp.messages == []
    # each change of health is audited (unknown → unhealthy → healthy)
    changes = await AuditLog.filter(
        entity_type="notification_channel", entity_id=str(email.id), action="status_change"
    )
    assert [c.after["health_status"] for c in sorted(changes, key=lambda c: c.id)] == ["unhealthy", "healthy"]


async def test_the_health_check_is_scheduled_every_five_minutes_by_the_migration(db):
    # given the schedule migration 0020 writes (the test database is emptied after each test)
    from tortoise import connections

    from opcms.jobs.models import JobSchedule
    from opcms.jobs.registry import get_job
    from opcms.jobs.schedules import next_run

    await JobSchedule.filter(name="notification-channel-health").delete()
    await connections.get("default").execute_script(
        importlib.import_module("opcms.migrations.0020_notification_failover").SCHEDULE
    )
    schedule = await JobSchedule.get(name="notification-channel-health")
    # then it runs the registered health check job, enabled, every 5 minutes
    assert schedule.is_enabled and get_job(schedule.task_name) is not None
    at = dt.datetime(2026, 12, 3, 13, 1, tzinfo=dt.UTC)
    first = next_run(schedule.cron, schedule.timezone, at)
    assert first == dt.datetime(2026, 12, 3, 13, 5, tzinfo=dt.UTC)
    assert next_run(schedule.cron, schedule.timezone, first) == first + dt.timedelta(minutes=5)


# --- the API ------------------------------------------------------------------------------------
async def test_a_template_chain_is_checked_and_answered_with_names(db, client, wecom):
    admin = await token_for("admin")
    bot = await make_bot_channel(wecom, name="ops-bot")
    sms = await make_channel("sms", name="ops-sms", is_enabled=False)
    body = {"code": "chain", "channel_id": bot.id, "body": "hi", "fallback_channel_ids": [sms.id]}
    created = await client.post(TEMPLATES, token=admin, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["fallback_channel_ids"] == [sms.id]
    assert created.json()["fallback_channel_names"] == ["ops-sms"]
    template_id = created.json()["id"]
    refusals = {
        "unknown": ([sms.id, 999_999], "fallback_channel_ids.1"),
        "repeat": ([sms.id, sms.id], "fallback_channel_ids.1"),
        "the default": ([bot.id], "fallback_channel_ids.0"),
    }
    for why, (chain, field) in refusals.items():
        refused = await client.post(
            TEMPLATES, token=admin, json={**body, "code": f"x{len(why)}", "fallback_channel_ids": chain}
        )
        assert refused.status_code == 422, (why, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == field, why
        patched = await client.patch(
            f"{TEMPLATES}/{template_id}", token=admin, json={"fallback_channel_ids": chain}
        )
        assert patched.status_code == 422, (why, patched.text)
    # the default channel changed to one of the chain is refused too; nothing changed
    moved = await client.patch(f"{TEMPLATES}/{template_id}", token=admin, json={"channel_id": sms.id})
    assert moved.status_code == 422
    got = (await client.get(f"{TEMPLATES}/{template_id}", token=admin)).json()
    assert (got["channel_id"], got["fallback_channel_ids"]) == (bot.id, [sms.id])
    # a channel in a chain cannot be deleted
    deleting = await client.delete(f"{CHANNELS}/{sms.id}", token=admin, params={"reason": "x"})
    assert deleting.status_code == 409 and "chain" in deleting.json()["error"]["message"]


async def test_sending_over_the_api_with_a_chain_and_the_detail_shows_the_history(db, client, wecom, smtp):
    admin = await token_for("admin")
    bot = await make_bot_channel(wecom, name="ops-bot", is_enabled=False)
    email = await make_email_channel(smtp, name="ops-mail")
    await make_template(bot, code="t")
    send = {"template_code": "t", "variables": VARIABLES}
    # refused: an unknown channel in the chain, a repeat, a target its kind cannot use
    for fields, field in (
        ({"fallback_channels": ["nope"]}, "fallback_channels.0"),
        ({"fallback_channels": ["ops-mail", "ops-mail"]}, "fallback_channels.1"),
        ({"fallback_channels": ["ops-bot"]}, "fallback_channels.0"),
        ({"fallback_channels": ["ops-mail"], "targets": {"email": "not-an-address"}}, "targets.email"),
    ):
        refused = await client.post(MESSAGES, token=admin, json={**send, **fields})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"][0]["field"] == field
    unknown_kind = await client.post(MESSAGES, token=admin, json={**send, "targets": {"fax": "1"}})
    assert unknown_kind.status_code == 422
    assert await Notification.all().count() == 0
    # when sent with a chain and an e-mail target, and delivered
    sent = await client.post(
        MESSAGES,
        token=admin,
        json={**send, "fallback_channels": ["ops-mail"], "targets": {"email": "a@b.cn"}},
    )
    assert sent.status_code == 202, sent.text
    assert await delivery.deliver(sent.json()["id"]) == S.SENT
    # then its detail shows its route and every attempt
    detail = (await client.get(f"{MESSAGES}/{sent.json()['id']}", token=admin)).json()
    assert detail["status"] == "sent" and detail["channel_name"] == "ops-mail" and detail["hop"] == 1
    assert [(h["channel_name"], h["target"]) for h in detail["route"]] == [
        ("ops-bot", ""),
        ("ops-mail", "a@b.cn"),
    ]
    assert [(a["channel_name"], a["outcome"], a["moved_on"], a["attempt"]) for a in detail["history"]] == [
        ("ops-bot", "skipped", "channel_disabled", 0),
        ("ops-mail", "sent", None, 1),
    ]
    assert detail["history"][1]["provider_reference"] == detail["provider_reference"]
    # and the channel list shows health (not checked yet)
    channels = (await client.get(CHANNELS, token=admin)).json()["items"]
    assert {c["name"]: c["health_status"] for c in channels} == {"ops-bot": "unknown", "ops-mail": "unknown"}
    assert email.id in {c["id"] for c in channels}
