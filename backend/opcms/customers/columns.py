"""The customer list's columns as finance keeps them in Excel: one table that the import,
the export and the template all read, so a file exported here imports back unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from opcms.core.text import fold_key


@dataclass(frozen=True)
class Column:
    field: str  # CustomerCreate field (owner → the owner's username)
    header: str  # the Chinese header finance uses
    required: bool = False
    kind: str = "text"  # text | date | int | money | dictionary | status | owner
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("customer_code", "客户编号", True, example="C000123"),
    Column("company_name", "公司名称", True, example="上海示例科技有限公司"),
    Column("short_name", "简称", example="示例科技"),
    Column("credit_code", "统一社会信用代码", example="91350100M000100Y43"),
    Column("industry", "行业类型", kind="dictionary", example="互联网"),
    Column("level", "客户等级", kind="dictionary", example="A"),
    Column("status", "账号状态", kind="status", example="正常"),
    Column("owner", "负责人", kind="owner", example="operator"),
    Column("contact_name", "联系人", example="张三"),
    Column("contact_phone", "联系电话", example="13800138000"),
    Column("contact_email", "联系邮箱", example="zhangsan@example.com"),
    Column("province", "省份", example="上海"),
    Column("city", "城市", example="上海"),
    Column("address", "详细地址", example="浦东新区世纪大道 100 号"),
    Column("signed_at", "签约日期", kind="date", example="2024-03-05"),
    Column("contract_end_at", "合同到期日", kind="date", example="2025-03-04"),
    Column("payment_terms_days", "账期(天)", kind="int", example="30"),
    Column("credit_limit", "信用额度", kind="money", example="50000.00"),
    Column("remark", "备注", example=""),
)

BY_FIELD = {c.field: c for c in COLUMNS}


def header_index() -> dict[str, Column]:
    """Folded header text → column; both the Chinese header and the English field name."""
    index: dict[str, Column] = {}
    for column in COLUMNS:
        index[fold_key(column.header)] = column
        index[fold_key(column.field)] = column
    index[fold_key("owner_username")] = BY_FIELD["owner"]
    return index
