"""``opcms run-job NAME [--param KEY=VALUE …] [--json]``: any registered job now, in this process,
under its run lock and recorded as a task execution (trigger ``cli``) — the overdue reminders or
the account automation by hand, from cron on a host without Beat, or to see a job's log at once.
Exit 0 success, 1 partial or failed, 2 refused (unknown job, bad parameters, the same run live)."""

from __future__ import annotations

import json
import sys
from typing import Any


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value that reads as JSON (numbers, lists, null) is taken as such."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: use KEY=VALUE")
        try:
            parameters[key] = json.loads(value)
        except json.JSONDecodeError:
            parameters[key] = value
    return parameters


async def run_job(name: str, parameters: dict[str, Any]) -> Any:
    from opcms.core.context import acting_as, system_actor
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    with acting_as(system_actor("run-job")):
        return await jobs.run_now(name, parameters, Trigger.CLI)


def print_execution(execution: Any, as_json: bool) -> int:
    from opcms.jobs.models import ExecutionStatus

    if as_json:
        print(
            json.dumps(
                {
                    "execution_id": execution.id,
                    "task_name": execution.task_name,
                    "status": execution.status.value,
                    "parameters": execution.parameters,
                    "counters": execution.counters,
                    "result": execution.result,
                    "duration_ms": execution.duration_ms,
                },
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        counters = ", ".join(f"{k} {v:,}" for k, v in sorted((execution.counters or {}).items()))
        print(
            f"{execution.task_name} #{execution.id}: {execution.status.value} ({counters or 'nothing counted'})"
        )
        if execution.log_excerpt:
            print(execution.log_excerpt, file=sys.stderr)
        if execution.error:
            print(execution.error, file=sys.stderr)
    return 0 if execution.status == ExecutionStatus.SUCCESS else 1
