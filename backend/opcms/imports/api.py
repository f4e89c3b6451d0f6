"""Import routes: upload a customer list, follow it, read its report, download its errors and
the template. Thin handlers over ``imports.service``."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.definitions import RequestBody

from opcms.core.errors import Conflict, NotFound, ValidationFailed
from opcms.core.excel import XLSX_MEDIA_TYPE
from opcms.core.http import endpoint, schema_ref
from opcms.core.i18n import loaded
from opcms.core.schemas import ErrorResponse, dump
from opcms.core.storage import StoredFileMissing
from opcms.imports import queries, service, workbooks
from opcms.imports.models import ImportJob, ImportStatus
from opcms.imports.schemas import ImportDetail, ImportListQuery, ImportPage, ImportSummary, UploadForm

bp = Blueprint("imports", url_prefix="/api/v1")


def _fields(job: ImportJob) -> dict:
    data = {name: getattr(job, name) for name in ImportSummary.model_fields}
    data.update(mode=job.mode.value, status=job.status.value, stage=job.stage.value)
    if job.error_message:  # kept as its code and parameters: in the reader's language
        data["error_message"] = loaded(job.error_message).render()
    return data


async def detail(job: ImportJob) -> ImportDetail:
    return ImportDetail.model_validate({**_fields(job), "report": await queries.report(job)})


def _download(content: bytes, file_name: str) -> HTTPResponse:
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"
    return raw(content, content_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})


_ERROR = {"application/json": schema_ref(ErrorResponse)}


@bp.post("/imports/customers")
@openapi.body(RequestBody({"multipart/form-data": schema_ref(UploadForm)}, required=True))
@openapi.response(202, {"application/json": schema_ref(ImportDetail)}, "Queued: a worker runs it (big files)")
@openapi.response(400, _ERROR, "Bad request")
@openapi.response(
    413, _ERROR, "File or row count over the limits (OPCMS_IMPORT_MAX_BYTES, OPCMS_IMPORT_MAX_ROWS)"
)
@openapi.response(415, _ERROR, "Not an .xlsx workbook (checked by content)")
@openapi.response(
    422,
    _ERROR,
    "Refused file (damaged, encrypted, unsafe XML, zip bomb, missing columns, a cell over Excel's "
    "32,767 characters) or bad mode",
)
@openapi.response(
    429, _ERROR, "This process reads OPCMS_MAX_CONCURRENT_IMPORTS uploads already: retry after Retry-After"
)
@endpoint(permission="imports:write", response=ImportDetail, tag="imports")
async def upload_customers(request: Request) -> HTTPResponse:
    """Import a customer list (.xlsx): multipart `file` and `mode` (validate, create or upsert).

    Small files run at once (200, with the report); files over OPCMS_IMPORT_SYNC_ROWS rows (or
    the XML of that many rows) are queued for a worker (202): follow GET /imports/{id}.
    """
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise ValidationFailed.field(
            "file", "upload an .xlsx workbook in the multipart field 'file'", code="import_file_required"
        )
    mode = request.form.get("mode") if request.form else None
    if mode is None:
        raise ValidationFailed.field(
            "mode", "required: validate, create or upsert", code="import_mode_required"
        )
    service.parse_mode(mode)
    job = await service.submit(upload.body, upload.name, mode)
    body = dump(await detail(job))
    return json(body, status=202 if job.background else 200)


@bp.get("/imports")
@endpoint(permission="imports:read", query=ImportListQuery, response=ImportPage, tag="imports")
async def list_imports(request: Request, query: ImportListQuery) -> ImportPage:
    """Every import, newest first: who, when, file, mode, status and counts."""
    page = await queries.list_imports(query)
    page["items"] = [_fields(job) for job in page["items"]]
    return ImportPage.model_validate(page)


@bp.get("/imports/template.xlsx")
@endpoint(permission="imports:read", produces=XLSX_MEDIA_TYPE, tag="imports")
async def template(request: Request) -> HTTPResponse:
    """The import template: the headers, an example row, dropdowns for level, industry and status."""
    content = await asyncio.to_thread(workbooks.template_workbook, await workbooks.dictionary_choices())
    return _download(content, "客户导入模板.xlsx")


@bp.get("/imports/<import_id:int>")
@endpoint(permission="imports:read", response=ImportDetail, tag="imports")
async def get_import(request: Request, import_id: int) -> ImportDetail:
    """One import: status, progress (processed/total, written) and, once done, its report."""
    return await detail(await service.get_import(import_id))


@bp.get("/imports/<import_id:int>/errors.xlsx")
@endpoint(permission="imports:read", produces=XLSX_MEDIA_TYPE, tag="imports")
async def error_workbook(request: Request, import_id: int) -> HTTPResponse:
    """The failed rows as uploaded, with a first column naming each problem (column: reason)."""
    job = await service.get_import(import_id)
    if job.status != ImportStatus.SUCCEEDED:
        raise Conflict(
            f"import {import_id} is {job.status.value}; its errors are known once it has succeeded",
            code="import_not_finished",
            params={"id": import_id, "status": job.status},
        )
    try:
        upload = await service.open_upload(job)
    except StoredFileMissing:
        raise NotFound(
            f"the upload of import {import_id} is no longer stored",
            code="import_file_missing",
            params={"id": import_id},
        ) from None
    with upload:
        errors = await queries.row_errors(job)
        content = await asyncio.to_thread(workbooks.error_workbook, upload, errors)
    stem = job.file_name.rsplit(".", 1)[0]
    return _download(content, f"{stem}-错误行.xlsx")
