"""Small factories for bank statement tests: statement files for known customers, and the
upload through the real API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.backend.statement_files import Line, statement_csv, statement_xlsx

API = "/api/v1"
DAY = dt.date(2026, 11, 3)


def line(
    amount: str,
    payer_name: str,
    payer_account: str,
    serial: str,
    *,
    on: dt.date = DAY,
    at: dt.time = dt.time(10, 0, 0),
    outgoing: bool = False,
) -> Line:
    """One statement line (incoming unless ``outgoing``)."""
    return Line(
        booked_on=on,
        booked_at=at,
        amount=Decimal(amount),
        payer_name=payer_name,
        payer_account=payer_account,
        serial=serial,
        outgoing=outgoing,
    )


def csv_file(lines: list[Line], *, bank: str = "icbc", encoding: str = "gbk", **options) -> bytes:
    return statement_csv(bank, lines, encoding=encoding, **options)


def xlsx_file(lines: list[Line], *, bank: str = "cmb", **options) -> bytes:
    return statement_xlsx(bank, lines, **options)


async def upload(client, token: str, content: bytes, *, name: str = "statement.csv", **form):
    """POST the file to /bank-statements (``form``: profile, mapping, save_profile_as)."""
    return await client.post(
        f"{API}/bank-statements",
        token=token,
        files={"file": (name, content, "application/octet-stream")},
        data={k: v for k, v in form.items() if v is not None},
    )


async def all_lines(client, token: str, statement_id: int, **query) -> list[dict]:
    params = {"page_size": 200, **query}
    items: list[dict] = []
    page = 1
    while True:
        answer = await client.get(
            f"{API}/bank-statements/{statement_id}/lines", token=token, params={**params, "page": page}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1
