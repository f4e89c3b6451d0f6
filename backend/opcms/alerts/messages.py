"""The catalog entries of alert rules and firings (registered with ``core.i18n`` when the
package is imported): ``"code": ("中文模板", "English template")``."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "alert_rule_not_found": ("未找到告警规则 {id}", "alert rule {id} not found"),
    "alert_firing_not_found": ("未找到告警记录 {id}", "alert firing {id} not found"),
    "alert_rule_duplicate": ("告警规则名称 {value} 已被使用", "alert rule name {value} is taken"),
    "alert_rule_duplicate_deleted": (
        "告警规则名称 {value} 已被已删除的规则 {id} 使用（恢复或改名）",
        "alert rule name {value} is taken by deleted rule {id} (restore or rename it)",
    ),
    "alert_rule_cannot_send": (
        "告警规则 {name} 无法发送（{reason}），请先为其指定可用的通知渠道",
        "alert rule '{name}' cannot send ({reason}): give it a usable notification channel first",
    ),
    "alert_param_unknown": ("不是此类告警的参数", "is not a parameter of this kind of rule"),
    "alert_threshold_whole": ("须为整数", "must be a whole number"),
    "alert_threshold_at_least": ("须不小于 {limit}", "must be at least {limit}"),
    "alert_threshold_at_most": ("须不大于 {limit}", "must be at most {limit}"),
    "alert_threshold_above_one": (
        "高于均值的倍数须大于 1",
        "a multiplier above the average must be greater than 1",
    ),
    "alert_threshold_below_one": (
        "低于均值的倍数须在 0 与 1 之间",
        "a multiplier below the average must be between 0 and 1",
    ),
    "alert_channel_not_found": ("未找到通知渠道 {id}", "notification channel {id} not found"),
    # why a rule cannot send (the rule list says it)
    "alert_cannot_send_no_channel": (
        "未指定通知渠道，模板也没有默认渠道",
        "no channel: neither the rule nor its template names one",
    ),
    "alert_cannot_send_channel_disabled": (
        "通知渠道 {name} 已停用",
        "notification channel '{name}' is disabled",
    ),
    "alert_cannot_send_channel_deleted": ("通知渠道已删除", "the notification channel was deleted"),
    "alert_cannot_send_template_missing": (
        "通知模板 {code} 不存在",
        "notification template '{code}' does not exist",
    ),
    # the condition kinds
    "alert_kind_job_failed": ("任务失败", "Job failed"),
    "alert_kind_usage_pull_empty": ("用量拉取无数据", "Usage pull fetched nothing"),
    "alert_kind_usage_vs_average": ("用量偏离过往均值", "Usage off its trailing average"),
    "alert_kind_notification_backlog": ("通知积压", "Notification backlog"),
    "alert_kind_channel_failing": ("通知渠道连续失败", "Channel failing in a row"),
    "alert_kind_invoice_run_failed": ("账单运行有失败客户", "Invoice run with failed customers"),
    # what a firing says, per kind (the alert template's {{ summary }})
    "alert_job_failed": (
        "任务 {job} 失败 {count} 次（执行 {executions}）：{error}",
        "Job {job} failed {count} time(s) (executions {executions}): {error}",
    ),
    "alert_usage_pull_empty": (
        "数据源 {source} 的用量拉取（执行 #{execution_id}，{first_day} 至 {last_day}）只取到 {records} 行",
        "The usage pull of source {source} (execution #{execution_id}, {first_day} to {last_day}) "
        "fetched {records} rows",
    ),
    "alert_usage_vs_average": (
        "客户 {company_name}（{customer_code}）{day} 的 {metric} 用量为 {quantity}，是过往均值 {average} 的 "
        "{value} 倍（数据源 {source}）",
        "Customer {company_name} ({customer_code}) used {quantity} {metric} on {day}: {value}× its "
        "trailing average {average} (source {source})",
    ),
    "alert_notification_backlog": (
        "通知渠道 {channel} 有 {value} 条消息等待超过 {older_than_minutes} 分钟",
        "Channel {channel} has {value} messages waiting for more than {older_than_minutes} minutes",
    ),
    "alert_channel_failing": (
        "通知渠道 {channel} 最近 {in_a_row} 条消息连续发送失败：{last_error}",
        "Channel {channel}: its last {in_a_row} messages failed in a row: {last_error}",
    ),
    "alert_invoice_run_failed": (
        "{period} 账单运行（执行 #{execution_id}，{status}）有 {failed} 个客户开票失败",
        "The invoice run of {period} (execution #{execution_id}, {status}) failed to bill {failed} customers",
    ),
}
