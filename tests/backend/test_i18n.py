"""One language at a time (DESIGN §13): the API answers in the language the request asks for.

The catalog (opcms.core.messages) holds a Chinese and an English text for every message code;
the static scan below finds every code the backend raises and fails naming those without an
entry (add one line to the catalog), and every raise site that sends a text of its own with no
code (give it a ``code=``/``key=`` and params, or raise ``Invalid``/``Message``).
"""

from __future__ import annotations

import ast
import io
import re
import string
from pathlib import Path

import httpx
import openpyxl
import pytest

from opcms.core.errors import NotFound, ValidationFailed
from opcms.core.i18n import CATALOG, EN, ZH, Message, loaded, negotiate, render, speaking, stored
from tests.backend.factories import token_for

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "opcms"
CJK = re.compile(r"[\u4e00-\u9fff]")

ERRORS = {
    "AppError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ValidationFailed",
    "TooManyRequests",
    "QueueUnavailable",
    "DatabaseUnavailable",
    "FileRefused",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "JobAlreadyRunning",
    "TemplateRenderError",
    "ChannelUnavailable",
    "NotResendable",
}


# --- the static scan ---------------------------------------------------------------------------------
def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _given(node: ast.Call, keywords: dict[str, ast.expr]) -> set[str] | None:
    """The parameter names a call gives its message (None: not known here, e.g. a variable)."""
    if "params" not in keywords:
        return set()
    params = keywords["params"]
    if isinstance(params, ast.Dict) and all(_const(k) for k in params.keys if k is not None):
        if any(k is None for k in params.keys):  # {**other, ...}
            return None
        return {_const(k) for k in params.keys}
    return None


#: (message code, where, the parameter names its raise site gives)
SUPPLIED: list[tuple[str, str, set[str]]] = []


def scan() -> tuple[dict[str, list[str]], list[str]]:
    """(every message code the backend names → where, raise sites that send a text of their own)."""
    codes: dict[str, list[str]] = {}
    plain: list[str] = []
    SUPPLIED.clear()
    for path in sorted(BACKEND.rglob("*.py")):
        if "migrations" in path.parts or path.name == "messages.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(BACKEND.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(_name(b).split(".")[-1] in ERRORS for b in node.bases):
                for item in node.body:
                    # class attributes: ``code = "x"`` or ``status, code, message = 4xx, "x", "..."``
                    if isinstance(item, ast.Assign) and isinstance(item.value, ast.Tuple):
                        for target in item.targets:
                            if isinstance(target, ast.Tuple):
                                for name, value in zip(target.elts, item.value.elts, strict=False):
                                    if _name(name) == "code" and _const(value):
                                        codes.setdefault(_const(value), []).append(f"{where}:{item.lineno}")
                    elif (
                        isinstance(item, ast.Assign)
                        and _name(item.targets[0]) == "code"
                        and _const(item.value)
                    ):
                        codes.setdefault(_const(item.value), []).append(f"{where}:{item.lineno}")
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            short = called.split(".")[-1]
            line = f"{where}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if short in ("Message", "Invalid") and node.args and _const(node.args[0]):
                codes.setdefault(_const(node.args[0]), []).append(line)
                if short == "Invalid" and not any(k.arg is None for k in node.keywords):
                    SUPPLIED.append((_const(node.args[0]), line, set(keywords)))
                elif short == "Message":
                    given = (
                        set()
                        if len(node.args) < 2
                        else _given(node, {"params": node.args[1]})
                        if isinstance(node.args[1], ast.Dict)
                        else None
                    )
                    if given is not None:
                        SUPPLIED.append((_const(node.args[0]), line, given))
            if called.endswith("NotFound.entity") and node.args and _const(node.args[0]):
                codes.setdefault(f"{_const(node.args[0])}_not_found", []).append(line)
            if short == "get_or_404" and len(node.args) >= 3 and _const(node.args[2]):
                codes.setdefault(f"{_const(node.args[2])}_not_found", []).append(line)
            if short == "field" and called.endswith(".field"):
                code = _const(keywords.get("code"))
                if code:
                    codes.setdefault(code, []).append(line)
                    given = _given(node, keywords)
                    if given is not None:
                        SUPPLIED.append((code, line, given))
                elif (
                    "code" not in keywords
                    and len(node.args) >= 2
                    and isinstance(node.args[1], (ast.Constant, ast.JoinedStr))
                ):
                    plain.append(line)
                continue
            if short in ERRORS:
                for name in ("key", "code"):
                    if _const(keywords.get(name)):
                        codes.setdefault(_const(keywords.get(name)), []).append(line)
                # the message's entry: ``key``, else ``code`` (when neither is computed)
                entry = _const(keywords.get("key")) if "key" in keywords else _const(keywords.get("code"))
                given = _given(node, keywords)
                # a message passed as a Message names its own entry and parameters
                texts_itself = not node.args or isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
                if entry and given is not None and texts_itself:
                    SUPPLIED.append((entry, line, given))
                # a key or code computed at the raise site (``f"{kind}_duplicate"``) names its
                # message too: the entries it can take are checked by rendering every entry
                named = "key" in keywords or "code" in keywords
                if not named and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                    plain.append(line)
    return codes, plain


def test_every_message_code_raised_has_a_chinese_and_an_english_text():
    codes, _ = scan()
    missing = {code: where for code, where in codes.items() if code not in CATALOG}
    assert not missing, "codes without a catalog entry (add them to opcms/core/messages.py):\n" + "\n".join(
        f"  {code}: {', '.join(where[:3])}" for code, where in sorted(missing.items())
    )


def test_every_raise_site_names_its_message_by_code():
    _, plain = scan()
    assert not plain, "raise sites with a text of their own and no code= / key=:\n" + "\n".join(
        f"  {line}" for line in plain
    )


def test_every_raise_site_gives_the_parameters_its_message_names():
    scan()
    missing = []
    for code, line, given in SUPPLIED:
        texts = CATALOG.get(code)
        if texts is None:
            continue  # reported by the test above
        needed = _placeholders(texts[1]) | _placeholders(texts[0])
        if needed - given:
            missing.append(f"  {line}: {code} needs {sorted(needed - given)}, gets {sorted(given)}")
    assert not missing, "raise sites that do not give every parameter their message names:\n" + "\n".join(
        missing
    )


def _placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_each_entry_renders_in_both_languages_with_the_same_parameters(code):
    zh, en = CATALOG[code]
    # the two texts name the same parameters: whatever a raise site gives, both can show it
    assert _placeholders(zh) == _placeholders(en), code
    params = dict.fromkeys(_placeholders(en), 1234)
    rendered_zh, rendered_en = render(code, params, language=ZH), render(code, params, language=EN)
    assert "{" not in rendered_en.replace("{text}", "") or code == "text", rendered_en
    if code != "text" and not _placeholders(zh) >= {"text"}:
        assert CJK.search(rendered_zh) or not CJK.search(zh), rendered_zh
        assert not CJK.search(en), f"{code}: the English text holds Chinese: {en}"


# --- the language of a request --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, ZH),
        ("", ZH),
        ("zh-CN", ZH),
        ("zh", ZH),
        ("zh-TW,zh;q=0.9", ZH),
        ("en-US", EN),
        ("en", EN),
        ("en-GB,en;q=0.9", EN),
        ("fr-FR", ZH),
        ("fr-FR,en;q=0.5", EN),
        ("zh-CN;q=0.4,en;q=0.8", EN),
        ("en;q=0", ZH),
    ],
)
def test_accept_language_picks_chinese_unless_english_is_asked_for(header, language):
    assert negotiate(header) == language


def test_a_message_kept_in_a_column_is_rendered_in_the_readers_language():
    # given a row reason kept as text (English first, for anyone reading the table)
    kept = stored(Message("same_code_as_row", {"row": 4}), 500)
    assert kept.startswith("same customer code as row 4")
    # when it is read in either language, then it is that language
    assert loaded(kept).render(ZH) == "客户编号与第 4 行相同"
    assert loaded(kept).render(EN) == "same customer code as row 4"
    # and a plain text kept before codes existed is shown as written
    assert loaded("whatever was written").render(ZH) == "whatever was written"


def test_errors_outside_requests_speak_the_process_default_and_a_context_can_switch():
    error = NotFound.entity("customer", 7)
    with speaking(ZH):
        assert error.body()["error"]["message"] == "客户 7 不存在"
    with speaking(EN):
        assert error.body()["error"] == {
            "code": "customer_not_found",
            "message": "customer 7 not found",
            "details": [],
            "params": {"id": 7},
        }
    field = ValidationFailed.field("period", "must be YYYY-MM", code="period_format")
    with speaking(ZH):
        body = field.body()["error"]
    assert body["code"] == "validation_failed" and body["message"].startswith("period：")
    assert body["details"][0]["code"] == "period_format" and CJK.search(body["details"][0]["message"])


# --- the API ------------------------------------------------------------------------------------------------
@pytest.fixture
async def admin_token(db) -> str:
    return await token_for("admin")


@pytest.fixture
async def finance_token(db) -> str:
    return await token_for("finance")


async def _bare(app) -> httpx.AsyncClient:
    # a client that sends no Accept-Language at all (the suite's client asks for English)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://opcms.test")


async def test_the_same_bad_request_is_answered_in_the_language_asked_for(client, app, admin_token):
    # given a request for a customer that does not exist
    url = "/api/v1/customers/999999"
    # when it is sent asking for Chinese, for English, and with no language at all
    zh = await client.get(url, token=admin_token, headers={"Accept-Language": "zh-CN"})
    en = await client.get(url, token=admin_token, headers={"Accept-Language": "en-US"})
    async with await _bare(app) as bare:
        none = await bare.get(url, headers={"Authorization": f"Bearer {admin_token}"})
    # then the code and params are the same, and the message is in that language (Chinese by default)
    for response in (zh, en, none):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "customer_not_found"
        assert response.json()["error"]["params"] == {"id": 999999}
    assert CJK.search(zh.json()["error"]["message"]) and zh.headers["Content-Language"] == ZH
    assert not CJK.search(en.json()["error"]["message"]) and en.headers["Content-Language"] == EN
    assert none.json()["error"]["message"] == zh.json()["error"]["message"]
    assert none.headers["Content-Language"] == ZH


async def test_a_422_from_the_schema_is_answered_in_both_languages(client, admin_token):
    # given a customer body that misses its required fields and has a wrong type
    body = {"customer_code": "X1", "payment_terms_days": "abc"}
    answers = {}
    for language in (ZH, EN):
        response = await client.post(
            "/api/v1/customers", token=admin_token, json=body, headers={"Accept-Language": language}
        )
        assert response.status_code == 422, response.text
        answers[language] = response.json()["error"]
    # then both name the same fields with the same codes, each in its language
    zh, en = answers[ZH], answers[EN]
    assert zh["code"] == en["code"] == "validation_failed"
    assert [(d["field"], d["code"]) for d in zh["details"]] == [
        (d["field"], d["code"]) for d in en["details"]
    ]
    assert any(d["code"] == "missing" for d in zh["details"])
    assert all(CJK.search(d["message"]) for d in zh["details"]), zh["details"]
    assert not any(CJK.search(d["message"]) for d in en["details"]), en["details"]
    assert CJK.search(zh["message"]) and not CJK.search(en["message"])


async def test_the_frameworks_own_errors_are_translated_too(client, admin_token):
    zh = await client.get("/api/v1/no-such-route", headers={"Accept-Language": "zh-CN"})
    en = await client.get("/api/v1/no-such-route", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert CJK.search(zh.json()["error"]["message"]) and not CJK.search(en.json()["error"]["message"])
    # a method the route does not take
    zh = await client.delete("/api/v1/auth/login", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code in (404, 405) and CJK.search(zh.json()["error"]["message"])


def _bad_rows_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["客户编号", "公司名称", "联系电话", "签约日期"])
    sheet.append(["L1", "语言公司", "13800138000", "2024-03-05"])
    sheet.append(["L2", None, "12", "2024-13-45"])
    sheet.append(["L1", "另一家", "13800138001", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_an_import_reports_its_row_reasons_and_error_workbook_in_the_readers_language(
    client, finance_token
):
    # given an import with bad rows, run once
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("语言.xlsx", _bad_rows_workbook())},
        data={"mode": "validate"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 200, response.text
    job_id = response.json()["id"]
    reports, workbooks = {}, {}
    for language in (ZH, EN):
        # when its report and its error workbook are read in each language
        report = await client.get(
            f"/api/v1/imports/{job_id}", token=finance_token, headers={"Accept-Language": language}
        )
        reports[language] = report.json()["report"]["errors"]
        download = await client.get(
            f"/api/v1/imports/{job_id}/errors.xlsx",
            token=finance_token,
            headers={"Accept-Language": language},
        )
        assert download.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0]
        workbooks[language] = list(sheet.iter_rows(values_only=True))
    # then the same rows and columns fail, each reason in that language
    zh, en = reports[ZH], reports[EN]
    assert (
        [(e["row"], e["column"]) for e in zh]
        == [(e["row"], e["column"]) for e in en]
        == [
            (3, "公司名称"),
            (3, "联系电话"),
            (3, "签约日期"),
            (4, "客户编号"),
        ]
    )
    assert [e["reason"] for e in zh] == [
        "必填",
        zh[1]["reason"],  # a customer rule's own text (customers' rules)
        "2024-13-45 不是真实存在的日期",
        "客户编号与第 2 行相同",
    ]
    assert [e["reason"] for e in en] == [
        "required",
        "not a mainland mobile (11 digits) or landline with area code",
        "2024-13-45 is not a real date",
        "same customer code as row 2",
    ]
    # and the error workbook's headers and reasons follow the language too
    assert workbooks[ZH][0][:3] == ("错误原因", "原行号", "客户编号")
    assert workbooks[EN][0][:3] == ("Error reason", "Original row", "客户编号")
    assert workbooks[ZH][2][:2] == ("客户编号：客户编号与第 2 行相同", 4)
    assert workbooks[EN][2][:2] == ("客户编号: same customer code as row 2", 4)
    assert "公司名称：必填" in workbooks[ZH][1][0] and "公司名称: required" in workbooks[EN][1][0]


def test_the_reasons_of_a_score_are_read_in_chinese_from_their_values():
    from opcms.analytics.service import _in_language

    # given the reasons the nightly scoring kept (English, with their values)
    reasons = [
        {"code": "usage_drop", "points": 31, "value": "-62.0", "message": "usage −62.0% vs 3-month average"},
        {"code": "suspended", "points": 30, "value": None, "message": "account suspended"},
        {"code": "something_new", "points": 1, "value": "1", "message": "a reason without a text yet"},
    ]
    # when they are read in Chinese, then each is in Chinese with its values (an unknown one as kept)
    with speaking(ZH):
        assert [r["message"] for r in _in_language(reasons, "churn")] == [
            "用量较前 3 个月平均 −62.0%",
            "账号已暂停",
            "a reason without a text yet",
        ]
    # and in English they are as kept
    with speaking(EN):
        assert _in_language(reasons, "churn") == reasons


async def test_a_refused_body_and_a_refused_file_are_answered_in_chinese(client, admin_token, finance_token):
    # given a body of the wrong media type, and a file that is no workbook, sent asking for Chinese
    zh = {"Accept-Language": "zh-CN"}
    wrong_type = await client.post(
        "/api/v1/customers", token=admin_token, content=b"x", headers={**zh, "Content-Type": "text/plain"}
    )
    not_xlsx = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("list.xlsx", b"customer_code,company_name\n")},
        data={"mode": "validate"},
        headers=zh,
    )
    # then each keeps its code and says why in Chinese, with the values it names in params
    assert wrong_type.status_code == 415 and wrong_type.json()["error"]["code"] == "unsupported_media_type"
    assert (
        CJK.search(wrong_type.json()["error"]["message"])
        and wrong_type.json()["error"]["params"]["sent"] == "text/plain"
    )
    assert not_xlsx.status_code == 415 and not_xlsx.json()["error"]["code"] == "not_xlsx"
    assert not_xlsx.json()["error"]["message"] == "不是 Excel .xlsx 工作簿（内容不是 zip 包）"
