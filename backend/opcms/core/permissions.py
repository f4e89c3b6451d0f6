"""The role → permission matrix: the one place that says who may do what.

A permission is ``<area>:<verb>``; every route names exactly one (or is public). ``read``
permissions are what an auditor gets; an auditor holds no write permission at all.
``docs/permissions.md`` is generated from this table (``opcms permissions --markdown``).
"""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    ADMIN = "admin"
    FINANCE = "finance"
    OPERATOR = "operator"
    AUDITOR = "auditor"


# permission → what it allows (also the documentation)
PERMISSIONS: dict[str, str] = {
    "session:self": "see one's own profile, log out (every signed-in user)",
    "users:read": "list and view users",
    "users:write": "create users, change roles, disable, reset passwords",
    "audit:read": "read the audit log, including soft-deleted history",
    "customers:read": "list, view and export customers; read dictionaries",
    "customers:write": "create, edit, soft-delete customers; owners, status moves, batch actions",
    "customers_deleted:read": "list soft-deleted customers with who deleted them and when",
    "customers:restore": "restore soft-deleted customers",
    "deleted:read": "the deleted records page: soft-deleted records of every kind, who deleted them, when and why",
    "deleted:restore": "restore soft-deleted records of any kind from the deleted records page",
    "dictionaries:write": "edit the industry and level dictionaries",
    "imports:read": "list imports, read their reports, download error workbooks and the template",
    "imports:write": "import customer lists from Excel",
    "pricing:read": "list metrics, pricing plans, their versions and subscriptions",
    "pricing:preview": "price a quantity on a plan (changes nothing, but is a POST: not for auditors)",
    "pricing:write": "create and edit metrics, pricing plans (new versions) and subscriptions",
    "usage:read": "list usage records, usage anomalies, data sources (without secrets) and usage pulls",
    "usage:review": "accept, correct or reject usage anomalies",
    "usage:ingest": "run a usage pull or back-fill now, upload usage files, map customers to vendor accounts",
    "data_sources:write": "configure data sources (adapter, settings, secrets) and check their health",
    "billing:read": "list and view invoices, credit notes and invoice runs; export invoices and the aging report",
    "billing:run": "run invoicing for a period, regenerate and void unpaid invoices",
    "billing:credit": "issue credit notes against invoices",
    "payments:read": "list and view payments, allocations, suggestions and customer credit",
    "payments:write": "record payments",
    "payments:allocate": "allocate payments and credit to invoices, reverse allocations, auto-reconcile",
    "statements:read": "list bank statements, their lines with proposals and their reports (xlsx too); "
    "the bank profiles and saved mappings",
    "statements:write": "import bank statements, accept or undo their lines (recording payments and "
    "allocations), save column mappings",
    "jobs:read": "list task executions with their logs, the jobs and their schedules",
    "jobs:run": "run a job now, cancel a pending execution, retry a failed one",
    "jobs:schedule": "edit job schedules (cron, time zone, enabled, parameters)",
    "notifications:read": "list notifications, channels (without secrets) and templates",
    "notifications:write": "configure channels and templates, send a test message, re-send dead notifications",
    "alerts:read": "list alert rules (and why one could not send) and their firings",
    "alerts:write": "create, change, enable, disable, delete and evaluate alert rules",
    "analytics:read": "the dashboard, the aging report on screen, customer analytics and scores "
    "(of the customers one owns, without analytics:all_owners)",
    "analytics:all_owners": "boards of every owner's customers (all, or any one owner's); without it, "
    "only of the customers one owns",
}

_READS = {p for p in PERMISSIONS if p.endswith(":read")}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(PERMISSIONS),
    Role.FINANCE: frozenset(
        {
            "session:self",
            "customers:read",
            "imports:read",
            "imports:write",
            "pricing:read",
            "pricing:preview",
            "pricing:write",
            "usage:read",
            "usage:ingest",
            "billing:read",
            "billing:run",
            "billing:credit",
            "payments:read",
            "payments:write",
            "payments:allocate",
            "statements:read",
            "statements:write",
            "jobs:read",
            "notifications:read",
            "analytics:read",
            "analytics:all_owners",
        }
    ),
    Role.OPERATOR: frozenset(
        {
            "session:self",
            "customers:read",
            "customers:write",
            "imports:read",
            "imports:write",
            "pricing:read",
            "pricing:preview",
            "usage:read",
            "usage:review",
            "usage:ingest",
            "billing:read",
            "payments:read",
            "jobs:read",
            "notifications:read",
            "analytics:read",
        }
    ),
    Role.AUDITOR: frozenset({"session:self", *_READS, "analytics:all_owners"}),
}

# Permissions that do not change business data: an auditor may hold them.
NON_WRITE = frozenset({"session:self", *_READS, "analytics:all_owners"})


def permissions_of(role: str) -> frozenset[str]:
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def allows(role: str, permission: str) -> bool:
    return permission in permissions_of(role)


def matrix_markdown() -> str:
    roles = list(Role)
    lines = [
        "# Permissions",
        "",
        "Generated from `backend/opcms/core/permissions.py` by `opcms permissions --markdown`;",
        "every API route names one of these permissions (or is public: login, refresh, health).",
        "",
        "| permission | what it allows | " + " | ".join(r.value for r in roles) + " |",
        "| --- | --- | " + " | ".join("---" for _ in roles) + " |",
    ]
    for permission, meaning in PERMISSIONS.items():
        marks = " | ".join("✔" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission}` | {meaning} | {marks} |")
    return "\n".join(lines) + "\n"
