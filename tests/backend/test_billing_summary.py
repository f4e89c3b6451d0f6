"""The invoice run's summary to the finance channel (issue 7 item 9): sent once per run with
the run's result, high priority, about the execution; without a channel nothing is sent and
the run is not disturbed."""

from __future__ import annotations

import datetime as dt

from opcms.billing import run, summary_notice
from opcms.core.context import acting_as, system_actor
from opcms.jobs.models import ExecutionStatus
from opcms.notifications.models import Notification, Priority
from tests.backend.factories import make_user
from tests.backend.factories_reminders import bind, make_channel, seed_templates
from tests.backend.test_billing_support import PERIOD, golden_book

ISSUE = dt.date(2026, 4, 1)


async def bill(**kwargs):
    with acting_as(system_actor("test-bill")):
        return await run.run_period(PERIOD, issue_date=ISSUE, **kwargs)


def summaries():
    return Notification.filter(template_code="billing.run_summary")


async def test_the_summary_goes_to_the_finance_group_once_per_run(db):
    # given the summary template bound to the finance group's WeCom bot, and a month to bill
    finance = await make_channel("wecom_bot", name="finance-group")
    await bind("billing.run_summary", finance)
    await golden_book()

    # when the run bills the month in chunks of one (the last chunk finalizes it)
    execution = await bill(chunk_size=1)

    # then one high-priority message about the execution, with the run's figures in it
    assert execution.status == ExecutionStatus.SUCCESS
    rows = list(await summaries())
    assert len(rows) == 1
    message = rows[0]
    assert (message.channel_id, message.priority, message.target) == (finance.id, Priority.HIGH, "")
    assert (message.subject_type, message.subject_id) == ("task_execution", execution.id)
    result = execution.result
    assert message.title == f"{PERIOD} 账单运行完成"
    assert f"账单数：{result['invoices']}" in message.content and result["invoices"] == 3
    assert f"应收合计：{result['receivable_total']}" in message.content
    assert "跳过：0，失败：0，无费用：1" in message.content
    assert "等级 A：1 张" in message.content and "未分级" in message.content

    # when the finalizer's callbacks are called again for the same run (a crash after the
    # UPDATE, say), then no second summary
    await summary_notice.send_run_summary(execution)
    assert await summaries().count() == 1

    # and a second run of the period (nothing new to bill) has its own summary
    again = await bill()
    assert await summaries().filter(subject_id=again.id).count() == 1
    assert "账单数：0" in (await summaries().get(subject_id=again.id)).content


async def test_without_a_finance_channel_nothing_is_sent_and_the_run_succeeds(db):
    # given the seeded template with no channel bound
    await seed_templates()
    await golden_book()

    # when the month is billed
    execution = await bill()

    # then the run is a success and no message exists
    assert execution.status == ExecutionStatus.SUCCESS and execution.result["invoices"] == 3
    assert await Notification.all().count() == 0

    # nor with a disabled channel, nor without the template at all
    await bind("billing.run_summary", await make_channel("wecom_bot", enabled=False))
    assert await summary_notice.send_run_summary(execution) == 0
    from opcms.notifications.models import NotificationTemplate

    await NotificationTemplate.filter(code="billing.run_summary").delete()
    assert await summary_notice.send_run_summary(execution) == 0
    assert await Notification.all().count() == 0


async def test_on_an_email_channel_each_finance_user_gets_it(db):
    # given the summary bound to an e-mail channel and two finance users (one without address)
    from opcms.auth.models import User

    await bind("billing.run_summary", await make_channel("email"))
    first = await make_user("finance")
    await User.filter(id=first.id).update(email="cfo@example.com")
    await make_user("finance")
    await golden_book()

    # when the month is billed
    execution = await bill()

    # then the finance user with an address gets the summary
    assert [n.target for n in await summaries()] == ["cfo@example.com"]
    assert (await summaries().first()).subject_id == execution.id


async def test_the_summary_is_registered_as_a_run_finished_callback():
    assert summary_notice.send_run_summary in run._finished
