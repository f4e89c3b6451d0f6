"""How the parts are connected, in one place: every callback, lookup, job, chore, channel kind
and usage adapter one domain offers another, registered by a visible line.

:func:`wire` is called by every process before it serves or runs anything: the app factory
(``opcms api``), ``opcms worker`` and ``opcms beat`` before Celery starts, the commands that
run domain code in their own process (``opcms bill``, ``pull-usage``, ``run-job``, ``bench`` …)
and the test suite. Core knows no domain and no domain imports this module; the arrows run
from here to them.
"""

from __future__ import annotations

from opcms.analytics import tasks as analytics_tasks
from opcms.billing import late_usage, summary_notice
from opcms.billing import run as billing_run
from opcms.billing import tasks as billing_tasks
from opcms.customers import tasks as customers_tasks
from opcms.imports import tasks as imports_tasks
from opcms.jobs import schedules
from opcms.jobs import tasks as jobs_tasks
from opcms.notifications import delivery
from opcms.notifications import tasks as notifications_tasks
from opcms.notifications.channels import register_channel
from opcms.notifications.channels.email import EmailChannel
from opcms.notifications.channels.sms import SmsChannel
from opcms.notifications.channels.wecom_app import WeComAppChannel
from opcms.notifications.channels.wecom_bot import WeComBotChannel
from opcms.reminders import tasks as reminders_tasks
from opcms.usage import late
from opcms.usage import tasks as usage_tasks
from opcms.usage.adapters import register_adapter
from opcms.usage.adapters.demo import DemoAdapter
from opcms.usage.adapters.file import FileUsageAdapter
from opcms.usage.adapters.http_json import HttpJsonAdapter

# The modules holding the Celery tasks and the jobs. Importing one defines its tasks and
# registers its jobs (``@job_task``, ``register_job``); being imported here, at the top of the
# module every process wires with, a worker knows every task and the API and Beat every job.
TASK_MODULES = (
    jobs_tasks,
    imports_tasks,
    usage_tasks,
    billing_tasks,
    notifications_tasks,
    reminders_tasks,
    customers_tasks,
    analytics_tasks,
)

_wired = False


def wire() -> None:
    """Register everything below once per process (calling it again does nothing)."""
    global _wired
    if _wired:
        return
    # billing tells usage which (customer, period) pairs are invoiced: usage written into them is late
    late.register_invoiced_lookup(late_usage.invoiced_pairs)
    # each finished invoice run's summary goes to finance
    billing_run.on_run_finished(summary_notice.send_run_summary)
    # the Beat holding the lease re-queues due notifications whose queue entry was lost, every minute
    schedules.every_minute(delivery.sweep_due)
    # notification channel kinds
    register_channel(WeComBotChannel)
    register_channel(WeComAppChannel)
    register_channel(EmailChannel)
    register_channel(SmsChannel)
    # usage adapters
    register_adapter(HttpJsonAdapter)
    register_adapter(FileUsageAdapter)
    register_adapter(DemoAdapter)
    _wired = True
