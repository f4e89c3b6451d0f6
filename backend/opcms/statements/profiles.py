"""The built-in bank profiles: which header texts name which field in each bank's statement export.

A profile lists, per field, the header texts that name it in that bank's online-banking export
(企业网银 明细查询/下载), most specific first. Headers match after full-width folding, ignoring
case and spaces (``借方发生额（支取）`` is ``借方发生额(支取)``); a header with a bracketed
English part (BOC: ``交易日期[ Transaction Date ]``) also matches by the text before it.

The fields (``FIELDS``):

- ``booked_on``, ``booked_at``: the date and the time (one column may hold both);
- ``credit``, ``debit``: money in and out in two columns; or ``signed_amount`` (negative = out),
  read with ``direction`` (借/贷, 收/付, C/D …) when the bank writes the sign there;
- ``balance``, ``currency``;
- ``payer_name``, ``payer_account``, ``payer_bank``: the other party (对方) of the line;
- ``summary`` (摘要), ``purpose`` (用途/附言), ``serial`` (the bank's 流水号).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FIELDS = (
    "booked_on",
    "booked_at",
    "credit",
    "debit",
    "signed_amount",
    "direction",
    "balance",
    "payer_name",
    "payer_account",
    "payer_bank",
    "summary",
    "purpose",
    "serial",
    "currency",
)


@dataclass(frozen=True)
class BankProfile:
    code: str  # "icbc" | "ccb" | "abc" | "boc" | "cmb" | "generic"
    name: str  # display name (the UI translates it by code)
    headers: Mapping[str, tuple[str, ...]]  # field -> header texts naming it, most specific first


def _profile(code: str, name: str, **headers: tuple[str, ...]) -> BankProfile:
    unknown = set(headers) - set(FIELDS)
    if unknown:  # pragma: no cover - a typo in this file
        raise ValueError(f"unknown fields in profile {code}: {sorted(unknown)}")
    return BankProfile(code, name, {field: headers[field] for field in FIELDS if field in headers})


# 中国工商银行 企业网银 账户明细 (历史明细 下载): 交易时间 holds date and time in one cell; 借/贷
# names the side, 借方发生额/贷方发生额 hold the amounts; the other party is 对方单位名称/对方账号.
ICBC = _profile(
    "icbc",
    "ICBC",
    booked_on=("交易日期", "入账日期", "记账日期", "交易时间"),
    booked_at=("交易时间", "时间"),
    credit=("贷方发生额", "贷方金额", "收入金额", "记账金额(收入)", "交易金额(收入)"),
    debit=("借方发生额", "借方金额", "支出金额", "记账金额(支出)", "交易金额(支出)"),
    direction=("借/贷", "借贷标志", "借贷方向"),
    balance=("余额", "账户余额", "当前余额"),
    payer_name=("对方单位名称", "对方户名", "对方单位", "对方账户名称"),
    payer_account=("对方账号", "对方账户"),
    payer_bank=("对方行名", "对方开户行", "对方开户行名"),
    summary=("摘要",),
    purpose=("用途", "附言", "个性化信息"),
    serial=("交易流水号", "流水号", "凭证号", "电子回单号"),
    currency=("币种", "交易币种", "记账币种"),
)

# 中国建设银行 企业网银 账户明细查询: 交易时间 (date and time), 记账日期 (yyyymmdd), 借方发生额（支取）/
# 贷方发生额（收入）, 对方户名/对方账号/对方开户机构, 备注, 账户明细编号-交易流水号.
CCB = _profile(
    "ccb",
    "CCB",
    booked_on=("记账日期", "交易日期", "交易时间"),
    booked_at=("交易时间",),
    credit=("贷方发生额(收入)", "贷方发生额", "收入金额"),
    debit=("借方发生额(支取)", "借方发生额", "支出金额"),
    signed_amount=("交易金额",),  # the personal account export: one signed amount
    direction=("借贷方向", "借贷标志"),
    balance=("余额", "账户余额"),
    payer_name=("对方户名", "对方账户名称"),
    payer_account=("对方账号", "对方账户"),
    payer_bank=("对方开户机构", "对方开户行", "对方行名"),
    summary=("摘要",),
    purpose=("备注", "用途", "附言"),
    serial=("账户明细编号-交易流水号", "交易流水号", "流水号"),
    currency=("币种",),
)

# 中国农业银行 企业网银 账户明细: 交易日期 + 交易时间 (hhmmss), 收入金额/支出金额, 本次余额,
# 对方户名/对方账号, 交易摘要, 交易附言.
ABC = _profile(
    "abc",
    "ABC",
    booked_on=("交易日期", "记账日期", "交易时间"),
    booked_at=("交易时间",),
    credit=("收入金额", "贷方发生额", "贷方金额"),
    debit=("支出金额", "借方发生额", "借方金额"),
    signed_amount=("交易金额",),
    direction=("借贷标志", "收支标志"),
    balance=("本次余额", "账户余额", "余额"),
    payer_name=("对方户名", "对方账户名称"),
    payer_account=("对方账号", "对方账户"),
    payer_bank=("对方开户行", "对方行名", "对方开户行名"),
    summary=("交易摘要", "摘要"),
    purpose=("交易附言", "附言", "用途", "交易用途"),
    serial=("交易流水号", "流水号", "日志号"),
    currency=("币种", "交易币种"),
)

# 中国银行 企业网银 交易明细 (bilingual headers): one signed 交易金额; the other party of an
# incoming line is the payer (付款人名称/付款人账号/付款人开户行名).
BOC = _profile(
    "boc",
    "BOC",
    booked_on=("交易日期[Transaction Date]", "交易日期", "记账日期"),
    booked_at=("交易时间[Transaction time]", "交易时间"),
    credit=("贷方发生额", "收入金额"),
    debit=("借方发生额", "支出金额"),
    signed_amount=("交易金额[Trade Amount]", "交易金额"),
    direction=("借贷标识", "借贷标志", "来往账标识"),
    balance=("交易后余额[After-transaction balance]", "交易后余额", "余额"),
    payer_name=("付款人名称[Payer's Name]", "付款人名称", "对方户名"),
    payer_account=("付款人账号[Debit Account No.]", "付款人账号", "对方账号"),
    payer_bank=("付款人开户行名[Payer account bank]", "付款人开户行名", "对方开户行"),
    summary=("摘要[Reference]", "摘要"),
    purpose=("用途[Purpose]", "用途", "交易附言[Remark]", "交易附言"),
    serial=("交易流水号[Transaction reference number]", "交易流水号", "流水号"),
    currency=("交易货币[Trade Currency]", "交易货币", "币种"),
)

# 招商银行 企业网银 账务明细: 交易日 + 交易时间, 借方金额/贷方金额, 流水号, 收/付方名称,
# 收/付方帐号 (帐, as the bank writes it), 收/付方开户行名.
CMB = _profile(
    "cmb",
    "CMB",
    booked_on=("交易日", "交易日期", "记账日期"),
    booked_at=("交易时间",),
    credit=("贷方金额", "贷方发生额", "收入金额"),
    debit=("借方金额", "借方发生额", "支出金额"),
    signed_amount=("交易金额",),  # the personal account export: 交易金额, 联机余额, 对手信息
    direction=("借贷标志", "借贷标记"),  # C / D
    balance=("余额", "账户余额", "联机余额"),
    payer_name=("收/付方名称", "收/付方帐户名称", "对方户名", "对方名称", "对手信息"),
    payer_account=("收/付方帐号", "收/付方账号", "对方账号", "对方帐号"),
    payer_bank=("收/付方开户行名", "收/付方开户行", "对方开户行"),
    summary=("摘要", "业务摘要", "交易摘要"),
    purpose=("用途", "附言"),
    serial=("流水号", "交易流水号"),
    currency=("币种", "货币"),
)

# Any other bank (or a spreadsheet finance keeps): the names most exports use.
GENERIC = _profile(
    "generic",
    "Generic",
    booked_on=("交易日期", "记账日期", "入账日期", "发生日期", "日期", "交易日", "date", "交易时间"),
    booked_at=("交易时间", "交易时刻", "时间", "time"),
    credit=(
        "收入金额",
        "贷方发生额",
        "贷方金额",
        "流入金额",
        "收款金额",
        "存入金额",
        "收入",
        "流入",
        "存入",
        "credit",
    ),
    debit=(
        "支出金额",
        "借方发生额",
        "借方金额",
        "流出金额",
        "付款金额",
        "取出金额",
        "支出",
        "流出",
        "支取",
        "debit",
    ),
    signed_amount=("发生额", "交易金额", "金额", "amount"),
    direction=("借贷标志", "借贷方向", "借/贷", "借贷", "收支标志", "收支方向", "交易方向", "收/支", "方向"),
    balance=("余额", "账户余额", "交易后余额", "balance"),
    payer_name=(
        "对方户名",
        "对方单位名称",
        "对方账户名称",
        "对方名称",
        "对方单位",
        "交易对手",
        "交易对手方",
        "收/付方名称",
        "付款人名称",
        "付款方",
    ),
    payer_account=("对方账号", "对方账户", "对方帐号", "收/付方帐号", "收/付方账号", "付款人账号"),
    payer_bank=("对方开户行", "对方行名", "对方开户行名", "对方开户机构", "付款人开户行"),
    summary=("摘要", "交易摘要"),
    purpose=("用途", "附言", "交易附言", "备注"),
    serial=("流水号", "交易流水号", "凭证号", "交易编号"),
    currency=("币种", "货币", "currency"),
)

#: every built-in profile by code; detection prefers them in this order on a tie (generic last)
PROFILES: dict[str, BankProfile] = {p.code: p for p in (ICBC, CCB, ABC, BOC, CMB, GENERIC)}
