"""The catalog entries of bank statements (registered with ``core.i18n`` when the package is
imported): ``"code": ("中文模板", "English template")``."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "bank_statement_not_found": ("未找到银行流水 {id}", "bank statement {id} not found"),
    "bank_statement_line_not_found": ("未找到流水行 {id}", "bank statement line {id} not found"),
    "bank_statement_profile_not_found": ("未找到流水模板 {id}", "bank statement profile {id} not found"),
    "statement_file_required": (
        "请在表单字段 file 中上传银行流水（.xlsx 或 CSV）",
        "upload the statement (.xlsx or CSV) in the multipart field 'file'",
    ),
    "statement_mapping_not_json": (
        "列映射须为 JSON 对象（字段 -> 表头文字）",
        "the mapping must be a JSON object (field -> header text)",
    ),
    "statement_mapping_unknown_field": (
        "列映射含未知字段：{names}",
        "the mapping names unknown fields: {names}",
    ),
    "statement_import_busy": (
        "同一流水正被另一导入写入，请稍后重试",
        "the same lines are being imported by another upload; try again",
    ),
    "statement_profile_taken": ("流水模板名称 {value} 已被使用", "statement profile name {value} is taken"),
    "statement_profile_builtin": (
        "{value} 是银行内置模板的代码，请换一个名称",
        "{value} is a bank profile's code; choose another name",
    ),
    "statement_line_not_incoming": (
        "第 {row} 行不是收款行（{kind}），不能确认",
        "row {row} is not an incoming line ({kind}): it cannot be accepted",
    ),
    "statement_line_not_open": (
        "第 {row} 行已确认（{status}），不能再次确认",
        "row {row} was accepted already ({status}): it cannot be accepted again",
    ),
    "statement_line_not_accepted": (
        "第 {row} 行尚未确认，无可撤销",
        "row {row} is not accepted: there is nothing to undo",
    ),
    "statement_line_no_customer": (
        "第 {row} 行没有建议的客户：请指定客户",
        "row {row} has no proposed customer: choose one",
    ),
    "statement_line_currency": (
        "第 {row} 行的币种是 {currency}：收款只能以人民币（CNY）记录",
        "row {row} is in {currency}: payments are recorded in CNY only",
    ),
    "statement_parts_sum": (
        "拆分金额合计 {total} 不等于流水金额 {amount}",
        "the parts add up to {total}, not the line's amount {amount}",
    ),
    "statement_allocations_over": (
        "核销合计 {total} 超过金额 {amount}",
        "the allocations add up to {total}, more than the amount {amount}",
    ),
    "parts_or_customer": (
        "请给出拆分（parts）或客户与核销（customer_id、allocations），不能同时给出",
        "give either parts or customer_id and allocations, not both",
    ),
    "allocations_need_customer": ("核销需要指定 customer_id", "allocations need a customer_id"),
    "statement_line_reference": (
        "银行流水 {statement} 第 {row} 行",
        "bank statement {statement} row {row}",
    ),
}
