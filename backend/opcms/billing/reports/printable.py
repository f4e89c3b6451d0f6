"""An invoice as a printable HTML page (A4 print styles) in the reader's language: Chinese (the
default) or English — every label, status and pricing mode, and the dates (ISO in Chinese,
"Jan 5, 2026" in English; amounts read 1,234.56 in both). Customer data stays as entered.

Built from strings: every value, ours or a customer's, goes through ``html.escape`` (there is no
template engine among the dependencies, and one page does not need one). The route serves it
with a Content-Security-Policy that allows no script and nothing from elsewhere, so even a
value that slipped through could not run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape
from typing import Any, Literal

from opcms.billing.models import InvoiceLine
from opcms.billing.reports.workbooks import STATUS_LABELS
from opcms.core.i18n import EN, negotiate
from opcms.settlement.models import CreditNote, Invoice, InvoiceStatus
from opcms.settlement.rules import OPEN_STATUSES

#: what the route sends with the page: inline styles only, no script, no outside resource
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
)

Language = Literal["zh-CN", "en-US"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en-US")
DEFAULT_LANGUAGE: Language = "zh-CN"

MODE_LABELS = {
    "per_unit": "单层定价",
    "graduated": "多层阶梯（分段累进）",
    "volume": "多层阶梯（总量定档）",
    "package": "按包计费",
}
MODE_LABELS_EN = {
    "per_unit": "Per unit",
    "graduated": "Graduated tiers",
    "volume": "Volume tiers",
    "package": "Package",
}
STATUS_LABELS_EN = {
    InvoiceStatus.UNSETTLED: "Unsettled",
    InvoiceStatus.PARTIALLY_SETTLED: "Partially settled",
    InvoiceStatus.SETTLED: "Settled",
    InvoiceStatus.VOID: "Void",
}

#: the page's words; ``{name}`` parameters are filled with escaped values
WORDS: dict[Language, dict[str, str]] = {
    "zh-CN": {
        "title": "发票 {number} · {company}",
        "heading": "账 单",
        "overdue": "已逾期 {days} 天",
        "number": "发票号",
        "status": "结算状态",
        "customer_code": "客户编号",
        "company_name": "公司名称",
        "period": "账期",
        "currency": "币种",
        "issue_date": "开票日期",
        "due_date": "到期日",
        "tier": "第 {tier} 档",
        "and_above": "以上",
        "tier_head": "档位",
        "range_head": "区间（不含下限，含上限）",
        "quantity": "数量",
        "unit_price": "单价",
        "flat_fee": "固定费",
        "amount": "金额",
        "item": "项目",
        "metric": "计量项",
        "plan": "价目 / 版本",
        "service": "服务期",
        "usage": "用量",
        "included": "包含量",
        "billed": "计费量",
        "usage_amount": "用量金额",
        "monthly_fee": "月费",
        "minimum_top_up": "保底补差",
        "discount": "折扣",
        "days": "{active}/{total} 天",
        "metric_unit": "{name}（{unit}）",
        "no_lines": "无明细",
        "subtotal": "小计",
        "total": "应收合计",
        "credited": "红字冲减",
        "paid": "已收金额",
        "outstanding": "未收金额",
        "credit_notes": "红字发票（贷项通知）",
        "credit_number": "红字发票号",
        "credit_issued": "开具日期",
        "credit_applied": "冲减本发票",
        "credit_to_balance": "转为客户余额",
        "reason": "原因",
        "void_note": "本发票已作废：{reason}（{by} {when}）",
        "replaces": "本发票替代已作废的发票 #{id}",
        "basic": "基本信息",
        "lines": "费用明细",
        "amounts": "金额",
        "footer": "打印日期 {today} · 金额单位：{currency}",
    },
    "en-US": {
        "title": "Invoice {number} · {company}",
        "heading": "INVOICE",
        "overdue": "{days} days overdue",
        "number": "Invoice number",
        "status": "Status",
        "customer_code": "Customer code",
        "company_name": "Company name",
        "period": "Period",
        "currency": "Currency",
        "issue_date": "Issued",
        "due_date": "Due",
        "tier": "Tier {tier}",
        "and_above": "and above",
        "tier_head": "Tier",
        "range_head": "Range (lower bound excluded, upper included)",
        "quantity": "Quantity",
        "unit_price": "Unit price",
        "flat_fee": "Flat fee",
        "amount": "Amount",
        "item": "Item",
        "metric": "Metric",
        "plan": "Plan / version",
        "service": "Service period",
        "usage": "Usage",
        "included": "Included",
        "billed": "Billed quantity",
        "usage_amount": "Usage amount",
        "monthly_fee": "Monthly fee",
        "minimum_top_up": "Minimum top-up",
        "discount": "Discount",
        "days": "{active}/{total} days",
        "metric_unit": "{name} ({unit})",
        "no_lines": "No lines",
        "subtotal": "Subtotal",
        "total": "Total",
        "credited": "Credited",
        "paid": "Paid",
        "outstanding": "Outstanding",
        "credit_notes": "Credit notes",
        "credit_number": "Credit note number",
        "credit_issued": "Issued",
        "credit_applied": "Applied to this invoice",
        "credit_to_balance": "To customer credit",
        "reason": "Reason",
        "void_note": "This invoice is void: {reason} ({by} {when})",
        "replaces": "This invoice replaces the void invoice #{id}",
        "basic": "Details",
        "lines": "Lines",
        "amounts": "Amounts",
        "footer": "Printed {today} · Amounts in {currency}",
    },
}


def language_of(requested: str | None, accept_language: str | None = None) -> Language:
    """The page's language: the ``lang`` asked for, else Accept-Language's (as every answer of the
    API negotiates it), else Chinese."""
    if requested in LANGUAGES:
        return requested
    return "en-US" if negotiate(accept_language) == EN else DEFAULT_LANGUAGE


class _Words:
    """The words of one language: ``w("key", name=value)`` with the values escaped."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self.table = WORDS[lang]

    def __call__(self, key: str, **params: Any) -> str:
        text = _e(self.table[key])
        for name, value in params.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        if self.lang == "en-US":
            return f"{value:%b} {value.day}, {value.year}"
        return value.isoformat()

    def status(self, status: InvoiceStatus) -> str:
        return _e((STATUS_LABELS_EN if self.lang == "en-US" else STATUS_LABELS)[status])

    def mode(self, mode: str) -> str:
        return _e((MODE_LABELS_EN if self.lang == "en-US" else MODE_LABELS).get(mode, mode))


STYLE = """
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 12px; color: #1d2129;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0; letter-spacing: 4px; }
h2 { font-size: 14px; margin: 20px 0 6px; border-left: 3px solid #165dff; padding-left: 6px; }
.head { display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 2px solid #1d2129;
        padding-bottom: 8px; }
.number { font-size: 14px; font-family: monospace; }
.status { display: inline-block; padding: 2px 8px; border: 1px solid #86909c; border-radius: 3px; }
.status.void { color: #f53f3f; border-color: #f53f3f; }
.overdue { color: #f53f3f; font-weight: bold; }
table { width: 100%; border-collapse: collapse; margin-top: 4px; }
th, td { border: 1px solid #c9cdd4; padding: 4px 6px; vertical-align: top; }
th { background: #f2f3f5; font-weight: 600; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.meta th { width: 12%; }
table.meta td { width: 38%; }
table.breakdown { margin: 2px 0 4px; font-size: 11px; }
table.breakdown th { background: #fafafa; }
tr.breakdown-row > td { background: #fcfcfd; padding-left: 24px; }
table.totals { width: 40%; margin-left: auto; }
table.totals tr.grand th, table.totals tr.grand td { font-size: 14px; font-weight: bold; }
.void-note { color: #f53f3f; margin-top: 8px; }
footer { margin-top: 24px; color: #86909c; font-size: 11px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _e(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def money(value: Decimal | str | None) -> str:
    """An amount with thousands separators and two decimals, exact (Decimal formatting)."""
    if value is None or value == "":
        return ""
    return escape(f"{Decimal(str(value)):,.2f}")


def plain(value: Decimal | str | None) -> str:
    """A quantity or price without trailing zeros (and never in exponent notation)."""
    if value is None or value == "":
        return ""
    return escape(format(Decimal(str(value)).normalize(), "f"))


def _meta(invoice: Invoice, today: dt.date, w: _Words) -> str:
    status = InvoiceStatus(invoice.status)
    label = f'<span class="status {status.value}">{w.status(status)}</span>'
    if status in OPEN_STATUSES and invoice.due_date < today:
        label += f' <span class="overdue">{w("overdue", days=(today - invoice.due_date).days)}</span>'
    pairs = [
        (w("number"), _e(invoice.number), w("status"), label),
        (w("customer_code"), _e(invoice.customer_code), w("company_name"), _e(invoice.company_name)),
        (w("period"), _e(invoice.period), w("currency"), _e(invoice.currency)),
        (w("issue_date"), w.date(invoice.issue_date), w("due_date"), w.date(invoice.due_date)),
    ]
    rows = "".join(f"<tr><th>{a}</th><td>{b}</td><th>{c}</th><td>{d}</td></tr>" for a, b, c, d in pairs)
    return f'<table class="meta">{rows}</table>'


def _breakdown(line: InvoiceLine, w: _Words) -> str:
    if not line.breakdown:
        return ""
    rows = []
    for tier in line.breakdown:
        upper = w("and_above") if tier.get("up_to") in (None, "") else f"– {plain(tier.get('up_to'))}"
        rows.append(
            f"<tr><td>{w('tier', tier=_e(tier.get('tier')))}</td><td>{plain(tier.get('from'))} {upper}</td>"
            f'<td class="num">{plain(tier.get("quantity"))}</td><td class="num">{plain(tier.get("unit_price"))}</td>'
            f'<td class="num">{money(tier.get("flat_fee"))}</td><td class="num">{money(tier.get("amount"))}</td></tr>'
        )
    head = (
        f'<tr><th>{w("tier_head")}</th><th>{w("range_head")}</th><th class="num">{w("quantity")}</th>'
        f'<th class="num">{w("unit_price")}</th><th class="num">{w("flat_fee")}</th>'
        f'<th class="num">{w("amount")}</th></tr>'
    )
    return (
        f'<tr class="breakdown-row"><td></td><td colspan="12"><table class="breakdown">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></td></tr>"
    )


def _lines(lines: list[InvoiceLine], w: _Words) -> str:
    head = (
        "<tr><th>#</th>"
        + "".join(f"<th>{w(key)}</th>" for key in ("item", "metric", "plan", "service"))
        + "".join(
            f'<th class="num">{w(key)}</th>'
            for key in (
                "usage",
                "included",
                "billed",
                "usage_amount",
                "monthly_fee",
                "minimum_top_up",
                "discount",
                "amount",
            )
        )
        + "</tr>"
    )
    body = []
    for line in lines:
        metric, plan, version = line.metric, line.plan, line.plan_version
        days = w("days", active=line.days_active, total=line.days_in_period)
        discount = money(line.discount)
        if line.discount_percent:
            discount += f" ({plain(line.discount_percent)}%)"
        body.append(
            f"<tr><td>{line.position}</td><td>{_e(line.description)}<br><small>{w.mode(line.mode)}</small></td>"
            f"<td>{w('metric_unit', name=_e(metric.name), unit=_e(metric.unit))}</td>"
            f"<td>{_e(plan.code)} v{_e(version.version)}</td>"
            f"<td>{w.date(line.service_from)} – {w.date(line.service_to)}<br><small>{days}</small></td>"
            f'<td class="num">{plain(line.quantity)}</td><td class="num">{plain(line.included_quantity)}</td>'
            f'<td class="num">{plain(line.billed_quantity)}</td><td class="num">{money(line.usage_amount)}</td>'
            f'<td class="num">{money(line.monthly_fee)}</td><td class="num">{money(line.minimum_top_up)}</td>'
            f'<td class="num">{discount}</td><td class="num">{money(line.amount)}</td></tr>'
        )
        body.append(_breakdown(line, w))
    if not lines:
        body.append(f'<tr><td colspan="13">{w("no_lines")}</td></tr>')
    return f'<table class="lines"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def _totals(invoice: Invoice, w: _Words) -> str:
    rows = [
        (w("subtotal"), invoice.subtotal, ""),
        (w("discount"), invoice.discount_amount, ""),
        (w("total"), invoice.total, "grand"),
        (w("credited"), invoice.credited_amount, ""),
        (w("paid"), invoice.paid_amount, ""),
        (w("outstanding"), invoice.outstanding, "grand"),
    ]
    body = "".join(
        f'<tr class="{css}"><th>{label}</th><td class="num">{_e(invoice.currency)} {money(amount)}</td></tr>'
        for label, amount, css in rows
    )
    return f'<table class="totals">{body}</table>'


def _credit_notes(notes: list[CreditNote], w: _Words) -> str:
    if not notes:
        return ""
    rows = "".join(
        f'<tr><td>{_e(n.number)}</td><td>{w.date(n.issue_date)}</td><td class="num">{money(n.amount)}</td>'
        f'<td class="num">{money(n.applied_amount)}</td><td class="num">{money(n.credit_amount)}</td><td>{_e(n.reason)}</td></tr>'
        for n in notes
    )
    head = (
        f'<tr><th>{w("credit_number")}</th><th>{w("credit_issued")}</th><th class="num">{w("amount")}</th>'
        f'<th class="num">{w("credit_applied")}</th><th class="num">{w("credit_to_balance")}</th>'
        f"<th>{w('reason')}</th></tr>"
    )
    return f"<h2>{w('credit_notes')}</h2><table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _void_note(invoice: Invoice, w: _Words) -> str:
    if invoice.status != InvoiceStatus.VOID:
        return ""
    at = invoice.voided_at
    when = f"{w.date(at.date())} {at:%H:%M} UTC" if at else ""
    note = w("void_note", reason=_e(invoice.void_reason), by=_e(invoice.voided_by), when=_e(when))
    return f'<p class="void-note">{note}</p>'


async def render_invoice_html(invoice: Invoice, today: dt.date, lang: Language = DEFAULT_LANGUAGE) -> str:
    """The whole page for one invoice, its lines (with tier breakdown) and credit notes, in ``lang``."""
    w = _Words(lang)
    lines = (
        await InvoiceLine.filter(invoice_id=invoice.id)
        .select_related("metric", "plan", "plan_version")
        .order_by("position")
    )
    notes = await CreditNote.filter(invoice_id=invoice.id).order_by("id")
    replaces = f"<p>{w('replaces', id=_e(invoice.replaces_id))}</p>" if invoice.replaces_id else ""
    title = w("title", number=_e(invoice.number), company=_e(invoice.company_name))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f'<div class="head"><h1>{w("heading")}</h1><div class="number">{_e(invoice.number)}</div></div>'
        f"{_void_note(invoice, w)}{replaces}"
        f"<h2>{w('basic')}</h2>{_meta(invoice, today, w)}"
        f"<h2>{w('lines')}</h2>{_lines(lines, w)}"
        f"<h2>{w('amounts')}</h2>{_totals(invoice, w)}"
        f"{_credit_notes(notes, w)}"
        f"<footer>{w('footer', today=w.date(today), currency=_e(invoice.currency))}</footer>"
        "</body></html>"
    )
