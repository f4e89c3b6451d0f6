"""An invoice as a printable HTML page (Chinese labels, A4 print styles).

Built from strings: every value, ours or a customer's, goes through ``html.escape`` (there is no
template engine among the dependencies, and one page does not need one). The route serves it
with a Content-Security-Policy that allows no script and nothing from elsewhere, so even a
value that slipped through could not run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape
from typing import Any

from opcms.billing.models import InvoiceLine
from opcms.billing.reports.workbooks import STATUS_LABELS
from opcms.settlement.models import CreditNote, Invoice, InvoiceStatus
from opcms.settlement.rules import OPEN_STATUSES

#: what the route sends with the page: inline styles only, no script, no outside resource
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
)

MODE_LABELS = {
    "per_unit": "单层定价",
    "graduated": "多层阶梯（分段累进）",
    "volume": "多层阶梯（总量定档）",
    "package": "按包计费",
}

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


def _date(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _meta(invoice: Invoice, today: dt.date) -> str:
    status = InvoiceStatus(invoice.status)
    label = f'<span class="status {status.value}">{_e(STATUS_LABELS[status])}</span>'
    if status in OPEN_STATUSES and invoice.due_date < today:
        label += f' <span class="overdue">已逾期 {(today - invoice.due_date).days} 天</span>'
    pairs = [
        ("发票号", _e(invoice.number), "结算状态", label),
        ("客户编号", _e(invoice.customer_code), "公司名称", _e(invoice.company_name)),
        ("账期", _e(invoice.period), "币种", _e(invoice.currency)),
        ("开票日期", _date(invoice.issue_date), "到期日", _date(invoice.due_date)),
    ]
    rows = "".join(f"<tr><th>{a}</th><td>{b}</td><th>{c}</th><td>{d}</td></tr>" for a, b, c, d in pairs)
    return f'<table class="meta">{rows}</table>'


def _breakdown(line: InvoiceLine) -> str:
    if not line.breakdown:
        return ""
    rows = []
    for tier in line.breakdown:
        upper = "以上" if tier.get("up_to") in (None, "") else f"– {plain(tier.get('up_to'))}"
        rows.append(
            f"<tr><td>第 {_e(tier.get('tier'))} 档</td><td>{plain(tier.get('from'))} {upper}</td>"
            f'<td class="num">{plain(tier.get("quantity"))}</td><td class="num">{plain(tier.get("unit_price"))}</td>'
            f'<td class="num">{money(tier.get("flat_fee"))}</td><td class="num">{money(tier.get("amount"))}</td></tr>'
        )
    head = (
        '<tr><th>档位</th><th>区间（不含下限，含上限）</th><th class="num">数量</th><th class="num">单价</th>'
        '<th class="num">固定费</th><th class="num">金额</th></tr>'
    )
    return (
        f'<tr class="breakdown-row"><td></td><td colspan="12"><table class="breakdown">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></td></tr>"
    )


def _lines(lines: list[InvoiceLine]) -> str:
    head = (
        '<tr><th>#</th><th>项目</th><th>计量项</th><th>价目 / 版本</th><th>服务期</th><th class="num">用量</th>'
        '<th class="num">包含量</th><th class="num">计费量</th><th class="num">用量金额</th>'
        '<th class="num">月费</th><th class="num">保底补差</th><th class="num">折扣</th><th class="num">金额</th></tr>'
    )
    body = []
    for line in lines:
        metric, plan, version = line.metric, line.plan, line.plan_version
        days = f"{line.days_active}/{line.days_in_period} 天"
        discount = money(line.discount)
        if line.discount_percent:
            discount += f" ({plain(line.discount_percent)}%)"
        body.append(
            f"<tr><td>{line.position}</td><td>{_e(line.description)}<br><small>{_e(MODE_LABELS.get(line.mode, line.mode))}</small></td>"
            f"<td>{_e(metric.name)}（{_e(metric.unit)}）</td><td>{_e(plan.code)} v{_e(version.version)}</td>"
            f"<td>{_date(line.service_from)} – {_date(line.service_to)}<br><small>{days}</small></td>"
            f'<td class="num">{plain(line.quantity)}</td><td class="num">{plain(line.included_quantity)}</td>'
            f'<td class="num">{plain(line.billed_quantity)}</td><td class="num">{money(line.usage_amount)}</td>'
            f'<td class="num">{money(line.monthly_fee)}</td><td class="num">{money(line.minimum_top_up)}</td>'
            f'<td class="num">{discount}</td><td class="num">{money(line.amount)}</td></tr>'
        )
        body.append(_breakdown(line))
    if not lines:
        body.append('<tr><td colspan="13">无明细</td></tr>')
    return f'<table class="lines"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def _totals(invoice: Invoice) -> str:
    rows = [
        ("小计", invoice.subtotal, ""),
        ("折扣", invoice.discount_amount, ""),
        ("应收合计", invoice.total, "grand"),
        ("红字冲减", invoice.credited_amount, ""),
        ("已收金额", invoice.paid_amount, ""),
        ("未收金额", invoice.outstanding, "grand"),
    ]
    body = "".join(
        f'<tr class="{css}"><th>{label}</th><td class="num">{_e(invoice.currency)} {money(amount)}</td></tr>'
        for label, amount, css in rows
    )
    return f'<table class="totals">{body}</table>'


def _credit_notes(notes: list[CreditNote]) -> str:
    if not notes:
        return ""
    rows = "".join(
        f'<tr><td>{_e(n.number)}</td><td>{_date(n.issue_date)}</td><td class="num">{money(n.amount)}</td>'
        f'<td class="num">{money(n.applied_amount)}</td><td class="num">{money(n.credit_amount)}</td><td>{_e(n.reason)}</td></tr>'
        for n in notes
    )
    head = (
        '<tr><th>红字发票号</th><th>开具日期</th><th class="num">金额</th><th class="num">冲减本发票</th>'
        '<th class="num">转为客户余额</th><th>原因</th></tr>'
    )
    return f"<h2>红字发票（贷项通知）</h2><table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _void_note(invoice: Invoice) -> str:
    if invoice.status != InvoiceStatus.VOID:
        return ""
    when = invoice.voided_at.strftime("%Y-%m-%d %H:%M") + " UTC" if invoice.voided_at else ""
    return (
        f'<p class="void-note">本发票已作废：{_e(invoice.void_reason)}'
        f"（{_e(invoice.voided_by)} {_e(when)}）</p>"
    )


async def render_invoice_html(invoice: Invoice, today: dt.date) -> str:
    """The whole page for one invoice, its lines (with tier breakdown) and credit notes."""
    lines = (
        await InvoiceLine.filter(invoice_id=invoice.id)
        .select_related("metric", "plan", "plan_version")
        .order_by("position")
    )
    notes = await CreditNote.filter(invoice_id=invoice.id).order_by("id")
    replaces = f"<p>本发票替代已作废的发票 #{_e(invoice.replaces_id)}</p>" if invoice.replaces_id else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>发票 {_e(invoice.number)} · {_e(invoice.company_name)}</title><style>{STYLE}</style></head><body>"
        f'<div class="head"><h1>账 单</h1><div class="number">{_e(invoice.number)}</div></div>'
        f"{_void_note(invoice)}{replaces}"
        f"<h2>基本信息</h2>{_meta(invoice, today)}"
        f"<h2>费用明细</h2>{_lines(lines)}"
        f"<h2>金额</h2>{_totals(invoice)}"
        f"{_credit_notes(notes)}"
        f"<footer>打印日期 {_date(today)} · 金额单位：{_e(invoice.currency)}</footer>"
        "</body></html>"
    )
