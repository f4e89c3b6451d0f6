"""Alert rules evaluated on real data: each condition kind fires on what its domain recorded and
not below its threshold; a firing is sent once per quiet period (a repeat inside it is counted on
the firing), evaluating again for the same time sends nothing, two evaluations at once send
once; the message reaches a fake WeCom group over TCP."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from opcms.alerts.models import AlertFiring, AlertRule, FiringStatus
from opcms.alerts.service import evaluate_now, evaluate_rules
from opcms.billing.run import TASK_NAME as INVOICE_RUN
from opcms.core.models import utcnow
from opcms.core.settings import business_today
from opcms.jobs.models import ExecutionStatus
from opcms.notifications import delivery
from opcms.notifications.models import AttemptOutcome, Notification, NotificationStatus
from opcms.usage.models import AnomalyKind, DataSource, UsageAnomaly, UsageRecord
from opcms.usage.pull import TASK_NAME as USAGE_PULL
from tests.backend.factories import make_customer, make_metric
from tests.backend.factories_alerts import (
    attempt,
    finished_execution,
    make_rule,
    message,
    seed_alert_template,
)
from tests.backend.factories_notifications import make_bot_channel, make_channel


@pytest.fixture
async def ops_group(db, wecom):
    """The operations WeCom group an alert rule sends to, and the alert template."""
    await seed_alert_template()
    return await make_bot_channel(wecom, name="ops-group")


def firings(**filters):
    return AlertFiring.filter(**filters).order_by("id")


async def alert_messages() -> list[Notification]:
    return list(await Notification.filter(template_code="alert.fired").order_by("id"))


# --- each kind fires on real data, and not below its threshold ------------------------------------
async def test_a_failed_job_fires_and_its_message_reaches_the_wecom_group(ops_group, wecom):
    # given a rule on failed jobs, and a usage pull that ended failed half a minute ago
    rule = await make_rule("job_failed", 1, ops_group, name="任务失败告警")
    failed = await finished_execution(USAGE_PULL, ExecutionStatus.FAILED, error="vendor answered 503")

    # when Beat's housekeeping evaluates the rules, and the worker delivers the message
    evaluation = await evaluate_rules(utcnow())
    [firing] = await firings()
    [sent] = await alert_messages()
    assert await delivery.deliver(sent.id) == NotificationStatus.SENT

    # then one firing about the job, sent high priority about the firing, in the group's chat
    assert (evaluation.fired, evaluation.sent) == (1, 1)
    assert firing.rule_id == rule.id and firing.subject == f"job:{USAGE_PULL}"
    assert firing.status == FiringStatus.SENT and firing.notification_ids == [sent.id]
    assert firing.value == 1 and str(failed.id) in firing.message and "vendor answered 503" in firing.message
    assert (sent.subject_type, sent.subject_id, sent.priority.value) == ("alert_firing", firing.id, "high")
    [chat] = wecom.messages
    text = chat["markdown"]["content"]
    assert "任务失败" in text and USAGE_PULL in text and "vendor answered 503" in text


async def test_a_job_that_succeeded_or_failed_before_the_window_does_not_fire(ops_group):
    # given a rule evaluated a minute ago, a run that succeeded, and one that failed before that
    await make_rule("job_failed", 1, ops_group)
    now = utcnow()
    await evaluate_rules(now - dt.timedelta(minutes=1))
    await finished_execution(USAGE_PULL, ExecutionStatus.SUCCESS, finished_at=now - dt.timedelta(seconds=10))
    await finished_execution(USAGE_PULL, ExecutionStatus.FAILED, finished_at=now - dt.timedelta(minutes=2))

    # when it is evaluated again
    evaluation = await evaluate_rules(now)

    # then nothing fired: the failure was in an earlier window (read then: nothing had failed)
    assert evaluation.rules == 1 and evaluation.fired == 0
    assert await firings().count() == 0 and await alert_messages() == []


async def test_two_failures_of_a_job_fire_when_the_threshold_is_two_and_one_does_not(ops_group):
    await make_rule("job_failed", 2, ops_group, params={"job": INVOICE_RUN})
    await finished_execution(INVOICE_RUN, ExecutionStatus.FAILED)
    await finished_execution(USAGE_PULL, ExecutionStatus.FAILED)  # another job: not this rule's
    now = utcnow()
    assert (await evaluate_rules(now)).fired == 0

    await finished_execution(INVOICE_RUN, ExecutionStatus.FAILED, finished_at=now + dt.timedelta(seconds=5))
    await finished_execution(INVOICE_RUN, ExecutionStatus.FAILED, finished_at=now + dt.timedelta(seconds=6))
    assert (await evaluate_rules(now + dt.timedelta(minutes=1))).fired == 1
    [firing] = await firings()
    assert firing.subject == f"job:{INVOICE_RUN}" and firing.value == 2


async def test_a_pull_that_fetched_no_rows_for_a_source_fires_and_one_with_rows_does_not(ops_group):
    # given a rule on empty pulls, and a pull that received 0 rows from vendor-a and 120 from vendor-b
    await make_rule("usage_pull_empty", 0, ops_group)
    day = (business_today() - dt.timedelta(days=1)).isoformat()
    breakdown = {"vendor-a": {"records": 0, "written": 0}, "vendor-b": {"records": 120, "written": 120}}
    pull = await finished_execution(
        USAGE_PULL,
        parameters={"first_day": day, "last_day": day, "source": None},
        result={"breakdown": breakdown},
    )

    # when evaluated
    await evaluate_rules(utcnow())

    # then only vendor-a fired, naming the pull and its day
    [firing] = await firings()
    assert firing.subject == "source:vendor-a" and firing.value == 0
    assert f"#{pull.id}" in firing.message and day in firing.message


async def usage_history(source, metric, customers, day, days=10, quantity="100"):
    for customer in customers:
        for back in range(1, days + 1):
            await UsageRecord.create(
                customer_id=customer.id,
                metric_id=metric.id,
                usage_day=day - dt.timedelta(days=back),
                source_id=source.id,
                quantity=Decimal(quantity),
            )


async def test_usage_above_and_below_its_trailing_average_fires_and_usage_near_it_does_not(ops_group):
    # given three customers with 10 days of 100 calls a day, and yesterday's pull: 100 calls for
    # the first, 10 for the second, and 500 for the third, held back as a spike
    source = await DataSource.create(name="vendor-a", adapter="demo")
    metric = await make_metric("api_calls")
    steady, quiet, busy = [await make_customer() for _ in range(3)]
    day = business_today() - dt.timedelta(days=1)
    await usage_history(source, metric, [steady, quiet, busy], day)
    pull = await finished_execution(
        USAGE_PULL, parameters={"first_day": day.isoformat(), "last_day": day.isoformat(), "source": None}
    )
    for customer, quantity in ((steady, "100"), (quiet, "10")):
        await UsageRecord.create(
            customer_id=customer.id,
            metric_id=metric.id,
            usage_day=day,
            source_id=source.id,
            quantity=Decimal(quantity),
            execution_id=pull.id,
        )
    await UsageAnomaly.create(
        source_id=source.id,
        kind=AnomalyKind.SPIKE,
        external_account="acct-busy",
        metric_code="api_calls",
        raw_day=day.isoformat(),
        raw_quantity="500",
        customer_id=busy.id,
        metric_id=metric.id,
        usage_day=day,
        quantity=Decimal("500"),
        row_key="spike-busy",
        execution_id=pull.id,
    )
    above = await make_rule("usage_vs_average", 3, ops_group, params={"direction": "above"})
    below = await make_rule("usage_vs_average", "0.2", ops_group, params={"direction": "below"})

    # when evaluated
    await evaluate_rules(utcnow())

    # then the spike fired above (5×), the drop below (0.1×), the steady customer neither
    [high] = await firings(rule_id=above.id)
    [low] = await firings(rule_id=below.id)
    assert high.subject == f"customer:{busy.id}:api_calls" and high.value == 5
    assert low.subject == f"customer:{quiet.id}:api_calls" and low.value == Decimal("0.1")
    assert busy.company_name in high.message and "500" in high.message
    assert len(await alert_messages()) == 2


async def test_a_backlog_over_the_threshold_fires_and_one_at_it_does_not(ops_group):
    # given 3 messages waiting 20 minutes on the SMS channel and 2 on e-mail, a rule "over 2"
    sms, mail = await make_channel("sms", name="sms"), await make_channel("sms", name="sms-2")
    for _ in range(3):
        await message(sms, NotificationStatus.PENDING, attempts=0, age_minutes=20)
    for _ in range(2):
        await message(mail, NotificationStatus.FAILED, age_minutes=20)
    await message(mail, NotificationStatus.PENDING, attempts=0)  # queued just now: not a backlog
    await make_rule("notification_backlog", 2, ops_group, params={"older_than_minutes": 10})

    await evaluate_rules(utcnow())

    [firing] = await firings()
    assert firing.subject == "channel:sms" and firing.value == 3
    assert "10" in firing.message


async def test_a_channel_failing_k_times_in_a_row_fires_and_one_with_a_success_among_them_does_not(ops_group):
    # given one channel whose last 3 tried messages failed, another with a success among its last 3
    broken, flaky = await make_channel("sms", name="broken"), await make_channel("sms", name="flaky")
    await message(broken, NotificationStatus.SENT)
    for _ in range(3):
        await message(broken, NotificationStatus.DEAD, attempts=5, error="gateway refused")
    await message(flaky, NotificationStatus.DEAD, attempts=5)
    await message(flaky, NotificationStatus.SENT)
    await message(flaky, NotificationStatus.FAILED)
    await message(broken, NotificationStatus.PENDING, attempts=0)  # not tried yet: not counted
    await make_rule("channel_failing", 3, ops_group)

    await evaluate_rules(utcnow())

    [firing] = await firings()
    assert firing.subject == "channel:broken" and firing.value == 3
    assert "gateway refused" in firing.message


async def test_failures_count_on_the_channel_tried_though_the_message_moved_on_to_its_fallback(ops_group):
    # given messages whose first SMS gateway failed them and which then went out on the second,
    # their fallback
    primary, backup = (
        await make_channel("sms", name="sms-primary"),
        await make_channel("sms", name="sms-backup"),
    )
    for _ in range(3):
        moved = await message(backup, NotificationStatus.SENT, attempts=0)
        await attempt(moved, primary, AttemptOutcome.FAILED, error="gateway 503")
        await attempt(moved, primary, AttemptOutcome.SKIPPED)  # passed over once unhealthy: not a try
        await attempt(moved, backup, AttemptOutcome.SENT)
    await make_rule("channel_failing", 3, ops_group)

    await evaluate_rules(utcnow())

    # then the first gateway is failing 3 in a row, and the second, which sent them, is not
    [firing] = await firings()
    assert firing.subject == "channel:sms-primary" and firing.value == 3
    assert "gateway 503" in firing.message


async def test_an_invoice_run_with_failed_customers_fires_and_a_clean_run_does_not(ops_group):
    await make_rule("invoice_run_failed", 1, ops_group)
    failing = await finished_execution(
        INVOICE_RUN,
        ExecutionStatus.PARTIAL,
        parameters={"period": "2026-11"},
        counters={"processed": 10, "succeeded": 8, "failed": 2},
    )
    await finished_execution(
        INVOICE_RUN,
        parameters={"period": "2026-10"},
        counters={"processed": 10, "succeeded": 10, "failed": 0},
    )

    await evaluate_rules(utcnow())

    [firing] = await firings()
    assert firing.subject == f"invoice_run:{failing.id}" and firing.value == 2
    assert "2026-11" in firing.message


# --- once per quiet period, idempotent, concurrent ---------------------------------------------------
async def backlog_rule(ops_group, quiet_minutes=60):
    sms = await make_channel("sms", name="sms")
    for _ in range(3):
        await message(sms, NotificationStatus.PENDING, attempts=0, age_minutes=20)
    return await make_rule(
        "notification_backlog", 1, ops_group, quiet_minutes=quiet_minutes, params={"older_than_minutes": 10}
    )


async def test_a_firing_is_sent_once_per_quiet_period_and_repeats_are_counted_on_it(ops_group):
    # given a backlog that stays, and a rule with a quiet period of 60 minutes
    await backlog_rule(ops_group)
    start = utcnow()

    # when it is evaluated now, 5 and 30 minutes later, and after the period
    first = await evaluate_rules(start)
    inside = [await evaluate_rules(start + dt.timedelta(minutes=m)) for m in (5, 30)]
    after = await evaluate_rules(start + dt.timedelta(minutes=61))

    # then one message for the period, the two repeats counted on its firing, then a second one
    assert (first.sent, [e.suppressed for e in inside], [e.sent for e in inside], after.sent) == (
        1,
        [1, 1],
        [0, 0],
        1,
    )
    one, two = await firings()
    assert one.repeats == 2 and one.last_seen_at == start + dt.timedelta(minutes=30)
    assert two.repeats == 0 and two.fired_at == start + dt.timedelta(minutes=61)
    assert len(await alert_messages()) == 2


async def test_evaluating_again_for_the_same_time_or_within_the_minute_sends_nothing(ops_group):
    await backlog_rule(ops_group, quiet_minutes=1)
    now = utcnow()
    assert (await evaluate_rules(now)).sent == 1
    again = await evaluate_rules(now)
    soon = await evaluate_rules(now + dt.timedelta(seconds=30))
    assert (again.rules, soon.rules) == (0, 0)
    assert await firings().count() == 1 and len(await alert_messages()) == 1


async def test_two_evaluations_at_once_send_once(ops_group):
    # given a backlog rule; when two Beats evaluate at the same time and an admin asks too
    rule = await backlog_rule(ops_group)
    now = utcnow()
    results = await asyncio.gather(evaluate_rules(now), evaluate_rules(now), evaluate_now(rule.id, now))

    # then one firing and one message between them
    assert sum(r.sent for r in results) == 1
    assert await firings().count() == 1 and len(await alert_messages()) == 1


async def test_a_rule_whose_channel_was_disabled_records_a_firing_that_failed_to_send(ops_group):
    await backlog_rule(ops_group)
    await ops_group.__class__.filter(id=ops_group.id).update(is_enabled=False)

    evaluation = await evaluate_rules(utcnow())

    [firing] = await firings()
    assert (evaluation.failed, firing.status, firing.notification_ids) == (1, FiringStatus.FAILED, [])
    assert "disabled" in (firing.error or "") or "停用" in (firing.error or "")
    assert await alert_messages() == []


async def test_a_disabled_or_deleted_rule_is_not_evaluated(ops_group):
    rule = await backlog_rule(ops_group)
    other = await make_rule("channel_failing", 5, ops_group)
    await AlertRule.filter(id=rule.id).update(is_enabled=False)
    await AlertRule.filter(id=other.id).update(is_deleted=True)
    assert (await evaluate_rules(utcnow())).rules == 0


async def test_a_window_whose_reader_failed_is_read_again_by_the_next_evaluation(ops_group, monkeypatch):
    # given a job that failed, and the jobs reader failing for one evaluation (the database away)
    from opcms.alerts import conditions
    from opcms.alerts.models import ConditionKind

    await make_rule("job_failed", 1, ops_group)
    await finished_execution(USAGE_PULL, ExecutionStatus.FAILED)
    working = conditions._readers[ConditionKind.JOB_FAILED]

    async def broken(**_):
        raise ConnectionError("database away")

    monkeypatch.setitem(
        conditions._readers,
        ConditionKind.JOB_FAILED,
        conditions.ConditionReader(ConditionKind.JOB_FAILED, broken),
    )
    now = utcnow()
    assert (await evaluate_rules(now)).fired == 0

    # when the reader works again a minute later
    monkeypatch.setitem(conditions._readers, ConditionKind.JOB_FAILED, working)
    evaluation = await evaluate_rules(now + dt.timedelta(minutes=1))

    # then the failure of the unread window is sent
    assert evaluation.sent == 1
    [firing] = await firings()
    assert firing.subject == f"job:{USAGE_PULL}"
