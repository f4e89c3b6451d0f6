"""User list reads."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from opcms.auth.models import User
from opcms.auth.schemas import USER_SORTABLE, UserListQuery
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
