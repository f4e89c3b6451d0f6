"""Seed the notification templates of the overdue reminders and the billing summary (issue 7).

Plain portable SQL (SQLite and MySQL) with literal values, like 0003 and 0009. The templates
have no channel: an admin binds each to a channel (the finance group for the summary, the
e-mail, SMS and WeCom application channels for the reminders); until then the job skips that
message and says so in its log. Admins edit the wording afterwards. Bodies are Jinja2
(sandboxed; a variable not given is an error when rendering): the variables are listed with
each template and documented in docs/reminders.md.
"""

import json

from tortoise import migrations
from tortoise.migrations import operations as ops

REMINDER_VARIABLES = [
    "customer_name",
    "customer_code",
    "contact_name",
    "invoice_number",
    "period",
    "currency",
    "total",
    "outstanding",
    "due_date",
    "days_overdue",
    "days_until_due",
    "stage",
    "owner_name",
]
SUMMARY_VARIABLES = [
    "execution_id",
    "status",
    "period",
    "invoices",
    "receivable_total",
    "skipped",
    "failed",
    "no_charge",
    "by_level",
]

_WHEN = (
    "{% if days_overdue > 0 %}已于 {{ due_date }} 到期，目前已逾期 {{ days_overdue }} 天"
    "{% elif days_until_due > 0 %}将于 {{ due_date }} 到期（还有 {{ days_until_due }} 天）"
    "{% else %}今天（{{ due_date }}）到期{% endif %}"
)

TEMPLATES = [
    (
        "reminder.customer_email",
        "账单提醒（客户邮件）",
        "【账单提醒】{{ invoice_number }} 未付 {{ outstanding }} {{ currency }}",
        "{{ contact_name or customer_name }}，您好：\n\n"
        "贵司（{{ customer_name }}）{{ period }} 的账单 {{ invoice_number }} " + _WHEN + "。\n"
        "账单金额：{{ total }} {{ currency }}\n"
        "未付金额：{{ outstanding }} {{ currency }}\n\n"
        "如已付款，请忽略本提醒；如有疑问，请联系您的客户经理{% if owner_name %} {{ owner_name }}{% endif %}。\n",
        REMINDER_VARIABLES,
    ),
    (
        "reminder.customer_sms",
        "账单提醒（客户短信）",
        "",
        "【账单提醒】{{ customer_name }}：{{ period }} 账单 {{ invoice_number }} "
        + _WHEN
        + "，未付 {{ outstanding }} {{ currency }}。如已付款请忽略。",
        REMINDER_VARIABLES,
    ),
    (
        "reminder.owner_wecom",
        "逾期提醒（负责人企业微信）",
        "逾期提醒：{{ customer_name }} {{ invoice_number }}",
        "**账单提醒**（第 {{ stage }} 天档）\n"
        "> 客户：{{ customer_name }}（{{ customer_code }}）\n"
        "> 账单：{{ invoice_number }}（{{ period }}）\n"
        "> 到期：" + _WHEN + "\n"
        "> 账单金额：{{ total }} {{ currency }}\n"
        '> 未付：<font color="warning">{{ outstanding }}</font> {{ currency }}\n',
        REMINDER_VARIABLES,
    ),
    (
        "billing.run_summary",
        "账单运行汇总（财务群）",
        "{{ period }} 账单运行完成",
        (
            "**{{ period }} 账单运行完成**（执行 #{{ execution_id }}，{{ status }}）\n"
            "> 账单数：{{ invoices }}\n"
            "> 应收合计：{{ receivable_total }}\n"
            "> 跳过：{{ skipped }}，失败：{{ failed }}，无费用：{{ no_charge }}\n"
            "{% for row in by_level %}> 等级 {{ row.level or '未分级' }}：{{ row.invoices }} 张，{{ row.total }}\n{% endfor %}"
        ),
        SUMMARY_VARIABLES,
    ),
]


def _quoted(text: str) -> str:
    # no backslashes in the texts: MySQL would read them as escapes, SQLite would not
    assert "\\" not in text
    return "'" + text.replace("'", "''") + "'"


def _row(code: str, name: str, title: str, body: str, variables: list[str]) -> str:
    return (
        "INSERT INTO notification_template (code, name, channel_id, title, body, variables, created_at, "
        "updated_at, created_by, updated_by, is_deleted) VALUES "
        f"({_quoted(code)}, {_quoted(name)}, NULL, {_quoted(title)}, {_quoted(body)}, "
        f"{_quoted(json.dumps(variables))}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'system:migration', "
        "'system:migration', 0)"
    )


SEED = [_row(*template) for template in TEMPLATES]
CODES = ", ".join(_quoted(template[0]) for template in TEMPLATES)


class Migration(migrations.Migration):
    dependencies = [("opcms", "0009_seed_job_schedules")]

    operations = [
        ops.RunSQL(
            SEED,
            reverse_sql=[
                f"DELETE FROM notification_template WHERE created_by = 'system:migration' AND code IN ({CODES})"
            ],
        ),
    ]
