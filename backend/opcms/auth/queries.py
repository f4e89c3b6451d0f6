"""User list reads."""

from __future__ import annotations

from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from tortoise.expressions import Q

from opcms.auth.models import LoginThrottle, User
from opcms.auth.schemas import USER_SORTABLE, UserListQuery
from opcms.core.audit import AuditAction, AuditLog
from opcms.core.models import utcnow
from opcms.core.pagination import paginate


async def list_users(query: UserListQuery) -> dict[str, Any]:
    qs = User.with_deleted() if query.include_deleted else User.all()
    if query.keyword:
        qs = qs.filter(Q(username__icontains=query.keyword) | Q(display_name__icontains=query.keyword))
    if query.role:
        qs = qs.filter(role=query.role)
    if query.is_active is not None:
        qs = qs.filter(is_active=query.is_active)
    return await paginate(qs, query, sortable=USER_SORTABLE, default_sort="id")


async def owner_options() -> list[User]:
    """Active users that customers can be assigned to (operations and finance staff, admins)."""
    return await User.filter(is_active=True, role__in=["admin", "operator", "finance"]).order_by(
        "display_name", "id"
    )


async def metric_families() -> list[Metric]:
    """Failed logins (each is an audit row) and the usernames or addresses locked out now."""
    failures = CounterMetricFamily("opcms_login_failures", "Failed login attempts")
    failures.add_metric([], await AuditLog.filter(action=AuditAction.LOGIN_FAILED.value).count())
    lockouts = GaugeMetricFamily(
        "opcms_login_lockouts", "Usernames and client addresses locked out of logging in now"
    )
    lockouts.add_metric([], await LoginThrottle.filter(locked_until__gt=utcnow()).count())
    return [failures, lockouts]
