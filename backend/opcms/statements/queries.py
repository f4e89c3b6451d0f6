"""Bank statement reads: the statements and their lines as list pages, a line as answered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from tortoise.functions import Count

from opcms.core.list_pages import deferred_page, filters_key
from opcms.core.models import get_or_404, read_only_rows
from opcms.core.schemas import PageQuery
from opcms.customers.models import Customer
from opcms.statements.models import BankStatement, BankStatementLine, LineKind, LineStatus
from opcms.statements.report import statement_report
from opcms.statements.schemas import (
    STATEMENT_SORTABLE,
    LineListQuery,
    LinePage,
    LinePublic,
    StatementDetail,
    StatementListItem,
    StatementListQuery,
    StatementPage,
    StatementSummary,
)

CHUNK = 500


async def get_statement(statement_id: int) -> BankStatement:
    return await get_or_404(BankStatement, statement_id, "bank_statement")


async def statement_detail(statement_id: int) -> StatementDetail:
    statement = await get_statement(statement_id)
    summary = StatementSummary.model_validate(statement)
    return StatementDetail(**dict(summary), report=await statement_report(statement.id))


async def list_statements(query: StatementListQuery) -> StatementPage:
    page = await deferred_page(
        BankStatement.all(),
        query,
        sortable=STATEMENT_SORTABLE,
        count_key=filters_key(query),
    )
    statements: list[BankStatement] = page["items"]
    ids = [s.id for s in statements]
    counts: Counter[tuple[int, str]] = Counter()
    if ids:
        rows = (
            await BankStatementLine.filter(statement_id__in=ids, kind=LineKind.INCOMING)
            .annotate(n=Count("id"))
            .group_by("statement_id", "status")
            .values_list("statement_id", "status", "n")
        )
        for statement_id, status, n in rows:
            counts[(statement_id, str(getattr(status, "value", status)))] += n
    items = []
    for statement in statements:
        summary = StatementSummary.model_validate(statement)
        open_lines = (
            counts[(statement.id, LineStatus.OPEN.value)] + counts[(statement.id, LineStatus.CONFLICT.value)]
        )
        accepted = (
            counts[(statement.id, LineStatus.ACCEPTED.value)]
            + counts[(statement.id, LineStatus.CREDIT.value)]
        )
        items.append(StatementListItem(**dict(summary), open_lines=open_lines, accepted_lines=accepted))
    return StatementPage(
        items=items,
        total=page["total"],
        total_is_estimate=page["total_is_estimate"],
        page=page["page"],
        page_size=page["page_size"],
    )


async def customer_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    names: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = (
            await Customer.with_deleted()
            .filter(id__in=wanted[start : start + CHUNK])
            .values_list("id", "company_name")
        )
        names.update(dict(rows))
    return names


def line_public(line: BankStatementLine, names: dict[int, str]) -> LinePublic:
    data: dict[str, Any] = {
        name: getattr(line, name) for name in LinePublic.model_fields if name != "customer_name"
    }
    data["customer_name"] = names.get(line.customer_id) if line.customer_id is not None else None
    return LinePublic.model_validate(data)


async def line_answer(line_id: int) -> LinePublic:
    with read_only_rows():
        line = await get_or_404(BankStatementLine, line_id, "bank_statement_line")
    return line_public(line, await customer_names([line.customer_id]))


async def list_lines(statement_id: int, query: LineListQuery) -> LinePage:
    await get_statement(statement_id)
    lines = BankStatementLine.filter(statement_id=statement_id)
    if query.status is not None:
        if query.status == LineStatus.OPEN:
            lines = lines.filter(status__in=(LineStatus.OPEN, LineStatus.CONFLICT))
        else:
            lines = lines.filter(status=query.status)
    if query.confidence is not None:
        lines = lines.filter(confidence=query.confidence)
    if query.kind is not None:
        lines = lines.filter(kind=query.kind)
    page = await deferred_page(
        lines,
        PageQuery(page=query.page, page_size=query.page_size),
        sortable=("row_number",),
        default_sort="row_number",
        count_key=f"LineListQuery|{statement_id}|{query.model_dump_json(exclude={'page', 'page_size'})}",
    )
    rows: list[BankStatementLine] = page["items"]
    names = await customer_names(row.customer_id for row in rows)
    return LinePage(
        items=[line_public(row, names) for row in rows],
        total=page["total"],
        total_is_estimate=page["total_is_estimate"],
        page=page["page"],
        page_size=page["page_size"],
    )
