"""Bank statement routes: import and preview a statement, its lines and report, accept one line
or all of a confidence, undo, the saved column mappings (thin handlers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.definitions import RequestBody

from opcms.core.errors import ValidationFailed
from opcms.core.excel import XLSX_MEDIA_TYPE
from opcms.core.http import endpoint, schema_ref
from opcms.core.schemas import DeleteQuery, ErrorResponse, ReasonRequest, dump
from opcms.statements import queries, report, service
from opcms.statements.models import BankStatementProfile
from opcms.statements.profiles import FIELDS, PROFILES
from opcms.statements.schemas import (
    AcceptAllRequest,
    AcceptAllResult,
    AcceptConflict,
    LineAccept,
    LineListQuery,
    LinePage,
    LinePublic,
    PreviewLine,
    ProfileCreate,
    ProfileList,
    ProfilePublic,
    SkippedLine,
    StatementDetail,
    StatementImported,
    StatementListQuery,
    StatementPage,
    StatementPreview,
    StatementReport,
    StatementSummary,
    StatementUploadForm,
)

bp = Blueprint("statements", url_prefix="/api/v1")
TAG = "bank statements"
PREVIEW_LINES = 20
_ERROR = {"application/json": schema_ref(ErrorResponse)}


def _form(request: Request, name: str) -> str | None:
    value = request.form.get(name) if request.form else None
    return value if isinstance(value, str) else None


def _upload(request: Request) -> tuple[bytes, str | None]:
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise ValidationFailed.field(
            "file",
            "upload the statement (.xlsx or CSV) in the multipart field 'file'",
            code="statement_file_required",
        )
    return upload.body, upload.name


def _uploads_documented(handler: Any) -> Any:
    handler = openapi.body(
        RequestBody({"multipart/form-data": schema_ref(StatementUploadForm)}, required=True)
    )(handler)
    handler = openapi.response(
        413, _ERROR, "File or row count over the limits (OPCMS_IMPORT_MAX_BYTES, OPCMS_IMPORT_MAX_ROWS)"
    )(handler)
    handler = openapi.response(415, _ERROR, "Neither CSV text nor an .xlsx workbook")(handler)
    return openapi.response(
        422,
        _ERROR,
        "Refused file (no known header in the first 30 rows, unknown encoding or profile, bad mapping, "
        "damaged or unsafe workbook) or no file",
    )(handler)


@bp.post("/bank-statements")
@_uploads_documented
@endpoint(permission="statements:write", response=StatementImported, status=201, tag=TAG)
async def upload_statement(request: Request) -> HTTPResponse:
    """Import a bank statement (multipart `file`; optional `profile`, `mapping`, `save_profile_as`):
    its lines stored in one transaction, lines imported before reported as duplicates, each new
    incoming line with its proposal (customer, allocations, confidence, reason)."""
    content, name = _upload(request)
    imported = await service.import_statement(
        content,
        name,
        profile=_form(request, "profile"),
        mapping_text=_form(request, "mapping"),
        save_profile_as=_form(request, "save_profile_as"),
    )
    summary = StatementSummary.model_validate(imported.statement)
    answer = StatementImported(
        **dict(summary),
        skipped_lines=[SkippedLine(**row) for row in imported.skipped],
    )
    return json(dump(answer), status=201)


@bp.post("/bank-statements/preview")
@_uploads_documented
@endpoint(permission="statements:write", response=StatementPreview, tag=TAG)
async def preview_statement(request: Request) -> StatementPreview:
    """Read a statement without storing anything: the header found, the mapping used and the
    first lines as read (to correct the mapping before importing)."""
    content, name = _upload(request)
    read, _ = await service.read_upload(content, name, _form(request, "profile"), _form(request, "mapping"))
    return StatementPreview(
        profile=read.profile,
        encoding=read.encoding,
        header_row=read.header_row,
        headers=list(read.headers),
        mapping=dict(read.mapping),
        fields=list(FIELDS),
        account=read.account,
        lines=[
            PreviewLine(
                row_number=line.row_number,
                kind=line.kind,
                reason=line.reason,
                detail=line.detail,
                booked_on=line.booked_on,
                booked_at=line.booked_at,
                amount=line.amount,
                balance=None if line.balance is None else str(line.balance),
                payer_name=line.payer_name,
                payer_account=line.payer_account,
                payer_bank=line.payer_bank,
                summary=line.summary,
                purpose=line.purpose,
                serial=line.serial,
                currency=line.currency,
            )
            for line in read.lines[:PREVIEW_LINES]
        ],
    )


@bp.get("/bank-statements")
@endpoint(permission="statements:read", query=StatementListQuery, response=StatementPage, tag=TAG)
async def list_statements(request: Request, query: StatementListQuery) -> StatementPage:
    """The imported statements, newest first, with their counts."""
    return await queries.list_statements(query)


@bp.get("/bank-statements/<statement_id:int>")
@endpoint(permission="statements:read", response=StatementDetail, tag=TAG)
async def get_statement(request: Request, statement_id: int) -> StatementDetail:
    """One statement with its report."""
    return await queries.statement_detail(statement_id)


@bp.get("/bank-statements/<statement_id:int>/lines")
@endpoint(permission="statements:read", query=LineListQuery, response=LinePage, tag=TAG)
async def list_lines(request: Request, statement_id: int, query: LineListQuery) -> LinePage:
    """The statement's lines in row order, with their proposals (status=open includes conflicts)."""
    return await queries.list_lines(statement_id, query)


@bp.get("/bank-statements/<statement_id:int>/report")
@endpoint(permission="statements:read", response=StatementReport, tag=TAG)
async def statement_report(request: Request, statement_id: int) -> StatementReport:
    """Lines accepted as proposed, by hand, left open (counts and sums), skipped and duplicates."""
    statement = await queries.get_statement(statement_id)
    return await report.statement_report(statement.id)


@bp.get("/bank-statements/<statement_id:int>/report.xlsx")
@endpoint(permission="statements:read", produces=XLSX_MEDIA_TYPE, tag=TAG)
async def statement_report_workbook(request: Request, statement_id: int) -> HTTPResponse:
    """The report and every line of the statement as an .xlsx workbook."""
    statement = await queries.get_statement(statement_id)
    content = await report.report_workbook(statement)
    file_name = f"银行流水-{statement.id}-对账报告.xlsx"
    disposition = (
        f"attachment; filename=\"statement-{statement.id}-report.xlsx\"; filename*=UTF-8''{quote(file_name)}"
    )
    return raw(content, content_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})


@bp.post("/bank-statements/<statement_id:int>/accept")
@endpoint(permission="statements:write", body=AcceptAllRequest, response=AcceptAllResult, tag=TAG)
async def accept_all(request: Request, statement_id: int, body: AcceptAllRequest) -> AcceptAllResult:
    """Accept every open line at this confidence or above that has a proposed customer: each one
    records its payment (bank reference = the serial) and allocations. Lines that cannot be
    (reference recorded meanwhile, outstanding changed) stay open and are named."""
    outcome = await service.accept_all(statement_id, body.confidence)
    return AcceptAllResult(
        accepted=outcome.accepted,
        conflicts=[AcceptConflict(**c) for c in outcome.conflicts],
        without_customer=outcome.without_customer,
        remaining=outcome.remaining,
    )


@bp.post("/bank-statement-lines/<line_id:int>/accept")
@endpoint(permission="statements:write", body=LineAccept, response=LinePublic, tag=TAG)
async def accept_line(request: Request, line_id: int, body: LineAccept) -> LinePublic:
    """Accept one line: as proposed (empty body), for a customer with allocations chosen by hand
    (`allocations: []` leaves it as the customer's credit), or split in `parts` across customers.
    409 when accepted already or its bank reference is held by another payment."""
    line = await service.accept_line(line_id, body if body.by_hand else None)
    return await queries.line_answer(line.id)


@bp.post("/bank-statement-lines/<line_id:int>/undo")
@endpoint(permission="statements:write", body=ReasonRequest, response=LinePublic, tag=TAG)
async def undo_line(request: Request, line_id: int, body: ReasonRequest) -> LinePublic:
    """Undo an accepted line: its allocations reversed, its payment voided (the reason kept), the
    line open again with a fresh proposal."""
    line = await service.undo_line(line_id, body.reason)
    return await queries.line_answer(line.id)


# --- profiles ------------------------------------------------------------------------------------
def _saved(profile: BankStatementProfile) -> ProfilePublic:
    return ProfilePublic(
        id=profile.id,
        code=profile.name,
        name=profile.name,
        builtin=False,
        base_profile=profile.base_profile,
        mapping=dict(profile.mapping),
    )


@bp.get("/bank-statement-profiles")
@endpoint(permission="statements:read", response=ProfileList, tag=TAG)
async def list_profiles(request: Request) -> ProfileList:
    """The bank profiles (the header texts each maps) and the saved mappings."""
    builtin = [
        ProfilePublic(
            code=p.code,
            name=p.name,
            builtin=True,
            headers={field: list(texts) for field, texts in p.headers.items()},
        )
        for p in PROFILES.values()
    ]
    saved = [_saved(p) for p in await BankStatementProfile.all().order_by("name", "id")]
    return ProfileList(items=[*builtin, *saved], fields=list(FIELDS))


@bp.post("/bank-statement-profiles")
@endpoint(permission="statements:write", body=ProfileCreate, response=ProfilePublic, status=201, tag=TAG)
async def create_profile(request: Request, body: ProfileCreate) -> ProfilePublic:
    """Save a column mapping under a name (409 when the name is taken or a bank profile's code)."""
    return _saved(await service.save_profile(body.name, body.base_profile, body.mapping))


@bp.delete("/bank-statement-profiles/<profile_id:int>")
@endpoint(permission="statements:write", query=DeleteQuery, response=ProfilePublic, tag=TAG)
async def delete_profile(request: Request, profile_id: int, query: DeleteQuery) -> ProfilePublic:
    """Delete a saved mapping (soft delete)."""
    return _saved(await service.delete_profile(profile_id, query.reason))
