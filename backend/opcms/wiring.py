"""How the parts are connected, in one place: every callback, lookup, job, chore, channel kind
and usage adapter one domain offers another, registered by a visible line.

:func:`wire` is called by every process before it serves or runs anything: the app factory
(``opcms api``), ``opcms worker`` and ``opcms beat`` before Celery starts, the commands that
run domain code in their own process (``opcms bill``, ``pull-usage``, ``run-job``, ``bench`` …)
and the test suite. Core knows no domain and no domain imports this module; the arrows run
from here to them.
"""

from __future__ import annotations

from opcms.alerts import service as alerts_service
from opcms.alerts.conditions import register_conditions
from opcms.alerts.models import AlertRule, ConditionKind
from opcms.analytics import tasks as analytics_tasks
from opcms.auth import queries as auth_queries
from opcms.auth import service as auth_service
from opcms.auth.models import User
from opcms.billing import late_usage, summary_notice
from opcms.billing import queries as billing_queries
from opcms.billing import run as billing_run
from opcms.billing import tasks as billing_tasks
from opcms.core.deletions import DeletableKind, Parent, UniqueValue, register_deletable
from opcms.core.excel import prune_exports
from opcms.core.observability import register_business_metrics
from opcms.customers import tasks as customers_tasks
from opcms.customers.models import Customer, code_key, name_key
from opcms.imports import service as imports_service
from opcms.imports import tasks as imports_tasks
from opcms.jobs import queries as jobs_queries
from opcms.jobs import retention, schedules
from opcms.jobs import tasks as jobs_tasks
from opcms.notifications import delivery
from opcms.notifications import queries as notifications_queries
from opcms.notifications import tasks as notifications_tasks
from opcms.notifications.channels import register_channel
from opcms.notifications.channels.email import EmailChannel
from opcms.notifications.channels.sms import SmsChannel
from opcms.notifications.channels.wecom_app import WeComAppChannel
from opcms.notifications.channels.wecom_bot import WeComBotChannel
from opcms.notifications.models import NotificationChannel, NotificationTemplate
from opcms.pricing.models import PricingPlan, Subscription, UsageMetric
from opcms.pricing.service import check_subscription_restorable
from opcms.reminders import tasks as reminders_tasks
from opcms.settlement import queries as settlement_queries
from opcms.statements.models import BankStatementProfile
from opcms.usage import late
from opcms.usage import queries as usage_queries
from opcms.usage import tasks as usage_tasks
from opcms.usage.adapters import register_adapter
from opcms.usage.adapters.demo import DemoAdapter
from opcms.usage.adapters.file import FileUsageAdapter
from opcms.usage.adapters.http_json import HttpJsonAdapter
from opcms.usage.models import CustomerSourceAccount, DataSource, account_key_of

# The modules holding the Celery tasks and the jobs. Importing one defines its tasks and
# registers its jobs (``@job_task``, ``register_job``); being imported here, at the top of the
# module every process wires with, a worker knows every task and the API and Beat every job.
TASK_MODULES = (
    jobs_tasks,
    retention,
    imports_tasks,
    usage_tasks,
    billing_tasks,
    notifications_tasks,
    reminders_tasks,
    customers_tasks,
    analytics_tasks,
)

# The kinds of record the product soft-deletes, listed and restored on the deleted records page
# (opcms.deleted). A customer's code and name and a vendor account mapping's account are freed on
# delete (a restore checks them free); every other code or name stays taken by its deleted row
# (docs/deleted-records.md).
DELETABLE_KINDS = (
    DeletableKind(
        "customer",
        Customer,
        ("customer_code", "company_name"),
        ("customer_code", "company_name", "short_name"),
        unique=(
            UniqueValue("customer_code", lambda c: {"code_key": code_key(c.customer_code)}),
            UniqueValue("company_name", lambda c: {"name_key": name_key(c.company_name)}),
        ),
        codes_freed=True,
    ),
    DeletableKind("usage_metric", UsageMetric, ("code", "name"), ("code", "name")),
    DeletableKind(
        "pricing_plan",
        PricingPlan,
        ("code", "name"),
        ("code", "name"),
        parents=(Parent("metric_id", UsageMetric, "usage_metric"),),
    ),
    DeletableKind(
        "subscription",
        Subscription,
        ("effective_from", "effective_to"),
        parents=(
            Parent("customer_id", Customer, "customer"),
            Parent("plan_id", PricingPlan, "pricing_plan"),
            Parent("metric_id", UsageMetric, "usage_metric"),
        ),
        check_restore=check_subscription_restorable,
    ),
    DeletableKind("data_source", DataSource, ("name", "adapter"), ("name",)),
    DeletableKind(
        "customer_source_account",
        CustomerSourceAccount,
        ("external_account",),
        ("external_account",),
        unique=(
            UniqueValue(
                "external_account",
                lambda m: {"source_id": m.source_id, "account_key": account_key_of(m.external_account)},
            ),
        ),
        codes_freed=True,
        parents=(
            Parent("source_id", DataSource, "data_source"),
            Parent("customer_id", Customer, "customer"),
        ),
    ),
    DeletableKind("notification_channel", NotificationChannel, ("name", "kind"), ("name",)),
    DeletableKind(
        "notification_template",
        NotificationTemplate,
        ("code", "name"),
        ("code", "name"),
        parents=(Parent("channel_id", NotificationChannel, "notification_channel"),),
    ),
    DeletableKind("alert_rule", AlertRule, ("name", "kind"), ("name",)),
    DeletableKind("user", User, ("username", "display_name"), ("username", "display_name")),
    # a saved bank statement column mapping: its name is free again once deleted
    DeletableKind(
        "bank_statement_profile",
        BankStatementProfile,
        ("name", "base_profile"),
        ("name",),
        unique=(UniqueValue("name"),),
        codes_freed=True,
    ),
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
    # the alert rules are evaluated by the Beat holding the lease, every minute
    schedules.every_minute(alerts_service.evaluate_rules)
    # what each alert condition reads, offered by the domain that owns the data (alerts/conditions.py)
    register_conditions(
        {
            ConditionKind.JOB_FAILED: jobs_queries.failed_executions,
            ConditionKind.USAGE_PULL_EMPTY: usage_queries.pulled_rows_by_source,
            ConditionKind.USAGE_VS_AVERAGE: usage_queries.usage_against_trailing_average,
            ConditionKind.NOTIFICATION_BACKLOG: notifications_queries.backlog_by_channel,
            ConditionKind.CHANNEL_FAILING: notifications_queries.failing_streaks,
            ConditionKind.INVOICE_RUN_FAILED: billing_queries.finished_runs,
        }
    )
    # notification channel kinds
    register_channel(WeComBotChannel)
    register_channel(WeComAppChannel)
    register_channel(EmailChannel)
    register_channel(SmsChannel)
    # usage adapters
    register_adapter(HttpJsonAdapter)
    register_adapter(FileUsageAdapter)
    register_adapter(DemoAdapter)
    # the business figures /metrics reads from the database, domain by domain
    register_business_metrics(
        jobs_queries.metric_families,
        usage_queries.metric_families,
        settlement_queries.metric_families,
        notifications_queries.metric_families,
        auth_queries.metric_families,
    )
    # what the daily retention job removes, in this order (a session's tokens before the session)
    retention.register_pruner("uploads_removed", imports_service.prune_uploads)
    retention.register_pruner("exports_removed", prune_exports)
    retention.register_pruner("refresh_tokens_removed", auth_service.prune_expired_refresh_tokens)
    retention.register_pruner("sessions_removed", auth_service.prune_ended_sessions)
    # soft-deletable kinds of record (the deleted records page)
    for kind in DELETABLE_KINDS:
        register_deletable(kind)
    _wired = True
