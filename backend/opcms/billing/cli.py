"""``opcms bill --period YYYY-MM [--customer CODE] [--issue-date D] [--json]``: the invoice run of
a period now, in this process (chunk after chunk, the same code as the workers), recorded as a
task execution. Exit 0 success, 1 some customers failed, 2 refused."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any


async def _customer_id(code: str) -> int:
    from opcms.core.errors import NotFound
    from opcms.customers.models import Customer, code_key

    row = await Customer.with_deleted().filter(customer_code=code).first()
    if row is None:
        row = await Customer.filter(code_key=code_key(code)).first()
    if row is None:
        raise NotFound(f"no customer with code {code!r}", code="customer_not_found")
    return row.id


async def bill(period: str, customer_code: str | None, issue_date: dt.date | None, chunk_size: int) -> Any:
    """The run under the job's lock (a run of the period already live: refused, recorded skipped)."""
    from opcms.billing import run
    from opcms.core.context import acting_as, system_actor
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    with acting_as(system_actor("bill")):
        customer_id = await _customer_id(customer_code) if customer_code else None
        parameters = run.run_parameters(period, customer_id, issue_date, chunk_size)
        return await jobs.run_now(run.TASK_NAME, parameters, Trigger.CLI)


def print_outcome(execution: Any, as_json: bool) -> int:
    from opcms.jobs.models import ExecutionStatus

    summary = {
        "execution_id": execution.id,
        "status": execution.status.value,
        "counters": execution.counters,
        "result": execution.result,
        "duration_ms": execution.duration_ms,
    }
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        result = execution.result or {}
        print(
            f"invoice run #{execution.id} {result.get('period')}: {execution.status.value} — "
            f"{result.get('invoices', 0):,} invoices, receivable {result.get('receivable_total', '0.00')}, "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(execution.counters.items()))
        )
        for group in ("by_level", "by_industry"):
            for row in result.get(group, []):
                key = group.removeprefix("by_")
                print(f"  {key} {row[key] or '-'}: {row['invoices']:,} invoices, {row['total']}")
        if execution.log_excerpt:
            print(execution.log_excerpt, file=sys.stderr)
    return 0 if execution.status == ExecutionStatus.SUCCESS else 1
