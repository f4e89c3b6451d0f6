"""Bank statements (issue 18, DESIGN §17): import through the API in one transaction, nothing
imported twice, proposals (learned account, exact name, fuzzy name), accept one or all,
by hand, split, credit, undo, the report and its workbook, permissions."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openpyxl
import pytest

from opcms.core.audit import AuditLog
from opcms.settlement.models import Allocation, Invoice, InvoiceStatus, Payment, PaymentStatus
from opcms.statements.models import BankPayerAccount, BankStatement, BankStatementLine
from tests.backend.factories import make_customer, make_invoice, make_payment, token_for
from tests.backend.factories_statements import API, all_lines, csv_file, line, upload, xlsx_file
from tests.backend.statement_files import BANKS, outgoing_line

ACME = "上海澄明网络科技有限公司"
ACME_ACCOUNT = "6222 0210 0001 8866"
BETA = "杭州北辰数据服务有限公司"


async def by_serial(client, token, statement_id) -> dict[str, dict]:
    return {item["serial"]: item for item in await all_lines(client, token, statement_id, kind="incoming")}


# --- import ---------------------------------------------------------------------------------------
async def test_a_gbk_csv_statement_is_imported_with_its_skipped_lines_named(client):
    """Given an ICBC export in GBK with title lines, an outgoing line, blank lines and a totals
    row, when it is uploaded, then the incoming lines are stored, the others are skipped with
    their reason, and the import is audited."""
    token = await token_for("finance")
    lines = [
        line("1200.00", ACME, ACME_ACCOUNT, "SN001"),
        outgoing_line(),
        line("15,000.50".replace(",", ""), BETA, "6222 0210 0002 7777", "SN002"),
    ]
    answer = await upload(client, token, csv_file(lines, bank="icbc", encoding="gbk"))

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["incoming"] == 2 and body["duplicates"] == 0
    assert body["profile"] == "icbc" and body["encoding"] == "gb18030"
    reasons = {s["reason"] for s in body["skipped_lines"]}
    assert {"outgoing", "totals"} <= reasons
    assert body["skipped"] == len(body["skipped_lines"]) == body["lines_total"] - 2
    assert body["incoming_amount"] == "16200.50"
    stored = await by_serial(client, token, body["id"])
    assert stored["SN002"]["amount"] == "15000.50"
    assert stored["SN001"]["payer_account"] == "6222021000018866"
    assert await AuditLog.filter(entity_type="bank_statement", action="import").count() == 1


@pytest.mark.parametrize("bank", BANKS)
@pytest.mark.parametrize("form", ["gbk-csv", "utf8-csv", "xlsx"])
async def test_each_banks_export_is_imported_with_its_lines_and_reasons(client, bank, form):
    """Given a bank's export (title lines, an outgoing line, blank lines, a totals row) in GBK or
    UTF-8 CSV or as a workbook, when it is uploaded without naming the bank, then its incoming
    lines are stored with serial and payer, and the rest are skipped with their reasons."""
    token = await token_for("finance")
    lines = [
        line("1234.56", ACME, ACME_ACCOUNT, f"{bank}-1"),
        outgoing_line(),
        line("98765.40", BETA, "", f"{bank}-2"),
    ]
    if form == "xlsx":
        content, name = xlsx_file(lines, bank=bank), "statement.xlsx"
    else:
        content, name = csv_file(lines, bank=bank, encoding="gbk" if form == "gbk-csv" else "utf-8"), "s.csv"
    answer = await upload(client, token, content, name=name)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["profile"] == bank and body["incoming"] == 2, body
    assert {"outgoing", "totals"} <= {s["reason"] for s in body["skipped_lines"]}
    got = await by_serial(client, token, body["id"])
    assert got[f"{bank}-2"]["amount"] == "98765.40" and got[f"{bank}-2"]["payer_name"] == BETA
    assert got[f"{bank}-1"]["payer_account"] == "6222021000018866"


async def test_a_statement_imported_again_or_overlapping_creates_nothing_twice(client):
    """Given a statement imported once, when the same file (as xlsx this time) is imported and then
    an overlapping one, then every line seen before is a duplicate and only new ones are incoming."""
    token = await token_for("finance")
    first = [line("100.00", ACME, ACME_ACCOUNT, f"SN{n}") for n in range(1, 4)]
    one = await upload(client, token, csv_file(first))
    assert one.json()["incoming"] == 3

    again = await upload(client, token, xlsx_file(first, bank="icbc"), name="again.xlsx")
    assert again.status_code == 201, again.text
    assert again.json()["incoming"] == 0 and again.json()["duplicates"] == 3

    overlap = [*first[1:], line("300.00", ACME, ACME_ACCOUNT, "SN4")]
    third = await upload(client, token, csv_file(overlap, encoding="utf-8-sig"))
    assert third.json()["incoming"] == 1 and third.json()["duplicates"] == 2
    assert await BankStatementLine.filter(kind="incoming").count() == 4
    duplicates = await all_lines(client, token, third.json()["id"], kind="duplicate")
    assert {d["serial"] for d in duplicates} == {"SN2", "SN3"}
    assert all(d["duplicate_of_id"] for d in duplicates)


async def test_lines_without_a_serial_are_told_apart_by_their_hash(client):
    """Given a statement whose bank gives no serial, when it is imported twice, then the second
    import holds only duplicates; the same line twice within one file is a duplicate too."""
    token = await token_for("finance")
    lines = [line("100.00", ACME, ACME_ACCOUNT, ""), line("200.00", ACME, ACME_ACCOUNT, "")]
    first = await upload(client, token, csv_file([*lines, lines[0]], bank="generic", encoding="utf-8"))
    assert first.status_code == 201, first.text
    assert first.json()["incoming"] == 2 and first.json()["duplicates"] == 1
    second = await upload(client, token, csv_file(lines, bank="generic", encoding="utf-8"))
    assert second.json()["incoming"] == 0 and second.json()["duplicates"] == 2


async def test_a_file_that_is_no_statement_is_refused_and_nothing_is_written(client):
    token = await token_for("finance")
    answer = await upload(client, token, "姓名,年龄\n张三,30\n".encode("gbk"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "not_a_statement"
    bad_mapping = await upload(
        client, token, csv_file([line("1.00", ACME, ACME_ACCOUNT, "X1")]), mapping="[1]"
    )
    assert bad_mapping.status_code == 422
    assert bad_mapping.json()["error"]["details"][0]["field"] == "mapping"
    missing = await client.post(f"{API}/bank-statements", token=token, data={"profile": "icbc"})
    assert missing.status_code == 422
    assert await BankStatement.all().count() == 0 and await BankStatementLine.all().count() == 0


# --- proposals ------------------------------------------------------------------------------------
async def test_proposals_by_learned_account_exact_name_and_fuzzy_name(client):
    """Given three customers with open invoices and a payer account learned before, when a
    statement is imported, then the learned account wins over the payer name, an exact name is
    found by company or short name, a near name by the fuzzy payer matching, and each line has
    its allocation, confidence and reason."""
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    beta = await make_customer(company_name=BETA, short_name="北辰数据")
    gamma = await make_customer(company_name="深圳远航物流股份有限公司")
    await BankPayerAccount.create(payer_account="6222021000099999", customer_id=gamma.id)
    acme_invoice = await make_invoice(acme, "1200.00")
    beta_first = await make_invoice(beta, "300.00")
    beta_second = await make_invoice(beta, "700.00")
    gamma_invoice = await make_invoice(gamma, "5000.00")

    lines = [
        line("1200.00", ACME, ACME_ACCOUNT, "P1"),  # exact name, exact amount
        line("1000.00", "北辰数据", "6222 0210 0002 7777", "P2"),  # short name, combination
        line("800.00", "某个个人", "6222 0210 0009 9999", "P3"),  # learned account, FIFO
        line("5000.00", "深圳远航物流有限公司", "6222 0210 0005 5555", "P4"),  # fuzzy, exact amount
        line("50.00", "毫不相干的名字", "", "P5"),  # nobody
    ]
    body = (await upload(client, token, csv_file(lines))).json()
    got = await by_serial(client, token, body["id"])

    assert got["P1"]["customer_id"] == acme.id and got["P1"]["confidence"] == "high"
    assert got["P1"]["proposal_reason"] == "name_exact+exact_amount"
    assert got["P1"]["allocations"] == [
        {"invoice_id": acme_invoice.id, "invoice_number": acme_invoice.number, "amount": "1200.00"}
    ]
    assert got["P2"]["customer_id"] == beta.id and got["P2"]["proposal_reason"] == "name_exact+combination"
    assert {a["invoice_id"] for a in got["P2"]["allocations"]} == {beta_first.id, beta_second.id}
    assert got["P2"]["customer_name"] == BETA
    assert got["P3"]["customer_id"] == gamma.id and got["P3"]["confidence"] == "medium"
    assert got["P3"]["proposal_reason"] == "account_learned+fifo"
    # the learned account's FIFO took 800.00 of gamma's invoice: the fuzzy line's exact match is gone
    assert got["P4"]["customer_id"] == gamma.id and got["P4"]["proposal_reason"] == "name_fuzzy+fifo"
    assert got["P4"]["confidence"] == "low"
    assert got["P4"]["allocations"][0] == {
        "invoice_id": gamma_invoice.id,
        "invoice_number": gamma_invoice.number,
        "amount": "4200.00",
    }
    assert got["P5"]["customer_id"] is None and got["P5"]["proposal_reason"] == "no_customer"
    assert got["P5"]["confidence"] == "low"


async def test_a_fuzzy_name_with_an_exact_amount_is_medium(client):
    token = await token_for("finance")
    gamma = await make_customer(company_name="深圳远航物流股份有限公司")
    await make_invoice(gamma, "5000.00")
    body = (await upload(client, token, csv_file([line("5000.00", "深圳远航物流有限公司", "", "F1")]))).json()
    got = await by_serial(client, token, body["id"])
    assert got["F1"]["customer_id"] == gamma.id
    assert (got["F1"]["confidence"], got["F1"]["proposal_reason"]) == ("medium", "name_fuzzy+exact_amount")


# --- accept -----------------------------------------------------------------------------------------
async def test_accept_all_high_records_payments_with_the_serial_and_settles_the_invoices(client):
    """Given a statement with two high-confidence lines and a low one, when finance accepts all
    of high confidence (twice), then two payments carry the serials as bank references, the
    invoices are settled, the payer account is learned, and the second call records nothing."""
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    beta = await make_customer(company_name=BETA)
    first, second = await make_invoice(acme, "1200.00"), await make_invoice(beta, "800.00")
    lines = [
        line("1200.00", ACME, ACME_ACCOUNT, "A1"),
        line("800.00", BETA, "6222 0210 0002 7777", "A2"),
        line("99.00", "陌生人", "", "A3"),
    ]
    statement = (await upload(client, token, csv_file(lines))).json()

    answer = await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2 and answer.json()["conflicts"] == []

    payments = {p.bank_reference: p for p in await Payment.all()}
    assert set(payments) == {"A1", "A2"}
    assert payments["A1"].customer_id == acme.id and payments["A1"].status == PaymentStatus.ALLOCATED
    assert payments["A1"].received_on.isoformat() == "2026-11-03" and payments["A1"].payer_name == ACME
    for invoice in (first, second):
        assert (await Invoice.get(id=invoice.id)).status == InvoiceStatus.SETTLED
    assert (await BankPayerAccount.get(payer_account="6222021000018866")).customer_id == acme.id
    got = await by_serial(client, token, statement["id"])
    assert got["A1"]["status"] == "accepted" and got["A1"]["matched_by"] == "auto"
    assert got["A1"]["payment_id"] == payments["A1"].id
    assert got["A3"]["status"] == "open"

    again = await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert again.json()["accepted"] == 0
    one_more = await client.post(f"{API}/bank-statement-lines/{got['A1']['id']}/accept", token=token, json={})
    assert one_more.status_code == 409 and one_more.json()["error"]["code"] == "statement_line_not_open"
    assert await Payment.all().count() == 2 and await Allocation.all().count() == 2


async def test_a_reference_recorded_by_hand_makes_the_line_a_conflict_not_a_second_payment(client):
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    await make_invoice(acme, "1200.00")
    statement = (await upload(client, token, csv_file([line("1200.00", ACME, ACME_ACCOUNT, "DUP1")]))).json()
    by_hand = await make_payment(acme, "1200.00", bank_reference="dup1")

    answer = await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 0
    assert answer.json()["conflicts"][0]["code"] == "payment_duplicate"
    assert answer.json()["conflicts"][0]["payment_id"] == by_hand.id
    [got] = (await by_serial(client, token, statement["id"])).values()
    assert got["status"] == "conflict" and got["conflict_payment_id"] == by_hand.id
    single = await client.post(f"{API}/bank-statement-lines/{got['id']}/accept", token=token, json={})
    assert single.status_code == 409 and single.json()["error"]["code"] == "payment_duplicate"
    assert await Payment.all().count() == 1


async def test_accept_by_hand_another_customer_split_and_credit(client):
    """Given three open lines, when one is accepted for another customer with a chosen
    allocation, one is split across two customers, and one is left as credit, then each records
    what was chosen, matched by hand, and the split's payments carry serial and serial/2."""
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    beta = await make_customer(company_name=BETA)
    acme_invoice = await make_invoice(acme, "500.00")
    beta_invoice = await make_invoice(beta, "300.00")
    lines = [
        line("500.00", "别人代付", "", "H1"),
        line("1000.00", "集团总部", "", "H2"),
        line("80.00", ACME, ACME_ACCOUNT, "H3"),
    ]
    statement = (await upload(client, token, csv_file(lines))).json()
    got = await by_serial(client, token, statement["id"])

    chosen = await client.post(
        f"{API}/bank-statement-lines/{got['H1']['id']}/accept",
        token=token,
        json={"customer_id": acme.id, "allocations": [{"invoice_id": acme_invoice.id, "amount": "500.00"}]},
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["matched_by"] == "hand" and chosen.json()["status"] == "accepted"
    assert chosen.json()["allocations"][0]["invoice_number"] == acme_invoice.number

    split = await client.post(
        f"{API}/bank-statement-lines/{got['H2']['id']}/accept",
        token=token,
        json={
            "parts": [
                {
                    "customer_id": beta.id,
                    "amount": "300.00",
                    "allocations": [{"invoice_id": beta_invoice.id, "amount": "300.00"}],
                },
                {"customer_id": acme.id, "amount": "700.00", "allocations": []},
            ]
        },
    )
    assert split.status_code == 200, split.text
    assert len(split.json()["payments"]) == 2
    assert {
        p.bank_reference
        for p in await Payment.filter(id__in=[p["payment_id"] for p in split.json()["payments"]])
    } == {
        "H2",
        "H2/2",
    }

    credit = await client.post(
        f"{API}/bank-statement-lines/{got['H3']['id']}/accept",
        token=token,
        json={"customer_id": acme.id, "allocations": []},
    )
    assert credit.json()["status"] == "credit"
    payment = await Payment.get(id=credit.json()["payment_id"])
    assert payment.unallocated_amount == Decimal("80.00") and payment.status == PaymentStatus.UNALLOCATED

    wrong_sum = await client.post(
        f"{API}/bank-statement-lines/{got['H2']['id']}/accept",
        token=token,
        json={"parts": [{"customer_id": beta.id, "amount": "1.00"}]},
    )
    assert wrong_sum.status_code in (409, 422)


async def test_undo_reverses_the_allocations_voids_the_payment_and_opens_the_line(client):
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    invoice = await make_invoice(acme, "1200.00")
    statement = (await upload(client, token, csv_file([line("1200.00", ACME, ACME_ACCOUNT, "U1")]))).json()
    [got] = (await by_serial(client, token, statement["id"])).values()
    accepted = await client.post(f"{API}/bank-statement-lines/{got['id']}/accept", token=token, json={})
    assert accepted.status_code == 200, accepted.text
    payment_id = accepted.json()["payment_id"]

    undone = await client.post(
        f"{API}/bank-statement-lines/{got['id']}/undo", token=token, json={"reason": "客户搞错了"}
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "open" and undone.json()["payment_id"] is None
    assert undone.json()["proposal_reason"] == "account_learned+exact_amount"
    payment = await Payment.get(id=payment_id)
    assert payment.status == PaymentStatus.VOID and payment.void_reason == "客户搞错了"
    assert await Allocation.filter(payment_id=payment_id, is_reversed=False).count() == 0
    assert (await Invoice.get(id=invoice.id)).status == InvoiceStatus.UNSETTLED
    assert await AuditLog.filter(entity_type="bank_statement_line", action="reverse").count() == 1

    twice = await client.post(
        f"{API}/bank-statement-lines/{got['id']}/undo", token=token, json={"reason": "再来"}
    )
    assert twice.status_code == 409
    # the reference is free again: the line can be accepted anew
    again = await client.post(f"{API}/bank-statement-lines/{got['id']}/accept", token=token, json={})
    assert again.status_code == 200, again.text
    assert (await Invoice.get(id=invoice.id)).status == InvoiceStatus.SETTLED


# --- report and permissions -------------------------------------------------------------------------
async def test_the_report_counts_and_sums_auto_by_hand_open_skipped_and_duplicates(client):
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    await make_invoice(acme, "1200.00")
    lines = [
        line("1200.00", ACME, ACME_ACCOUNT, "R1"),
        line("300.50", "某人", "", "R2"),
        line("99.50", "另一人", "", "R3"),
        outgoing_line(),
    ]
    statement = (await upload(client, token, csv_file(lines))).json()
    got = await by_serial(client, token, statement["id"])
    await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=token, json={"confidence": "high"}
    )
    await client.post(
        f"{API}/bank-statement-lines/{got['R2']['id']}/accept",
        token=token,
        json={"customer_id": acme.id, "allocations": []},
    )
    await upload(client, token, csv_file(lines[:1]))  # one duplicate, in another statement

    report = (await client.get(f"{API}/bank-statements/{statement['id']}/report", token=token)).json()
    assert report["auto"] == {"count": 1, "amount": "1200.00"}
    assert report["by_hand"] == {"count": 1, "amount": "300.50"}
    assert report["open"] == {"count": 1, "amount": "99.50"}
    assert report["skipped"]["count"] == statement["skipped"] and report["duplicates"]["count"] == 0
    detail = (await client.get(f"{API}/bank-statements/{statement['id']}", token=token)).json()
    assert detail["report"] == report

    auditor = await token_for("auditor")
    workbook = await client.get(f"{API}/bank-statements/{statement['id']}/report.xlsx", token=auditor)
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    summary = [[c for c in row] for row in book["汇总"].iter_rows(values_only=True)]
    assert ["自动核销", 1, 1200] in [list(r[:3]) for r in summary]
    assert book["明细"].max_row == statement["lines_total"] + 1
    listed = (await client.get(f"{API}/bank-statements", token=auditor)).json()
    assert listed["items"][0]["open_lines"] == 0 and listed["total"] == 2


async def test_an_auditor_reads_statements_but_cannot_write(client):
    finance, auditor, operator = (
        await token_for("finance"),
        await token_for("auditor"),
        await token_for("operator"),
    )
    statement = (await upload(client, finance, csv_file([line("10.00", ACME, ACME_ACCOUNT, "Z1")]))).json()
    assert (
        await client.get(f"{API}/bank-statements/{statement['id']}/lines", token=auditor)
    ).status_code == 200
    assert (await client.get(f"{API}/bank-statement-profiles", token=auditor)).status_code == 200
    refused = await upload(client, auditor, csv_file([line("10.00", ACME, ACME_ACCOUNT, "Z2")]))
    assert refused.status_code == 403
    accept = await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=auditor, json={"confidence": "low"}
    )
    assert accept.status_code == 403
    assert (await client.get(f"{API}/bank-statements", token=operator)).status_code == 403


async def test_a_corrected_mapping_is_saved_as_a_profile_and_used_by_name(client):
    token = await token_for("finance")
    lines = [line("10.00", ACME, ACME_ACCOUNT, "M1")]
    profiles = (await client.get(f"{API}/bank-statement-profiles", token=token)).json()
    assert {"icbc", "ccb", "abc", "boc", "cmb", "generic"} <= {p["code"] for p in profiles["items"]}
    saved = await client.post(
        f"{API}/bank-statement-profiles",
        token=token,
        json={"name": "我的工行", "base_profile": "icbc", "mapping": {"serial": "凭证号"}},
    )
    assert saved.status_code == 201, saved.text
    used = await upload(client, token, csv_file(lines), profile="我的工行")
    assert used.status_code == 201, used.text
    assert used.json()["incoming"] == 1
    taken = await client.post(
        f"{API}/bank-statement-profiles",
        token=token,
        json={"name": "我的工行", "mapping": {"serial": "凭证号"}},
    )
    assert taken.status_code == 409
    gone = await client.delete(f"{API}/bank-statement-profiles/{saved.json()['id']}", token=token)
    assert gone.status_code == 200
    names = {
        p["name"] for p in (await client.get(f"{API}/bank-statement-profiles", token=token)).json()["items"]
    }
    assert "我的工行" not in names


async def test_a_column_cleared_in_the_mapping_stays_unread_also_through_the_profile_saved(client):
    """Given an ICBC export whose 摘要 column the bank's profile reads as the summary, when the
    user clears the summary in the mapping and saves it as a profile, then the lines are stored
    without a summary, and a later import by the saved profile's name reads none either."""
    token = await token_for("finance")
    first = await upload(
        client,
        token,
        csv_file([line("10.00", ACME, ACME_ACCOUNT, "C1")]),
        mapping=json.dumps({"summary": ""}),
        save_profile_as="工行不读摘要",
    )
    assert first.status_code == 201, first.text
    [got] = (await by_serial(client, token, first.json()["id"])).values()
    assert got["summary"] is None
    saved = {
        p["name"]: p
        for p in (await client.get(f"{API}/bank-statement-profiles", token=token)).json()["items"]
    }
    assert saved["工行不读摘要"]["mapping"] == {"summary": ""}

    again = await upload(
        client, token, csv_file([line("20.00", ACME, ACME_ACCOUNT, "C2")]), profile="工行不读摘要"
    )
    assert again.status_code == 201, again.text
    [later] = (await by_serial(client, token, again.json()["id"])).values()
    assert later["summary"] is None

    # while the bank's own profile reads it
    plain = await upload(client, token, csv_file([line("30.00", ACME, ACME_ACCOUNT, "C3")]))
    [read] = (await by_serial(client, token, plain.json()["id"])).values()
    assert read["summary"] == "转账"


async def test_a_proposal_gone_stale_is_reported_and_proposed_again(client):
    """Given two statements whose lines both propose the same invoice (imported before either was
    accepted), when the first is accepted and then the second, then the second line is a
    conflict, records nothing, and is proposed again from what is open now (credit)."""
    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    await make_invoice(acme, "1200.00")
    first = (await upload(client, token, csv_file([line("1200.00", ACME, ACME_ACCOUNT, "S1")]))).json()
    second = (await upload(client, token, csv_file([line("1200.00", ACME, "", "S2")]))).json()
    done = await client.post(
        f"{API}/bank-statements/{first['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert done.json()["accepted"] == 1

    stale = await client.post(
        f"{API}/bank-statements/{second['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert stale.json()["accepted"] == 0
    assert stale.json()["conflicts"][0]["code"] == "allocation_exceeds_outstanding"
    [got] = (await by_serial(client, token, second["id"])).values()
    assert got["status"] == "open" and got["allocations"] == []
    assert got["proposal_reason"] == "name_exact+no_open_invoices" and got["confidence"] == "medium"
    assert await Payment.all().count() == 1


def test_the_fuzzy_payer_search_finds_what_scoring_every_name_finds():
    """The search that scores only names with a long enough common subsequence answers what
    rapidfuzz's extractOne over every name answers (score, then the lower id), for near and far
    names, Chinese and Latin, with and without a space."""
    import random

    from rapidfuzz import fuzz, process

    from opcms.payments.suggestions import MIN_NAME_SCORE, name_key
    from opcms.statements.matching import _Names

    rng = random.Random(18)
    alphabet = "上海北京科技网络数据服务物流贸易澄明远航星辰abcdefg0123456789"
    names = {
        i: name_key("".join(rng.choice(alphabet) for _ in range(rng.randint(2, 18)))) for i in range(1, 1500)
    }
    names = {i: n for i, n in names.items() if n}
    queries = [name_key("".join(rng.choice(alphabet) for _ in range(rng.randint(2, 18)))) for _ in range(300)]
    queries += [n[:-1] + "x" for n in list(names.values())[:150]] + ["星辰 数据", "a b"]
    for spaced in (False, True):
        choices = {**names, 99999: "远航 物流"} if spaced else names
        search = _Names(choices)
        for query in queries:
            found = process.extractOne(
                query, dict(sorted(choices.items())), scorer=fuzz.WRatio, score_cutoff=MIN_NAME_SCORE
            )
            expected = None if found is None else (found[1], found[2])
            assert search.best(query) == expected, query


async def test_accept_all_takes_a_bounded_number_of_lines_per_call_and_says_how_many_remain(client):
    from opcms.statements.models import Confidence
    from opcms.statements.service import accept_all

    token = await token_for("finance")
    acme = await make_customer(company_name=ACME)
    for amount in ("100.00", "200.00", "300.00"):
        await make_invoice(acme, amount)
    lines = [line(amount, ACME, ACME_ACCOUNT, f"B{amount}") for amount in ("100.00", "200.00", "300.00")]
    statement = (await upload(client, token, csv_file(lines))).json()

    first = await accept_all(statement["id"], Confidence.HIGH, limit=2)
    assert (first.accepted, first.remaining) == (2, 1)
    answer = await client.post(
        f"{API}/bank-statements/{statement['id']}/accept", token=token, json={"confidence": "high"}
    )
    assert answer.json()["accepted"] == 1 and answer.json()["remaining"] == 0
    assert await Payment.all().count() == 3
