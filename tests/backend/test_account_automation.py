"""Account automation (DESIGN §3, issue 7 item 10): suspended after an invoice is overdue more
than the threshold, reactivated when the last overdue invoice is settled — recorded in the
status history with the system actor and the cause."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.core.context import Actor, acting_as
from opcms.customers.automation import JOB_NAME, run_automation
from opcms.customers.models import Customer, CustomerStatusHistory
from opcms.customers.service import change_status
from opcms.jobs.models import ExecutionStatus, TaskExecution
from opcms.jobs.recorder import run_execution
from opcms.settlement.allocations import Line, allocate
from tests.backend.factories import make_customer, make_invoice, make_payment

DUE = dt.date(2026, 9, 1)
ACTOR = f"system:{JOB_NAME}"


async def status_of(customer) -> str:
    return (await Customer.get(id=customer.id)).status.value


async def history(customer) -> list[CustomerStatusHistory]:
    return list(await CustomerStatusHistory.filter(customer_id=customer.id).order_by("id"))


async def settle(invoice) -> None:
    """Pay the invoice's outstanding through the payments service (a real allocation)."""
    with acting_as(Actor(name="finance-test")):
        payment = await make_payment(
            await Customer.get(id=invoice.customer_id), amount=str(invoice.outstanding)
        )
        await allocate(
            payment_id=payment.id, lines=[Line(invoice_id=invoice.id, amount=Decimal(invoice.outstanding))]
        )


async def automate(day: dt.date, days: int = 30) -> dict[str, int]:
    return await run_automation(suspend_after_days=days, day=day)


async def test_suspended_only_after_more_than_the_threshold_with_actor_and_cause(db):
    # given an active customer with an invoice due 2026-09-01 (threshold 30 days)
    customer = await make_customer(status="active")
    invoice = await make_invoice(customer, due_date=DUE)

    # when the job runs on the 30th day overdue, the customer stays active
    assert (await automate(DUE + dt.timedelta(days=30)))["suspended"] == 0
    assert await status_of(customer) == "active"

    # when it runs on the 31st day, the customer is suspended, once
    assert (await automate(DUE + dt.timedelta(days=31)))["suspended"] == 1
    assert (await automate(DUE + dt.timedelta(days=31)))["suspended"] == 0
    assert await status_of(customer) == "suspended"

    # then the status history says who, why and which invoice
    last = (await history(customer))[-1]
    assert (last.from_status, last.to_status, last.cause, last.actor) == (
        "active",
        "suspended",
        "overdue",
        ACTOR,
    )
    assert invoice.number in last.reason and "30 days" in last.reason
    assert len([h for h in await history(customer) if h.to_status == "suspended"]) == 1


async def test_settled_and_void_and_non_active_customers_are_left_alone(db):
    # given a settled overdue invoice, a trial customer with an overdue invoice, and a closed one
    paid = await make_customer(status="active")
    await make_invoice(paid, due_date=DUE, paid="1000.00")
    trial = await make_customer(status="trial")
    await make_invoice(trial, due_date=DUE)
    closed = await make_customer(status="closed")
    await make_invoice(closed, due_date=DUE)

    # when the job runs long after the due date
    counters = await automate(DUE + dt.timedelta(days=90))

    # then nobody moves (trial → suspended is not a transition; settled is not overdue)
    assert counters == {"suspended": 0, "reactivated": 0, "failed": 0}
    assert [await status_of(c) for c in (paid, trial, closed)] == ["active", "trial", "closed"]


async def test_reactivated_when_the_last_overdue_invoice_is_settled_not_before(db):
    # given a customer suspended for two overdue invoices
    customer = await make_customer(status="active")
    first = await make_invoice(customer, due_date=DUE)
    second = await make_invoice(customer, due_date=DUE + dt.timedelta(days=5))
    day = DUE + dt.timedelta(days=60)
    assert (await automate(day))["suspended"] == 1
    assert first.number in (await history(customer))[-1].reason
    assert second.number in (await history(customer))[-1].reason

    # when one of the two is settled, the customer stays suspended
    await settle(first)
    assert (await automate(day))["reactivated"] == 0
    assert await status_of(customer) == "suspended"

    # when the last one is settled too, the customer is active again, once
    await settle(second)
    assert (await automate(day))["reactivated"] == 1
    assert (await automate(day))["reactivated"] == 0
    assert await status_of(customer) == "active"
    last = (await history(customer))[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        "suspended",
        "active",
        ACTOR,
        "overdue invoices settled",
    )
    assert last.cause == "settled"


async def test_a_recently_overdue_invoice_keeps_the_customer_suspended(db):
    # given a customer suspended for an old invoice that also has a newer one overdue by 3 days
    customer = await make_customer(status="active")
    old = await make_invoice(customer, due_date=DUE)
    day = DUE + dt.timedelta(days=40)
    await make_invoice(customer, due_date=day - dt.timedelta(days=3))
    await automate(day)

    # when only the old one is settled
    await settle(old)
    await automate(day)

    # then the customer is still suspended: its last overdue invoice is not settled yet
    assert await status_of(customer) == "suspended"


async def test_a_customer_suspended_by_a_person_is_never_reactivated(db):
    # given a customer a person suspended, with no overdue invoice at all
    customer = await make_customer(status="active")
    with acting_as(Actor(name="alice", user_id=None)):
        await change_status(customer.id, "suspended", "contract dispute")

    # when the job runs
    counters = await automate(DUE + dt.timedelta(days=60))

    # then it stays suspended
    assert counters["reactivated"] == 0
    assert await status_of(customer) == "suspended"
    assert (await history(customer))[-1].actor == "alice"


async def test_a_person_reactivating_a_suspended_customer_is_not_overruled_for_the_same_invoice(db):
    # given a customer suspended by the job today, then reactivated by a person with the invoice
    # unpaid (the person's decision is dated by the clock, so this test lives around today)
    from opcms.core.settings import business_today

    today = business_today()
    customer = await make_customer(status="active")
    await make_invoice(customer, due_date=today - dt.timedelta(days=35))
    await automate(today)
    assert await status_of(customer) == "suspended"
    with acting_as(Actor(name="alice")):
        await change_status(customer.id, "active", "promised to pay next week")

    # when the job runs again
    await automate(today + dt.timedelta(days=1))

    # then the person's decision stands for that invoice…
    assert await status_of(customer) == "active"

    # …but an invoice crossing the threshold later suspends again
    newer = await make_invoice(customer, due_date=today)
    await automate(today + dt.timedelta(days=31))
    assert await status_of(customer) == "suspended"
    assert newer.number in (await history(customer))[-1].reason


async def test_the_job_records_an_execution_with_its_counters(db):
    # given one customer to suspend
    customer = await make_customer(status="active")
    await make_invoice(customer, due_date=DUE)
    from opcms.customers.tasks import account_automation

    # when the job body runs as an execution (as the worker does)
    params = {"suspend_after_days": 30, "day": (DUE + dt.timedelta(days=31)).isoformat()}
    async with run_execution(JOB_NAME, params) as run:
        await account_automation.body(run, suspend_after_days=30, day=DUE + dt.timedelta(days=31))

    # then the execution is a success counting one suspension, and the actor is the system's
    execution = await TaskExecution.get(id=run.execution.id)
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.counters["suspended"] == 1 and execution.counters["reactivated"] == 0
    assert (await history(customer))[-1].actor == ACTOR


async def test_parameters_resolve_to_today_and_the_setting(db, settings):
    from opcms.core.settings import business_today
    from opcms.customers.tasks import SPEC

    # given no parameters, then the threshold is the setting and the day is today
    resolved = SPEC.resolve(SPEC.parameters.model_validate({}))
    assert resolved == {
        "suspend_after_days": settings.suspend_after_days,
        "day": business_today().isoformat(),
    }


async def test_run_now_suspends_with_the_system_actor_whoever_runs_it(db):
    # given a customer overdue 31 days today, and a person running the job from the CLI
    from opcms.core.settings import business_today
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    today = business_today()
    customer = await make_customer(status="active")
    await make_invoice(customer, due_date=today - dt.timedelta(days=31))

    # when the job runs now (default parameters: the setting, today), twice
    with acting_as(Actor(name="alice")):
        first = await jobs.run_now(JOB_NAME, {}, Trigger.CLI)
        second = await jobs.run_now(JOB_NAME, {}, Trigger.CLI)

    # then the first suspended the customer as the system, the second found nothing to do
    assert (first.counters["suspended"], second.counters["suspended"]) == (1, 0)
    assert first.triggered_by == "alice"
    assert (await history(customer))[-1].actor == ACTOR
    assert await status_of(customer) == "suspended"
