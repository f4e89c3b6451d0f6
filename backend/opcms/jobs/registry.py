"""The jobs that can be run as task executions, by name (DESIGN §10).

Each domain registers its jobs here with :func:`register_job`: the name (also the Celery task
name and the schedule's ``task_name``), a title, the pydantic model of its parameters, and how
its parameters are made concrete (``resolve``: e.g. "last month" becomes ``2026-10``) — the
concrete parameters are what is stored on the execution and what the run lock is keyed on.

A job's Celery task takes one argument, ``execution_id``, and reads its parameters from the
execution: the API, Beat and retries all create the execution first (under the run lock) and
then send the task. :func:`job_task` builds such a task from a plain async body; a job with a
body of its own (the invoice run fans out in chunks) registers how to run an execution in this
process with :func:`register_runner` (``opcms.jobs.service.run_now`` uses it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from opcms.core.tasks import async_task

# takes the job's own parameters model (an instance of JobSpec.parameters, a BaseModel subclass)
Resolver = Callable[[Any], dict[str, Any]]
# refusals that need the database (an unknown customer → 404), before anything is recorded
Check = Callable[[dict[str, Any]], Awaitable[None]]
# runs an execution (already created, pending, holding the lock) in this process
Runner = Callable[[int], Awaitable[Any]]


def _as_json(parameters: BaseModel) -> dict[str, Any]:
    return parameters.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class JobSpec:
    name: str
    title: str
    parameters: type[BaseModel]
    resolve: Resolver = _as_json
    description: str = ""
    check: Check | None = None
    # the resolved parameters that say which run it is (the lock key); None = all of them.
    # The invoice run of a period is one run whatever its chunk size or issue date.
    lock_parameters: tuple[str, ...] | None = None


_jobs: dict[str, JobSpec] = {}
_runners: dict[str, Runner] = {}


def register_job(spec: JobSpec) -> JobSpec:
    _jobs[spec.name] = spec
    return spec


def register_runner(name: str, runner: Runner) -> Runner:
    _runners[name] = runner
    return runner


def get_job(name: str) -> JobSpec | None:
    return _jobs.get(name)


def get_runner(name: str) -> Runner | None:
    return _runners.get(name)


def all_jobs() -> list[JobSpec]:
    return sorted(_jobs.values(), key=lambda spec: spec.name)


def job_task(spec: JobSpec) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """A Celery task named after the job that runs ``body(run, **parameters)`` as its execution.

    ``run`` is the :class:`opcms.jobs.recorder.ExecutionRun` (counters, log); the recorder
    marks the execution running, keeps its heartbeat, and records the outcome. The spec is
    registered too, and the same body can be run in this process (``run_now``).
    """

    def decorate(body: Callable[..., Awaitable[Any]]) -> Any:
        async def run_job(execution_id: int) -> str:
            from opcms.jobs.models import TaskExecution
            from opcms.jobs.recorder import run_execution

            execution = await TaskExecution.get(id=execution_id)
            async with run_execution(spec.name, execution.parameters, execution_id=execution_id) as run:
                if not run.skipped:
                    await body(run, **spec.parameters.model_validate(execution.parameters).model_dump())
            return run.execution.status.value

        run_job.__name__ = body.__name__
        run_job.__doc__ = body.__doc__
        register_job(spec)
        register_runner(spec.name, run_job)
        task = async_task(spec.name)(run_job)
        task.body = body  # tests and the CLI call the body in process
        return task

    return decorate
