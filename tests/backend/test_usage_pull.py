"""The usage pull end to end: a real local vendor over HTTP, the real database.

Given customers mapped to vendor accounts, when the pull runs for a day, then the vendor's rows
become usage records (exactly, once), problems become anomalies, and the run is a task
execution with its counters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from opcms.core.context import acting_as, system_actor
from opcms.core.db import is_sqlite
from opcms.core.secrets import encrypt_json
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.pricing.models import UsageMetric
from opcms.usage import late, service
from opcms.usage import pull as pull_module
from opcms.usage.models import (
    AnomalyKind,
    AnomalyStatus,
    CustomerSourceAccount,
    DataSource,
    UsageAnomaly,
    UsageRecord,
)
from opcms.usage.review import ReviewAction, review
from tests.backend.factories import make_customer, token_for
from tests.backend.fake_vendor import FakeVendor

DAY = dt.date(2026, 10, 15)


@pytest.fixture
def vendor():
    with FakeVendor(auth="bearer", paging="page", default_page_size=2) as fake:
        yield fake


async def given_metrics() -> dict[str, UsageMetric]:
    return {code: await UsageMetric.create(code=code, name=code, unit="次") for code in ("api_calls", "sms")}


async def given_source(vendor: FakeVendor, name: str = "vendor-a", **settings) -> DataSource:
    return await DataSource.create(
        name=name,
        adapter="http_json",
        timeout_seconds=1,
        settings={"base_url": vendor.url, "auth": "bearer", "paging": "page", "page_size": 2, **settings},
        secrets_encrypted=encrypt_json({"token": vendor.token}),
    )


async def given_mapped_customer(source: DataSource, account: str, **fields):
    customer = await make_customer(status="active", **fields)
    await CustomerSourceAccount.create(customer=customer, source=source, external_account=account)
    return customer


def usage(account: str, quantity, *, metric: str = "api_calls", day: dt.date | str = DAY) -> dict:
    return {"account": account, "metric": metric, "day": str(day), "quantity": quantity}


async def pull(first_day: dt.date = DAY, last_day: dt.date | None = None, **kwargs) -> TaskExecution:
    with acting_as(system_actor("test")):
        return await service.run_pull(first_day, last_day or first_day, **kwargs)


async def records() -> dict[tuple[str, str, dt.date], Decimal]:
    rows = await UsageRecord.all().select_related("customer", "metric")
    return {(r.customer.customer_code, r.metric.code, r.usage_day): Decimal(r.quantity) for r in rows}


async def test_a_pull_writes_every_vendor_row_exactly_once_across_pages(db, vendor):
    # given three customers, two metrics, a vendor paging two rows at a time
    await given_metrics()
    source = await given_source(vendor)
    a = await given_mapped_customer(source, "acct-a")
    b = await given_mapped_customer(source, "acct-b")
    vendor.records = [
        usage("acct-a", Decimal("1200.5")),
        usage("acct-a", 7, metric="sms"),
        usage("acct-b", Decimal("0.0001")),
        usage("acct-b", 99999999999, metric="sms"),
        usage("acct-a", 5, day=DAY - dt.timedelta(days=1)),  # another day: the vendor filters it out
    ]
    # when
    execution = await pull()
    # then
    assert execution.status == ExecutionStatus.SUCCESS
    assert await records() == {
        (a.customer_code, "api_calls", DAY): Decimal("1200.5"),
        (a.customer_code, "sms", DAY): Decimal("7"),
        (b.customer_code, "api_calls", DAY): Decimal("0.0001"),
        (b.customer_code, "sms", DAY): Decimal("99999999999"),
    }
    assert execution.counters["written"] == 4 and execution.counters["records"] == 4
    assert len(vendor.usage_calls()) == 2  # two pages of two
    assert sorted(vendor.usage_calls()[0].accounts) == ["acct-a", "acct-b"]
    assert execution.trigger == Trigger.MANUAL and execution.triggered_by == "system:test"


async def test_pulling_the_same_day_twice_leaves_identical_rows(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 10), usage("acct-a", 3, metric="sms")]
    await pull()
    first = sorted(await UsageRecord.all().values_list("id", "quantity", "updated_at", "execution_id"))

    second_run = await pull()

    assert (
        sorted(await UsageRecord.all().values_list("id", "quantity", "updated_at", "execution_id")) == first
    )
    assert second_run.status == ExecutionStatus.SUCCESS and second_run.counters["written"] == 2


async def test_a_changed_quantity_on_a_re_pull_updates_the_row_in_place(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 10)]
    await pull()
    (record_id,) = await UsageRecord.all().values_list("id", flat=True)

    vendor.records = [usage("acct-a", Decimal("12.25"))]
    run = await pull()

    record = await UsageRecord.get(customer_id=customer.id)
    assert (record.id, Decimal(record.quantity), record.execution_id) == (record_id, Decimal("12.25"), run.id)


async def test_server_errors_and_a_timeout_are_retried_and_counted(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 10)]
    vendor.slow_seconds = 1.5  # longer than the source's 1 s per-call timeout
    vendor.fail_next("500", times=1)
    vendor.fail_next("slow", times=1)
    vendor.fail_next("503", times=1)

    execution = await pull()

    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.counters["retries"] == 3
    assert len(await records()) == 1
    assert "retry 1" in execution.log_excerpt


@pytest.mark.parametrize(
    "failure", ["500", "503", "429", "malformed", "not_object", "short", "truncated_body", "slow"]
)
async def test_each_passing_vendor_failure_is_retried_once_and_stores_every_row_once(db, vendor, failure):
    # given two pages of rows, the first one failing once (a short last page cannot be told
    # from a real last page unless the vendor sends a count: the adapter's count_path)
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    await given_mapped_customer(source, "acct-b")
    vendor.records = [
        usage("acct-a", 1),
        usage("acct-a", 2, metric="sms"),
        usage("acct-b", 3),
        usage("acct-b", 4, metric="sms"),
    ]
    vendor.slow_seconds = 1.5
    vendor.fail_next(failure, times=1)
    # when
    execution = await pull()
    # then the call is retried and every row is stored once
    assert (execution.status, execution.counters["retries"]) == (ExecutionStatus.SUCCESS, 1), (
        execution.log_excerpt
    )
    assert sorted((await records()).values()) == [1, 2, 3, 4]
    assert await UsageRecord.all().count() == 4


async def test_malformed_json_and_a_repeated_page_give_no_duplicates(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    await given_mapped_customer(source, "acct-b")
    vendor.records = [
        usage("acct-a", 1),
        usage("acct-a", 2, metric="sms"),
        usage("acct-b", 3),
        usage("acct-b", 4, metric="sms"),
    ]
    vendor.fail_next("malformed", times=1)
    vendor.fail_next("repeat", times=1, after=1)

    execution = await pull()

    assert execution.counters["retries"] >= 1
    assert await UsageRecord.all().count() == len(set(await records()))
    assert execution.status == ExecutionStatus.SUCCESS


async def test_a_source_that_keeps_failing_does_not_stop_the_others(db, vendor):
    # given two sources: one answers 500 on every attempt, the other works
    await given_metrics()
    broken = await given_source(vendor, name="broken", path="/nowhere")
    healthy = await given_source(vendor, name="healthy")
    await given_mapped_customer(broken, "acct-x")
    customer = await given_mapped_customer(healthy, "acct-a")
    vendor.records = [usage("acct-a", 10)]

    execution = await pull()

    assert execution.status == ExecutionStatus.PARTIAL
    assert execution.counters["failed"] == 1 and execution.counters["succeeded"] == 1
    assert execution.counters["sources_failed"] == 1
    assert "broken" in execution.log_excerpt
    assert await records() == {(customer.customer_code, "api_calls", DAY): Decimal(10)}


async def test_a_rejected_call_is_not_retried(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await source.save()
    source.secrets_encrypted = encrypt_json({"token": "wrong"})
    await source.save()
    await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 10)]

    execution = await pull()

    assert execution.status == ExecutionStatus.FAILED
    assert execution.counters.get("retries", 0) == 0
    assert len(vendor.usage_calls()) == 1


async def test_bad_rows_become_anomalies_and_are_not_billed(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    good = await given_mapped_customer(source, "acct-a")
    await given_mapped_customer(source, "acct-b")
    vendor.filter_keys = {"account": "-", "day": "-"}  # this vendor sends whatever it has
    vendor.records = [
        usage("acct-a", 10),
        usage("stranger", 5),
        usage("acct-b", "lots"),
        usage("acct-b", -3, metric="sms"),
        usage("acct-a", 4, metric="sms", day=DAY + dt.timedelta(days=1)),
        usage("acct-a", 4, metric="bandwidth"),
    ]

    execution = await pull()

    assert execution.status == ExecutionStatus.SUCCESS, execution.log_excerpt
    kinds = {(a.external_account, a.kind) for a in await UsageAnomaly.all()}
    assert kinds == {
        ("stranger", AnomalyKind.UNKNOWN_ACCOUNT),
        ("acct-b", AnomalyKind.INVALID_QUANTITY),
        ("acct-b", AnomalyKind.NEGATIVE_QUANTITY),
        ("acct-a", AnomalyKind.DAY_OUTSIDE_REQUEST),
        ("acct-a", AnomalyKind.UNKNOWN_METRIC),
    }
    assert await records() == {(good.customer_code, "api_calls", DAY): Decimal(10)}
    assert execution.counters["anomalies"] == 5
    # a re-pull updates the same anomalies, never adds more
    await pull()
    assert await UsageAnomaly.all().count() == 5


async def test_a_spike_is_held_until_accepted(db, vendor):
    # given ten days around 100 a day
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.filter_keys = {"account": "account", "day": "day"}
    vendor.records = [usage("acct-a", 100 + n, day=DAY - dt.timedelta(days=n)) for n in range(1, 11)]
    await pull(DAY - dt.timedelta(days=10), DAY - dt.timedelta(days=1))
    assert await UsageRecord.all().count() == 10
    # when a day brings more than 10 × the average
    vendor.records.append(usage("acct-a", 5000))
    await pull()
    # then it is held, not billed
    (anomaly,) = await UsageAnomaly.all()
    assert anomaly.kind == AnomalyKind.SPIKE and anomaly.quantity == Decimal(5000)
    assert (customer.customer_code, "api_calls", DAY) not in await records()
    # when an operator accepts it, it is billed; a re-pull keeps the decision
    with acting_as(system_actor("operator-test")):
        result = await review([anomaly.id], ReviewAction.ACCEPT)
    assert result.written == 1
    assert (await records())[(customer.customer_code, "api_calls", DAY)] == Decimal(5000)
    await pull()
    assert await UsageAnomaly.filter(status=AnomalyStatus.OPEN).count() == 0
    record = await UsageRecord.get(customer_id=customer.id, usage_day=DAY)
    assert record.anomaly_id == anomaly.id


async def test_a_corrected_quantity_is_billed_and_survives_a_re_pull(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", "12,5")]
    await pull()
    (anomaly,) = await UsageAnomaly.all()

    with acting_as(system_actor("operator-test")):
        await review(
            [anomaly.id], ReviewAction.CORRECT, quantity=Decimal("12.5"), reason="vendor used a decimal comma"
        )
    await pull()

    assert await records() == {(customer.customer_code, "api_calls", DAY): Decimal("12.5")}
    anomaly = await UsageAnomaly.get(id=anomaly.id)
    assert (
        anomaly.status == AnomalyStatus.CORRECTED
        and anomaly.resolution_reason == "vendor used a decimal comma"
    )
    # the vendor later sends a different value: the anomaly opens again for a person
    vendor.records = [usage("acct-a", "13,5")]
    await pull()
    assert (await UsageAnomaly.get(id=anomaly.id)).status == AnomalyStatus.OPEN


async def test_an_unknown_account_can_be_accepted_once_mapped(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    vendor.filter_keys = {"account": "-", "day": "day"}
    vendor.records = [usage("acct-new", 8)]
    await pull()
    (anomaly,) = await UsageAnomaly.all()

    from opcms.core.errors import Conflict

    with acting_as(system_actor("operator-test")), pytest.raises(Conflict):
        await review([anomaly.id], ReviewAction.ACCEPT)
    newcomer = await given_mapped_customer(source, "acct-new")
    with acting_as(system_actor("operator-test")):
        await review([anomaly.id], ReviewAction.ACCEPT)

    assert await records() == {(newcomer.customer_code, "api_calls", DAY): Decimal(8)}


async def test_a_back_fill_of_seven_days_asks_the_vendor_once_per_day(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    days = [DAY - dt.timedelta(days=n) for n in range(7)]
    vendor.records = [usage("acct-a", n + 1, day=day) for n, day in enumerate(days)]

    execution = await pull(days[-1], days[0])

    assert execution.counters["processed"] == 7
    assert await records() == {
        (customer.customer_code, "api_calls", day): Decimal(n + 1) for n, day in enumerate(days)
    }


async def test_a_pull_stores_at_most_the_write_concurrency_of_groups_at_once(
    db, vendor, settings, monkeypatch
):
    # given six customers asked for one per call (six chunks, each storing while it fetches),
    # and at most two upserts of a pull in flight
    await given_metrics()
    source = await given_source(vendor)
    customers = [await given_mapped_customer(source, f"acct-{n}") for n in range(6)]
    vendor.records = [usage(f"acct-{n}", n + 1) for n in range(6)]
    monkeypatch.setattr(settings, "usage_accounts_per_call", 1)
    monkeypatch.setattr(settings, "usage_pull_concurrency", 6)
    monkeypatch.setattr(settings, "usage_write_concurrency", 2)
    in_flight, most = 0, 0
    store = pull_module.store_classified

    async def watched_store(*args, **kwargs):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.05)  # a slow statement: the others have time to pile up
            return await store(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(pull_module, "store_classified", watched_store)
    # when
    execution = await pull()
    # then every row is stored, never more than two groups at once (SQLite: one at a time)
    assert execution.status == ExecutionStatus.SUCCESS
    assert await records() == {
        (c.customer_code, "api_calls", DAY): Decimal(n + 1) for n, c in enumerate(customers)
    }
    assert most == (1 if is_sqlite() else 2)


async def test_usage_written_into_an_invoiced_period_is_late(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 10)]
    await pull()

    async def october_is_invoiced(pairs):
        return {pair for pair in pairs if pair[1] == "2026-10"}

    billing_lookup = late.register_invoiced_lookup(october_is_invoiced)
    try:
        await pull()  # the same quantity again: nothing new, nothing late
        assert not (await UsageRecord.get(customer_id=customer.id)).is_late
        vendor.records = [usage("acct-a", 11)]
        await pull()
    finally:
        late.register_invoiced_lookup(billing_lookup)  # billing's own, registered at import

    record = await UsageRecord.get(customer_id=customer.id)
    assert record.is_late and record.late_at is not None and Decimal(record.quantity) == 11


async def test_review_is_all_or_nothing(db, vendor):
    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    vendor.filter_keys = {"account": "-", "day": "-"}
    vendor.records = [usage("x1", 1), usage("x2", 2)]
    await pull()
    first, second = await UsageAnomaly.all().order_by("id")
    with acting_as(system_actor("operator-test")):
        await review([first.id], ReviewAction.REJECT, reason="not ours")

    from opcms.core.errors import Conflict

    with acting_as(system_actor("operator-test")), pytest.raises(Conflict):
        await review([second.id, first.id], ReviewAction.REJECT, reason="again")

    assert (await UsageAnomaly.get(id=second.id)).status == AnomalyStatus.OPEN


async def test_api_lists_and_reviews_anomalies_and_queues_pulls(client, vendor):
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.filter_keys = {"account": "-", "day": "-"}
    vendor.records = [usage("acct-a", -1)]
    await pull()
    operator = await token_for("operator")

    listed = (await client.get("/api/v1/usage-anomalies", token=operator)).json()
    assert listed["total"] == 1 and listed["items"][0]["raw_quantity"] == "-1"
    anomaly_id = listed["items"][0]["id"]

    missing_reason = await client.post(
        "/api/v1/usage-anomalies/actions",
        token=operator,
        json={"ids": [anomaly_id], "action": "correct", "quantity": "1"},
    )
    assert missing_reason.status_code == 422
    cannot_accept = await client.post(
        "/api/v1/usage-anomalies/actions", token=operator, json={"ids": [anomaly_id], "action": "accept"}
    )
    assert cannot_accept.status_code == 422
    corrected = await client.post(
        "/api/v1/usage-anomalies/actions",
        token=operator,
        json={"ids": [anomaly_id], "action": "correct", "quantity": "1.5", "reason": "sign flipped"},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json() == {"action": "correct", "affected": 1, "written": 1}

    usage_page = (await client.get("/api/v1/usage-records", token=operator)).json()
    assert [(r["metric"], r["quantity"], r["customer_code"]) for r in usage_page["items"]] == [
        ("api_calls", "1.5000", customer.customer_code)
    ]
    assert (await client.get("/api/v1/usage-anomalies", token=operator)).json()["total"] == 0  # open ones
    everything = (await client.get("/api/v1/usage-anomalies?status=all&sort=-id", token=operator)).json()
    assert [(a["status"], a["customer_code"]) for a in everything["items"]] == [
        ("corrected", customer.customer_code)
    ]

    queued = await client.post("/api/v1/usage/pulls", token=operator, json={"day": str(DAY)})
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    too_long = await client.post(
        "/api/v1/usage/pulls", token=operator, json={"first_day": "2026-01-01", "last_day": "2026-12-31"}
    )
    assert too_long.status_code == 422
    # the worker picks the queued execution up (here: in process) and finishes it
    with acting_as(system_actor("usage.pull_day")):
        done = await service.run_pull(DAY, DAY, execution_id=queued.json()["id"])
    shown = (await client.get(f"/api/v1/usage/pulls/{done.id}", token=operator)).json()
    assert shown["status"] == "success" and shown["counters"]["succeeded"] == 1


async def test_a_pull_that_cannot_be_queued_is_a_503_and_a_failed_execution(client):
    from tests.backend.processes import celery_sends_to, free_port

    token = await token_for("finance")
    with celery_sends_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        response = await client.post("/api/v1/usage/pulls", token=token, json={"day": str(DAY)})

    assert response.status_code == 503 and response.json()["error"]["code"] == "queue_unavailable"
    (execution,) = await TaskExecution.all()
    assert execution.status == ExecutionStatus.FAILED and "could not be queued" in execution.error


async def test_usage_dated_in_the_future_cannot_be_accepted(db, vendor):
    from opcms.core.errors import ValidationFailed
    from opcms.core.settings import business_today

    await given_metrics()
    source = await given_source(vendor)
    await given_mapped_customer(source, "acct-a")
    vendor.filter_keys = {"account": "-", "day": "-"}
    vendor.records = [usage("acct-a", 5, day=business_today() + dt.timedelta(days=1))]
    await pull()
    (anomaly,) = await UsageAnomaly.all()
    assert anomaly.kind == AnomalyKind.DAY_OUTSIDE_REQUEST

    with acting_as(system_actor("operator-test")), pytest.raises(ValidationFailed, match="has not happened"):
        await review([anomaly.id], ReviewAction.ACCEPT)
    assert await UsageRecord.all().count() == 0


async def test_daily_usage_sums_the_sources_of_a_customer_per_day_and_metric(client, vendor):
    await given_metrics()
    first = await given_source(vendor, name="first")
    second = await given_source(vendor, name="second")
    customer = await given_mapped_customer(first, "acct-a")
    await CustomerSourceAccount.create(customer=customer, source=second, external_account="acct-a")
    vendor.records = [usage("acct-a", Decimal("0.1")), usage("acct-a", 3, metric="sms")]
    await pull()  # both sources answer the same rows: 0.1 + 0.1, 3 + 3

    answer = await client.get(
        f"/api/v1/usage-records/daily?customer_id={customer.id}&day_from={DAY}&day_to={DAY}",
        token=await token_for("auditor"),
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {"usage_day": str(DAY), "metric": "api_calls", "quantity": "0.2000"},
        {"usage_day": str(DAY), "metric": "sms", "quantity": "6.0000"},
    ]
    too_long = await client.get(
        f"/api/v1/usage-records/daily?customer_id={customer.id}&day_from=2025-01-01&day_to=2026-06-30",
        token=await token_for("auditor"),
    )
    assert too_long.status_code == 422


async def test_vendor_accounts_match_whatever_their_letter_case(client, vendor):
    # given an account mapped in capitals and a vendor that answers in lower case
    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "ACCT-A")
    vendor.filter_keys = {"account": "-", "day": "day"}
    vendor.records = [usage("acct-a", 9)]
    # when
    await pull()
    # then the row is the customer's, on every database
    assert await records() == {(customer.customer_code, "api_calls", DAY): Decimal(9)}
    assert await UsageAnomaly.all().count() == 0
    # and the same account in other letters cannot be mapped to someone else
    other = await make_customer(status="active")
    taken = await client.post(
        f"/api/v1/data-sources/{source.id}/accounts",
        token=await token_for("operator"),
        json={"customer_id": other.id, "external_account": "Acct-A"},
    )
    assert taken.status_code == 409, taken.text


async def test_an_unknown_metric_can_be_accepted_once_it_exists(db, vendor):
    from opcms.core.errors import Conflict

    await given_metrics()
    source = await given_source(vendor)
    customer = await given_mapped_customer(source, "acct-a")
    vendor.records = [usage("acct-a", 4, metric="bandwidth")]
    await pull()
    (anomaly,) = await UsageAnomaly.all()
    assert anomaly.kind == AnomalyKind.UNKNOWN_METRIC

    with acting_as(system_actor("operator-test")), pytest.raises(Conflict, match="create it first"):
        await review([anomaly.id], ReviewAction.ACCEPT)
    await UsageMetric.create(code="bandwidth", name="带宽", unit="GB")
    with acting_as(system_actor("operator-test")):
        await review([anomaly.id], ReviewAction.ACCEPT)

    assert await records() == {(customer.customer_code, "bandwidth", DAY): Decimal(4)}
